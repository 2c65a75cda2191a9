/**
 * Snapshot encoding: the columnar codec round-trips every shape the read model holds (and the odd
 * ones through its fallback), a snapshot round-trips a read model exactly in both encodings, damaged
 * snapshots are refused, and retention keeps snapshots spread over the history.
 */
import { isDeepStrictEqual } from 'node:util';
import type { StoredEvent } from '../event-store/port';
import { fixtureF } from '../domain/access/fixture';
import { decodeColumnar, encodeColumnar } from './snapshot-codec';
import { DEFAULT_PROFILE } from '../domain/model';
import { MemoryEventStore } from '../event-store/memory/memory-event-store';
import {
  decodeOrgSections,
  decodeSnapshot,
  decodeSnapshotHeader,
  decodeSnapshotLayout,
  encodeSnapshot,
  orgSectionsSpan,
  SnapshotFormatError,
} from './snapshot';
import { retentionVictims, SnapshotManager } from './snapshot-manager';
import { MemorySnapshotStore, type StoredSnapshot } from './snapshot-store';
import { ProjectionRunner } from './projection-runner';
import { ReadModel } from './read-model';
import { PROJECTION_VERSION } from './projection-version';

const compare = (a: string, b: string): number => Number(a) - Number(b);

/**
 * Fixture F (spec/scenarios/fixtures) as stored events, plus many runs so that Maps span pieces, and a
 * second org (Q) whose events come between O's.
 */
function readModelWithHistory(runs: number): ReadModel {
  const rm = new ReadModel(compare);
  let position = 0;
  const revisions = new Map<string, number>();
  const apply = (type: string, data: Record<string, unknown>, idempotencyKey?: string, orgId = 'O'): void => {
    position += 1;
    const revision = (revisions.get(orgId) ?? -1) + 1;
    revisions.set(orgId, revision);
    const e: StoredEvent = {
      eventId: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
      stream: `org-${orgId}`,
      revision,
      position: String(position),
      type,
      data,
      metadata: {
        actor: 'user:alice',
        correlationId: `c${position}`,
        occurredAt: '2024-01-01T00:00:00.000Z',
        schemaVersion: 1,
        ...(idempotencyKey
          ? { idempotencyKey, requestHash: `h${position}`, commandId: `cmd${position}` }
          : {}),
      },
    };
    rm.apply(e);
  };
  for (const f of fixtureF()) apply(f.type, f.data as unknown as Record<string, unknown>, 'ci:k1');
  const q = { orgId: 'Q', name: 'Q', founderUserId: 'quinn', profile: DEFAULT_PROFILE };
  apply('OrganizationCreated', q, undefined, 'Q');
  apply('UserJoinedOrganization', { orgId: 'Q', userId: 'quinn', role: 'admin' }, undefined, 'Q');
  apply('TeamCreated', { orgId: 'Q', teamId: 'q-team', name: 'Q team' }, undefined, 'Q');
  for (let i = 0; i < runs; i++) {
    apply('RunCreated', { runId: `run${i}`, projectId: 'P_team', creator: 'user:bob', loggedBy: 'user:bob' });
  }
  apply('RunStopped', { runId: 'run3', projectId: 'P_team' }, 'ci:k2');
  return rm;
}

describe('columnar codec', () => {
  it('round-trips records, Maps, Sets, arrays and scalars, keeping null and undefined apart', () => {
    const value = {
      orgs: new Map([
        ['a', { id: 'a', n: -1, ok: true, tags: new Set(['x', 'y']), roles: new Map([['u', 'admin']]) }],
        ['b', { id: 'b', n: 7, ok: false, tags: new Set<string>(), roles: new Map<string, string>() }],
      ]),
      nullable: [null, 'v', undefined, 'v'],
      nested: [[1, 2], [], [3]],
      empty: new Map(),
      profile: { type: 'dedicated', version: '0.75.0', flags: { a: true } },
    };
    const back = decodeColumnar(encodeColumnar(value));
    expect(isDeepStrictEqual(back, value)).toBe(true);
  });

  it('carries values that fit no column (floats, mixed kinds, records of different shapes) exactly', () => {
    const value = {
      floats: [1.5, 2, -0],
      mixed: ['a', 1, true, null],
      shapes: [{ a: 1 }, { b: 2 }],
      big: [2 ** 40],
      sets: [new Set([1, 'a'])],
    };
    expect(isDeepStrictEqual(decodeColumnar(encodeColumnar(value)), value)).toBe(true);
  });

  it('refuses values it could not restore exactly (class instances, dates, bigints)', () => {
    expect(() => encodeColumnar({ when: [new Date(0)] })).toThrow(/cannot encode a \[object Date\]/);
    expect(() => encodeColumnar({ n: [1n] })).toThrow(/cannot encode a bigint/);
  });

  it('refuses a truncated buffer', () => {
    const bytes = encodeColumnar({ m: new Map([['k', 'v']]) });
    expect(() => decodeColumnar(bytes.subarray(0, bytes.length - 4))).toThrow(RangeError);
  });
});

describe('snapshot round trip', () => {
  it.each(['columnar'] as const)(
    '%s: decode(encode(rm)) has the same orgs, index, idempotency answers, provenance and position',
    async (encoding) => {
      const rm = readModelWithHistory(12_000);
      const { header, chunks } = await encodeSnapshot(rm, { storeKind: 'sqlite', encoding });
      expect(header).toMatchObject({
        format: 'wandb-permissions-snapshot',
        projectionVersion: PROJECTION_VERSION,
        storeKind: 'sqlite',
        position: rm.position,
        previousPosition: rm.previousPosition,
        eventId: rm.lastEventId,
        eventCount: rm.eventCount,
        encoding,
      });
      const { readModel } = await decodeSnapshot(Buffer.concat(chunks), { comparePositions: compare });
      expect(isDeepStrictEqual(readModel.orgs, rm.orgs)).toBe(true);
      expect(isDeepStrictEqual(readModel.index, rm.index)).toBe(true);
      expect(isDeepStrictEqual(readModel.idempotency, rm.idempotency)).toBe(true);
      expect(readModel.provenance.toJSON()).toEqual(rm.provenance.toJSON());
      expect([
        readModel.position,
        readModel.previousPosition,
        readModel.lastEventId,
        readModel.eventCount,
      ]).toEqual([rm.position, rm.previousPosition, rm.lastEventId, rm.eventCount]);
      // The decoded model keeps folding: the next event lands as on the original.
      const next: StoredEvent = {
        eventId: '00000000-0000-4000-8000-999999999999',
        stream: 'org-O',
        revision: (rm.org('O')?.revision ?? 0) + 1,
        position: String(rm.eventCount + 1),
        type: 'RunDeleted',
        data: { runId: 'run5', projectId: 'P_team' },
        metadata: {
          actor: 'user:bob',
          correlationId: 'x',
          occurredAt: '2024-01-02T00:00:00.000Z',
          schemaVersion: 1,
        },
      };
      rm.apply(next);
      readModel.apply(structuredClone(next));
      expect(isDeepStrictEqual(readModel.orgs, rm.orgs)).toBe(true);
    },
  );

  it('a read model that applied nothing cannot be snapshotted', async () => {
    await expect(encodeSnapshot(new ReadModel(compare), { storeKind: 'memory' })).rejects.toThrow(/no event/);
  });

  it('refuses a truncated payload, a flipped byte and a header that is not ours', async () => {
    const { chunks } = await encodeSnapshot(readModelWithHistory(10), { storeKind: 'memory' });
    const bytes = Buffer.concat(chunks);
    const opts = { comparePositions: compare };
    await expect(decodeSnapshot(bytes.subarray(0, bytes.length - 1), opts)).rejects.toThrow(
      SnapshotFormatError,
    );
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3] = (flipped[flipped.length - 3] as number) ^ 0xff;
    await expect(decodeSnapshot(flipped, opts)).rejects.toThrow(/hash mismatch/);
    expect(() => decodeSnapshotHeader(Buffer.from('{"format":"other"}\n'))).toThrow(SnapshotFormatError);
    expect(() => decodeSnapshotHeader(Buffer.from('no newline'))).toThrow(/no header line/);
    const header = JSON.parse(bytes.subarray(0, bytes.indexOf(0x0a)).toString()) as Record<string, unknown>;
    delete header.eventId;
    expect(() => decodeSnapshotHeader(Buffer.from(`${JSON.stringify(header)}\n`))).toThrow(/lacks a field/);
  });
});

describe('org sections (layout 2)', () => {
  const options = { comparePositions: compare };

  it('one org decodes alone, with or without its runs and provenance, as the whole snapshot has it', async () => {
    const rm = readModelWithHistory(12_000);
    const bytes = Buffer.concat((await encodeSnapshot(rm, { storeKind: 'memory' })).chunks);
    const layout = decodeSnapshotLayout(bytes);
    if ('need' in layout) throw new Error('the layout is cut off');
    expect(layout.toc.orgs.map((o) => [o.orgId, o.revision])).toEqual([
      ['O', rm.org('O')?.revision],
      ['Q', rm.org('Q')?.revision],
    ]);
    const entry = layout.toc.orgs[0];
    if (!entry) throw new Error('no org O');
    const read = (parts: { runs: boolean; provenance: boolean }): ReadModel => {
      const [offset, length] = orgSectionsSpan(layout, entry, parts);
      return decodeOrgSections(layout, entry, bytes.subarray(offset, offset + length), {
        ...options,
        ...parts,
      });
    };
    const full = read({ runs: true, provenance: true });
    expect(isDeepStrictEqual(full.org('O'), rm.org('O'))).toBe(true);
    expect(full.org('Q')).toBeUndefined();
    expect([...full.index].sort()).toEqual([...rm.index].filter(([, o]) => o === 'O').sort());
    expect(full.provenance.toJSON()).toEqual({
      version: 2,
      orgs: [['O', rm.provenanceOf('O')?.toJSON()]],
    });
    expect(full.position).toBe(rm.position);
    // Without runs: the state has none (nor do its projects), the id index none of theirs, the rest alike.
    const runless = read({ runs: false, provenance: false });
    const state = runless.org('O');
    expect(state?.runs.size).toBe(0);
    expect([...(state?.projects.values() ?? [])].every((p) => p.runs.size === 0)).toBe(true);
    expect(
      isDeepStrictEqual(
        { ...state, runs: null, projects: null },
        { ...rm.org('O'), runs: null, projects: null },
      ),
    ).toBe(true);
    expect([...runless.index].sort()).toEqual(
      [...rm.index].filter(([k, o]) => o === 'O' && !k.startsWith('run:')).sort(),
    );
    expect(runless.hasProvenance).toBe(false);
    expect(runless.hasAllRuns).toBe(false);
    // The live model's projects keep their runs (the encoder strips copies).
    expect(rm.org('O')?.projects.get('P_team')?.runs.size).toBe(12_000);
  });

  it('a model decoded on first use re-encodes the orgs it has not decoded byte for byte', async () => {
    const createdAt = new Date('2024-02-01T00:00:00.000Z');
    const first = await encodeSnapshot(readModelWithHistory(6_000), { storeKind: 'memory', createdAt });
    const { readModel } = await decodeSnapshot(Buffer.concat(first.chunks), { ...options, deferOrgs: true });
    expect([readModel.deferredOrgs, readModel.deferredIds]).toEqual([2, 2]);
    const second = await encodeSnapshot(readModel, { storeKind: 'memory', createdAt });
    expect(readModel.deferredOrgs).toBe(2);
    expect(Buffer.concat(second.chunks).equals(Buffer.concat(first.chunks))).toBe(true);
  });

  it('refuses a damaged table of contents and a damaged org section', async () => {
    const bytes = Buffer.concat(
      (await encodeSnapshot(readModelWithHistory(10), { storeKind: 'memory' })).chunks,
    );
    const tocAt = bytes.indexOf(0x0a) + 1;
    const toc = Buffer.from(bytes);
    toc[tocAt + 10] = (toc[tocAt + 10] as number) ^ 0xff;
    await expect(decodeSnapshot(toc, options)).rejects.toThrow(/table of contents hash mismatch/);
    const layout = decodeSnapshotLayout(bytes);
    if ('need' in layout) throw new Error('the layout is cut off');
    expect(decodeSnapshotLayout(bytes.subarray(0, tocAt + 5))).toEqual({ need: layout.sectionsAt });
    const entry = layout.toc.orgs[1];
    if (!entry) throw new Error('no org Q');
    const state = Buffer.from(bytes);
    state[layout.sectionsAt + entry.state[0] + 2] =
      (state[layout.sectionsAt + entry.state[0] + 2] as number) ^ 0xff;
    await expect(decodeSnapshot(state, options)).rejects.toThrow(/Q state: section hash mismatch/);
  });

  it('SnapshotManager.openOrg reads one org of a stored snapshot, and an empty model for an org it lacks', async () => {
    const store = new MemoryEventStore();
    const snapshots = new MemorySnapshotStore();
    const rm = readModelWithHistory(10);
    const stored = await snapshots.write(await encodeSnapshot(rm, { storeKind: 'memory' }));
    const manager = new SnapshotManager(snapshots, store, { every: 1, keep: 2 });
    const q = await manager.openOrg(stored, 'Q', { runs: true, provenance: true });
    expect(q.revision).toBe(rm.org('Q')?.revision);
    expect(isDeepStrictEqual(q.readModel.org('Q'), rm.org('Q'))).toBe(true);
    expect(q.readModel.orgIds()).toEqual(['Q']);
    const none = await manager.openOrg(stored, 'Z', { runs: false, provenance: false });
    expect([none.revision, none.readModel.orgIds(), none.readModel.position]).toEqual([-1, [], rm.position]);
  });
});

describe('retention', () => {
  const at = (eventCount: number): StoredSnapshot =>
    ({ name: `s${eventCount}`, bytes: 1, header: { eventCount } }) as unknown as StoredSnapshot;

  it('keeps the newest and spreads the rest over the history', () => {
    const all = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map(at);
    const victims = retentionVictims(all, 4).map((s) => s.header.eventCount);
    const kept = all.map((s) => s.header.eventCount).filter((n) => !victims.includes(n));
    expect(kept).toHaveLength(4);
    expect(kept).toContain(100);
    // No two survivors closer than 20 events: the gaps stay even (≤ 40 events of replay anywhere).
    const gaps = kept.slice(1).map((n, i) => n - (kept[i] as number));
    expect(Math.max(...gaps, kept[0] as number)).toBeLessThanOrEqual(40);
  });

  it('never deletes the only snapshot and deletes nothing under the limit', () => {
    expect(retentionVictims([at(5)], 1)).toEqual([]);
    expect(retentionVictims([at(5), at(9)], 3)).toEqual([]);
    expect(retentionVictims([at(5), at(9)], 1).map((s) => s.header.eventCount)).toEqual([5]);
  });
});

describe('time-travel checkpoints (runless snapshots)', () => {
  const options = { comparePositions: compare };
  const runless = { runs: false, provenance: false };

  it('hold every org but its runs, no provenance and no idempotency answers, and cannot seed a read model', async () => {
    const rm = readModelWithHistory(6_000);
    const full = Buffer.concat((await encodeSnapshot(rm, { storeKind: 'memory' })).chunks);
    const encoded = await encodeSnapshot(rm, { storeKind: 'memory', runless: true });
    expect(encoded.header.runless).toBe(true);
    const bytes = Buffer.concat(encoded.chunks);
    expect(bytes.length).toBeLessThan(full.length / 5);
    expect(decodeSnapshotHeader(bytes)).toEqual(encoded.header);
    expect(decodeSnapshotHeader(full).runless).toBeUndefined();
    await expect(decodeSnapshot(bytes, options)).rejects.toThrow(/checkpoint \(runless\) cannot seed/);
    const layout = decodeSnapshotLayout(bytes);
    const fullLayout = decodeSnapshotLayout(full);
    if ('need' in layout || 'need' in fullLayout) throw new Error('the layout is cut off');
    expect(layout.toc.global[1]).toBe(0);
    const read = (l: typeof layout, b: Buffer, orgIndex: number, parts = runless): ReadModel => {
      const entry = l.toc.orgs[orgIndex];
      if (!entry) throw new Error(`no org ${orgIndex}`);
      const [offset, length] = orgSectionsSpan(l, entry, parts);
      return decodeOrgSections(l, entry, b.subarray(offset, offset + length), { ...options, ...parts });
    };
    expect(layout.toc.orgs.map((o) => [o.orgId, o.revision])).toEqual(
      fullLayout.toc.orgs.map((o) => [o.orgId, o.revision]),
    );
    for (const [i, entry] of layout.toc.orgs.entries()) {
      expect([entry.runIds[1], entry.runs[1], entry.provenance[1]]).toEqual([0, 0, 0]);
      // Decoded without runs, an org of the checkpoint is the snapshot's.
      const got = read(layout, bytes, i);
      const want = read(fullLayout, full, i);
      expect(isDeepStrictEqual(got.org(entry.orgId), want.org(entry.orgId))).toBe(true);
      expect([...got.index].sort()).toEqual([...want.index].sort());
      expect(got.position).toBe(rm.position);
      expect(() => read(layout, bytes, i, { runs: true, provenance: false })).toThrow(
        /checkpoint holds no runs and no provenance/,
      );
    }
  });

  it('SnapshotManager takes them between snapshots, keeps them apart and spread, and serves reads without runs from the nearest', async () => {
    const store = new MemoryEventStore();
    const live = new ReadModel((a, b) => store.comparePositions(a, b));
    const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
    const projection = new ProjectionRunner(store, live, quiet);
    await projection.start();
    const snapshots = new MemorySnapshotStore();
    const checkpoints = new MemorySnapshotStore();
    const policy = { every: 6, keep: 2, checkpointEvery: 2, checkpointKeep: 3 };
    const manager = new SnapshotManager(snapshots, store, policy, quiet, checkpoints);
    manager.attach(projection);
    const metadata = {
      actor: 'system',
      correlationId: 'c',
      occurredAt: '2024-01-01T00:00:00.000Z',
      schemaVersion: 1,
    };
    for (const f of fixtureF()) {
      const r = await store.append('org-O', [{ type: f.type, data: f.data as never, metadata }], 'any');
      await projection.waitFor(r.position, 5000);
    }
    await manager.take('test: settle'); // every write in flight finished, and a snapshot at the head
    const events = await store.readAll({ limit: 1000 });
    const counts = (list: readonly StoredSnapshot[]): number[] => list.map((s) => s.header.eventCount);
    expect(counts(manager.list())).toEqual([12, 26]);
    // Every second event but where a snapshot was due, three kept, spread (the newest always).
    expect(counts(manager.listCheckpoints())).toEqual([10, 16, 26]);
    expect(manager.listCheckpoints().every((s) => s.header.runless === true)).toBe(true);
    expect((await snapshots.list()).snapshots.map((s) => s.header.runless)).toEqual([undefined, undefined]);
    expect((await checkpoints.list()).snapshots).toHaveLength(3);

    const positionOf = (count: number): string => (events[count - 1] as StoredEvent).position;
    // Without runs: the newest of both at or before the position; with runs or provenance: snapshots only.
    const nearest = (count: number, parts: typeof runless): [number | undefined, boolean | undefined] => {
      const s = manager.nearestFor(positionOf(count), parts);
      return [s?.header.eventCount, s?.header.runless];
    };
    expect(nearest(23, runless)).toEqual([16, true]);
    expect(nearest(13, runless)).toEqual([12, undefined]);
    expect(nearest(9, runless)).toEqual([undefined, undefined]);
    expect(nearest(23, { runs: true, provenance: false })).toEqual([12, undefined]);
    expect(nearest(23, { runs: false, provenance: true })).toEqual([12, undefined]);
    // A snapshot and a checkpoint at one position: the snapshot (it serves every read).
    expect(nearest(26, runless)).toEqual([26, undefined]);

    // An org as of a checkpoint: the fold up to it, without runs; nothing richer.
    const checkpoint = manager.listCheckpoints()[1] as StoredSnapshot;
    const at = await manager.openOrg(checkpoint, 'O', runless);
    const fold = new ReadModel(compare);
    for (const e of events.slice(0, 16)) fold.apply(e);
    expect(at.revision).toBe(15);
    expect(isDeepStrictEqual(at.readModel.org('O'), fold.org('O'))).toBe(true);
    await expect(manager.openOrg(checkpoint, 'O', { runs: true, provenance: false })).rejects.toThrow(
      /no runs/,
    );

    // Another instance over the same files: seeded from the newest snapshot, not the checkpoints.
    const next = new SnapshotManager(snapshots, store, policy, quiet, checkpoints);
    const loaded = await next.loadLatest();
    expect(loaded?.snapshot.header.eventCount).toBe(26);
    expect(counts(next.listCheckpoints())).toEqual([10, 16, 26]);
    await projection.stop();
  });
});
