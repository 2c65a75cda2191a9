import { randomUUID } from 'node:crypto';
import { createEventStore } from '../../src/event-store/create-event-store';
import { deterministicEventId } from '../../src/event-store/event-ids';
import { GENESIS_HASH, verifyHashChain } from '../../src/event-store/hash-chain';
import { MemoryEventStore } from '../../src/event-store/memory/memory-event-store';
import { DuplicateEventIdError, type NewEvent } from '../../src/event-store/port';
import { runEventStoreContract } from './event-store.contract';

runEventStoreContract('memory', async () => new MemoryEventStore(), undefined, {
  hashChain: true,
  sequencePositions: true,
});

function newEvent(type: string, data: Record<string, unknown> = {}, eventId?: string): NewEvent {
  return {
    ...(eventId ? { eventId } : {}),
    type,
    data,
    metadata: {
      actor: 'system',
      correlationId: 'c',
      occurredAt: '2024-01-01T00:00:00.000Z',
      schemaVersion: 1,
    },
  };
}

describe('MemoryEventStore specifics', () => {
  it('rejects a duplicate event id, across streams and within a batch, and writes nothing', async () => {
    const store = new MemoryEventStore();
    const id = randomUUID();
    await store.append('s1', [newEvent('A', {}, id)], 'any');
    await expect(store.append('s2', [newEvent('B'), newEvent('C', {}, id)], 'any')).rejects.toThrow(
      DuplicateEventIdError,
    );
    await expect(store.append('s3', [newEvent('D', {}, id.toUpperCase())], 'any')).rejects.toThrow(id);
    const twice = randomUUID();
    await expect(
      store.append('s4', [newEvent('E', {}, twice), newEvent('F', {}, twice)], 'any'),
    ).rejects.toThrow(DuplicateEventIdError);
    expect((await store.readAll()).map((event) => event.stream)).toEqual(['s1']);
    await store.close();
  });

  it('refuses calls after close', async () => {
    const store = new MemoryEventStore();
    await store.close();
    await expect(store.readAll()).rejects.toThrow(/closed/);
  });

  it('is what createEventStore returns for kind memory', async () => {
    const store = await createEventStore({ kind: 'memory' });
    expect(store).toBeInstanceOf(MemoryEventStore);
    expect(store.kind).toBe('memory');
    await store.close();
  });
});

describe('verifyHashChain', () => {
  async function chain(): Promise<Awaited<ReturnType<MemoryEventStore['readAll']>>> {
    const store = new MemoryEventStore();
    await store.append('a', [newEvent('A1', { v: 1 }), newEvent('A2', { v: 2 })], 'no_stream');
    await store.append('b', [newEvent('B1', { v: 3 })], 'no_stream');
    await store.append('a', [newEvent('A3', { v: 4 })], 1);
    const events = await store.readAll();
    await store.close();
    return events;
  }

  it('accepts an intact chain, including interleaved streams and a mid-stream start', async () => {
    const events = await chain();
    expect(events[0]?.metadata.prevHash).toBe(GENESIS_HASH);
    expect(verifyHashChain(events)).toEqual({ ok: true });
    expect(verifyHashChain(events.slice(1))).toEqual({ ok: true });
    expect(verifyHashChain([])).toEqual({ ok: true });
  });

  it('does not depend on the key order of data and metadata', async () => {
    const events = await chain();
    const reordered = events.map((event) => ({
      ...event,
      data: Object.fromEntries(Object.entries(event.data).reverse()),
      metadata: Object.fromEntries(Object.entries(event.metadata).reverse()) as typeof event.metadata,
    }));
    expect(verifyHashChain(reordered)).toEqual({ ok: true });
  });

  it.each([
    [
      'altered data',
      (e: Awaited<ReturnType<typeof chain>>) => (e[1] = { ...e[1]!, data: { v: 20 } }),
      'hash mismatch',
    ],
    [
      'altered type',
      (e: Awaited<ReturnType<typeof chain>>) => (e[1] = { ...e[1]!, type: 'Other' }),
      'hash mismatch',
    ],
    [
      'altered metadata',
      (e: Awaited<ReturnType<typeof chain>>) =>
        (e[1] = { ...e[1]!, metadata: { ...e[1]!.metadata, actor: 'user:mallory' } }),
      'hash mismatch',
    ],
    ['a removed event', (e: Awaited<ReturnType<typeof chain>>) => e.splice(1, 1), 'does not follow'],
    [
      'a forged first event',
      (e: Awaited<ReturnType<typeof chain>>) =>
        (e[0] = { ...e[0]!, metadata: { ...e[0]!.metadata, prevHash: 'f'.repeat(64) } }),
      'genesis',
    ],
    [
      'a missing hash',
      (e: Awaited<ReturnType<typeof chain>>) =>
        (e[2] = { ...e[2]!, metadata: { ...e[2]!.metadata, hash: undefined } }),
      'no hash',
    ],
  ])('reports %s at the first broken event', async (_label, tamper, reason) => {
    const events = await chain();
    tamper(events);
    const result = verifyHashChain(events);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('reports the position, stream and revision of the altered event', async () => {
    const events = await chain();
    const target = events[3]!;
    events[3] = { ...target, data: { v: 40 } };
    expect(verifyHashChain(events)).toEqual({
      ok: false,
      position: target.position,
      stream: 'a',
      revision: 2,
      reason: expect.stringContaining('hash mismatch'),
    });
  });
});

describe('deterministicEventId', () => {
  it('is a stable RFC 4122-shaped UUID (version 5 nibble, variant 10xx)', () => {
    const id = deterministicEventId('client-1:key-1', 0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicEventId('client-1:key-1', 0)).toBe(id);
  });

  it('differs by key and by index, without separator collisions', () => {
    const ids = new Set([
      deterministicEventId('k', 0),
      deterministicEventId('k', 1),
      deterministicEventId('k1', 0),
      deterministicEventId('k', 10),
      deterministicEventId('other', 0),
    ]);
    expect(ids.size).toBe(5);
  });

  it('rejects a negative or fractional index', () => {
    expect(() => deterministicEventId('k', -1)).toThrow(RangeError);
    expect(() => deterministicEventId('k', 0.5)).toThrow(RangeError);
  });

  it('is accepted as an event id by the store', async () => {
    const store = new MemoryEventStore();
    const id = deterministicEventId('client-1:key-1', 0);
    const result = await store.append('s', [newEvent('A', {}, id)], 'any');
    expect(result.events[0]?.eventId).toBe(id);
    await store.close();
  });
});
