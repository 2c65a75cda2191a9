/** Percentiles, timing loops and number formatting shared by the benchmarks. */

export interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/** Nearest-rank percentiles of `values` (sorted in place). */
export function distribution(values: Float64Array | number[]): Distribution {
  const v = values instanceof Float64Array ? values : Float64Array.from(values);
  v.sort();
  const n = v.length;
  const at = (q: number): number =>
    n === 0 ? NaN : (v[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] as number);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += v[i] as number;
  return {
    count: n,
    mean: n === 0 ? NaN : sum / n,
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    p999: at(0.999),
    max: n === 0 ? NaN : (v[n - 1] as number),
  };
}

/** Median cost of one `process.hrtime.bigint()` pair, in ns: subtracted from per-call samples. */
export function timerOverheadNs(rounds = 200_000): number {
  const s = new Float64Array(rounds);
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    s[i] = Number(t1 - t0);
  }
  return distribution(s).p50;
}

export interface LatencyResult {
  /** Per-call latency in µs (timer overhead subtracted), from individually timed calls. */
  perCallUs: Distribution;
  /** Per-call latency by query kind, µs. */
  byKindUs: Record<string, Distribution>;
  /** Mean µs per call from batch timing (no per-call timer in the loop). */
  batchMeanUs: number;
  /** Calls per second from batch timing, one thread. */
  throughputPerSec: number;
  timerOverheadNs: number;
  allowed: number;
}

export interface TimedQuery {
  kind: string;
}

/**
 * Measures `call` over `queries`: a warm-up, then individually timed calls (hrtime.bigint around each call,
 * minus the timer's own median cost) for the percentiles, then batches of calls timed as a whole for
 * throughput. Both phases are bounded by a call count and a time budget.
 */
export function measureLatency<Q extends TimedQuery>(
  queries: readonly Q[],
  call: (q: Q) => boolean,
  options: { warmupMs: number; sampleMs: number; maxSamples: number; batchMs: number; batchSize: number },
): LatencyResult {
  const n = queries.length;
  let allowed = 0;
  const warmEnd = Date.now() + options.warmupMs;
  for (let i = 0; Date.now() < warmEnd || i < Math.min(n, 2000); i++)
    if (call(queries[i % n] as Q)) allowed++;

  const overhead = timerOverheadNs();
  const samples = new Float64Array(options.maxSamples);
  const kinds: string[] = new Array<string>(options.maxSamples);
  let taken = 0;
  const sampleEnd = Date.now() + options.sampleMs;
  while (taken < options.maxSamples && (taken < 1000 || Date.now() < sampleEnd)) {
    // Check the clock only every 256 calls so Date.now() stays out of the distribution's tail.
    for (let j = 0; j < 256 && taken < options.maxSamples; j++, taken++) {
      const q = queries[taken % n] as Q;
      const t0 = process.hrtime.bigint();
      const ok = call(q);
      const t1 = process.hrtime.bigint();
      samples[taken] = Math.max(0, Number(t1 - t0) - overhead) / 1000;
      kinds[taken] = q.kind;
      if (ok) allowed++;
    }
  }
  const used = samples.subarray(0, taken);
  const byKind = new Map<string, number[]>();
  for (let i = 0; i < taken; i++) {
    const k = kinds[i] as string;
    let list = byKind.get(k);
    if (!list) byKind.set(k, (list = []));
    list.push(used[i] as number);
  }
  const byKindUs: Record<string, Distribution> = {};
  for (const [k, list] of byKind) byKindUs[k] = distribution(list);
  const perCallUs = distribution(Float64Array.from(used));

  let calls = 0;
  let ns = 0n;
  let i = 0;
  const batchEnd = Date.now() + options.batchMs;
  while (calls < options.batchSize || Date.now() < batchEnd) {
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < options.batchSize; j++, i++) if (call(queries[i % n] as Q)) allowed++;
    ns += process.hrtime.bigint() - t0;
    calls += options.batchSize;
  }
  const batchMeanUs = Number(ns) / calls / 1000;
  return {
    perCallUs,
    byKindUs,
    batchMeanUs,
    throughputPerSec: Math.round(1e6 / batchMeanUs),
    timerOverheadNs: overhead,
    allowed,
  };
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** "1,234,567" */
export function fmtInt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

/** Microseconds with sensible precision: 0.42 µs, 3.1 µs, 1,234 µs. */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return 'n/a';
  if (us < 10) return `${us.toFixed(2)} µs`;
  if (us < 100) return `${us.toFixed(1)} µs`;
  if (us < 10_000) return `${fmtInt(us)} µs`;
  return `${(us / 1000).toFixed(1)} ms`;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function fmtMB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MB`;
}
