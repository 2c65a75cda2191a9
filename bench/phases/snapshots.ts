/**
 * Snapshot phases (child processes), on src/read-model/snapshot*.ts:
 *
 * - `prepare`: replays the store once and writes snapshots the way a running service would hold them
 *   (SNAPSHOT_KEEP=10 spread over the history, plus one at the head), timing each write, and the
 *   time-travel checkpoints it would hold with them (CHECKPOINTS_PER_SNAPSHOT × SNAPSHOT_KEEP spread
 *   over the history, none where a snapshot is). Cached beside the store: a rerun reuses them.
 * - `ready`: a cold process that opens the store, loads the newest snapshot and catches up: the
 *   start-up path of the service, without HTTP, with its integrity check (`PRAGMA quick_check`) in a
 *   worker meanwhile (SQLITE_INTEGRITY_CHECK=background); the check's own time is reported beside.
 * - `historical`: `at:` checks at random positions through ReadSide.queriesAt, one fresh ReadSide per
 *   position (cold LRU), with the snapshots and checkpoints and, for a few positions, without them.
 *   One full collection before the samples, none before each (unless `--gc-each`): a forced full
 *   collection of this process's heap (the live read model, ~250 MB at 1M events) right before the
 *   timer makes the query pay for its aftermath, which no request of a running service meets
 *   systematically. Measured on the bench machine (load 6-8): decoding an org's sections 3 ms →
 *   20-25 ms right after gc(), in the JIT-compiled decoder and in the store's reads alike, and the
 *   whole query p50 8-15 ms → 40-60 ms. Each query's own garbage is collected as it comes, inside the
 *   measured time.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { ReadSide } from '../../src/application/read-side';
import { Queries } from '../../src/application/query.service';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { ProjectionRunner } from '../../src/read-model/projection-runner';
import { ReadModel } from '../../src/read-model/read-model';
import { encodeSnapshot } from '../../src/read-model/snapshot';
import {
  CHECKPOINTS_PER_SNAPSHOT,
  loadLatestSnapshot,
  SnapshotManager,
  usableSnapshots,
  writeSnapshot,
} from '../../src/read-model/snapshot-manager';
import {
  checkpointStoreFor,
  FileSnapshotStore,
  type StoredSnapshot,
} from '../../src/read-model/snapshot-store';
import { gc, runPhase } from '../lib/child';
import { profiled } from '../lib/cpuprofile';
import { Rng } from '../lib/prng';
import { rebuild } from '../lib/rebuild';
import { distribution, type Distribution } from '../lib/stats';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const KEEP = 10;

export interface PrepareResult {
  cached: boolean;
  snapshots: { eventCount: number; position: string; bytes: number; writeMs: number }[];
  /** Time-travel checkpoints (runless snapshots), written the same way. */
  checkpoints?: { eventCount: number; position: string; bytes: number; writeMs: number }[];
}

export interface ReadyResult {
  openMs: number;
  loadMs: number;
  catchUpMs: number;
  catchUpEvents: number;
  readyMs: number;
  /** From opening until the background `PRAGMA quick_check` passed (commands wait for it). */
  integrityMs?: number;
  snapshotEvents: number;
  snapshotBytes: number;
  rssAfter: number;
  heapUsedAfter: number;
  /**
   * A snapshot may leave organizations encoded until first used (ReadModel's deferred orgs): the time to
   * decode all of them afterwards, and the memory once everything is decoded.
   */
  fullDecodeMs: number;
  rssAfterFullDecode: number;
  heapUsedAfterFullDecode: number;
}

export interface HistoricalSample {
  position: string;
  ms: number;
  /** Event count of the snapshot or checkpoint the query started from. */
  fromSnapshotAt: number | null;
  /** Events of the whole store between that base and the position (the org's own are about 1/17). */
  replayedEvents: number;
}

export interface HistoricalResult {
  withSnapshots: { samples: HistoricalSample[]; ms: Distribution };
  withoutSnapshots: { samples: HistoricalSample[]; ms: Distribution };
  snapshotsAvailable: number;
  /** Time-travel checkpoints available besides the snapshots (absent in results before them). */
  checkpointsAvailable?: number;
}

async function prepare(storeDir: string, snapDir: string, log: (l: string) => void): Promise<PrepareResult> {
  const store = SqliteEventStore.open({ dataDir: storeDir, synchronous: 'FULL' });
  const snapshots = new FileSnapshotStore(snapDir);
  const checkpoints = checkpointStoreFor(snapshots);
  try {
    const head = await store.headPosition();
    const total = Number(head ?? '0');
    const step = Math.max(1, Math.floor(total / KEEP));
    // The checkpoints a service keeps (CHECKPOINTS_PER_SNAPSHOT × KEEP, spread), but where a snapshot is.
    const checkpointStep = Math.max(1, Math.floor(total / (KEEP * CHECKPOINTS_PER_SNAPSHOT)));
    const checkpointAt = (n: number): boolean => n % checkpointStep === 0 && n % step !== 0 && n < total;
    let wantedCheckpoints = 0;
    for (let n = checkpointStep; n < total; n += checkpointStep) if (checkpointAt(n)) wantedCheckpoints++;
    const listed = (list: StoredSnapshot[]): PrepareResult['snapshots'] =>
      list.map((s) => ({
        eventCount: s.header.eventCount,
        position: s.header.position,
        bytes: s.bytes,
        writeMs: NaN,
      }));
    let haveSnapshots: StoredSnapshot[] | null = null;
    if (existsSync(snapDir)) {
      const usable = await usableSnapshots(snapshots, store, { discard: false });
      if (usable.length >= KEEP && usable[usable.length - 1]?.header.position === head)
        haveSnapshots = usable;
    }
    if (haveSnapshots) {
      const usable = await usableSnapshots(checkpoints, store, { discard: false, checkpoints: true });
      if (usable.length >= wantedCheckpoints) {
        return { cached: true, snapshots: listed(haveSnapshots), checkpoints: listed(usable) };
      }
      log(`${usable.length} checkpoints, ${wantedCheckpoints} wanted: writing them`);
      rmSync(checkpoints.location, { recursive: true, force: true });
    } else {
      rmSync(snapDir, { recursive: true, force: true });
      mkdirSync(snapDir, { recursive: true });
    }
    const rm = new ReadModel((a, b) => store.comparePositions(a, b));
    const out: PrepareResult['snapshots'] = [];
    const outCheckpoints: PrepareResult['snapshots'] = [];
    const snap = async (runless: boolean): Promise<void> => {
      const t0 = process.hrtime.bigint();
      const s = runless
        ? await checkpoints.write(await encodeSnapshot(rm, { storeKind: store.kind, runless: true }))
        : await writeSnapshot(snapshots, rm, store.kind);
      const writeMs = Number(process.hrtime.bigint() - t0) / 1e6;
      (runless ? outCheckpoints : out).push({
        eventCount: s.header.eventCount,
        position: s.header.position,
        bytes: s.bytes,
        writeMs,
      });
      log(
        `${runless ? 'checkpoint' : 'snapshot'} at ${s.header.eventCount} events: ${(s.bytes / 1e6).toFixed(1)} MB in ${writeMs.toFixed(0)} ms`,
      );
    };
    let after: string | null = null;
    for (;;) {
      const batch = await store.readAll({ after, limit: 5000 });
      if (batch.length === 0) break;
      for (const e of batch) {
        rm.apply(e);
        const n = rm.eventCount;
        if (!haveSnapshots && n % step === 0 && n < total) await snap(false);
        if (checkpointAt(n)) await snap(true);
      }
      after = (batch[batch.length - 1] as { position: string }).position;
    }
    if (!haveSnapshots) await snap(false);
    return {
      cached: false,
      snapshots: haveSnapshots ? listed(haveSnapshots) : out,
      checkpoints: outCheckpoints,
    };
  } finally {
    await store.close();
  }
}

async function ready(storeDir: string, snapDir: string, profile: string | undefined): Promise<ReadyResult> {
  return profiled(profile, () => readyOnce(storeDir, snapDir));
}

async function readyOnce(storeDir: string, snapDir: string): Promise<ReadyResult> {
  const t0 = process.hrtime.bigint();
  const store = SqliteEventStore.open({
    dataDir: storeDir,
    synchronous: 'FULL',
    integrityCheck: 'background',
  });
  const t1 = process.hrtime.bigint();
  let tIntegrity = 0n;
  const integrity = store.integrity.then(() => (tIntegrity = process.hrtime.bigint()));
  const { loaded } = await loadLatestSnapshot(new FileSnapshotStore(snapDir), store, { discard: false });
  if (!loaded) throw new Error(`no usable snapshot in ${snapDir}`);
  const t2 = process.hrtime.bigint();
  const before = loaded.readModel.eventCount;
  const { rm } = await rebuild(store, 5000, loaded.readModel);
  const t3 = process.hrtime.bigint();
  await integrity;
  gc();
  const mem = process.memoryUsage();
  const t4 = process.hrtime.bigint();
  void rm.orgs; // the getter decodes every org still deferred
  const t5 = process.hrtime.bigint();
  await store.close();
  gc();
  const full = process.memoryUsage();
  const ms = (a: bigint, b: bigint): number => Number(b - a) / 1e6;
  return {
    fullDecodeMs: ms(t4, t5),
    rssAfterFullDecode: full.rss,
    heapUsedAfterFullDecode: full.heapUsed,
    openMs: ms(t0, t1),
    loadMs: ms(t1, t2),
    catchUpMs: ms(t2, t3),
    catchUpEvents: rm.eventCount - before,
    readyMs: ms(t0, t3),
    integrityMs: ms(t0, tIntegrity),
    snapshotEvents: loaded.snapshot.header.eventCount,
    snapshotBytes: loaded.snapshot.bytes,
    rssAfter: mem.rss,
    heapUsedAfter: mem.heapUsed,
  };
}

async function historical(
  storeDir: string,
  snapDir: string,
  seed: number,
  count: number,
  withoutCount: number,
  log: (l: string) => void,
  profile: string | undefined,
  gcEach: boolean,
): Promise<HistoricalResult> {
  const store = SqliteEventStore.open({ dataDir: storeDir, synchronous: 'FULL' });
  try {
    const manager = new SnapshotManager(
      new FileSnapshotStore(snapDir),
      store,
      { every: 1, keep: 1000 },
      quiet,
    );
    const loaded = await manager.loadLatest();
    const live = loaded?.readModel ?? (await rebuild(store, 5000)).rm;
    const projection = new ProjectionRunner(store, live, quiet);
    const head = Number(live.position ?? '0');
    const rng = new Rng(seed + 3);
    // Ask about a project that exists now; at an earlier position it may not exist yet, which is an answer too.
    const probes: { principal: string; resource: string }[] = [];
    for (const org of live.orgs.values()) {
      const users = [...org.users.keys()];
      const projects = [...org.projects.keys()];
      if (users.length > 0 && projects.length > 0)
        probes.push({ principal: `user:${rng.pick(users)}`, resource: `project:${rng.pick(projects)}` });
    }
    const ask = async (rs: ReadSide, position: string): Promise<number> => {
      const t0 = process.hrtime.bigint();
      const probe = rng.pick(probes);
      // The scope GET /v1/check passes: an `at:` check rebuilds only the org of its resource.
      const q: Queries = await rs.queriesAt({ kind: 'at', position }, { resources: [probe.resource] });
      q.check({ principal: probe.principal, permission: 'project:read', resource: probe.resource });
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const sample = async (useSnapshots: boolean, n: number): Promise<HistoricalSample[]> => {
      const out: HistoricalSample[] = [];
      for (let i = 0; i < n; i++) {
        const position = String(rng.int(1, head));
        // The probes ask about projects: a read without runs, which a checkpoint serves too.
        const base = useSnapshots
          ? manager.nearestFor(position, { runs: false, provenance: false })
          : undefined;
        const rs = new ReadSide(store, projection, 60_000, 4, useSnapshots ? manager : null, quiet);
        if (gcEach) gc();
        // Lets the previous query's deferred work (timers, the collector's background tasks) finish.
        await new Promise<void>((resolve) => setTimeout(resolve, 20));
        const ms = await ask(rs, position);
        const fromSnapshotAt = base ? base.header.eventCount : null;
        out.push({ position, ms, fromSnapshotAt, replayedEvents: Number(position) - (fromSnapshotAt ?? 0) });
        log(`at:${position} ${useSnapshots ? 'with' : 'without'} snapshots: ${ms.toFixed(0)} ms`);
      }
      return out;
    };
    gc();
    const withSnapshots = await profiled(profile, () => sample(true, count));
    const withoutSnapshots = await sample(false, withoutCount);
    return {
      withSnapshots: { samples: withSnapshots, ms: distribution(withSnapshots.map((s) => s.ms)) },
      withoutSnapshots: { samples: withoutSnapshots, ms: distribution(withoutSnapshots.map((s) => s.ms)) },
      snapshotsAvailable: manager.list().length,
      checkpointsAvailable: manager.listCheckpoints().length,
    };
  } finally {
    await store.close();
  }
}

runPhase('snapshots', async (args, log) => {
  const storeDir = args.get('store');
  const snapDir = args.get('snapshots');
  const mode = args.get('mode');
  if (!storeDir || !snapDir) throw new Error('--store <dir> and --snapshots <dir> are required');
  if (mode === 'prepare') return prepare(storeDir, snapDir, log);
  const profile = args.get('profile');
  if (mode === 'ready') return ready(storeDir, snapDir, profile);
  if (mode === 'historical') {
    const count = args.num('count', 40);
    return historical(
      storeDir,
      snapDir,
      args.num('seed', 42),
      count,
      args.num('without', 2),
      log,
      profile,
      args.flag('gc-each'),
    );
  }
  throw new Error('--mode must be prepare, ready or historical');
});
