/**
 * Phase "readmodel" (child process, --expose-gc): replays the whole store into fresh read models —
 * a ProjectionRunner catching up (`readAll` pages + `ReadModel.apply`), what a cold start without a
 * snapshot does — and measures the speed and the memory the read models hold once built.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SQLITE_FILE_NAME, SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { CATCH_UP_PAGE } from '../../src/read-model/projection-runner';
import { gc, runPhase } from '../lib/child';
import { profiled } from '../lib/cpuprofile';
import { rebuild, type RebuildTiming } from '../lib/rebuild';

/**
 * The floor under any replay of this store format: scanning the events table in position order with
 * better-sqlite3 (no JSON), then with JSON.parse of `data`, then of `data` and `metadata`.
 */
export interface ScanFloor {
  events: number;
  rawRowsPerSec: number;
  parseDataPerSec: number;
  parseBothPerSec: number;
}

function scanFloor(dir: string): ScanFloor {
  const db = new Database(join(dir, SQLITE_FILE_NAME), { readonly: true });
  try {
    const stmt = db.prepare(
      'SELECT position, stream, revision, event_id, type, data, metadata FROM events ORDER BY position',
    );
    const pass = (parse: 0 | 1 | 2): { n: number; perSec: number } => {
      let n = 0;
      let sink = 0;
      const t0 = process.hrtime.bigint();
      for (const row of stmt.raw(true).iterate() as IterableIterator<unknown[]>) {
        n++;
        if (parse >= 1) sink += Object.keys(JSON.parse(row[5] as string) as object).length;
        if (parse === 2) sink += Object.keys(JSON.parse(row[6] as string) as object).length;
      }
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      return { n: n + (sink < 0 ? 1 : 0), perSec: Math.round(n / s) };
    };
    const raw = pass(0);
    return {
      events: raw.n,
      rawRowsPerSec: raw.perSec,
      parseDataPerSec: pass(1).perSec,
      parseBothPerSec: pass(2).perSec,
    };
  } finally {
    db.close();
  }
}

export interface ReadModelResult {
  openMs: number;
  rebuild: RebuildTiming;
  floor?: ScanFloor;
  memory: {
    gcExposed: boolean;
    rssBefore: number;
    rssAfter: number;
    heapUsedBefore: number;
    heapUsedAfter: number;
    externalAfter: number;
    /** Heap growth across the rebuild, after full GCs: what the read models hold. */
    readModelHeapBytes: number;
    readModelRssBytes: number;
    orgs: number;
    indexEntries: number;
    runs: number;
    projects: number;
  };
}

runPhase('readmodel', async (args, log): Promise<ReadModelResult> => {
  const dir = args.get('store');
  if (!dir) throw new Error('--store <dir> is required');
  const batch = args.num('batch', CATCH_UP_PAGE);
  gc();
  const before = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  const store = SqliteEventStore.open({ dataDir: dir, synchronous: 'FULL' });
  const openMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const { rm, timing } = await profiled(args.get('profile'), () => rebuild(store, batch));
  await store.close();
  log(`rebuilt ${timing.events} events in ${timing.totalMs.toFixed(0)} ms (${timing.eventsPerSecond}/s)`);
  gc();
  const after = process.memoryUsage();
  let runs = 0;
  let projects = 0;
  for (const org of rm.orgs.values()) {
    runs += org.runs.size;
    projects += org.projects.size;
  }
  const floor = args.flag('floor') ? scanFloor(dir) : undefined;
  return {
    openMs,
    rebuild: timing,
    floor,
    memory: {
      gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
      rssBefore: before.rss,
      rssAfter: after.rss,
      heapUsedBefore: before.heapUsed,
      heapUsedAfter: after.heapUsed,
      externalAfter: after.external,
      readModelHeapBytes: after.heapUsed - before.heapUsed,
      readModelRssBytes: after.rss - before.rss,
      orgs: rm.orgs.size,
      indexEntries: rm.index.size,
      runs,
      projects,
    },
  };
});
