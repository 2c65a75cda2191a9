/**
 * ProjectionRunner.exclusive: the read model holds still at one position while the work runs (a
 * snapshot is one consistent point), events appended meanwhile are applied afterwards in order, and
 * nested or concurrent exclusive work runs one at a time.
 */
import { MemoryEventStore } from '../event-store/memory/memory-event-store';
import type { NewEvent } from '../event-store/port';
import { ProjectionRunner } from './projection-runner';
import { ReadModel } from './read-model';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

function userJoined(userId: string): NewEvent {
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

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ProjectionRunner.exclusive', () => {
  let store: MemoryEventStore;
  let runner: ProjectionRunner;

  beforeEach(async () => {
    store = new MemoryEventStore();
    runner = new ProjectionRunner(store, new ReadModel((a, b) => Number(a) - Number(b)), quiet);
    await runner.start();
  });

  afterEach(async () => {
    await runner.stop();
    await store.close();
  });

  it('keeps the read model at one position while the work runs, then applies what arrived, in order', async () => {
    await store.append('org-o', [userJoined('a')], 'any');
    await runner.waitFor('1', 1000);
    const gate = deferred();
    const seen: (string | null)[] = [];
    const work = runner.exclusive(async () => {
      seen.push(runner.readModel.position);
      await gate.promise;
      seen.push(runner.readModel.position);
      return 'done';
    });
    await store.append('org-o', [userJoined('b'), userJoined('c')], 'any');
    // Give the subscription every chance to deliver: it must wait for the gate.
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
    expect(runner.readModel.position).toBe('1');
    gate.resolve();
    expect(await work).toBe('done');
    await runner.waitFor('3', 1000);
    expect(seen).toEqual(['1', '1']);
    expect([...(runner.readModel.org('o')?.users.keys() ?? [])]).toEqual(['a', 'b', 'c']);
  });

  it('runs overlapping exclusive work one after the other', async () => {
    const order: string[] = [];
    const first = deferred();
    const a = runner.exclusive(async () => {
      order.push('a start');
      await first.promise;
      order.push('a end');
    });
    const b = runner.exclusive(async () => {
      order.push('b');
    });
    await new Promise<void>((r) => setImmediate(r));
    first.resolve();
    await Promise.all([a, b]);
    expect(order).toEqual(['a start', 'a end', 'b']);
  });

  it('a wait that runs out during the pause starts over when it ends, instead of failing (busy, not behind)', async () => {
    const gate = deferred();
    const paused = runner.exclusive(() => gate.promise);
    await store.append('org-o', [userJoined('w')], 'any');
    const waiting = runner.waitFor('1', 5);
    // Well past the 5 ms budget while paused.
    await new Promise<void>((r) => setTimeout(r, 50));
    gate.resolve();
    await paused;
    await expect(waiting).resolves.toBeUndefined();
    // Without a pause the same budget still fails.
    await expect(runner.waitFor('9', 5)).rejects.toThrow(/has not reached position 9/);
  });

  it('releases the projection when the work fails', async () => {
    await expect(
      runner.exclusive(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await store.append('org-o', [userJoined('z')], 'any');
    await runner.waitFor('1', 1000);
    expect(runner.readModel.org('o')?.users.has('z')).toBe(true);
  });
});

describe('ProjectionRunner.start', () => {
  it('applies a backlog of several pages, in order, then what is appended later', async () => {
    const store = new MemoryEventStore();
    for (const id of ['a', 'b', 'c', 'd', 'e']) await store.append('org-o', [userJoined(id)], 'any');
    const runner = new ProjectionRunner(store, new ReadModel((a, b) => Number(a) - Number(b)), quiet, {
      catchUpPage: 2,
    });
    const seen: string[] = [];
    runner.onApplied((e) => seen.push(e.position));
    await runner.start();
    expect(runner.isCaughtUp).toBe(true);
    expect(runner.readModel.position).toBe('5');
    await store.append('org-o', [userJoined('f')], 'any');
    await runner.waitFor('6', 1000);
    expect(seen).toEqual(['1', '2', '3', '4', '5', '6']);
    expect([...(runner.readModel.org('o')?.users.keys() ?? [])]).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    await runner.stop();
    await store.close();
  });

  it('waits for exclusive work started by a listener during the catch-up, then goes on', async () => {
    const store = new MemoryEventStore();
    for (const id of ['a', 'b', 'c']) await store.append('org-o', [userJoined(id)], 'any');
    const runner = new ProjectionRunner(store, new ReadModel((a, b) => Number(a) - Number(b)), quiet, {
      catchUpPage: 2,
    });
    const atPause: (string | null)[] = [];
    runner.onApplied((e) => {
      if (e.position !== '1') return;
      void runner.exclusive(async () => {
        await new Promise<void>((r) => setTimeout(r, 20));
        atPause.push(runner.readModel.position);
      });
    });
    await runner.start();
    expect(atPause).toEqual(['1']);
    expect(runner.readModel.position).toBe('3');
    await runner.stop();
    await store.close();
  });

  it('a failing read during the catch-up rejects start and marks the projection failed', async () => {
    const store = new MemoryEventStore();
    await store.append('org-o', [userJoined('a')], 'any');
    store.readAll = () => Promise.reject(new Error('disk gone'));
    const runner = new ProjectionRunner(store, new ReadModel((a, b) => Number(a) - Number(b)), quiet);
    await expect(runner.start()).rejects.toThrow('disk gone');
    expect(runner.failure?.message).toBe('disk gone');
    expect(runner.isCaughtUp).toBe(false);
    await store.close();
  });
});
