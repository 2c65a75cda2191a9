/**
 * `at:` reads about one org (read-side.ts) over a store whose positions are sparse (every tenth
 * number): a position no event has is 404 with and without a scope, as the full replay has it, and a
 * position of another org's event answers as of that position — with and without snapshots.
 */
import { isDeepStrictEqual } from 'node:util';
import { fixtureF } from '../domain/access/fixture';
import { DEFAULT_PROFILE } from '../domain/model';
import { MemoryEventStore } from '../event-store/memory/memory-event-store';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  StoredEvent,
  SubscribeHandlers,
  Subscription,
} from '../event-store/port';
import { ProjectionRunner } from '../read-model/projection-runner';
import { ReadModel } from '../read-model/read-model';
import { encodeSnapshot } from '../read-model/snapshot';
import { SnapshotManager } from '../read-model/snapshot-manager';
import { MemorySnapshotStore } from '../read-model/snapshot-store';
import { Queries } from './query.service';
import { ReadSide } from './read-side';

/** A memory store whose positions are ten times the inner ones: 15 is a position, of no event. */
class SparseStore implements EventStore {
  readonly kind = 'memory' as const;
  constructor(readonly inner = new MemoryEventStore()) {}

  private out<T extends { position: string }>(e: T): T {
    return { ...e, position: String(Number(e.position) * 10) };
  }

  private in(position: string | null | undefined): string | null {
    return position == null ? null : String(Math.floor(Number(position) / 10));
  }

  async append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const r = await this.inner.append(stream, events, expected);
    return { ...r, position: String(Number(r.position) * 10), events: r.events.map((e) => this.out(e)) };
  }

  async readStream(stream: string, fromRevision?: number, limit?: number): Promise<StoredEvent[]> {
    return (await this.inner.readStream(stream, fromRevision, limit)).map((e) => this.out(e));
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    return (await this.inner.readAll({ ...options, after: this.in(options.after) })).map((e) => this.out(e));
  }

  subscribeAll(after: string | null, handlers: SubscribeHandlers): Subscription {
    return this.inner.subscribeAll(this.in(after), {
      ...handlers,
      onEvent: (e) => handlers.onEvent(this.out(e)),
    });
  }

  async headPosition(): Promise<string | null> {
    const head = await this.inner.headPosition();
    return head === null ? null : String(Number(head) * 10);
  }

  comparePositions(a: string, b: string): number {
    if (!/^[0-9]+$/.test(a) || !/^[0-9]+$/.test(b)) throw new RangeError('not a position');
    return Number(a) - Number(b);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const meta = {
  actor: 'system',
  correlationId: 'c',
  occurredAt: '2024-01-01T00:00:00.000Z',
  schemaVersion: 1,
};

/**
 * Fixture F in org O, with org Q's events in between; a snapshot after half of them when `snapshot`,
 * and a time-travel checkpoint after three quarters when `checkpoint`.
 */
async function setUp(snapshot: boolean, checkpoint = false) {
  const store = new SparseStore();
  const events = fixtureF();
  const q = (type: string, data: Record<string, unknown>): NewEvent => ({ type, data, metadata: meta });
  const qEvents = [
    q('OrganizationCreated', { orgId: 'Q', name: 'Q', founderUserId: 'bob', profile: DEFAULT_PROFILE }),
    q('UserJoinedOrganization', { orgId: 'Q', userId: 'bob', role: 'admin' }),
    q('TeamCreated', { orgId: 'Q', teamId: 'q-team', name: 'Q team' }),
  ];
  for (const [i, f] of events.entries()) {
    await store.append('org-O', [{ type: f.type, data: f.data as never, metadata: meta }], 'any');
    const extra = qEvents[i];
    if (extra) await store.append('org-Q', [extra], 'any');
  }
  const all = await store.readAll({ limit: 10_000 });
  const live = new ReadModel((a, b) => store.comparePositions(a, b));
  for (const e of all) live.apply(e);
  const snapshots = new SnapshotManager(new MemorySnapshotStore(), store, { every: 1, keep: 10 }, quiet);
  if (snapshot) {
    const half = new ReadModel((a, b) => store.comparePositions(a, b));
    for (const e of all.slice(0, Math.floor(all.length / 2))) half.apply(e);
    await snapshots.snapshots.write(await encodeSnapshot(half, { storeKind: 'memory' }));
    if (checkpoint) {
      const threeQuarters = new ReadModel((a, b) => store.comparePositions(a, b));
      for (const e of all.slice(0, Math.floor((all.length * 3) / 4))) threeQuarters.apply(e);
      await snapshots.checkpoints.write(
        await encodeSnapshot(threeQuarters, { storeKind: 'memory', runless: true }),
      );
    }
    await snapshots.loadLatest();
    expect(snapshots.list()).toHaveLength(1);
    expect(snapshots.listCheckpoints()).toHaveLength(checkpoint ? 1 : 0);
  }
  const projection = new ProjectionRunner(store, live, quiet);
  const readSide = new ReadSide(store, projection, 1000, 4, snapshot ? snapshots : null, quiet);
  return { store, all, readSide, snapshots, projection };
}

function foldUpTo(store: EventStore, all: readonly StoredEvent[], position: string): ReadModel {
  const rm = new ReadModel((a, b) => store.comparePositions(a, b));
  for (const e of all) if (store.comparePositions(e.position, position) <= 0) rm.apply(e);
  return rm;
}

describe.each([false, true])('ReadSide at: with a scope (snapshot: %s)', (snapshot) => {
  it('is 404 for a position no event has, with or without a scope, as the full replay is', async () => {
    const { all, readSide } = await setUp(snapshot);
    // Before any snapshot, and after the (only) snapshot, between two events.
    for (const position of ['15', String(Number(all[all.length - 1]?.position) - 5)]) {
      for (const scope of [{ resources: ['project:P_team'] }, { resources: ['project:never'] }, undefined]) {
        await expect(readSide.queriesAt({ kind: 'at', position }, scope)).rejects.toMatchObject({
          message: `position ${position} is not the position of an event in this store`,
        });
      }
    }
  });

  it("answers about org O at every position, Q's included, as a fold up to it", async () => {
    const { store, all, readSide } = await setUp(snapshot);
    for (const e of all) {
      const expected = foldUpTo(store, all, e.position);
      const q = await readSide.queriesAt({ kind: 'at', position: e.position }, { orgs: ['O'] });
      expect(q.position).toBe(e.position);
      expect([e.position, isDeepStrictEqual(q.readModel.org('O'), expected.org('O'))]).toEqual([
        e.position,
        true,
      ]);
      const input = { principal: 'user:bob', permission: 'project:read', resource: 'project:P_team' };
      const scoped = await readSide.queriesAt(
        { kind: 'at', position: e.position },
        { resources: [input.resource] },
      );
      expect(scoped.check(input)).toEqual(new Queries(expected).check(input));
      // Q's team, asked together with O's project: both orgs side by side.
      const both = await readSide.queriesAt(
        { kind: 'at', position: e.position },
        { resources: ['team:q-team', input.resource] },
      );
      const teamAnswer = (qs: Queries): unknown => {
        try {
          return qs.teamMembers('q-team');
        } catch (err) {
          return (err as Error).message;
        }
      };
      expect(teamAnswer(both)).toEqual(teamAnswer(new Queries(expected)));
      expect(both.check(input)).toEqual(new Queries(expected).check(input));
    }
  });
});

describe('ReadSide at: with a time-travel checkpoint', () => {
  it('starts a read without runs from the checkpoint when it is the nearest, one with runs from the snapshot, both as a fold', async () => {
    const { store, all, snapshots, projection } = await setUp(true, true);
    const checkpoint = snapshots.listCheckpoints()[0];
    const snapshot = snapshots.list()[0];
    if (!checkpoint || !snapshot) throw new Error('no checkpoint or snapshot');
    const openOrg = jest.spyOn(snapshots, 'openOrg');
    const input = { principal: 'user:bob', permission: 'project:read', resource: 'project:P_team' };
    for (const e of all) {
      const expected = new Queries(foldUpTo(store, all, e.position));
      const at = { kind: 'at', position: e.position } as const;
      const afterCheckpoint = store.comparePositions(e.position, checkpoint.header.position) >= 0;
      const afterSnapshot = store.comparePositions(e.position, snapshot.header.position) >= 0;
      // A fresh read side each: no model cached from another read.
      const fresh = (): ReadSide => new ReadSide(store, projection, 1000, 4, snapshots, quiet);
      openOrg.mockClear();
      const project = await fresh().queriesAt(at, { resources: [input.resource] });
      expect([e.position, project.check(input)]).toEqual([e.position, expected.check(input)]);
      const base = afterCheckpoint ? checkpoint : afterSnapshot ? snapshot : undefined;
      if (base) expect(openOrg).toHaveBeenCalledWith(base, 'O', { runs: false, provenance: false });
      else expect(openOrg).not.toHaveBeenCalled();
      openOrg.mockClear();
      const withRuns = await fresh().queriesAt(at, { orgs: ['O'], resources: ['run:never'] });
      expect(isDeepStrictEqual(withRuns.readModel.org('O'), expected.readModel.org('O'))).toBe(true);
      if (afterSnapshot)
        expect(openOrg).toHaveBeenCalledWith(snapshot, 'O', { runs: true, provenance: false });
      else expect(openOrg).not.toHaveBeenCalled();
    }
  });
});
