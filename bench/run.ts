/**
 * `npm run bench [-- --events 1000000 --seed 42 --quick --no-profile --only a,b --report-only]`
 *
 * Generates (or reuses) the history, runs every phase in its own child process, writes
 * bench/results/<date>-<machine>.json and the run's section of BENCHMARKS.md. Phases:
 *   readmodel   rebuild speed (readAll + ReadModel.apply), read-model memory, SQLite scan floor
 *   checks      in-process check mix: ours, node-casbin, Cedar (agreement first, then timing)
 *   snapshots   snapshot writes, ready-from-snapshot (cold process), historical `at:` checks
 *   http        GET /v1/check on the real server (autocannon, 64 connections) + floor servers
 *   commands    LogRun / AssignTeamRole over HTTP, 32 connections, durable (synchronous=FULL)
 * A missed target gets a CPU profile of the measured region (a second, shorter pass), summarised.
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { GeneratedMeta } from './generator';
import { parseArgs } from './lib/args';
import {
  BENCH_TOKEN,
  load,
  startServer,
  type LoadResult,
  type RunningServer,
  type SetupRequest,
} from './lib/http';
import { machineInfo, type MachineInfo } from './lib/machine';
import { DATA_DIR, DIST_BENCH, REPO_ROOT, RESULTS_DIR, storeDirOf } from './lib/paths';
import { summarizeProfile, type ProfileSummary } from './lib/profile';
import { runKey, writeReport } from './lib/report';
import type { ChecksResult } from './phases/checks';
import type { ReadModelResult } from './phases/readmodel';
import type { HistoricalResult, PrepareResult, ReadyResult } from './phases/snapshots';
import type { Workload } from './workload';

export interface HttpCheckResult {
  server: {
    startAppMs: number;
    sinceProcessStartMs: number;
    backfillMs: number;
    rssBytes: number;
    heapUsedBytes: number;
  };
  verified: { sample: number; agree: number; failures: string[] };
  load: LoadResult;
  /** The same checks with 16 connections: latency with less queueing in front of the one event loop. */
  load16?: LoadResult;
  /**
   * The same checks at 8, 16, 32 and 64 connections, in that order (`load` and `load16` are two of
   * them). With one event loop, latency grows with the connections in flight (Little's law: mean
   * latency ≈ connections ÷ throughput), so the sweep shows up to which concurrency both targets hold.
   */
  sweep?: LoadResult[];
  floors: { nodeHttp?: LoadResult; fastify?: LoadResult; fastify16?: LoadResult };
}

export interface HttpCommandsResult {
  server: { startAppMs: number; sinceProcessStartMs: number; backfillMs: number };
  load: LoadResult;
  mix: { logRun: number; assignTeamRole: number };
  eventsAppended: number;
  /**
   * Diagnostic, not a result: the same load with SQLITE_SYNCHRONOUS=NORMAL (commits not fsynced, so not
   * durable). The gap to `load` is what the per-append fsync costs.
   */
  notDurable?: LoadResult;
  /** Durable single-row commits per second on this disk (WAL, synchronous=FULL): the no-group-commit ceiling. */
  fsyncFloor: { commitsPerSec: number; msPerCommit: number };
}

export interface BenchResults {
  date: string;
  machine: MachineInfo;
  /** The code measured: HEAD and the files under src/ that differed from it (work in progress). */
  source: { commit: string; dirtySrc: string[] };
  options: { events: number; seed: number; quick: boolean };
  store: { dir: string; cached: boolean; meta: GeneratedMeta };
  phases: {
    readModel?: ReadModelResult;
    checks?: { ours?: ChecksResult; casbin?: ChecksResult; cedar?: ChecksResult };
    snapshots?: {
      prepare?: PrepareResult;
      ready?: ReadyResult;
      historical?: HistoricalResult;
      error?: string;
    };
    http?: HttpCheckResult;
    commands?: HttpCommandsResult;
  };
  profiles: Record<string, ProfileSummary>;
  /** Load average (1 min) around each phase: the machine is shared, this says how shared. */
  load: Record<string, { before: number; after: number }>;
  errors: Record<string, string>;
  durationMs: number;
  /** Phases rerun later with `--only` and merged into this result. */
  reruns?: { date: string; phases: string[]; source?: BenchResults['source'] }[];
}

const args = parseArgs();
const events = args.num('events', 1_000_000);
const seed = args.num('seed', 42);
const quick = args.flag('quick');
const profileMisses = !args.flag('no-profile');
const only = args.get('only')?.split(',');
const wanted = (phase: string): boolean => !only || only.includes(phase);
const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

const workDir = join(DATA_DIR, `run-${process.pid}`);
const profileDir = join(DATA_DIR, 'profiles');

function load1(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

/** Runs a compiled phase script in a child node process and returns its JSON result. */
async function phase<T>(
  name: string,
  script: string,
  phaseArgs: string[],
  nodeFlags: string[] = [],
): Promise<T> {
  const out = join(workDir, `${name}-${Date.now()}.json`);
  const child = spawn(
    process.execPath,
    [...nodeFlags, join(DIST_BENCH, script), ...phaseArgs, '--out', out],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`phase ${name} (${script}) exited with ${code}`);
  return JSON.parse(readFileSync(out, 'utf8')) as T;
}

async function ensureData(): Promise<{ dir: string; cached: boolean; meta: GeneratedMeta }> {
  const dir = storeDirOf(seed, events);
  const cached = existsSync(join(dir, 'meta.json'));
  if (!cached) log(`generating ${events} events (seed ${seed}) into ${dir}`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(DIST_BENCH, 'generator.js'), '--events', String(events), '--seed', String(seed)],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generator exited with ${code}`))));
  });
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as GeneratedMeta;
  return { dir, cached, meta };
}

function profileFile(name: string): string {
  mkdirSync(profileDir, { recursive: true });
  return join(profileDir, `${name}.cpuprofile`);
}

/** Connections of the HTTP check sweep (see HttpCheckResult.sweep). */
const HTTP_SWEEP = [8, 16, 32, 64] as const;

async function httpChecks(storeDir: string, snapDir: string, workload: Workload): Promise<HttpCheckResult> {
  const durationSec = quick ? 5 : 10;
  const server = await startServer(serverEnv(storeDir, snapDir), { log: (l) => log(`server: ${l}`) });
  try {
    log(
      `check server ready (startApp ${server.ready.startAppMs.toFixed(0)} ms, backfill ${server.ready.backfillMs.toFixed(0)} ms)`,
    );
    const mem = await server.memory();
    const verified = await verifyChecks(server, workload);
    log(`verified ${verified.agree}/${verified.sample} HTTP answers against in-process answers`);
    const paths = checkPaths(workload);
    let i = 0;
    const next: SetupRequest = (req) => ({
      ...req,
      method: 'GET',
      path: paths[i++ % paths.length] as string,
    });
    const sweep: LoadResult[] = [];
    for (const connections of HTTP_SWEEP) {
      const r = await load(server.url, { connections, durationSec, next });
      sweep.push(r);
      log(
        `GET /v1/check, ${connections} connections: ${Math.round(r.requestsPerSec)} req/s, p99 ${r.latencyMs.p99} ms`,
      );
    }
    const at = (connections: number): LoadResult =>
      sweep.find((r) => r.connections === connections) as LoadResult;
    const result = at(64);
    const load16 = at(16);
    if (profileMisses && (result.requestsPerSec < 10_000 || result.latencyMs.p99 > 5)) {
      await server.profileStart();
      await load(server.url, { connections: 64, durationSec: 5, next });
      const file = profileFile('http-check');
      await server.profileStop(file);
      results.profiles['http-check'] = summarizeProfile(file);
    }
    return {
      server: {
        startAppMs: server.ready.startAppMs,
        sinceProcessStartMs: server.ready.sinceProcessStartMs,
        backfillMs: server.ready.backfillMs,
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
      },
      verified,
      load: result,
      load16,
      sweep,
      floors: await floors(paths, durationSec),
    };
  } finally {
    await server.stop();
  }
}

function serverEnv(storeDir: string, snapDir: string): Record<string, string> {
  return {
    DATA_DIR: storeDir,
    SNAPSHOT_DIR: snapDir,
    // Enabled (so start-up loads the newest snapshot) but never periodic during a run, and keeping
    // every prepared snapshot: no snapshot work may overlap the measured load.
    SNAPSHOT_EVERY: '100000000',
    SNAPSHOT_KEEP: '1000',
    SQLITE_SYNCHRONOUS: 'FULL',
  };
}

function checkPaths(workload: Workload): string[] {
  return workload.checks.map(
    (c) =>
      `/v1/check?principal=${encodeURIComponent(c.principal)}&permission=${encodeURIComponent(c.permission)}` +
      `&resource=${encodeURIComponent(c.resource)}`,
  );
}

async function verifyChecks(server: RunningServer, workload: Workload): Promise<HttpCheckResult['verified']> {
  const sample = workload.checks.slice(0, 300);
  const paths = checkPaths({ ...workload, checks: sample });
  const failures: string[] = [];
  let agree = 0;
  for (let i = 0; i < sample.length; i++) {
    const res = await fetch(`${server.url}${paths[i]}`, {
      headers: { authorization: `Bearer ${BENCH_TOKEN}` },
    });
    const body = (await res.json()) as { allowed?: boolean };
    if (res.status === 200 && body.allowed === sample[i]?.allowed) agree++;
    else if (failures.length < 5)
      failures.push(`${paths[i]} → ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  }
  return { sample: sample.length, agree, failures };
}

/** Bare node:http and bare fastify on the same machine, same load: the ceiling for any Node HTTP service. */
async function floors(paths: string[], durationSec: number): Promise<HttpCheckResult['floors']> {
  const out: HttpCheckResult['floors'] = {};
  for (const mode of ['http', 'fastify'] as const) {
    const child = fork(join(DIST_BENCH, 'floor-server.js'), [mode], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const url = await new Promise<string>((resolve) =>
      child.once('message', (m: { url: string }) => resolve(m.url)),
    );
    let i = 0;
    const next: SetupRequest = (req) => ({
      ...req,
      method: 'GET',
      path: paths[i++ % paths.length] as string,
    });
    const r = await load(url, { connections: 64, durationSec, next });
    out[mode === 'http' ? 'nodeHttp' : 'fastify'] = r;
    log(`floor ${mode}: ${Math.round(r.requestsPerSec)} req/s, p99 ${r.latencyMs.p99} ms`);
    if (mode === 'fastify') {
      out.fastify16 = await load(url, { connections: 16, durationSec, next });
      log(`floor fastify, 16 connections: ${Math.round(out.fastify16.requestsPerSec)} req/s`);
    }
    child.send({ type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return out;
}

function fsyncFloor(): HttpCommandsResult['fsyncFloor'] {
  const dir = join(workDir, 'fsync');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, 'floor.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const value = 'x'.repeat(600);
    const tx = db.transaction(() => insert.run(value));
    const n = 1000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) tx.immediate();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { commitsPerSec: Math.round(n / (ms / 1000)), msPerCommit: ms / n };
  } finally {
    db.close();
  }
}

async function httpCommands(
  storeDir: string,
  snapDir: string,
  workload: Workload,
): Promise<HttpCommandsResult> {
  const durable = await commandsOnce(storeDir, snapDir, workload, 'FULL');
  const notDurable = await commandsOnce(storeDir, snapDir, workload, 'NORMAL');
  log(`commands with synchronous=NORMAL (diagnostic): ${Math.round(notDurable.load.requestsPerSec)}/s`);
  return { ...durable, notDurable: notDurable.load, fsyncFloor: fsyncFloor() };
}

async function commandsOnce(
  storeDir: string,
  snapDir: string,
  workload: Workload,
  synchronous: 'FULL' | 'NORMAL',
): Promise<HttpCommandsResult> {
  const durationSec = quick ? 5 : 10;
  // Commands write: run them on a copy of the store (and of its newest snapshot, for a fast start).
  const copy = join(workDir, 'commands-store');
  const copySnaps = join(copy, 'snapshots');
  mkdirSync(copySnaps, { recursive: true });
  copyFileSync(join(storeDir, 'events.sqlite'), join(copy, 'events.sqlite'));
  const head = newestSnapshot(snapDir);
  if (head) copyFileSync(join(snapDir, head), join(copySnaps, head));
  const before = countEvents(copy);
  const env = { ...serverEnv(copy, copySnaps), SQLITE_SYNCHRONOUS: synchronous };
  const server = await startServer(env, { log: (l) => log(`server: ${l}`) });
  const mix = { logRun: 0, assignTeamRole: 0 };
  let result: LoadResult;
  try {
    log(`command server ready (startApp ${server.ready.startAppMs.toFixed(0)} ms)`);
    const runPrefix = `bench${Date.now().toString(36)}`;
    let n = 0;
    const flipCount = new Map<number, number>();
    const next: SetupRequest = (req) => {
      n++;
      // One command in five flips a team role (with its A4/C7 tracking cascade); the rest log runs.
      if (n % 5 === 0 && workload.flips.length > 0) {
        const k = (n / 5) % workload.flips.length;
        const f = workload.flips[k] as Workload['flips'][number];
        const c = (flipCount.get(k) ?? 0) + 1;
        flipCount.set(k, c);
        mix.assignTeamRole++;
        return {
          method: 'POST',
          path: '/v1/commands/AssignTeamRole',
          headers: { ...req.headers, 'content-type': 'application/json', 'x-actor': f.actor },
          body: JSON.stringify({
            teamId: f.teamId,
            userId: f.userId,
            role: c % 2 === 1 ? 'admin' : 'member',
          }),
        };
      }
      const r = workload.logRuns[n % workload.logRuns.length] as Workload['logRuns'][number];
      mix.logRun++;
      return {
        method: 'POST',
        path: '/v1/commands/LogRun',
        headers: { ...req.headers, 'content-type': 'application/json', 'x-actor': r.actor },
        body: JSON.stringify({ runId: `${runPrefix}-${n}`, projectId: r.projectId }),
      };
    };
    result = await load(server.url, { connections: 32, durationSec, next });
    log(
      `commands: ${Math.round(result.requestsPerSec)}/s, p99 ${result.latencyMs.p99} ms, non-2xx ${result.non2xx}`,
    );
    if (synchronous === 'FULL' && profileMisses && result.requestsPerSec < 1000) {
      await server.profileStart();
      await load(server.url, { connections: 32, durationSec: 5, next });
      const file = profileFile('http-commands');
      await server.profileStop(file);
      results.profiles['http-commands'] = summarizeProfile(file);
    }
  } finally {
    await server.stop();
  }
  const eventsAppended = countEvents(copy) - before;
  rmSync(copy, { recursive: true, force: true });
  return {
    server: {
      startAppMs: server.ready.startAppMs,
      sinceProcessStartMs: server.ready.sinceProcessStartMs,
      backfillMs: server.ready.backfillMs,
    },
    load: result,
    mix,
    eventsAppended,
    fsyncFloor: { commitsPerSec: NaN, msPerCommit: NaN },
  };
}

/** The newest `snapshot-<position>.bin` of a directory. */
function newestSnapshot(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const names = readdirSync(dir)
    .filter((n) => /^snapshot-\d+\.bin$/.test(n))
    .sort((a, b) => Number(a.slice(9, -4)) - Number(b.slice(9, -4)));
  return names[names.length - 1];
}

function countEvents(dir: string): number {
  const db = new Database(join(dir, 'events.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function sourceState(): BenchResults['source'] {
  try {
    // Only trailing whitespace goes: a porcelain line starts with a status column that may be a space.
    const git = (...a: string[]): string =>
      execFileSync('git', a, { cwd: REPO_ROOT, encoding: 'utf8' }).trimEnd();
    const dirty = git('status', '--porcelain', '--', 'src')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { commit: git('rev-parse', '--short', 'HEAD'), dirtySrc: dirty };
  } catch {
    return { commit: 'unknown', dirtySrc: [] };
  }
}

const results: BenchResults = {
  date: new Date().toISOString(),
  machine: machineInfo(),
  source: sourceState(),
  options: { events, seed, quick },
  store: { dir: '', cached: false, meta: {} as GeneratedMeta },
  phases: {},
  profiles: {},
  load: {},
  errors: {},
  durationMs: 0,
};

async function step(name: string, work: () => Promise<void>): Promise<void> {
  const before = load1();
  log(`— ${name} (load average ${before})`);
  try {
    await work();
  } catch (err) {
    results.errors[name] = err instanceof Error ? err.message : String(err);
    log(`${name} failed: ${results.errors[name]}`);
  }
  results.load[name] = { before, after: load1() };
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(workDir, { recursive: true });
  const data = await ensureData();
  results.store = data;
  const storeDir = data.dir;
  const snapDir = join(storeDir, 'snapshots');
  const workloadFile = join(storeDir, 'workload.json');
  const gcFlags = ['--expose-gc'];
  const scale = quick ? ['--quick'] : [];

  if (wanted('readmodel'))
    await step('readmodel', async () => {
      const r = await phase<ReadModelResult>(
        'readmodel',
        'phases/readmodel.js',
        ['--store', storeDir, '--floor'],
        gcFlags,
      );
      results.phases.readModel = r;
      log(
        `rebuild ${r.rebuild.eventsPerSecond} events/s; read models ${(r.memory.readModelHeapBytes / 1048576).toFixed(0)} MB heap`,
      );
      if (profileMisses && r.rebuild.eventsPerSecond < 300_000) {
        const file = profileFile('rebuild');
        await phase(
          'readmodel-profile',
          'phases/readmodel.js',
          ['--store', storeDir, '--profile', file],
          gcFlags,
        );
        results.profiles.rebuild = summarizeProfile(file);
      }
    });

  if (wanted('checks')) {
    results.phases.checks = {};
    const checks = results.phases.checks;
    for (const engine of ['ours', 'casbin', 'cedar'] as const) {
      await step(`checks-${engine}`, async () => {
        const extra = engine === 'ours' ? ['--workload', workloadFile] : [];
        // Cedar's wasm is compiled optimised up front: dynamic tiering would time its baseline tier.
        const flags = engine === 'cedar' ? ['--no-wasm-dynamic-tiering'] : [];
        const base = ['--store', storeDir, '--seed', String(seed), '--engine', engine, ...scale];
        const r = await phase<ChecksResult>(
          `checks-${engine}`,
          'phases/checks.js',
          [...base, ...extra],
          flags,
        );
        checks[engine] = r;
        log(
          `${engine}: p50 ${r.latency.perCallUs.p50.toFixed(2)} µs, p99 ${r.latency.perCallUs.p99.toFixed(2)} µs, ${r.latency.throughputPerSec}/s`,
        );
        const p = r.latency.perCallUs;
        if (engine === 'ours' && profileMisses && (p.p50 > 1 || p.p99 > 10)) {
          const file = profileFile('checks-ours');
          await phase('checks-ours-profile', 'phases/checks.js', [...base, '--quick', '--profile', file]);
          results.profiles['checks-ours'] = summarizeProfile(file);
        }
      });
    }
  }

  if (wanted('snapshots')) {
    results.phases.snapshots = {};
    const snaps = results.phases.snapshots;
    await step('snapshots-prepare', async () => {
      snaps.prepare = await phase<PrepareResult>(
        'snapshots-prepare',
        'phases/snapshots.js',
        ['--mode', 'prepare', '--store', storeDir, '--snapshots', snapDir],
        gcFlags,
      );
    });
    await step('snapshots-ready', async () => {
      const r = await phase<ReadyResult>(
        'snapshots-ready',
        'phases/snapshots.js',
        ['--mode', 'ready', '--store', storeDir, '--snapshots', snapDir],
        gcFlags,
      );
      snaps.ready = r;
      log(`ready from snapshot in ${r.readyMs.toFixed(0)} ms (load ${r.loadMs.toFixed(0)} ms)`);
      if (profileMisses && r.readyMs > 1000) {
        const file = profileFile('ready');
        await phase(
          'snapshots-ready-profile',
          'phases/snapshots.js',
          ['--mode', 'ready', '--store', storeDir, '--snapshots', snapDir, '--profile', file],
          gcFlags,
        );
        results.profiles.ready = summarizeProfile(file);
      }
    });
    await step('historical', async () => {
      const r = await phase<HistoricalResult>(
        'historical',
        'phases/snapshots.js',
        [
          '--mode',
          'historical',
          '--store',
          storeDir,
          '--snapshots',
          snapDir,
          '--seed',
          String(seed),
          '--count',
          quick ? '12' : '40',
          '--without',
          '2',
        ],
        gcFlags,
      );
      snaps.historical = r;
      log(`historical p95 ${r.withSnapshots.ms.p95.toFixed(0)} ms with snapshots`);
      if (profileMisses && r.withSnapshots.ms.p95 > 50) {
        const file = profileFile('historical');
        await phase(
          'historical-profile',
          'phases/snapshots.js',
          [
            '--mode',
            'historical',
            '--store',
            storeDir,
            '--snapshots',
            snapDir,
            '--seed',
            String(seed + 7),
            '--count',
            '4',
            '--without',
            '1',
            '--profile',
            file,
          ],
          gcFlags,
        );
        results.profiles.historical = summarizeProfile(file);
      }
    });
  }

  const workload = existsSync(workloadFile)
    ? (JSON.parse(readFileSync(workloadFile, 'utf8')) as Workload)
    : null;
  if (wanted('http'))
    await step('http', async () => {
      if (!workload) throw new Error('no workload: run the checks phase first');
      results.phases.http = await httpChecks(storeDir, snapDir, workload);
    });
  if (wanted('commands'))
    await step('commands', async () => {
      if (!workload) throw new Error('no workload: run the checks phase first');
      results.phases.commands = await httpCommands(storeDir, snapDir, workload);
    });

  results.durationMs = Date.now() - started;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${runKey(results)}.json`);
  if (only && existsSync(file)) mergeInto(file);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  writeReport(results);
  log(`results: ${file}; BENCHMARKS.md updated (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  rmSync(workDir, { recursive: true, force: true });
}

/** The `--only` phase whose measurement each profile belongs to. */
const PROFILE_PHASE: Record<string, string> = {
  rebuild: 'readmodel',
  'checks-ours': 'checks',
  ready: 'snapshots',
  historical: 'snapshots',
  'http-check': 'http',
  'http-commands': 'commands',
};

/**
 * `--only` reruns some phases: keep the other phases of today's run on this machine (same events and
 * seed), so that rerunning the key numbers does not throw the rest away.
 */
function mergeInto(file: string): void {
  const prior = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  if (prior.options.events !== events || prior.options.seed !== seed) return;
  const rerunPhases = new Set(only ?? []);
  const measured = results.phases;
  results.phases = { ...prior.phases, ...measured };
  if (measured.checks && prior.phases.checks)
    results.phases.checks = { ...prior.phases.checks, ...measured.checks };
  if (measured.snapshots && prior.phases.snapshots)
    results.phases.snapshots = { ...prior.phases.snapshots, ...measured.snapshots };
  const rerun = new Set(Object.keys(results.load));
  const stale = Object.entries(prior.errors).filter(([k]) => !rerun.has(k));
  results.errors = { ...Object.fromEntries(stale), ...results.errors };
  // A rerun phase's old profile described a measurement that no longer stands.
  const kept = Object.entries(prior.profiles).filter(([name]) => !rerunPhases.has(PROFILE_PHASE[name] ?? ''));
  results.profiles = { ...Object.fromEntries(kept), ...results.profiles };
  results.load = { ...prior.load, ...results.load };
  results.reruns = [
    ...(prior.reruns ?? []),
    { date: results.date, phases: only ?? [], source: results.source },
  ];
  results.source = prior.source;
  results.date = prior.date;
  results.durationMs += prior.durationMs;
}

/** `--report-only`: rewrite the BENCHMARKS.md section from today's result file, measuring nothing. */
function reportOnly(): void {
  const file = join(RESULTS_DIR, `${runKey(results)}.json`);
  writeReport(JSON.parse(readFileSync(file, 'utf8')) as BenchResults);
  log(`BENCHMARKS.md section rewritten from ${file}`);
}

(args.flag('report-only') ? Promise.resolve(reportOnly()) : main()).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
