import { randomUUID } from 'node:crypto';
import { verifyHashChain } from '../../src/event-store/hash-chain';
import {
  ConcurrencyError,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type StoredEvent,
  type Subscription,
} from '../../src/event-store/port';

/** Adapter traits the shared suite adapts to. */
export interface ContractOptions {
  /** Register every test as skipped (jest reports them), e.g. when no server is available. */
  skip?: boolean;
  /**
   * The backend may hold events written by others (a shared EventStoreDB): assertions then only look at
   * this run's streams (a random prefix per test) and empty-store checks are left out.
   */
  sharedBackend?: boolean;
  /** The adapter fills `metadata.hash` / `metadata.prevHash`. */
  hashChain?: boolean;
  /** Positions are the decimal global sequence "1", "2", … (memory, SQLite). */
  sequencePositions?: boolean;
  /** Per-test timeout in ms (default 10 000). */
  timeoutMs?: number;
}

/**
 * The event-store contract: every adapter runs these same tests. `makeStore` is called before each test and
 * the store is closed after it; `cleanup` (if any) runs after the close.
 */
export function runEventStoreContract(
  name: string,
  makeStore: () => Promise<EventStore>,
  cleanup?: () => Promise<void>,
  options: ContractOptions = {},
): void {
  const describeOrSkip = options.skip ? describe.skip : describe;
  const timeout = options.timeoutMs ?? 10_000;
  const test = (title: string, body: () => Promise<void>): void => it(title, body, timeout);

  describeOrSkip(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let prefix: string;
    /** Head before the test: reading "after" it sees only this test's events on a quiet backend. */
    let startHead: string | null;
    const openSubscriptions: Subscription[] = [];

    const stream = (label: string): string => `${prefix}-${label}`;
    const mine = (events: StoredEvent[]): StoredEvent[] =>
      events.filter((event) => event.stream.startsWith(`${prefix}-`));

    /** Every event of this test, via readAll pages of `pageSize`, checking page sizes on the way. */
    const readAllMine = async (after: string | null = startHead, pageSize = 100): Promise<StoredEvent[]> => {
      const collected: StoredEvent[] = [];
      let cursor = after;
      for (;;) {
        const page = await store.readAll({ after: cursor, limit: pageSize });
        expect(page.length).toBeLessThanOrEqual(pageSize);
        const last = page[page.length - 1];
        if (!last) return mine(collected);
        collected.push(...page);
        cursor = last.position;
      }
    };

    const subscribe = (
      after: string | null,
      handlers: Parameters<EventStore['subscribeAll']>[1],
    ): Subscription => {
      const subscription = store.subscribeAll(after, handlers);
      openSubscriptions.push(subscription);
      return subscription;
    };

    beforeEach(async () => {
      store = await makeStore();
      prefix = `ct${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      startHead = await store.headPosition();
    }, timeout);

    afterEach(async () => {
      await Promise.all(openSubscriptions.splice(0).map((subscription) => subscription.close()));
      await store.close();
      await cleanup?.();
    }, timeout);

    test('appends and reads back a stream with 0-based revisions', async () => {
      const s = stream('roundtrip');
      const first = await store.append(
        s,
        [newEvent('Created', { n: 1 }), newEvent('Renamed', { n: 2 })],
        'no_stream',
      );
      expect(first.nextExpectedRevision).toBe(1);
      expect(first.events.map((event) => event.revision)).toEqual([0, 1]);
      expect(first.position).toBe(first.events[1]?.position);

      const second = await store.append(s, [newEvent('Renamed', { n: 3 })], 1);
      expect(second.nextExpectedRevision).toBe(2);

      const read = await store.readStream(s);
      expect(read.map((event) => [event.stream, event.revision, event.type, event.data])).toEqual([
        [s, 0, 'Created', { n: 1 }],
        [s, 1, 'Renamed', { n: 2 }],
        [s, 2, 'Renamed', { n: 3 }],
      ]);
      expect(read).toEqual([...first.events, ...second.events]);
      expect((await store.readStream(s, 1)).map((event) => event.revision)).toEqual([1, 2]);
      expect(await store.readStream(s, 3)).toEqual([]);
      // A limit bounds the read (time travel reads one org's events in pages).
      expect((await store.readStream(s, 0, 2)).map((event) => event.revision)).toEqual([0, 1]);
      expect((await store.readStream(s, 2, 5)).map((event) => event.revision)).toEqual([2]);
      await expect(store.readStream(s, 0, 0)).rejects.toThrow(RangeError);
      // Positions of events (optional check): each of these, and none past the head.
      if (store.hasPosition) {
        for (const e of read) expect(await store.hasPosition(e.position)).toBe(true);
        if (options.sequencePositions && !options.sharedBackend) {
          const head = Number(await store.headPosition());
          expect(await store.hasPosition(String(head + 1))).toBe(false);
          await expect(store.hasPosition('0')).rejects.toThrow(RangeError);
        }
      }
      // The lean read (optional) is the same events without their metadata.
      if (store.readStreamData) {
        const lean = await store.readStreamData(s, 1, 5);
        expect(lean).toEqual(read.slice(1).map(({ metadata: _metadata, ...e }) => e));
        expect(lean[0]).not.toHaveProperty('metadata');
        // Events of the excepted types are left out; the limit counts the others.
        expect((await store.readStreamData(s, 0, 1, ['Created'])).map((e) => e.revision)).toEqual([1]);
        expect((await store.readStreamData(s, 0, 5, ['Renamed'])).map((e) => e.type)).toEqual(['Created']);
      }
    });

    test('keeps a given event id and generates a UUID otherwise', async () => {
      const s = stream('ids');
      const given = randomUUID();
      const result = await store.append(s, [newEvent('A', {}, { eventId: given }), newEvent('B', {})], 'any');
      expect(result.events[0]?.eventId).toBe(given);
      expect(result.events[1]?.eventId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
      expect(result.events[1]?.eventId).not.toBe(given);
      expect((await store.readStream(s)).map((event) => event.eventId)).toEqual(
        result.events.map((event) => event.eventId),
      );
    });

    test('data and metadata round-trip unchanged (apart from hash fields)', async () => {
      const s = stream('payload');
      const data = {
        text: 'quote " backslash \\ newline \n unicode ü 🚀',
        int: 42,
        negative: -7,
        float: 3.25,
        zero: 0,
        yes: true,
        no: false,
        nothing: null,
        list: [1, 'two', { three: [3] }, null],
        nested: { deeper: { deepest: { empty: {}, emptyList: [] } } },
      };
      const metadata: EventMetadata = {
        actor: 'user:alice',
        correlationId: randomUUID(),
        causationId: null,
        commandId: randomUUID(),
        commandName: 'CreateTeam',
        idempotencyKey: 'client-1:key-1',
        requestHash: 'abc123',
        occurredAt: '2024-05-01T12:34:56.789Z',
        schemaVersion: 3,
        custom: { nested: ['x'] },
      };
      const appended = await store.append(s, [{ type: 'Payload', data, metadata }], 'no_stream');
      const [read] = await store.readStream(s);
      expect(read?.data).toEqual(data);
      expect(withoutHash(read?.metadata)).toEqual(metadata);
      expect(appended.events[0]?.data).toEqual(data);
      expect(withoutHash(appended.events[0]?.metadata)).toEqual(metadata);
      // Returned events are copies: mutating one must not change what the store holds.
      if (read) (read.data as { int: number }).int = 0;
      expect((await store.readStream(s))[0]?.data).toEqual(data);
    });

    test('an unknown stream reads as empty', async () => {
      expect(await store.readStream(stream('never-written'))).toEqual([]);
      expect(await store.readStream(stream('never-written'), 5)).toEqual([]);
    });

    test('expected no_stream is enforced', async () => {
      const s = stream('no-stream');
      await store.append(s, [newEvent('A', {})], 'no_stream');
      const error = await rejectionOf(store.append(s, [newEvent('B', {})], 'no_stream'));
      expectConcurrencyError(error, s, 'no_stream', 0);
      expect(await store.readStream(s)).toHaveLength(1);
    });

    test('expected stream_exists is enforced', async () => {
      const s = stream('exists');
      const error = await rejectionOf(store.append(s, [newEvent('A', {})], 'stream_exists'));
      expectConcurrencyError(error, s, 'stream_exists', 'no_stream');
      expect(await store.readStream(s)).toEqual([]);
      await store.append(s, [newEvent('A', {})], 'no_stream');
      const result = await store.append(s, [newEvent('B', {})], 'stream_exists');
      expect(result.nextExpectedRevision).toBe(1);
    });

    test('expected any always appends', async () => {
      const s = stream('any');
      expect((await store.append(s, [newEvent('A', {})], 'any')).nextExpectedRevision).toBe(0);
      expect(
        (await store.append(s, [newEvent('B', {}), newEvent('C', {})], 'any')).nextExpectedRevision,
      ).toBe(2);
    });

    test('an exact expected revision is enforced and the error carries the actual revision', async () => {
      const s = stream('exact');
      expectConcurrencyError(await rejectionOf(store.append(s, [newEvent('A', {})], 0)), s, 0, 'no_stream');
      await store.append(s, [newEvent('A', {}), newEvent('B', {})], 'no_stream');
      expectConcurrencyError(await rejectionOf(store.append(s, [newEvent('C', {})], 0)), s, 0, 1);
      expectConcurrencyError(await rejectionOf(store.append(s, [newEvent('C', {})], 5)), s, 5, 1);
      const ok = await store.append(s, [newEvent('C', {})], 1);
      expect(ok.nextExpectedRevision).toBe(2);
      expect((await store.readStream(s)).map((event) => event.type)).toEqual(['A', 'B', 'C']);
    });

    test('a failing batch appends nothing', async () => {
      const s = stream('atomic');
      const bad = newEvent('Bad', { amount: 10n as unknown as number });
      await expect(
        store.append(s, [newEvent('Good', {}), bad, newEvent('Good', {})], 'any'),
      ).rejects.toThrow();
      expect(await store.readStream(s)).toEqual([]);
      expect(await readAllMine()).toEqual([]);

      await store.append(s, [newEvent('First', {})], 'no_stream');
      await expect(store.append(s, [newEvent('X', {}), newEvent('Y', {})], 7)).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
      expect((await store.readStream(s)).map((event) => event.type)).toEqual(['First']);
      // The stream is really untouched: the next revision is still 1.
      expect((await store.append(s, [newEvent('Second', {})], 0)).nextExpectedRevision).toBe(1);
    });

    test('rejects invalid input before writing', async () => {
      const s = stream('invalid');
      await expect(store.append(s, [], 'any')).rejects.toThrow(/empty/);
      await expect(store.append(s, [newEvent('A', {})], -1)).rejects.toThrow(RangeError);
      await expect(store.append(s, [newEvent('A', {})], 1.5)).rejects.toThrow(RangeError);
      await expect(store.append(s, [newEvent('A', {}, { eventId: 'not-a-uuid' })], 'any')).rejects.toThrow(
        /UUID/,
      );
      await expect(store.readAll({ after: 'garbage' })).rejects.toThrow(RangeError);
      expect(await store.readStream(s)).toEqual([]);
    });

    test('readAll returns every stream in position order and pages with after + limit', async () => {
      const plan: Array<[string, number]> = [
        ['a', 1],
        ['b', 2],
        ['a', 1],
        ['c', 3],
        ['b', 1],
      ];
      const expected: Array<[string, number, string]> = [];
      for (const [label, count] of plan) {
        const events = Array.from({ length: count }, (_, index) =>
          newEvent(`T${label}${index}`, { label, index }),
        );
        const result = await store.append(stream(label), events, 'any');
        for (const event of result.events) expected.push([event.stream, event.revision, event.type]);
      }
      for (const pageSize of [1, 2, 3, 1000]) {
        const events = await readAllMine(startHead, pageSize);
        expect(events.map((event) => [event.stream, event.revision, event.type])).toEqual(expected);
        expectStrictlyIncreasing(
          store,
          events.map((event) => event.position),
        );
      }
      const all = await readAllMine();
      const last = all[all.length - 1];
      expect(last).toBeDefined();
      expect(mine(await store.readAll({ after: last?.position }))).toEqual([]);
      // `after` is exclusive.
      const third = all[2];
      expect((await store.readAll({ after: all[1]?.position, limit: 1 }))[0]).toEqual(third);
    });

    test('positions are strictly increasing across streams and comparePositions is a consistent order', async () => {
      const positions: string[] = [];
      for (let index = 0; index < 12; index += 1) {
        const result = await store.append(
          stream(`p${index % 3}`),
          [newEvent('P', { index }), newEvent('Q', { index })],
          'any',
        );
        expect(result.position).toBe(result.events[1]?.position);
        positions.push(...result.events.map((event) => event.position));
      }
      expectStrictlyIncreasing(store, positions);
      for (const a of positions) {
        expect(store.comparePositions(a, a)).toBe(0);
        for (const b of positions) {
          expect(Math.sign(store.comparePositions(a, b)) + Math.sign(store.comparePositions(b, a))).toBe(0);
        }
      }
      const shuffled = [...positions].reverse();
      expect(shuffled.sort((a, b) => store.comparePositions(a, b))).toEqual(positions);
      if (options.sequencePositions && !options.sharedBackend) {
        // A fresh store numbers events 1, 2, …; comparison is numeric, not lexicographic.
        expect(positions.slice(0, 3)).toEqual(['1', '2', '3']);
        expect(store.comparePositions('10', '9')).toBeGreaterThan(0);
      }
    });

    test('headPosition is the position of the newest event', async () => {
      if (!options.sharedBackend) expect(startHead).toBeNull();
      const first = await store.append(stream('head'), [newEvent('A', {})], 'any');
      expect(await store.headPosition()).toBe(first.position);
      const second = await store.append(stream('head2'), [newEvent('B', {}), newEvent('C', {})], 'any');
      expect(await store.headPosition()).toBe(second.position);
    });

    if (!options.sharedBackend) {
      test('an empty store has no events and no head', async () => {
        expect(await store.readAll()).toEqual([]);
        expect(await store.headPosition()).toBeNull();
      });
    }

    test('subscribeAll delivers the backlog, calls onCaughtUp once, then live events in order, until closed', async () => {
      const backlog = [
        ...(await store.append(stream('s1'), [newEvent('B1', {}), newEvent('B2', {})], 'any')).events,
        ...(await store.append(stream('s2'), [newEvent('B3', {})], 'any')).events,
      ];
      const delivered: StoredEvent[] = [];
      const caughtUpAt: number[] = [];
      const subscription = subscribe(startHead, {
        onEvent: (event) => {
          if (event.stream.startsWith(`${prefix}-`)) delivered.push(event);
        },
        onCaughtUp: () => caughtUpAt.push(delivered.length),
      });
      await waitFor(() => caughtUpAt.length > 0, 'onCaughtUp');
      expect(caughtUpAt).toEqual([3]);
      expect(delivered).toEqual(backlog);

      const live = [
        ...(await store.append(stream('s2'), [newEvent('L1', {})], 'any')).events,
        ...(await store.append(stream('s3'), [newEvent('L2', {}), newEvent('L3', {})], 'any')).events,
      ];
      await waitFor(() => delivered.length >= 6, 'live events');
      expect(delivered).toEqual([...backlog, ...live]);
      expect(caughtUpAt).toEqual([3]);

      await subscription.close();
      await store.append(stream('s1'), [newEvent('AfterClose', {})], 'any');
      await sleep(450);
      expect(delivered).toHaveLength(6);
    });

    test('subscribeAll resumes after a given position without repeats', async () => {
      const events = (
        await store.append(
          stream('r'),
          [newEvent('E1', {}), newEvent('E2', {}), newEvent('E3', {}), newEvent('E4', {})],
          'any',
        )
      ).events;
      const delivered: StoredEvent[] = [];
      let caughtUp = 0;
      subscribe(events[1]?.position ?? null, {
        onEvent: (event) => {
          if (event.stream.startsWith(`${prefix}-`)) delivered.push(event);
        },
        onCaughtUp: () => (caughtUp += 1),
      });
      await waitFor(() => caughtUp === 1, 'onCaughtUp');
      expect(delivered.map((event) => event.type)).toEqual(['E3', 'E4']);
      const more = await store.append(stream('r'), [newEvent('E5', {})], 'any');
      await waitFor(() => delivered.length === 3, 'live event');
      expect(delivered.map((event) => event.position)).toEqual([
        events[2]?.position,
        events[3]?.position,
        more.position,
      ]);
    });

    test('subscribing at the head calls onCaughtUp without replaying history', async () => {
      await store.append(stream('old'), [newEvent('Old', {})], 'any');
      const head = await store.headPosition();
      const delivered: StoredEvent[] = [];
      let caughtUp = 0;
      subscribe(head, { onEvent: (event) => void delivered.push(event), onCaughtUp: () => (caughtUp += 1) });
      await waitFor(() => caughtUp === 1, 'onCaughtUp');
      await store.append(stream('new'), [newEvent('New', {})], 'any');
      await waitFor(() => mine(delivered).length === 1, 'live event');
      expect(mine(delivered).map((event) => event.type)).toEqual(['New']);
      expect(caughtUp).toBe(1);
    });

    test('a rejecting handler stops the subscription and reports the error', async () => {
      const failure = new Error('projection failed');
      const errors: Error[] = [];
      let calls = 0;
      subscribe(startHead, {
        onEvent: async (event) => {
          if (!event.stream.startsWith(`${prefix}-`)) return;
          calls += 1;
          throw failure;
        },
        onError: (error) => errors.push(error),
      });
      await store.append(stream('boom'), [newEvent('A', {}), newEvent('B', {})], 'any');
      await waitFor(() => errors.length > 0, 'onError');
      await store.append(stream('boom'), [newEvent('C', {})], 'any');
      await sleep(300);
      expect(errors).toEqual([failure]);
      expect(calls).toBe(1);
    });

    test('close() resolves only after the in-flight handler has finished', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const started: string[] = [];
      const finished: string[] = [];
      const subscription = subscribe(startHead, {
        onEvent: async (event) => {
          if (!event.stream.startsWith(`${prefix}-`)) return;
          started.push(event.type);
          await gate;
          finished.push(event.type);
        },
      });
      await store.append(stream('slow'), [newEvent('A', {}), newEvent('B', {})], 'any');
      await waitFor(() => started.length === 1, 'handler start');
      let closed = false;
      const closing = subscription.close().then(() => (closed = true));
      await sleep(50);
      expect(closed).toBe(false);
      release();
      await closing;
      expect(finished).toEqual(['A']);
      await sleep(50);
      expect(started).toEqual(['A']);
    });

    test('50 concurrent appends with the same expected revision: exactly one wins', async () => {
      const s = stream('race');
      await store.append(s, [newEvent('Created', {})], 'no_stream');
      const attempts = Array.from({ length: 50 }, (_, index) =>
        store.append(s, [newEvent('Raced', { index })], 0),
      );
      const outcomes = await Promise.allSettled(attempts);
      const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const losers = outcomes.flatMap((outcome) =>
        outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
      );
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(49);
      for (const error of losers) expectConcurrencyError(error, s, 0, 1);
      const events = await store.readStream(s);
      expect(events.map((event) => event.revision)).toEqual([0, 1]);
    });

    test('50 concurrent appends with expected any get distinct consecutive revisions', async () => {
      const s = stream('pile');
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, index) => store.append(s, [newEvent('Piled', { index })], 'any')),
      );
      const revisions = results.map((result) => result.nextExpectedRevision).sort((a, b) => a - b);
      expect(revisions).toEqual(Array.from({ length: 50 }, (_, index) => index));
      const events = await store.readStream(s);
      expect(events.map((event) => event.revision)).toEqual(revisions);
      expect(new Set(events.map((event) => event.eventId)).size).toBe(50);
    });

    if (options.hashChain) {
      test('every event carries a verifiable per-stream hash chain', async () => {
        await store.append(stream('h1'), [newEvent('A', { v: 1 }), newEvent('B', { v: 2 })], 'any');
        await store.append(stream('h2'), [newEvent('C', { v: 3 })], 'any');
        await store.append(stream('h1'), [newEvent('D', { v: 4 })], 'any');
        const all = await readAllMine();
        for (const event of all) {
          expect(event.metadata.hash).toMatch(/^[0-9a-f]{64}$/);
          expect(event.metadata.prevHash).toMatch(/^[0-9a-f]{64}$/);
        }
        const h1 = await store.readStream(stream('h1'));
        expect(h1[1]?.metadata.prevHash).toBe(h1[0]?.metadata.hash);
        expect(verifyHashChain(all)).toEqual({ ok: true });
        expect(verifyHashChain(h1)).toEqual({ ok: true });
        expect(verifyHashChain(h1.slice(1))).toEqual({ ok: true });

        const tampered = all.map((event, index) => (index === 1 ? { ...event, data: { v: 99 } } : event));
        expect(verifyHashChain(tampered)).toMatchObject({
          ok: false,
          position: all[1]?.position,
          revision: all[1]?.revision,
        });
      });
    }
  });

  function newEvent(type: string, data: Record<string, unknown>, extra: { eventId?: string } = {}): NewEvent {
    return {
      ...extra,
      type,
      data,
      metadata: {
        actor: 'user:test',
        correlationId: randomUUID(),
        occurredAt: '2024-01-01T00:00:00.000Z',
        schemaVersion: 1,
      },
    };
  }
}

function withoutHash(metadata: EventMetadata | undefined): Record<string, unknown> | undefined {
  if (!metadata) return undefined;
  const { hash: _hash, prevHash: _prevHash, ...rest } = metadata;
  return rest;
}

function expectConcurrencyError(
  error: unknown,
  stream: string,
  expected: ExpectedRevision,
  actual: number | 'no_stream',
): void {
  expect(error).toBeInstanceOf(ConcurrencyError);
  expect(error).toMatchObject({ stream, expected, actual });
}

function expectStrictlyIncreasing(store: EventStore, positions: string[]): void {
  for (let index = 1; index < positions.length; index += 1) {
    const previous = positions[index - 1] ?? '';
    const current = positions[index] ?? '';
    expect(store.comparePositions(previous, current)).toBeLessThan(0);
  }
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
