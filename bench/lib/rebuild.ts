import type { EventStore, ReadAllOptions, StoredEvent } from '../../src/event-store/port';
import { CATCH_UP_PAGE, ProjectionRunner } from '../../src/read-model/projection-runner';
import { ReadModel } from '../../src/read-model/read-model';

export interface RebuildTiming {
  events: number;
  totalMs: number;
  /** Time inside `store.readAll` (SQLite step, JSON.parse of `data`, scan of `metadata`). */
  readMs: number;
  /** The rest: `ReadModel.apply` (evolve, provenance, id index) and the runner's handling of each event. */
  applyMs: number;
  eventsPerSecond: number;
  batchSize: number;
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Replays the whole store into a fresh ReadModel the way the service's cold start does: a
 * ProjectionRunner catching up (`readAll` pages in position order, each event handled in turn), then
 * stopped. Times the reads separately (the store is wrapped, nothing else is).
 */
export async function rebuild(
  store: EventStore,
  batchSize = CATCH_UP_PAGE,
  rm: ReadModel = new ReadModel((a, b) => store.comparePositions(a, b)),
): Promise<{ rm: ReadModel; timing: RebuildTiming }> {
  let readNs = 0n;
  const readAll = async (options?: ReadAllOptions): Promise<StoredEvent[]> => {
    const r0 = process.hrtime.bigint();
    try {
      return await store.readAll(options);
    } finally {
      readNs += process.hrtime.bigint() - r0;
    }
  };
  const timed = new Proxy(store, {
    get(target, key) {
      if (key === 'readAll') return readAll;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const before = rm.eventCount;
  const runner = new ProjectionRunner(timed, rm, quiet, { catchUpPage: batchSize });
  const t0 = process.hrtime.bigint();
  await runner.start();
  const totalNs = process.hrtime.bigint() - t0;
  await runner.stop();
  const totalMs = Number(totalNs) / 1e6;
  const readMs = Number(readNs) / 1e6;
  const events = rm.eventCount - before;
  return {
    rm,
    timing: {
      events,
      totalMs,
      readMs,
      applyMs: totalMs - readMs,
      eventsPerSecond: Math.round(events / (totalMs / 1000)),
      batchSize,
    },
  };
}
