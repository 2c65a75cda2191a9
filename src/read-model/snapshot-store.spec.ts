/**
 * Snapshot files and their selection: atomic writes, listings that read headers only and report what
 * is not a snapshot, left-over temporary files cleaned, and the checks that keep a snapshot off a
 * store it does not belong to.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEventStore } from '../event-store/memory/memory-event-store';
import type { NewEvent, StoredEvent } from '../event-store/port';
import { PROJECTION_VERSION } from './projection-version';
import { ReadModel } from './read-model';
import { decodeSnapshot, encodeSnapshot, SnapshotFormatError } from './snapshot';
import { loadLatestSnapshot, snapshotMismatch, usableSnapshots } from './snapshot-manager';
import {
  checkpointStoreFor,
  FileSnapshotStore,
  MemorySnapshotStore,
  snapshotFileName,
} from './snapshot-store';

const compare = (a: string, b: string): number => Number(a) - Number(b);

function joined(userId: string): NewEvent {
  return {
    type: 'UserJoinedOrganization',
    data: { orgId: 'o', userId, role: 'member' },
    metadata: {
      actor: 'system',
      correlationId: 'c',
      occurredAt: '2024-01-01T00:00:00.000Z',
      schemaVersion: 1,
    },
  };
}

async function storeWith(users: string[]): Promise<{ store: MemoryEventStore; events: StoredEvent[] }> {
  const store = new MemoryEventStore();
  for (const u of users) await store.append('org-o', [joined(u)], 'any');
  return { store, events: await store.readAll() };
}

function modelOf(events: StoredEvent[]): ReadModel {
  const rm = new ReadModel(compare);
  for (const e of events) rm.apply(e);
  return rm;
}

describe('FileSnapshotStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'perm-snapstore-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes snapshot-<position>.bin atomically and lists it from its header', async () => {
    const { events } = await storeWith(['a', 'b']);
    const snapshots = new FileSnapshotStore(join(dir, 'snapshots'));
    expect((await snapshots.list()).snapshots).toEqual([]); // no directory yet
    const stored = await snapshots.write(await encodeSnapshot(modelOf(events), { storeKind: 'memory' }));
    expect(stored.name).toBe('snapshot-2.bin');
    expect(readdirSync(join(dir, 'snapshots'))).toEqual(['snapshot-2.bin']);
    const listed = await snapshots.list();
    expect(listed.snapshots).toEqual([stored]);
    expect(listed.snapshots[0]?.header).toMatchObject({
      position: '2',
      eventCount: 2,
      projectionVersion: PROJECTION_VERSION,
    });
    await snapshots.remove(stored.name);
    expect(readdirSync(join(dir, 'snapshots'))).toEqual([]);
  });

  it('reports files that are not snapshots and removes left-over temporary files', async () => {
    const snapshots = new FileSnapshotStore(dir);
    writeFileSync(join(dir, 'snapshot-9.bin'), 'garbage without a header line');
    writeFileSync(join(dir, '.snapshot-7.bin.123-abcd.tmp'), 'torn');
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    const listed = await snapshots.list();
    expect(listed.snapshots).toEqual([]);
    expect(listed.unreadable.map((u) => u.name)).toEqual(['snapshot-9.bin']);
    expect(readdirSync(dir).sort()).toEqual(['notes.txt', 'snapshot-9.bin']);
  });

  it('names EventStoreDB positions without a colon', () => {
    expect(snapshotFileName('1234:1200')).toBe('snapshot-1234-1200.bin');
  });
});

describe('snapshot selection', () => {
  it('accepts a snapshot whose last event the store holds at its position', async () => {
    const { store, events } = await storeWith(['a', 'b', 'c']);
    const { header } = await encodeSnapshot(modelOf(events.slice(0, 2)), { storeKind: 'memory' });
    expect(await snapshotMismatch(header, store)).toBeNull();
  });

  it('refuses one ahead of the store, one naming another event, another store kind or version', async () => {
    const long = await storeWith(['a', 'b', 'c']);
    const short = await storeWith(['x']);
    const other = await storeWith(['x', 'y', 'z']);
    const { header } = await encodeSnapshot(modelOf(long.events), { storeKind: 'memory' });
    expect(await snapshotMismatch(header, short.store)).toMatch(/ahead of the event store/);
    expect(await snapshotMismatch(header, other.store)).toMatch(
      /holds UserJoinedOrganization .* at 3, not event/,
    );
    expect(await snapshotMismatch({ ...header, storeKind: 'sqlite' }, long.store)).toMatch(/sqlite store/);
    expect(
      await snapshotMismatch({ ...header, projectionVersion: PROJECTION_VERSION + 1 }, long.store),
    ).toMatch(/projection version/);
  });

  it('discards a snapshot of the old layout (projection version 1: one payload, no table of contents)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perm-snapold-'));
    try {
      const { store, events } = await storeWith(['a', 'b']);
      const last = events[1] as StoredEvent;
      // The header of a version 1 file: the payload hashed as a whole, no tocBytes/tocSha256.
      const header = {
        format: 'wandb-permissions-snapshot',
        projectionVersion: 1,
        storeKind: 'memory',
        position: last.position,
        previousPosition: (events[0] as StoredEvent).position,
        eventId: last.eventId,
        eventCount: 2,
        createdAt: '2024-01-01T00:00:00.000Z',
        encoding: 'columnar',
        payloadBytes: 4,
        payloadSha256: '0'.repeat(64),
      };
      const old = Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), Buffer.alloc(4)]);
      writeFileSync(join(dir, snapshotFileName(last.position)), old);
      await expect(decodeSnapshot(old, { comparePositions: compare })).rejects.toThrow(SnapshotFormatError);
      const logged: string[] = [];
      const logger = {
        log: (m: string) => logged.push(m),
        warn: (m: string) => logged.push(m),
        error: () => {},
      };
      const { loaded } = await loadLatestSnapshot(new FileSnapshotStore(dir), store, { logger });
      expect(loaded).toBeNull();
      expect(logged.join('\n')).toMatch(
        new RegExp(
          `snapshot-2.bin discarded: written by projection version 1, this is version ${PROJECTION_VERSION}`,
        ),
      );
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('usableSnapshots deletes the unusable ones (unless told not to) and loadLatestSnapshot takes the newest usable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perm-snapsel-'));
    try {
      const { store, events } = await storeWith(['a', 'b', 'c', 'd']);
      const snapshots = new FileSnapshotStore(dir);
      await snapshots.write(await encodeSnapshot(modelOf(events.slice(0, 1)), { storeKind: 'memory' }));
      await snapshots.write(await encodeSnapshot(modelOf(events.slice(0, 3)), { storeKind: 'memory' }));
      const foreign = await storeWith(['p', 'q', 'r', 's', 't']);
      await snapshots.write(await encodeSnapshot(modelOf(foreign.events), { storeKind: 'memory' }));
      writeFileSync(join(dir, 'snapshot-8.bin'), 'damaged');
      const logged: string[] = [];
      const logger = {
        log: (m: string) => logged.push(m),
        warn: (m: string) => logged.push(m),
        error: () => undefined,
      };
      const keep = await usableSnapshots(snapshots, store, { logger, discard: false });
      expect(keep.map((s) => s.name)).toEqual(['snapshot-1.bin', 'snapshot-3.bin']);
      expect(readdirSync(dir).sort()).toEqual([
        'snapshot-1.bin',
        'snapshot-3.bin',
        'snapshot-5.bin',
        'snapshot-8.bin',
      ]);
      expect(logged.join('\n')).toMatch(/snapshot-5.bin ignored: position 5 is ahead/);
      const { loaded, usable } = await loadLatestSnapshot(snapshots, store, { logger });
      expect(usable.map((s) => s.name)).toEqual(['snapshot-1.bin', 'snapshot-3.bin']);
      expect(loaded?.snapshot.name).toBe('snapshot-3.bin');
      expect(loaded?.readModel.position).toBe('3');
      expect([...(loaded?.readModel.org('o')?.users.keys() ?? [])]).toEqual(['a', 'b', 'c']);
      expect(readdirSync(dir).sort()).toEqual(['snapshot-1.bin', 'snapshot-3.bin']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps time-travel checkpoints in a directory of their own, and each kind out of the other's selection", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perm-snapcp-'));
    try {
      const { store, events } = await storeWith(['a', 'b', 'c']);
      const snapshots = new FileSnapshotStore(dir);
      const checkpoints = checkpointStoreFor(snapshots);
      expect(checkpoints.location).toBe(join(dir, 'checkpoints'));
      expect(checkpointStoreFor(new MemorySnapshotStore())).toBeInstanceOf(MemorySnapshotStore);
      await snapshots.write(await encodeSnapshot(modelOf(events.slice(0, 1)), { storeKind: 'memory' }));
      const runless = { storeKind: 'memory' as const, runless: true };
      await checkpoints.write(await encodeSnapshot(modelOf(events.slice(0, 2)), runless));
      // The same name as a snapshot at that position: only the directory tells them apart.
      await checkpoints.write(await encodeSnapshot(modelOf(events.slice(0, 1)), runless));
      expect(readdirSync(dir).sort()).toEqual(['checkpoints', 'snapshot-1.bin']);
      expect((await snapshots.list()).snapshots.map((s) => s.name)).toEqual(['snapshot-1.bin']);
      const usable = await usableSnapshots(checkpoints, store, { discard: false, checkpoints: true });
      expect(usable.map((s) => [s.name, s.header.runless])).toEqual([
        ['snapshot-1.bin', true],
        ['snapshot-2.bin', true],
      ]);
      // A checkpoint that found its way among the snapshots is never taken for one, and vice versa.
      await snapshots.write(await encodeSnapshot(modelOf(events), runless));
      const logged: string[] = [];
      const logger = { log: () => undefined, warn: (m: string) => logged.push(m), error: () => undefined };
      const { loaded } = await loadLatestSnapshot(snapshots, store, { logger, discard: false });
      expect(loaded?.snapshot.name).toBe('snapshot-1.bin');
      expect(logged.join('\n')).toMatch(
        /snapshot-3.bin ignored: a time-travel checkpoint \(runless\) among the snapshots/,
      );
      const onlyFull = await usableSnapshots(snapshots, store, { discard: false, checkpoints: true });
      expect(onlyFull.map((s) => s.name)).toEqual(['snapshot-3.bin']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
