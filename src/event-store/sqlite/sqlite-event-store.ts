import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  compareSequencePositions,
  CursorSubscription,
  formatSequencePosition,
  normalizeNewEvents,
  parseSequencePosition,
  validateExpectedRevision,
  type NormalizedEvent,
} from '../positions';
import {
  ConcurrencyError,
  DuplicateEventIdError,
  StoreCorruptError,
  StoreUnavailableError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type StoredEvent,
  type StoredEventData,
  type SubscribeHandlers,
  type Subscription,
} from '../port';
import { GroupCommitter } from './group-commit';
import { quickCheckInWorker } from './integrity-check';
import { SqliteStoredEvent } from './stored-event';

/** `PRAGMA application_id` of our files ("WPE1"): tells our database apart from any other SQLite file. */
export const SQLITE_APPLICATION_ID = 0x57504531;
/** `meta` rows identifying the file format. */
export const SQLITE_FORMAT = 'wandb-permissions-events';
export const SQLITE_FORMAT_VERSION = 1;
/** Name of the database file inside the data directory. */
export const SQLITE_FILE_NAME = 'events.sqlite';

/** Options of {@link SqliteEventStore.open}. */
export interface SqliteEventStoreOptions {
  /** Directory holding `events.sqlite`; created when missing. */
  dataDir: string;
  /** `PRAGMA synchronous` (default FULL: an acknowledged append survives power loss, not only a crash). */
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** How often live subscriptions re-read to see appends made by other processes (default 200 ms). */
  pollIntervalMs?: number;
  /** How long a writer waits for another connection's write lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /**
   * When `PRAGMA quick_check` (reads the whole file) runs on an existing file. `open` (default): before
   * open() returns. `background`: open() returns after the cheap checks (header, application id,
   * tables) and the check runs in a worker thread on a read-only connection of its own; appends wait
   * for it and fail if it finds damage. {@link SqliteEventStore.integrity} tells the outcome.
   */
  integrityCheck?: 'open' | 'background';
}

interface EventRow {
  position: number;
  stream: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
}

/** {@link EventRow}'s columns in order, as the statements in raw mode return them. */
type RawEventRow = [
  position: number,
  stream: string,
  revision: number,
  event_id: string,
  type: string,
  data: string,
  metadata: string,
];

const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');
const SYNCHRONOUS_MODES = new Set(['FULL', 'NORMAL', 'OFF']);

/**
 * In-process append signal shared by every store instance of this process, keyed by file, so that a
 * subscription wakes immediately on an append made through any instance on the same file. Appends from
 * other processes are picked up by the subscriptions' poll timer instead.
 */
const appendSignals = new EventEmitter().setMaxListeners(0);

/**
 * Event store in one SQLite file (`<dataDir>/events.sqlite`, WAL mode) through better-sqlite3.
 *
 * Concurrency is enforced by the database: appends run in `BEGIN IMMEDIATE` transactions (one writer at
 * a time across processes) that check the stream's last revision and insert under
 * `UNIQUE(stream, revision)`. The appends of one event-loop turn share one transaction and one fsync,
 * each in a savepoint of its own, and each is acknowledged only after that COMMIT (group-commit.ts).
 * Positions are the `INTEGER PRIMARY KEY AUTOINCREMENT` of the row, so they follow commit order and are
 * never reused.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  private readonly subscriptions = new Set<CursorSubscription>();
  private readonly onAppendSignal = (file: string): void => {
    if (file === this.file) for (const subscription of this.subscriptions) subscription.notify();
  };
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** The append path: appends of one event-loop turn share one transaction (group-commit.ts). */
  private readonly appender: GroupCommitter;
  private closed = false;
  /**
   * Settles once the file has passed `PRAGMA quick_check` (at once when it ran in open(), or for a new
   * file); rejects with {@link StoreCorruptError} when the background check found damage.
   */
  integrity: Promise<void> = Promise.resolve();
  /** Where the integrity check stands: `checking` only while a background check runs. */
  integrityState: 'checking' | 'ok' | 'failed' = 'ok';

  private constructor(
    private readonly db: Database.Database,
    /** Absolute path of the database file. */
    readonly file: string,
    private readonly pollIntervalMs: number,
  ) {
    this.statements = prepareStatements(db);
    this.appender = new GroupCommitter(db, this.statements, {
      mapError: (error, stream, batch, expected) => this.mapAppendError(error, stream, batch, expected),
      committed: () => appendSignals.emit('append', this.file),
      hasSubscribers: () => this.subscriptions.size > 0,
    });
    appendSignals.on('append', this.onAppendSignal);
  }

  /**
   * Opens (or initialises) the store. Throws {@link StoreCorruptError} when the file is not a SQLite
   * database, belongs to something else, or fails `PRAGMA quick_check`; {@link StoreUnavailableError} when
   * it cannot be opened at all.
   */
  static open(options: SqliteEventStoreOptions): SqliteEventStore {
    const synchronous = options.synchronous ?? 'FULL';
    // Interpolated into a PRAGMA below, so only the documented values may pass.
    if (!SYNCHRONOUS_MODES.has(synchronous))
      throw new RangeError(`Invalid sqlite synchronous mode ${String(synchronous)}`);
    const dir = resolve(options.dataDir);
    const file = join(dir, SQLITE_FILE_NAME);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new StoreUnavailableError(
        `Cannot create event-store directory ${dir}: ${messageOf(error)}`,
        error,
      );
    }
    assertSqliteHeader(file);

    let db: Database.Database;
    try {
      db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
    } catch (error) {
      throw mapSqliteError(error, file, 'open');
    }
    try {
      const background = options.integrityCheck === 'background';
      const needsInit = inspectExisting(db, file, !background);
      // WAL is switched on only once the file is known to be ours (or new): never rewrite a foreign file.
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal')
        throw new StoreUnavailableError(`Cannot enable WAL on ${file} (journal_mode is ${String(mode)})`);
      db.pragma(`synchronous = ${synchronous}`);
      if (needsInit) initialise(db, file);
      const store = new SqliteEventStore(db, file, options.pollIntervalMs ?? 200);
      if (background && !needsInit) store.checkInBackground();
      return store;
    } catch (error) {
      db.close();
      throw error instanceof StoreCorruptError || error instanceof StoreUnavailableError
        ? error
        : mapSqliteError(error, file, 'open');
    }
  }

  async append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.assertOpen();
    validateExpectedRevision(expected);
    const batch = normalizeNewEvents(stream, events);
    const seen = new Set<string>();
    for (const event of batch) {
      if (seen.has(event.eventId)) throw new DuplicateEventIdError(stream, event.eventId);
      seen.add(event.eventId);
    }
    // While a background check runs, wait for it; once it found damage, fail with its error.
    if (this.integrityState !== 'ok') {
      await this.integrity;
      this.assertOpen();
    }
    // Settles once the transaction it shares with the other appends of this turn has committed.
    return this.appender.append(stream, batch, expected);
  }

  async readStream(stream: string, fromRevision = 0, limit?: number): Promise<StoredEvent[]> {
    this.assertOpen();
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
      throw new RangeError(`readStream: limit must be a positive integer, got ${limit}`);
    // SQLite reads LIMIT -1 as no limit.
    return this.query(() => this.statements.readStream.all(stream, fromRevision, limit ?? -1)).map((row) =>
      this.toStoredEvent(
        row.position,
        row.stream,
        row.revision,
        row.event_id,
        row.type,
        row.data,
        row.metadata,
      ),
    );
  }

  async readStreamData(
    stream: string,
    fromRevision: number,
    limit: number,
    exceptTypes: readonly string[] = [],
  ): Promise<StoredEventData[]> {
    this.assertOpen();
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`readStreamData: limit must be a positive integer, got ${limit}`);
    const except = JSON.stringify(exceptTypes);
    return this.query(() => this.statements.readStreamData.all(stream, fromRevision, except, limit)).map(
      (row) => {
        let data: unknown;
        try {
          data = JSON.parse(row.data);
        } catch (error) {
          throw new StoreCorruptError(
            `Event at position ${row.position} in ${this.file} holds invalid JSON: ${messageOf(error)}`,
          );
        }
        return {
          eventId: row.event_id,
          stream: row.stream,
          revision: row.revision,
          position: formatSequencePosition(row.position),
          type: row.type,
          data: data as Record<string, unknown>,
        };
      },
    );
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    return this.readAfter(options.after ?? null, options.limit ?? 1000);
  }

  subscribeAll(after: string | null, handlers: SubscribeHandlers): Subscription {
    this.assertOpen();
    if (after !== null) parseSequencePosition(after);
    const subscription: CursorSubscription = new CursorSubscription(
      {
        // What this instance just committed is handed over as written, not read back and parsed again.
        readAfter: async (from, limit) =>
          this.closed ? [] : (this.appender.recentAfter(from, limit) ?? this.readAfter(from, limit)),
        head: () => this.headPosition(),
        compare: compareSequencePositions,
      },
      after,
      handlers,
      { pollIntervalMs: this.pollIntervalMs, onEnded: () => this.subscriptions.delete(subscription) },
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<string | null> {
    this.assertOpen();
    const head = this.query(() => this.statements.head.get());
    return head?.position == null ? null : formatSequencePosition(head.position);
  }

  comparePositions(a: string, b: string): number {
    return compareSequencePositions(a, b);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // The worker holds a connection of its own: let it finish (it is not interruptible mid-check).
    if (this.integrityState === 'checking') await this.integrity.catch(() => undefined);
    if (this.closed) return;
    // Appends queued before close are written (and acknowledged) first.
    this.appender.flush();
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.closed = true;
    this.appender.flush();
    appendSignals.off('append', this.onAppendSignal);
    this.db.close();
  }

  /** Starts `PRAGMA quick_check` in a worker thread (integrityCheck: 'background'). */
  private checkInBackground(): void {
    this.integrityState = 'checking';
    const pending = quickCheckInWorker(this.file).then((outcome) => {
      const failure =
        'problems' in outcome
          ? quickCheckFailure(this.file, outcome.problems)
          : integrityCheckError(this.file, outcome.error);
      this.integrityState = failure ? 'failed' : 'ok';
      if (failure) throw failure;
    });
    this.integrity = pending;
    // Callers that never ask are not an unhandled rejection; appends still see the failure.
    pending.catch(() => undefined);
  }

  private mapAppendError(
    error: unknown,
    stream: string,
    batch: NormalizedEvent[],
    expected: ExpectedRevision,
  ): Error {
    if (error instanceof ConcurrencyError) return error;
    if (isSqliteError(error) && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
      if (error.message.includes('events.event_id')) {
        const taken = batch.find((event) => this.statements.eventIdExists.get(event.eventId) !== undefined);
        return new DuplicateEventIdError(
          stream,
          taken?.eventId ?? batch.map((event) => event.eventId).join(', '),
        );
      }
      if (error.message.includes('events.stream')) {
        // Only reachable if a writer bypassed the IMMEDIATE transaction; the constraint still holds the line.
        const last = this.statements.lastOfStream.get(stream);
        return new ConcurrencyError(stream, expected, last ? last.revision : 'no_stream');
      }
    }
    return mapSqliteError(error, this.file, 'append');
  }

  async hasPosition(position: string): Promise<boolean> {
    this.assertOpen();
    const at = Number(parseSequencePosition(position));
    return this.query(() => this.statements.hasPosition.get(at)) !== undefined;
  }

  private readAfter(after: string | null, limit: number): StoredEvent[] {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`readAll: limit must be a positive integer, got ${limit}`);
    const from = after === null ? 0 : Number(parseSequencePosition(after));
    const rows = this.query(() => this.statements.readAll.all(from, limit));
    const events = new Array<StoredEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as RawEventRow;
      events[i] = this.toStoredEvent(r[0], r[1], r[2], r[3], r[4], r[5], r[6]);
    }
    return events;
  }

  private query<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw mapSqliteError(error, this.file, 'read');
    }
  }

  /** `data` is parsed now, `metadata` on first use (stored-event.ts); invalid JSON is a StoreCorruptError. */
  private toStoredEvent(
    position: number,
    stream: string,
    revision: number,
    eventId: string,
    type: string,
    data: string,
    metadata: string,
  ): StoredEvent {
    return new SqliteStoredEvent(this, position, stream, revision, eventId, type, data, metadata);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`SqliteEventStore on ${this.file} is closed`);
  }
}

function prepareStatements(db: Database.Database) {
  return {
    lastOfStream: db.prepare<[string], { revision: number; hash: string | null }>(
      `SELECT revision, json_extract(metadata, '$.hash') AS hash FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1`,
    ),
    insert: db.prepare<[string, number, string, string, string, string]>(
      `INSERT INTO events (stream, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    eventIdExists: db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM events WHERE event_id = ?`),
    dataVersion: db.prepare<[], number>(`PRAGMA data_version`).pluck(),
    readStream: db.prepare<[string, number, number], EventRow>(
      `SELECT position, stream, revision, event_id, type, data, metadata FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
    ),
    readStreamData: db.prepare<[string, number, string, number], Omit<EventRow, 'metadata'>>(
      `SELECT position, stream, revision, event_id, type, data FROM events WHERE stream = ? AND revision >= ? AND type NOT IN (SELECT value FROM json_each(?)) ORDER BY revision LIMIT ?`,
    ),
    hasPosition: db.prepare<[number], { one: number }>(`SELECT 1 AS one FROM events WHERE position = ?`),
    // Rows as arrays (RawEventRow): a replay reads millions, and no object per row is built only to be read once.
    readAll: db
      .prepare<[number, number], RawEventRow>(
        `SELECT position, stream, revision, event_id, type, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      )
      .raw(true),
    head: db.prepare<[], { position: number | null }>(`SELECT MAX(position) AS position FROM events`),
  };
}

/** Cheap first check with a clear message: SQLite itself only says "file is not a database". */
function assertSqliteHeader(file: string): void {
  if (!existsSync(file) || statSync(file).size === 0) return;
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.equals(SQLITE_HEADER)) {
    throw new StoreCorruptError(
      `Event store file ${file} is not a SQLite database (bad header); refusing to start. Move it away or point dataDir elsewhere.`,
    );
  }
}

/**
 * Checks an opened file without modifying it. Returns true when it is empty and must be initialised,
 * false when it is one of ours; throws {@link StoreCorruptError} otherwise.
 */
function inspectExisting(db: Database.Database, file: string, quickCheck: boolean): boolean {
  if (quickCheck) {
    const check = db.pragma('quick_check') as Array<{ quick_check: string }>;
    const failure = quickCheckFailure(
      file,
      check.map((row) => row.quick_check).filter((result) => result !== 'ok'),
    );
    if (failure) throw failure;
  }
  const applicationId = db.pragma('application_id', { simple: true });
  const tables = db
    .prepare<[], { name: string }>(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
    )
    .all()
    .map((row) => row.name);
  if (applicationId === 0 && tables.length === 0) return true;
  if (applicationId !== SQLITE_APPLICATION_ID) {
    throw new StoreCorruptError(
      `Event store file ${file} is a SQLite database that does not belong to this application ` +
        `(application_id ${String(applicationId)}, tables: ${tables.join(', ') || 'none'}); refusing to start.`,
    );
  }
  assertMarker(db, file, tables);
  return false;
}

function quickCheckFailure(file: string, problems: string[]): StoreCorruptError | null {
  if (problems.length === 0) return null;
  return new StoreCorruptError(
    `Event store file ${file} is damaged (PRAGMA quick_check: ${problems.slice(0, 3).join('; ')})`,
  );
}

/** The worker's error as the open path would have reported it; a check that could not run is no pass. */
function integrityCheckError(file: string, error: { message: string; code: string | undefined }): Error {
  const mapped = error.code?.startsWith('SQLITE_')
    ? mapSqliteError(
        Object.assign(new Error(error.message), { name: 'SqliteError', code: error.code }),
        file,
        'integrity check',
      )
    : null;
  if (mapped instanceof StoreCorruptError || mapped instanceof StoreUnavailableError) return mapped;
  return new StoreUnavailableError(`PRAGMA quick_check of ${file} could not run: ${error.message}`, error);
}

function assertMarker(db: Database.Database, file: string, tables: string[]): void {
  if (!tables.includes('meta') || !tables.includes('events')) {
    throw new StoreCorruptError(
      `Event store file ${file} carries our application id but lacks the meta/events tables`,
    );
  }
  const rows = db.prepare<[], { key: string; value: string }>(`SELECT key, value FROM meta`).all();
  const meta = new Map(rows.map((row) => [row.key, row.value]));
  if (meta.get('format') !== SQLITE_FORMAT) {
    throw new StoreCorruptError(
      `Event store file ${file} has an unexpected format marker ${JSON.stringify(meta.get('format'))}`,
    );
  }
  if (meta.get('version') !== String(SQLITE_FORMAT_VERSION)) {
    throw new StoreCorruptError(
      `Event store file ${file} has format version ${String(meta.get('version'))}; this build reads version ${SQLITE_FORMAT_VERSION}`,
    );
  }
}

function initialise(db: Database.Database, file: string): void {
  db.transaction(() => {
    // Another process may have initialised the file while we were inspecting it.
    const tables = db
      .prepare<[], { name: string }>(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
      )
      .all()
      .map((row) => row.name);
    if (tables.length > 0) {
      if (db.pragma('application_id', { simple: true }) !== SQLITE_APPLICATION_ID) {
        throw new StoreCorruptError(`Event store file ${file} was filled by something else while opening`);
      }
      assertMarker(db, file, tables);
      return;
    }
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE events (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        stream   TEXT    NOT NULL,
        revision INTEGER NOT NULL CHECK (revision >= 0),
        event_id TEXT    NOT NULL UNIQUE,
        type     TEXT    NOT NULL,
        data     TEXT    NOT NULL,
        metadata TEXT    NOT NULL,
        UNIQUE (stream, revision)
      );
    `);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('format', ?), ('version', ?)`).run(
      SQLITE_FORMAT,
      String(SQLITE_FORMAT_VERSION),
    );
    db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
  }).immediate();
}

/**
 * Duck-typed on purpose: the native addon keeps the SqliteError class of the first module instance that
 * loaded it, so with several module registries in one process (jest workers, bundlers) `instanceof`
 * against this instance's class fails for genuine SQLite errors.
 */
function isSqliteError(error: unknown): error is Error & { code: string } {
  if (error instanceof Database.SqliteError) return true;
  // Not `instanceof Error` either: under a test runner's VM contexts the addon's Error is another realm's.
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'SqliteError' &&
    typeof (error as { code?: unknown }).code === 'string' &&
    (error as unknown as { code: string }).code.startsWith('SQLITE_')
  );
}

function mapSqliteError(error: unknown, file: string, operation: string): Error {
  if (!isSqliteError(error)) return error instanceof Error ? error : new Error(String(error));
  const code = error.code;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreCorruptError(
      `Event store file ${file} is damaged or not a database (${code}: ${error.message})`,
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreUnavailableError(
      `Event store file ${file} stayed locked by another connection during ${operation} (${code})`,
      error,
    );
  }
  if (
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_FULL' ||
    code === 'SQLITE_PERM'
  ) {
    return new StoreUnavailableError(
      `Event store file ${file} is not usable for ${operation} (${code}: ${error.message})`,
      error,
    );
  }
  return error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
