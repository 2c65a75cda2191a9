/**
 * Phase "checks" (child process, one per engine so that no engine runs on JIT state another one left):
 * rebuilds the read models, draws the check mix, and times one engine on it —
 *   ours:   `Queries.check` on the read model (what GET /v1/check runs);
 *   casbin: node-casbin fed the flattened grants (peers/casbin.ts);
 *   cedar:  cedar-wasm fed the flattened grants (peers/cedar.ts).
 * A peer is first checked against our answers on a sample: timing a peer that answers differently
 * would compare different work.
 */
import { writeFileSync } from 'node:fs';
import { Queries } from '../../src/application/query.service';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { runPhase } from '../lib/child';
import { profiled } from '../lib/cpuprofile';
import { rebuild } from '../lib/rebuild';
import { measureLatency, type LatencyResult } from '../lib/stats';
import { buildCasbin, casbinCheck } from '../peers/casbin';
import { buildCedar, cedarCheck } from '../peers/cedar';
import { flatten, type Flattened } from '../peers/flatten';
import { buildQueryMix, type CheckQuery, type QueryKind } from '../queries';
import { buildWorkload } from '../workload';

export type Engine = 'ours' | 'casbin' | 'cedar';

export interface Disagreement {
  principal: string;
  permission: string;
  resource: string;
  ours: boolean;
  oursReason: string;
  peer: boolean;
}

export interface ChecksResult {
  engine: Engine;
  mix: { queries: number; domains: number; counts: Record<QueryKind, number> };
  flatten?: Flattened['stats'];
  /** Engine set-up: policies/role links loaded (casbin), policies and version (cedar). */
  setup?: Record<string, number | string>;
  agreement?: { sample: number; agree: number; allowed: number; disagreements: Disagreement[] };
  latency: LatencyResult;
  /**
   * Ours only: the same loop over the first N queries of the mix, N small to large. Separates the cost of
   * the check's logic (hot caches) from the cost of reaching its data in a large heap (the full mix).
   */
  locality?: { distinct: number; p50: number; p99: number; meanUs: number }[];
}

/** Same seed, same mix: every engine's child process draws the identical queries. */
export const MIX_OPTIONS = { count: 100_000, projects: 400, registries: 150 };

runPhase('checks', async (args, log): Promise<ChecksResult> => {
  const dir = args.get('store');
  if (!dir) throw new Error('--store <dir> is required');
  const engine = (args.get('engine') ?? 'ours') as Engine;
  if (!['ours', 'casbin', 'cedar'].includes(engine))
    throw new Error(`--engine must be ours, casbin or cedar`);
  const seed = args.num('seed', 42);
  const scale = args.flag('quick') ? 0.4 : 1;

  const store = SqliteEventStore.open({ dataDir: dir, synchronous: 'FULL' });
  const { rm } = await rebuild(store, 5000);
  await store.close();
  const mix = buildQueryMix(rm, { seed: seed + 1, ...MIX_OPTIONS });
  const queries = new Queries(rm);
  const ours = (q: CheckQuery): boolean => queries.check(q.input).allowed;
  const result: Omit<ChecksResult, 'latency'> = {
    engine,
    mix: { queries: mix.queries.length, domains: mix.domains.length, counts: mix.counts },
  };

  const workloadFile = args.get('workload');
  if (engine === 'ours' && workloadFile) {
    writeFileSync(workloadFile, JSON.stringify(buildWorkload(rm, mix.queries, ours, seed)));
    log(`HTTP workload written to ${workloadFile}`);
  }

  let call = ours;
  if (engine !== 'ours') {
    log(`flattening ${mix.domains.length} domains`);
    const flat = flatten(rm, mix.domains);
    result.flatten = flat.stats;
    if (engine === 'casbin') {
      const casbin = await buildCasbin(flat);
      result.setup = {
        loadMs: Math.round(casbin.loadMs),
        policies: casbin.policies,
        groupings: casbin.groupings,
      };
      call = (q) => casbinCheck(casbin, rm, q);
    } else {
      const cedar = buildCedar(flat);
      result.setup = { version: cedar.version, loadMs: Math.round(cedar.loadMs), policies: cedar.policies };
      call = (q) => cedarCheck(cedar, rm, q);
    }
    const sample = mix.queries.slice(0, args.flag('quick') ? 3000 : 10_000);
    const agreement = { sample: sample.length, agree: 0, allowed: 0, disagreements: [] as Disagreement[] };
    for (const q of sample) {
      const o = ours(q);
      const p = call(q);
      if (o) agreement.allowed += 1;
      if (o === p) agreement.agree += 1;
      else if (agreement.disagreements.length < 20) {
        const why = queries.check(q.input).reason;
        agreement.disagreements.push({ ...q.input, ours: o, oursReason: why, peer: p });
      }
    }
    result.agreement = agreement;
    log(`agreement with ours: ${agreement.agree}/${agreement.sample}`);
  }

  log(`timing ${engine}`);
  // Peers are two to three orders slower: smaller batches, the same time budget.
  const latency = await profiled(args.get('profile'), () =>
    measureLatency(mix.queries, call, {
      warmupMs: 3000 * scale,
      sampleMs: 8000 * scale,
      maxSamples: engine === 'ours' ? 2_000_000 : 200_000,
      batchMs: 4000 * scale,
      batchSize: engine === 'ours' ? 1000 : 20,
    }),
  );
  let locality: ChecksResult['locality'];
  if (engine === 'ours') {
    locality = [];
    for (const distinct of [16, 256, 4096, mix.queries.length]) {
      const l = measureLatency(mix.queries.slice(0, distinct), call, {
        warmupMs: 1000 * scale,
        sampleMs: 2000 * scale,
        maxSamples: 500_000,
        batchMs: 1500 * scale,
        batchSize: 1000,
      });
      locality.push({ distinct, p50: l.perCallUs.p50, p99: l.perCallUs.p99, meanUs: l.batchMeanUs });
    }
  }
  return { ...result, latency, ...(locality ? { locality } : {}) };
});
