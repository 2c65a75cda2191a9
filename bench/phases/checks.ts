/**
 * Phase "checks" (child process, --expose-gc): rebuild speed and read-model memory at the store's size,
 * then the in-process check mix on our read model, on node-casbin and on Cedar, after verifying the
 * three agree on a sample.
 */
import { Queries } from '../../src/application/query.service';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { gc, runPhase } from '../lib/child';
import { rebuild, type RebuildTiming } from '../lib/rebuild';
import { measureLatency, type LatencyResult } from '../lib/stats';
import { buildCasbin, casbinCheck } from '../peers/casbin';
import { buildCedar, cedarCheck } from '../peers/cedar';
import { flatten, type Flattened } from '../peers/flatten';
import { buildQueryMix, type CheckQuery, type QueryKind } from '../queries';

export interface Disagreement {
  principal: string;
  permission: string;
  resource: string;
  ours: boolean;
  oursReason: string;
  casbin: boolean;
  cedar: boolean;
}

export interface ChecksResult {
  openMs: number;
  rebuild: RebuildTiming;
  memory: {
    rssBefore: number;
    rssAfter: number;
    heapUsedBefore: number;
    heapUsedAfter: number;
    externalAfter: number;
    /** Read-model size: heap growth across the rebuild (after full GCs). */
    readModelHeapBytes: number;
    readModelRssBytes: number;
    gcExposed: boolean;
    orgs: number;
    indexEntries: number;
    runs: number;
  };
  mix: { queries: number; domains: number; counts: Record<QueryKind, number> };
  flatten: Flattened['stats'];
  casbin: { loadMs: number; policies: number; groupings: number };
  cedar: { version: string; loadMs: number; policies: number };
  agreement: { sample: number; casbin: number; cedar: number; allowed: number; disagreements: Disagreement[] };
  ours: LatencyResult;
  casbinLatency: LatencyResult;
  cedarLatency: LatencyResult;
}

runPhase('checks', async (args, log): Promise<ChecksResult> => {
  const dir = args.get('store');
  if (!dir) throw new Error('--store <dir> is required');
  const seed = args.num('seed', 42);
  const quick = args.flag('quick');
  const engines = new Set((args.get('engines') ?? 'ours,casbin,cedar').split(','));
  const gcExposed = typeof (globalThis as { gc?: unknown }).gc === 'function';

  gc();
  const before = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  const store = SqliteEventStore.open({ dataDir: dir, synchronous: 'FULL' });
  const openMs = Number(process.hrtime.bigint() - t0) / 1e6;
  log(`rebuilding read models from ${dir}`);
  const { rm, timing } = await rebuild(store, 5000);
  await store.close();
  log(`rebuilt ${timing.events} events in ${timing.totalMs.toFixed(0)} ms (${timing.eventsPerSecond}/s)`);
  gc();
  const after = process.memoryUsage();
  let runs = 0;
  for (const org of rm.orgs.values()) runs += org.runs.size;

  const mix = buildQueryMix(rm, { seed: seed + 1, count: 100_000, projects: 400, registries: 150 });
  const queries = new Queries(rm);
  const ours = (q: CheckQuery): boolean => queries.check(q.input).allowed;

  log(`flattening ${mix.domains.length} domains for the peers`);
  const flat = flatten(rm, mix.domains);
  log(`flattened: ${JSON.stringify(flat.stats)}`);
  const casbin = await buildCasbin(flat);
  const cedar = buildCedar(flat);
  const casbinFn = (q: CheckQuery): boolean => casbinCheck(casbin, rm, q);
  const cedarFn = (q: CheckQuery): boolean => cedarCheck(cedar, rm, q);

  // Same answers first: a disagreement means the flattening (or an adapter) is wrong, and timing would lie.
  const sample = mix.queries.slice(0, quick ? 2000 : 10_000);
  const agreement = { sample: sample.length, casbin: 0, cedar: 0, allowed: 0, disagreements: [] as Disagreement[] };
  for (const q of sample) {
    const o = ours(q);
    const c = casbinFn(q);
    const d = cedarFn(q);
    if (o) agreement.allowed += 1;
    if (o === c) agreement.casbin += 1;
    if (o === d) agreement.cedar += 1;
    if ((o !== c || o !== d) && agreement.disagreements.length < 20) {
      agreement.disagreements.push({
        principal: q.principal,
        permission: q.permission,
        resource: q.resource,
        ours: o,
        oursReason: queries.check(q.input).reason,
        casbin: c,
        cedar: d,
      });
    }
  }
  log(`agreement: casbin ${agreement.casbin}/${sample.length}, cedar ${agreement.cedar}/${sample.length}`);

  const scale = quick ? 0.4 : 1;
  const skipped = (): LatencyResult => measureLatency(mix.queries.slice(0, 1), () => false, {
    warmupMs: 0, sampleMs: 0, maxSamples: 1, batchMs: 0, batchSize: 1,
  });
  log('timing our checks');
  const oursLatency = !engines.has('ours') ? skipped() : measureLatency(mix.queries, ours, {
    warmupMs: 2000 * scale,
    sampleMs: 8000 * scale,
    maxSamples: 2_000_000,
    batchMs: 4000 * scale,
    batchSize: 1000,
  });
  log('timing casbin');
  const casbinLatency = !engines.has('casbin') ? skipped() : measureLatency(mix.queries, casbinFn, {
    warmupMs: 1500 * scale,
    sampleMs: 8000 * scale,
    maxSamples: 200_000,
    batchMs: 4000 * scale,
    batchSize: 50,
  });
  log('timing cedar');
  const cedarLatency = !engines.has('cedar') ? skipped() : measureLatency(mix.queries, cedarFn, {
    warmupMs: 1500 * scale,
    sampleMs: 8000 * scale,
    maxSamples: 200_000,
    batchMs: 4000 * scale,
    batchSize: 50,
  });

  return {
    openMs,
    rebuild: timing,
    memory: {
      rssBefore: before.rss,
      rssAfter: after.rss,
      heapUsedBefore: before.heapUsed,
      heapUsedAfter: after.heapUsed,
      externalAfter: after.external,
      readModelHeapBytes: after.heapUsed - before.heapUsed,
      readModelRssBytes: after.rss - before.rss,
      gcExposed,
      orgs: rm.orgs.size,
      indexEntries: rm.index.size,
      runs,
    },
    mix: { queries: mix.queries.length, domains: mix.domains.length, counts: mix.counts },
    flatten: flat.stats,
    casbin: { loadMs: casbin.loadMs, policies: casbin.policies, groupings: casbin.groupings },
    cedar: { version: cedar.version, loadMs: cedar.loadMs, policies: cedar.policies },
    agreement,
    ours: oursLatency,
    casbinLatency,
    cedarLatency,
  };
});
