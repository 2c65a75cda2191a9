/*
 * Opening the configured store for reading, position arguments, and the replay loop shared by every
 * command. The CLI never appends: it reads with `readAll` and folds into fresh read models.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createEventStore } from '../event-store/create-event-store';
import { parseLogPosition } from '../event-store/positions';
import type { EventStore, StoredEvent } from '../event-store/port';
import { SQLITE_FILE_NAME } from '../event-store/sqlite/sqlite-event-store';
import { ReadModel } from '../read-model/read-model';
import type { ParsedOptions } from './args';
import { CliStoreError, UsageError } from './errors';
import { Progress, type ProgressMode, type ProgressSink } from './progress';

/** Which store to open, from `--store/--data-dir/--esdb` and the server's environment variables. */
export interface StoreSelection {
  kind: 'sqlite' | 'esdb' | 'memory';
  dataDir: string;
  /** Where the server keeps snapshots: --snapshot-dir, else SNAPSHOT_DIR, else `<dataDir>/snapshots`. */
  snapshotDir: string;
  esdbConnectionString?: string;
}

/** Resolves the store options the way the server does (`EVENT_STORE`, `DATA_DIR`, `ESDB_CONNECTION_STRING`). */
export function storeSelection(opts: ParsedOptions, env: NodeJS.ProcessEnv, hint: string): StoreSelection {
  const kind = opts.strings.get('store') ?? env.EVENT_STORE ?? 'sqlite';
  if (kind !== 'sqlite' && kind !== 'esdb' && kind !== 'memory') {
    throw new UsageError(`--store must be sqlite, esdb or memory, got ${JSON.stringify(kind)}`, hint);
  }
  const dataDir = resolve(opts.strings.get('data-dir') ?? env.DATA_DIR ?? './data');
  const snapshotDir = resolve(
    opts.strings.get('snapshot-dir') ?? (env.SNAPSHOT_DIR || join(dataDir, 'snapshots')),
  );
  const esdb = opts.strings.get('esdb') ?? env.ESDB_CONNECTION_STRING;
  if (kind === 'esdb' && !esdb) {
    throw new UsageError(
      '--store esdb needs --esdb <connection string> (or ESDB_CONNECTION_STRING), e.g. esdb://localhost:2113?tls=false',
      hint,
    );
  }
  return esdb === undefined
    ? { kind, dataDir, snapshotDir }
    : { kind, dataDir, snapshotDir, esdbConnectionString: esdb };
}

/**
 * Opens the selected store. A missing or empty `events.sqlite` is an error: opening it through the adapter
 * would create a fresh empty store, and every answer about an empty store would look plausible.
 */
export async function openStore(selection: StoreSelection): Promise<EventStore> {
  if (selection.kind === 'sqlite') {
    const file = join(selection.dataDir, SQLITE_FILE_NAME);
    if (!existsSync(file)) {
      throw new CliStoreError(
        `no event store at ${file}: --data-dir (or DATA_DIR) must point at the server's data directory`,
      );
    }
    if (!statSync(file).isFile() || statSync(file).size === 0) {
      throw new CliStoreError(`${file} is not an event store (empty or not a regular file)`);
    }
  }
  try {
    return await createEventStore({
      kind: selection.kind,
      dataDir: selection.dataDir,
      ...(selection.esdbConnectionString ? { esdbConnectionString: selection.esdbConnectionString } : {}),
    });
  } catch (error) {
    throw new CliStoreError(`cannot open the ${selection.kind} store: ${messageOf(error)}`, { cause: error });
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `0` names the empty history (before the first event), as the server reports it for an empty read model.
 * Any other value must be a position token of this store.
 */
export const START = '0';

/** Validates a position argument; returns it unchanged (`0` allowed, see {@link START}). */
export function checkPosition(store: EventStore, option: string, value: string, hint: string): string {
  if (value === START) return value;
  try {
    store.comparePositions(value, value);
  } catch (error) {
    throw new UsageError(`--${option}: ${messageOf(error)}`, hint);
  }
  return value;
}

/** Orders positions with {@link START} before everything. */
export function comparePositions(store: EventStore, a: string, b: string): number {
  if (a === START || b === START) return a === b ? 0 : a === START ? -1 : 1;
  return store.comparePositions(a, b);
}

/**
 * The head of the store, read once so that a server appending meanwhile does not make a replay chase it.
 * With `requested`, checks that it is not beyond the head.
 */
export async function upperBound(
  store: EventStore,
  requested: { option: string; value: string } | undefined,
  hint: string,
): Promise<string> {
  const head = (await read(() => store.headPosition())) ?? START;
  if (!requested) return head;
  const value = checkPosition(store, requested.option, requested.value, hint);
  if (comparePositions(store, value, head) > 0) {
    throw new UsageError(`--${requested.option} ${value} is beyond the head of the store (${head})`, hint);
  }
  return value;
}

/** Runs a store read, turning its failures into {@link CliStoreError} (exit code 3). */
export async function read<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    throw new CliStoreError(`reading the event store failed: ${messageOf(error)}`, { cause: error });
  }
}

/** An event a read model skipped (unknown type, evolve failure, non-org stream). */
export interface SkippedEvent {
  position: string;
  type: string;
  why: string;
}

/** A fresh read model over this store's position order that records what it skipped. */
export function newReadModel(store: EventStore, skipped?: SkippedEvent[]): ReadModel {
  return new ReadModel(
    (a, b) => store.comparePositions(a, b),
    (e, why) => skipped?.push({ position: e.position, type: e.type, why }),
  );
}

/** One read model fed by {@link replay}: every event up to and including `until`. */
export interface ReplayTarget {
  readModel: ReadModel;
  /** Inclusive bound; {@link START} feeds nothing. */
  until: string;
  /** Rewrites an event before it is applied (what-if); returns the event itself when untouched. */
  transform?: (event: StoredEvent) => StoredEvent;
}

export interface ReplayOptions {
  progress?: { sink: ProgressSink; mode: ProgressMode; label?: string };
  /**
   * Called for every event read, after the targets applied it (verify, audit export). A returned promise
   * is awaited before the next event, which gives the caller backpressure.
   */
  onEvent?: (event: StoredEvent) => void | Promise<void>;
  /** Read at least up to here (inclusive), even without targets. */
  until?: string;
  batchSize?: number;
}

export interface ReplayResult {
  events: number;
  seconds: number;
}

/**
 * Reads the store once, in position order, and feeds every target up to its bound; several read models
 * (diff, what-if) cost one pass over the store.
 */
export async function replay(
  store: EventStore,
  targets: readonly ReplayTarget[],
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  let bound = options.until ?? START;
  for (const t of targets) if (comparePositions(store, t.until, bound) > 0) bound = t.until;
  const progress = new Progress(options.progress?.sink ?? { write: () => undefined }, {
    mode: options.progress?.mode ?? 'off',
    total: totalEstimate(store, bound),
    fraction: (p) => fractionEstimate(store, p, bound),
    ...(options.progress?.label ? { label: options.progress.label } : {}),
  });
  const batchSize = options.batchSize ?? 5000;
  let after: string | null = null;
  try {
    if (bound === START) return { events: 0, seconds: progress.seconds };
    for (;;) {
      const cursor: string | null = after;
      const batch: StoredEvent[] = await read(() => store.readAll({ after: cursor, limit: batchSize }));
      for (const event of batch) {
        if (store.comparePositions(event.position, bound) > 0)
          return { events: progress.events, seconds: progress.seconds };
        for (const t of targets) {
          if (comparePositions(store, event.position, t.until) > 0) continue;
          t.readModel.apply(t.transform ? t.transform(event) : event);
        }
        const pending = options.onEvent?.(event);
        if (pending) await pending;
        progress.tick(event.position);
      }
      const last = batch[batch.length - 1];
      if (!last || batch.length < batchSize) break;
      after = last.position;
    }
    return { events: progress.events, seconds: progress.seconds };
  } finally {
    progress.finish();
  }
}

/** Memory and SQLite positions are a dense 1-based sequence: the bound is the event count. */
function totalEstimate(store: EventStore, bound: string): number | null {
  if (store.kind === 'esdb' || bound === START) return store.kind === 'esdb' ? null : 0;
  const n = Number(bound);
  return Number.isSafeInteger(n) ? n : null;
}

/** EventStoreDB commit positions are byte offsets in its log: a fair estimate of the share read. */
function fractionEstimate(store: EventStore, position: string, bound: string): number | null {
  if (store.kind !== 'esdb' || bound === START) return null;
  try {
    const at = parseLogPosition(position).commit;
    const end = parseLogPosition(bound).commit;
    return end === 0n ? null : Math.min(1, Number(at) / Number(end));
  } catch {
    return null;
  }
}
