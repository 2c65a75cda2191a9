/**
 * ProjectionRunner.applyLocal: an instance applies its own append at once when its read model stands
 * exactly where the batch begins; otherwise it leaves the batch to the subscription. Either way every
 * event is applied exactly once, in order.
 */
import { MemoryEventStore } from '../event-store/memory/memory-event-store';
import type { NewEvent, SubscribeHandlers, Subscription } from '../event-store/port';
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

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 60));

/** Delivers subscription events 10 ms late, so anything visible at once was applied by applyLocal. */
class LaggingStore extends MemoryEventStore {
  override subscribeAll(after: string | null, handlers: SubscribeHandlers): Subscription {
    return super.subscribeAll(after, {
      ...handlers,
      onEvent: (e) => new Promise<void>((r) => setTimeout(r, 10)).then(() => handlers.onEvent(e)),
    });
  }
}

describe('ProjectionRunner.applyLocal', () => {
  let store: MemoryEventStore;
  let rm: ReadModel;
  let runner: ProjectionRunner;

  beforeEach(async () => {
    store = new LaggingStore();
    rm = new ReadModel((a, b) => Number(a) - Number(b));
    runner = new ProjectionRunner(store, rm, quiet);
    await runner.start();
  });

  afterEach(async () => {
    await runner.stop();
    await store.close();
  });

  it('applies the batch synchronously when the read model stands just before it, and only once', async () => {
    const result = await store.append('org-o', [userJoined('a'), userJoined('b')], 'no_stream');
    expect(result.precedingPosition).toBeNull();
    runner.applyLocal(result);
    // Synchronously visible: no subscription round trip happened yet.
    expect(rm.position).toBe(result.position);
    expect(rm.org('o')?.users.has('b')).toBe(true);
    await settle();
    // The subscription read the same events back and skipped them.
    expect(rm.eventCount).toBe(2);
    expect(rm.org('o')?.revision).toBe(1);
  });

  it('leaves the batch to the subscription when another event lies before it', async () => {
    const first = await store.append('org-o', [userJoined('a')], 'no_stream');
    await runner.waitFor(first.position, 1000);
    // A batch that begins after an event this read model has not seen (another writer's) is not next.
    const foreign = { ...first, events: first.events.map((e) => ({ ...e, position: '3', revision: 2 })) };
    runner.applyLocal({ ...foreign, position: '3', precedingPosition: '2' });
    expect(rm.position).toBe(first.position);
    expect(rm.eventCount).toBe(1);
    const second = await store.append('org-o', [userJoined('b')], 0);
    expect(second.precedingPosition).toBe(first.position);
    await runner.waitFor(second.position, 1000);
    expect(rm.eventCount).toBe(2);
    expect([...(rm.org('o')?.users.keys() ?? [])]).toEqual(['a', 'b']);
  });

  it('does nothing for a store that does not report the preceding position', async () => {
    const result = await store.append('org-o', [userJoined('a')], 'no_stream');
    runner.applyLocal({ ...result, precedingPosition: undefined });
    expect(rm.position).toBeNull();
    await runner.waitFor(result.position, 1000);
    expect(rm.eventCount).toBe(1);
  });
});
