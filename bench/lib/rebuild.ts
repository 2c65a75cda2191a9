import type { EventStore } from '../../src/event-store/port';
import { ReadModel } from '../../src/read-model/read-model';

export interface RebuildTiming {
  events: number;
  totalMs: number;
  /** Time inside `store.readAll` (SQLite step + JSON.parse of data and metadata). */
  readMs: number;
  /** Time inside `ReadModel.apply` (evolve + id index). */
  applyMs: number;
  eventsPerSecond: number;
  batchSize: number;
}

/**
 * Replays the whole store into a fresh ReadModel the way a cold start or an `at:` replay does: `readAll`
 * pages in position order, each event applied in turn. Times the two halves separately.
 */
export async function rebuild(
  store: EventStore,
  batchSize = 5000,
  rm: ReadModel = new ReadModel((a, b) => store.comparePositions(a, b)),
): Promise<{ rm: ReadModel; timing: RebuildTiming }> {
  let after: string | null = rm.position;
  let readNs = 0n;
  let applyNs = 0n;
  const t0 = process.hrtime.bigint();
  for (;;) {
    const r0 = process.hrtime.bigint();
    const batch = await store.readAll({ after, limit: batchSize });
    const r1 = process.hrtime.bigint();
    readNs += r1 - r0;
    if (batch.length === 0) break;
    for (const e of batch) rm.apply(e);
    applyNs += process.hrtime.bigint() - r1;
    after = (batch[batch.length - 1] as { position: string }).position;
  }
  const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    rm,
    timing: {
      events: rm.eventCount,
      totalMs,
      readMs: Number(readNs) / 1e6,
      applyMs: Number(applyNs) / 1e6,
      eventsPerSecond: Math.round(rm.eventCount / (totalMs / 1000)),
      batchSize,
    },
  };
}
