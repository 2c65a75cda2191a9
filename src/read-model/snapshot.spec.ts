/**
 * Snapshot encoding: the columnar codec round-trips every shape the read model holds (and the odd
 * ones through its fallback), a snapshot round-trips a read model exactly in both encodings, damaged
 * snapshots are refused, and retention keeps snapshots spread over the history.
 */
import { isDeepStrictEqual } from 'node:util';
import type { StoredEvent } from '../event-store/port';
import { fixtureF } from '../domain/access/fixture';
import { decodeColumnar, encodeColumnar } from './snapshot-codec';
import { decodeSnapshot, decodeSnapshotHeader, encodeSnapshot, SnapshotFormatError } from './snapshot';
import { retentionVictims } from './snapshot-manager';
import type { StoredSnapshot } from './snapshot-store';
import { ReadModel } from './read-model';
import { PROJECTION_VERSION } from './projection-version';

const compare = (a: string, b: string): number => Number(a) - Number(b);

/** Fixture F (spec/scenarios/fixtures) as stored events, plus many runs so that Maps span pieces. */
function readModelWithHistory(runs: number): ReadModel {
  const rm = new ReadModel(compare);
  let position = 0;
  const apply = (type: string, data: Record<string, unknown>, idempotencyKey?: string): void => {
    position += 1;
    const e: StoredEvent = {
      eventId: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
      stream: 'org-O',
      revision: position - 1,
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
        revision: rm.eventCount,
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
