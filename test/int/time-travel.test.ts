/**
 * Time travel and snapshots on a seeded, randomized history (test/support/random-history.ts) going
 * through the real command path of an in-process server over SQLite, with a snapshot every 250 events:
 *
 * - `consistency=at:<position>` answers (check, projectAccess, registryAccess for many pairs, and the
 *   whole state) equal a fold from scratch of the events up to that position, for random positions,
 *   and start from the nearest snapshot (partial replay), not from the first event;
 * - a snapshot round trip (encode → decode) gives the same state and answers;
 * - a start from a snapshot equals a start from scratch, replays only the events after it, and its
 *   audit index is complete again once the background rebuild is done;
 * - a snapshot of another PROJECTION_VERSION, one ahead of the store (store replaced) and a damaged one
 *   are discarded and the state rebuilt by replay;
 * - `at:` about one org (a query scope: read-side.ts) rebuilds only that org from its snapshot section
 *   and its own stream, and every answer about the org (with its runs, without them, and explain with
 *   provenance) equals the full fold's, for random positions and every org;
 * - a read model whose orgs are decoded on first use (start-up) answers as one decoded at once, and an
 *   event for an org not decoded yet lands on its decoded state.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { CommandService } from '../../src/application/command.service';
import { explainCheck } from '../../src/application/explain';
import { Queries } from '../../src/application/query.service';
import { ReadSide } from '../../src/application/read-side';
import { DomainError } from '../../src/domain/errors';
import type { StoredEvent } from '../../src/event-store/port';
import { COMMAND_SERVICE, READ_SIDE } from '../../src/http/tokens';
import { PROJECTION_VERSION } from '../../src/read-model/projection-version';
import { ReadModel } from '../../src/read-model/read-model';
import { decodeSnapshot, encodeSnapshot } from '../../src/read-model/snapshot';
import { FileSnapshotStore } from '../../src/read-model/snapshot-store';
import { prng, RandomHistory } from '../support/random-history';
import { http, startTestServer, type TestServer } from '../support/server';

const SEED = 4_2024;
const EVERY = 250;
const TARGET_EVENTS = 2400;

const compare = (a: string, b: string): number => Number(a) - Number(b);

const PERMISSIONS: Record<string, readonly string[]> = {
  org: ['org:manage-users', 'org:read-audit'],
  team: ['team:manage-members', 'team:read'],
  project: ['project:read', 'run:create', 'project:manage-members'],
  run: ['run:delete'],
  report: ['report:update'],
  registry: ['registry:read', 'registry:members.manage'],
};

/** A sample of (principal, permission, resource) checks over `resources`, for explain. */
function explainSample(
  rnd: () => number,
  principals: readonly string[],
  resources: readonly string[],
  n: number,
): { principal: string; permission: string; resource: string }[] {
  const out = [];
  for (let i = 0; i < n && resources.length > 0; i++) {
    const resource = resources[Math.floor(rnd() * resources.length)] as string;
    const permissions = PERMISSIONS[resource.slice(0, resource.indexOf(':'))] ?? [];
    out.push({
      principal: principals[Math.floor(rnd() * principals.length)] as string,
      permission: permissions[Math.floor(rnd() * permissions.length)] as string,
      resource,
    });
  }
  return out;
}

function answer<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

/**
 * Every answer the read side gives over principals × resources (deterministic order); registries are
 * also asked about teams, which registry grants name.
 */
function answers(rm: ReadModel, principals: readonly string[], resources: readonly string[]): unknown[] {
  const q = new Queries(rm);
  const teams = resources.filter((r) => r.startsWith('team:'));
  const out: unknown[] = [];
  for (const resource of resources) {
    const i = resource.indexOf(':');
    const kind = resource.slice(0, i);
    const id = resource.slice(i + 1);
    for (const principal of principals) {
      for (const permission of PERMISSIONS[kind] ?? []) {
        out.push(answer(() => q.check({ principal, permission, resource })));
      }
      if (kind === 'project') out.push(answer(() => q.projectAccess(id, principal)));
      if (kind === 'registry') out.push(answer(() => q.registryAccess(id, principal)));
    }
    if (kind === 'registry') for (const team of teams) out.push(answer(() => q.registryAccess(id, team)));
  }
  return out;
}

/**
 * Every answer about one org: {@link answers} over its resources, plus its member lists, orphaned
 * projects and custom roles (those of `roles`, and one that never existed).
 */
function orgAnswers(
  rm: ReadModel,
  orgId: string,
  principals: readonly string[],
  resources: readonly string[],
  roles: readonly string[],
): unknown[] {
  const q = new Queries(rm);
  const out = answers(rm, principals, resources);
  for (const resource of resources) {
    const id = resource.slice(resource.indexOf(':') + 1);
    if (resource.startsWith('project:')) out.push(answer(() => q.projectMembers(id)));
    if (resource.startsWith('registry:')) out.push(answer(() => q.registryMembers(id)));
    if (resource.startsWith('team:')) out.push(answer(() => q.teamMembers(id)));
  }
  out.push(answer(() => q.orphanedProjects(orgId)));
  for (const roleId of [...roles, 'never-a-role']) out.push(answer(() => q.customRole(orgId, roleId)));
  return out;
}

/** The read model behind a Queries (its only field): the state itself is compared, not only answers. */
function modelOf(q: Queries): ReadModel {
  return (q as unknown as { rm: ReadModel }).rm;
}

function sameState(a: ReadModel, b: ReadModel): boolean {
  return (
    a.position === b.position &&
    a.eventCount === b.eventCount &&
    isDeepStrictEqual(a.orgs, b.orgs) &&
    isDeepStrictEqual(a.index, b.index) &&
    isDeepStrictEqual(a.idempotency, b.idempotency)
  );
}

function foldUpTo(events: readonly StoredEvent[], count: number): ReadModel {
  const rm = new ReadModel(compare);
  for (const e of events.slice(0, count)) rm.apply(structuredClone(e));
  return rm;
}

async function readAll(server: TestServer): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let after: string | null = null;
  for (;;) {
    const batch = await server.running.store.readAll({ after, limit: 2000 });
    if (batch.length === 0) return out;
    out.push(...batch);
    after = (batch[batch.length - 1] as StoredEvent).position;
  }
}

/** Runs commands of the random history through the command service until `target` events exist. */
async function grow(
  server: TestServer,
  history: RandomHistory,
  target: number,
  setup = false,
): Promise<void> {
  const commands = server.running.app.get<CommandService>(COMMAND_SERVICE);
  const run = async (cmd: { name: string; body: Record<string, unknown>; actor: string }): Promise<void> => {
    try {
      await commands.execute({ ...cmd, name: cmd.name as never, client: 'ci' });
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
    }
  };
  if (setup)
    for (const step of history.setup()) {
      const cmd = step();
      if (cmd) await run(cmd);
    }
  while (server.running.projection.readModel.eventCount < target) await run(history.next());
}

/** Headers of the snapshot files in `dir`, oldest first. */
async function listHeaders(dir: string): Promise<{ name: string; eventCount: number }[]> {
  const listing = await new FileSnapshotStore(join(dir, 'snapshots')).list();
  return listing.snapshots
    .map((s) => ({ name: s.name, eventCount: s.header.eventCount }))
    .sort((a, b) => a.eventCount - b.eventCount);
}

function snapshotFiles(dir: string): string[] {
  return readdirSync(join(dir, 'snapshots'))
    .filter((f) => f.endsWith('.bin'))
    .sort();
}

const env = { SNAPSHOT_EVERY: String(EVERY), SNAPSHOT_KEEP: '5' };

describe('time travel and snapshots over a randomized history (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'perm-tt-'));
  let server: TestServer;
  let history: RandomHistory;
  let events: StoredEvent[];
  let principals: string[];
  let resources: string[];

  beforeAll(async () => {
    server = await startTestServer('sqlite', dir, env);
    const live = server.running.projection.readModel;
    history = new RandomHistory((orgId) => live.org(orgId), {
      seed: SEED,
      orgs: 3,
      usersPerOrg: 10,
      teamsPerOrg: 3,
      projectsPerOrg: 6,
    });
    await grow(server, history, TARGET_EVENTS, true);
    // Periodic snapshots run in the background: wait for the one in flight, if any.
    await server.running.snapshots.take('test: settle');
    events = await readAll(server);
    principals = [
      ...[...history.userIds].sort().map((u) => `user:${u}`),
      ...[...history.serviceAccountIds].sort().map((s) => `sa:${s}`),
    ];
    // Deleted ids stay in the index, so this covers resources that existed at any position.
    resources = [
      ...[...live.orgs.keys()].map((o) => `org:${o}`),
      ...[...live.index.keys()].filter((k) => !k.startsWith('sa:')),
    ].sort();
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('took periodic snapshots and kept a bounded number, spread over the history', () => {
    expect(events.length).toBeGreaterThanOrEqual(TARGET_EVENTS);
    const kept = server.running.snapshots.list();
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(kept.length).toBeLessThanOrEqual(5);
    expect(snapshotFiles(dir)).toEqual(kept.map((s) => s.name).sort());
    for (const s of kept) expect(s.header.projectionVersion).toBe(PROJECTION_VERSION);
  });

  it('at:<position> answers equal a fold from scratch up to that position, for random positions', async () => {
    const readSide = server.running.app.get<ReadSide>(READ_SIDE);
    const rnd = prng(SEED);
    const snapshotCounts = server.running.snapshots.list().map((s) => s.header.eventCount);
    const counts = new Set<number>([1, events.length, ...snapshotCounts, (snapshotCounts[0] ?? 2) - 1]);
    while (counts.size < snapshotCounts.length + 12) counts.add(1 + Math.floor(rnd() * events.length));
    const spy = jest.spyOn(server.running.store, 'readAll');
    try {
      for (const count of [...counts].sort((a, b) => a - b)) {
        const position = (events[count - 1] as StoredEvent).position;
        spy.mockClear();
        const q = await readSide.queriesAt({ kind: 'at', position });
        expect(q.position).toBe(position);
        const expected = foldUpTo(events, count);
        const got = modelOf(q);
        expect([count, sameState(got, expected)]).toEqual([count, true]);
        expect(answers(got, principals, resources)).toEqual(answers(expected, principals, resources));
        // The replay started at the nearest snapshot at or before the position, not at the first event.
        const base = server.running.snapshots.nearest(position);
        const firstRead = spy.mock.calls[0]?.[0]?.after ?? null;
        if (base && base.header.position === position) expect(spy).not.toHaveBeenCalled();
        else expect([count, firstRead]).toEqual([count, base?.header.position ?? null]);
      }
    } finally {
      spy.mockRestore();
    }
  }, 120_000);

  it('at:<position> about one org (scoped) equals a full fold up to the position, for random positions and every org', async () => {
    const readSide = server.running.app.get<ReadSide>(READ_SIDE);
    const live = server.running.projection.readModel;
    const { store, projection, snapshots } = server.running;
    // A read side of its own for each kind of read, so that none is served a richer cached model.
    const fresh = (): ReadSide => new ReadSide(store, projection, 5000, 4, snapshots);
    const rnd = prng(SEED + 5);
    const snapshotCounts = server.running.snapshots.list().map((s) => s.header.eventCount);
    // The snapshots' own positions, the events on either side of each, and random ones.
    const counts = new Set<number>([1, events.length]);
    for (const c of snapshotCounts) for (const d of [-1, 0, 1]) counts.add(Math.min(events.length, c + d));
    while (counts.size < snapshotCounts.length * 3 + 4) counts.add(1 + Math.floor(rnd() * events.length));
    const orgIds = [...live.orgs.keys()];
    expect(orgIds.length).toBeGreaterThanOrEqual(3);
    const openOrg = jest.spyOn(server.running.snapshots, 'openOrg');
    const readAll = jest.spyOn(server.running.store, 'readAll');
    try {
      for (const count of [...counts].sort((a, b) => a - b)) {
        const position = (events[count - 1] as StoredEvent).position;
        const at = { kind: 'at', position } as const;
        const expected = foldUpTo(events, count);
        const base = server.running.snapshots.nearest(position);
        for (const orgId of orgIds) {
          const ofOrg = resources.filter((r) => live.orgOfRef(r) === orgId);
          const roles = [...(expected.org(orgId)?.customRoles.keys() ?? [])];
          const want = orgAnswers(expected, orgId, principals, ofOrg, roles);
          openOrg.mockClear();
          readAll.mockClear();
          // With runs: the org's state and its part of the id index are the fold's.
          const q = await readSide.queriesAt(at, { orgs: [orgId], resources: ofOrg });
          expect(q.position).toBe(position);
          const got = modelOf(q);
          expect([count, orgId, isDeepStrictEqual(got.org(orgId), expected.org(orgId))]).toEqual([
            count,
            orgId,
            true,
          ]);
          expect([...got.index].filter(([, o]) => o === orgId).sort()).toEqual(
            [...expected.index].filter(([, o]) => o === orgId).sort(),
          );
          expect(orgAnswers(got, orgId, principals, ofOrg, roles)).toEqual(want);
          // Built from the org's section of the nearest snapshot, not from a replay of every event.
          if (base) expect(openOrg).toHaveBeenCalledWith(base, orgId, { runs: true, provenance: false });
          for (const [options] of readAll.mock.calls) {
            expect(options?.limit ?? 1000).toBeLessThan(5000);
          }
          // Without runs (questions about anything but runs and reports): the same answers.
          const runless = ofOrg.filter((r) => !r.startsWith('run:') && !r.startsWith('report:'));
          const q0 = await fresh().queriesAt(at, { orgs: [orgId], resources: runless });
          expect(modelOf(q0).hasAllRuns).toBe(false);
          expect(orgAnswers(modelOf(q0), orgId, principals, runless, roles)).toEqual(
            orgAnswers(expected, orgId, principals, runless, roles),
          );
          // Explain cites the events of the org's provenance as of the position.
          const sample = explainSample(rnd, principals, ofOrg, 6);
          for (const input of sample) {
            const qe = await fresh().queriesAt(at, { resources: [input.resource], provenance: true });
            expect(answer(() => explainCheck(modelOf(qe), input))).toEqual(
              answer(() => explainCheck(expected, input)),
            );
          }
        }
        // A batch across every org: their models side by side.
        const q = await readSide.queriesAt(at, { resources });
        expect(answers(modelOf(q), principals, resources)).toEqual(answers(expected, principals, resources));
      }
    } finally {
      openOrg.mockRestore();
      readAll.mockRestore();
    }
  }, 240_000);

  it('over HTTP: at:<position> answers as of that position and carries it; a malformed position is 400', async () => {
    const project = resources.find((r) => r.startsWith('project:'))?.slice(8) ?? '';
    const principal = principals[0] ?? '';
    const position = (events[700] as StoredEvent).position;
    const r = await http(
      server.url,
      'GET',
      `/v1/projects/${project}/access?principal=${principal}&consistency=at:${position}`,
    );
    expect([200, 404]).toContain(r.status);
    if (r.status === 200) expect(r.body.position).toBe(position);
    const check = await http(
      server.url,
      'GET',
      `/v1/check?principal=${principal}&permission=project:read&resource=project:${project}&consistency=at:${position}`,
    );
    expect(check.status).toBe(200);
    expect(check.body.position).toBe(position);
    expect(check.body.allowed).toBe(
      new Queries(foldUpTo(events, 701)).check({
        principal,
        permission: 'project:read',
        resource: `project:${project}`,
      }).allowed,
    );
    const beyond = await http(
      server.url,
      'GET',
      `/v1/check?principal=${principal}&permission=project:read&resource=project:${project}&consistency=at:1:2`,
    );
    expect(beyond.status).toBe(400);
    expect(beyond.body.code).toBe('VALIDATION_FAILED');
  });

  it('a snapshot round trip (encode → decode) gives the same state and the same answers', async () => {
    const live = server.running.projection.readModel;
    const { chunks } = await server.running.projection.exclusive(() =>
      encodeSnapshot(live, { storeKind: 'sqlite' }),
    );
    const { readModel } = await decodeSnapshot(Buffer.concat(chunks), { comparePositions: compare });
    expect(sameState(readModel, live)).toBe(true);
    expect(readModel.provenance.toJSON()).toEqual(live.provenance.toJSON());
    expect(answers(readModel, principals, resources)).toEqual(answers(live, principals, resources));
  });

  describe('start-up', () => {
    let fromScratch: ReadModel;

    beforeAll(async () => {
      // Close (a last snapshot at the head), then start once without snapshots: the reference.
      await server.close();
      const copy = mkdtempSync(join(tmpdir(), 'perm-tt-scratch-'));
      cpSync(join(dir, 'events.sqlite'), join(copy, 'events.sqlite'));
      const scratch = await startTestServer('sqlite', copy, { SNAPSHOT_EVERY: '0' });
      expect(scratch.running.seededFrom).toBeNull();
      fromScratch = scratch.running.projection.readModel;
      await scratch.close();
      rmSync(copy, { recursive: true, force: true });
    }, 120_000);

    it('from the shutdown snapshot equals a start from scratch, replays nothing, and rebuilds the audit index', async () => {
      server = await startTestServer('sqlite', dir, env);
      const running = server.running;
      expect(running.seededFrom?.header.position).toBe((events[events.length - 1] as StoredEvent).position);
      expect(sameState(running.projection.readModel, fromScratch)).toBe(true);
      expect(answers(running.projection.readModel, principals, resources)).toEqual(
        answers(fromScratch, principals, resources),
      );
      expect(await running.auditBackfill).toBe(true);
      const audit = running.audit.query({ limit: 10_000, order: 'asc' });
      expect(audit.entries.map((e) => e.position)).toEqual(events.map((e) => e.position));
      expect(audit.next).toBeUndefined();
      // It goes on from there: new commands land on the seeded state exactly as on a replayed one.
      await grow(server, history, events.length + 150);
      const all = await readAll(server);
      expect(sameState(running.projection.readModel, foldUpTo(all, all.length))).toBe(true);
      events = all;
    }, 120_000);

    it('orgs decoded on first use (start-up) answer as orgs decoded at once', async () => {
      const live = server.running.projection.readModel;
      const { chunks } = await server.running.projection.exclusive(() =>
        encodeSnapshot(live, { storeKind: 'sqlite' }),
      );
      const bytes = Buffer.concat(chunks);
      const eager = (await decodeSnapshot(bytes, { comparePositions: compare })).readModel;
      const lazy = (await decodeSnapshot(bytes, { comparePositions: compare, deferOrgs: true })).readModel;
      const orgIds = eager.orgIds();
      expect(lazy.orgIds()).toEqual(orgIds);
      expect(lazy.deferredOrgs).toBe(orgIds.length);
      expect(lazy.deferredIds).toBe(orgIds.length);
      // Questions about one org decode that org alone.
      const [first] = orgIds;
      const ofFirst = resources.filter((r) => eager.orgOfRef(r) === first);
      expect(answers(lazy, principals, ofFirst)).toEqual(answers(eager, principals, ofFirst));
      expect(lazy.deferredOrgs).toBe(orgIds.length - 1);
      // Every check of the sample, then the whole state.
      expect(answers(lazy, principals, resources)).toEqual(answers(eager, principals, resources));
      expect(sameState(lazy, eager)).toBe(true);
      expect([...lazy.orgs.keys()]).toEqual([...eager.orgs.keys()]);
      expect(lazy.provenance.toJSON()).toEqual(eager.provenance.toJSON());
      expect([lazy.deferredOrgs, lazy.deferredIds]).toEqual([0, 0]);
    });

    it('an event for an org not decoded yet lands on its decoded state; a partly decoded model snapshots right', async () => {
      const k = Math.floor(events.length / 2);
      const { chunks } = await encodeSnapshot(foldUpTo(events, k), { storeKind: 'sqlite' });
      const lazy = (
        await decodeSnapshot(Buffer.concat(chunks), { comparePositions: compare, deferOrgs: true })
      ).readModel;
      const orgs = lazy.deferredOrgs;
      const next = events[k] as StoredEvent;
      lazy.apply(structuredClone(next));
      // Only the event's org was decoded (first), the others wait.
      expect(lazy.deferredOrgs).toBe(orgs - 1);
      expect(
        isDeepStrictEqual(lazy.org(next.stream.slice(4)), foldUpTo(events, k + 1).org(next.stream.slice(4))),
      ).toBe(true);
      // A snapshot of the partly decoded model copies the deferred orgs' sections as they are.
      const again = await encodeSnapshot(lazy, { storeKind: 'sqlite' });
      expect(lazy.deferredOrgs).toBe(orgs - 1);
      const back = (await decodeSnapshot(Buffer.concat(again.chunks), { comparePositions: compare }))
        .readModel;
      const expected = foldUpTo(events, k + 1);
      expect(sameState(back, expected)).toBe(true);
      expect(back.provenance.toJSON()).toEqual(expected.provenance.toJSON());
      // The rest of the history lands on it as on a full fold.
      for (const e of events.slice(k + 1)) lazy.apply(structuredClone(e));
      const all = foldUpTo(events, events.length);
      expect(sameState(lazy, all)).toBe(true);
      expect(lazy.provenance.toJSON()).toEqual(all.provenance.toJSON());
      expect(answers(lazy, principals, resources)).toEqual(answers(all, principals, resources));
    });

    it('from an older snapshot replays only the events after it', async () => {
      await server.close();
      const files = snapshotFiles(dir);
      // Keep only the oldest snapshot.
      for (const f of files.slice(1)) rmSync(join(dir, 'snapshots', f));
      server = await startTestServer('sqlite', dir, { ...env, SNAPSHOT_EVERY: '100000' });
      const seeded = server.running.seededFrom;
      expect(seeded?.name).toBe(files[0]);
      expect(seeded && seeded.header.eventCount < events.length).toBe(true);
      expect(sameState(server.running.projection.readModel, foldUpTo(events, events.length))).toBe(true);
      expect(await server.running.auditBackfill).toBe(true);
      expect(server.running.audit.size).toBe(events.length);
    }, 60_000);

    it('a snapshot of another PROJECTION_VERSION is discarded and rebuilt', async () => {
      await server.close(); // a new snapshot at the head
      for (const f of snapshotFiles(dir)) {
        const path = join(dir, 'snapshots', f);
        const bytes = readFileSync(path);
        const nl = bytes.indexOf(0x0a);
        const header = JSON.parse(bytes.subarray(0, nl).toString()) as Record<string, unknown>;
        header.projectionVersion = PROJECTION_VERSION + 1;
        writeFileSync(path, Buffer.concat([Buffer.from(JSON.stringify(header)), bytes.subarray(nl)]));
      }
      server = await startTestServer('sqlite', dir, env);
      expect(server.running.seededFrom).toBeNull();
      expect(sameState(server.running.projection.readModel, foldUpTo(events, events.length))).toBe(true);
      // Rebuilt: the start-up replay ends with a fresh snapshot of this version at the head, and no
      // file of the other version is left.
      await server.running.snapshots.take('test: settle');
      const kept = server.running.snapshots.list();
      expect(kept.map((s) => s.header.position)).toEqual([
        (events[events.length - 1] as StoredEvent).position,
      ]);
      for (const f of snapshotFiles(dir)) {
        const head = readFileSync(join(dir, 'snapshots', f)).toString('utf8', 0, 300);
        expect(head).toContain(`"projectionVersion":${PROJECTION_VERSION},`);
      }
    }, 60_000);

    it('a damaged newest snapshot is discarded and the next older one seeds the read models', async () => {
      // More than EVERY events: a periodic snapshot on the way, then one at the head on shutdown.
      await grow(server, history, events.length + EVERY + 20);
      await server.running.snapshots.take('test: settle');
      await server.close();
      events = await (async () => {
        const s = await startTestServer('sqlite', dir, { SNAPSHOT_EVERY: '0' });
        const all = await readAll(s);
        await s.close();
        return all;
      })();
      const files = snapshotFiles(dir);
      expect(files.length).toBeGreaterThanOrEqual(2);
      const newest = (await listHeaders(dir)).at(-1) as { name: string; eventCount: number };
      expect(newest.eventCount).toBe(events.length);
      const path = join(dir, 'snapshots', newest.name);
      const bytes = readFileSync(path);
      writeFileSync(path, bytes.subarray(0, bytes.length - 10));
      server = await startTestServer('sqlite', dir, env);
      expect(snapshotFiles(dir)).not.toContain(newest.name);
      expect(server.running.seededFrom).not.toBeNull();
      expect(server.running.seededFrom?.header.eventCount).toBeLessThan(events.length);
      expect(sameState(server.running.projection.readModel, foldUpTo(events, events.length))).toBe(true);
    }, 120_000);

    it('a snapshot the store does not hold (the store was replaced) is discarded', async () => {
      await server.close(); // a snapshot at the head of the long history
      const long = snapshotFiles(dir);
      const other = mkdtempSync(join(tmpdir(), 'perm-tt-other-'));
      try {
        // A different store whose positions overlap the snapshots' (positions exist, events differ)…
        const small = await startTestServer('sqlite', other, { SNAPSHOT_EVERY: '0' });
        const created = await http(small.url, 'POST', '/v1/commands/CreateOrganization', {
          actor: 'system',
          body: { orgId: 'solo', name: 'Solo', founderUserId: 'sam' },
        });
        expect(created.status).toBe(200);
        await small.close();
        // …with the long history's snapshots copied in: every one is ahead of this store or names
        // another event at its position.
        cpSync(join(dir, 'snapshots'), join(other, 'snapshots'), { recursive: true });
        const restarted = await startTestServer('sqlite', other, env);
        expect(restarted.running.seededFrom).toBeNull();
        expect([...restarted.running.projection.readModel.orgs.keys()]).toEqual(['solo']);
        expect(readdirSync(join(other, 'snapshots')).filter((f) => long.includes(f))).toEqual([]);
        await restarted.close();
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
      server = await startTestServer('sqlite', dir, env);
      expect(server.running.seededFrom).not.toBeNull();
    }, 60_000);
  });
});
