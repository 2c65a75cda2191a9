/**
 * Group commit for the SQLite adapter: the appends that arrive during one turn of the event loop are
 * written in ONE `BEGIN IMMEDIATE … COMMIT`, so they share one fsync (with `synchronous=FULL`) and one
 * write of the WAL pages they have in common.
 *
 * - Every append keeps its own semantics. It runs in its own SAVEPOINT inside the group's transaction:
 *   its expected revision is checked against the stream as the earlier appends of the group left it, and
 *   a failure (wrong expected revision, a duplicate event id) rolls back that append alone; the others
 *   commit.
 * - Acknowledged means durable: every caller's promise settles only after the shared COMMIT has
 *   returned, that is after SQLite has synced the WAL (FULL). If the process dies before, none of the
 *   group was acknowledged, and none of it is visible to anyone: the whole transaction runs
 *   synchronously, readers of this connection never see it half done, and other connections see it only
 *   once committed.
 * - If the transaction as a whole fails (the write lock stays busy, the disk is full, COMMIT fails),
 *   every append of the group fails with that error and nothing of it is stored.
 *
 * Two caches spare each append a read of the stream's last event and each live subscription a read-back
 * of the events this instance just wrote. Both are exact: they hold only what this connection committed,
 * and they are dropped as soon as `PRAGMA data_version` shows that another connection (another process,
 * or another store instance on the same file) committed something. `UNIQUE(stream, revision)` still
 * guards every insert, whatever any cache says.
 */
import type Database from 'better-sqlite3';
import { chainMetadata, GENESIS_HASH } from '../hash-chain';
import {
  assertExpectedRevision,
  formatSequencePosition,
  parseSequencePosition,
  type NormalizedEvent,
} from '../positions';
import { type AppendResult, type ExpectedRevision, type StoredEvent } from '../port';

/** The statements the append path runs (read at call time: tests may stand in for one). */
export interface AppendStatements {
  lastOfStream: { get(stream: string): { revision: number; hash: string | null } | undefined };
  insert: {
    run(
      stream: string,
      revision: number,
      eventId: string,
      type: string,
      data: string,
      metadata: string,
    ): Database.RunResult;
  };
  /** `PRAGMA data_version`, plucked: changes when another connection commits. */
  dataVersion: { get(): unknown };
}

export interface GroupCommitHooks {
  /** Turns an append's failure into the error its caller sees (runs after the group has settled). */
  mapError(error: unknown, stream: string, batch: NormalizedEvent[], expected: ExpectedRevision): Error;
  /** Called once per group in which at least one append committed. */
  committed(): void;
  /** Whether anything reads events back live (only then are the committed events kept for it). */
  hasSubscribers(): boolean;
}

/** The last revision and hash of a stream. */
interface Tip {
  revision: number;
  hash: string;
}

interface Pending {
  stream: string;
  batch: NormalizedEvent[];
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: Error) => void;
}

type Outcome = { ok: true; events: StoredEvent[] } | { ok: false; error: unknown };

/** Streams whose tip is kept; beyond that the cache starts over (a read per stream refills it). */
const MAX_TIPS = 10_000;
/** Committed events kept for live subscriptions; when exceeded, the older half is dropped. */
const MAX_RECENT = 4096;

export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Committed tips of the streams this connection appended to or read. */
  private readonly tips = new Map<string, Tip>();
  /** Events this connection committed, in position order, and their positions as numbers. */
  private recent: StoredEvent[] = [];
  private recentPositions: number[] = [];
  /** `PRAGMA data_version` when the caches were last known to be complete. */
  private dataVersion: unknown = undefined;
  private readonly appendOne: Database.Transaction<
    (pending: Pending, tentative: Map<string, Tip>) => StoredEvent[]
  >;
  private readonly appendGroup: Database.Transaction<(group: Pending[]) => GroupResult>;

  constructor(
    private readonly db: Database.Database,
    private readonly statements: AppendStatements,
    private readonly hooks: GroupCommitHooks,
  ) {
    // Called inside appendGroup's transaction, better-sqlite3 runs this one as a SAVEPOINT.
    this.appendOne = db.transaction((pending: Pending, tentative: Map<string, Tip>) =>
      this.write(pending, tentative),
    );
    this.appendGroup = db.transaction((group: Pending[]) => this.writeGroup(group));
  }

  /** Queues an append for the next group; settles once the group's COMMIT has returned. */
  append(stream: string, batch: NormalizedEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ stream, batch, expected, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: every request that arrived with them is in the group.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Writes whatever is queued now (the store calls it before closing). */
  flush(): void {
    this.scheduled = false;
    const group = this.queue;
    if (group.length === 0) return;
    this.queue = [];
    let result: GroupResult;
    try {
      result = this.appendGroup.immediate(group);
    } catch (error) {
      // Nothing of the group is stored (better-sqlite3 rolled back, or SQLite already had).
      this.forget();
      for (const pending of group) this.settleFailure(pending, error);
      return;
    }
    const { outcomes, tentative } = result;
    for (const [stream, tip] of tentative) this.tips.set(stream, tip);
    if (this.tips.size > MAX_TIPS) this.tips.clear();
    let any = false;
    const keep = this.hooks.hasSubscribers();
    for (const outcome of outcomes) {
      if (!outcome.ok) continue;
      any = true;
      if (keep) for (const event of outcome.events) this.remember(event);
    }
    if (!keep) this.dropRecent();
    if (any) this.hooks.committed();
    for (let i = 0; i < group.length; i++) {
      const pending = group[i] as Pending;
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) pending.resolve(resultOf(outcome.events));
      else this.settleFailure(pending, outcome.error);
    }
  }

  /**
   * Events committed by this connection strictly after `after`, at most `limit`, when they are known to be
   * everything the store holds there: the kept events run without a gap from `after` to the newest one
   * kept, and no other connection has committed since. Otherwise undefined (read the table).
   */
  recentAfter(after: string | null, limit: number): StoredEvent[] | undefined {
    if (after === null || this.recent.length === 0) return undefined;
    if (this.statements.dataVersion.get() !== this.dataVersion) {
      this.forget();
      return undefined;
    }
    const from = Number(parseSequencePosition(after)) + 1;
    const positions = this.recentPositions;
    const first = positions[0] as number;
    const last = positions[positions.length - 1] as number;
    if (from < first || from > last) return undefined;
    let i = from - first;
    // Positions are ascending and distinct; a gap (another writer's event) puts `from` earlier.
    if (i >= positions.length || positions[i] !== from) i = lowerBound(positions, from);
    if (positions[i] !== from) return undefined;
    // Ascending distinct integers: no gap from `from` to `last` exactly when they span as many slots.
    // (A gap would be another writer's event, which is not here.)
    if (last - from !== positions.length - 1 - i) return undefined;
    return this.recent.slice(i, Math.min(positions.length, i + limit));
  }

  private writeGroup(group: Pending[]): GroupResult {
    const version = this.statements.dataVersion.get();
    if (version !== this.dataVersion) {
      // Another connection committed since: what this one remembers may be stale.
      this.forget();
      this.dataVersion = version;
    }
    const tentative = new Map<string, Tip>();
    const outcomes: Outcome[] = [];
    for (const pending of group) {
      try {
        outcomes.push({ ok: true, events: this.appendOne(pending, tentative) });
      } catch (error) {
        // SQLite rolls a whole transaction back on some errors (SQLITE_FULL, IOERR, BUSY…): then the
        // appends before this one are gone too, and the next ones would run outside any transaction.
        if (!this.db.inTransaction) throw error;
        // Its savepoint is rolled back. Whatever the reason, the stream's tip is read again (inside this
        // transaction it includes the group's earlier appends to it).
        tentative.delete(pending.stream);
        this.tips.delete(pending.stream);
        outcomes.push({ ok: false, error });
      }
    }
    return { outcomes, tentative };
  }

  /** Runs inside the group's transaction, in a savepoint of its own. */
  private write(pending: Pending, tentative: Map<string, Tip>): StoredEvent[] {
    const { stream, batch, expected } = pending;
    let tip = tentative.get(stream) ?? this.tips.get(stream);
    if (tip === undefined) {
      const last = this.statements.lastOfStream.get(stream);
      if (last) {
        tip = { revision: last.revision, hash: last.hash ?? GENESIS_HASH };
        tentative.set(stream, tip);
      }
    }
    assertExpectedRevision(stream, expected, tip ? tip.revision : 'no_stream');
    let prevHash = tip ? tip.hash : GENESIS_HASH;
    let revision = tip ? tip.revision : -1;
    const stored: StoredEvent[] = [];
    for (const event of batch) {
      revision += 1;
      const metadata = chainMetadata(prevHash, stream, revision, event.type, event.data, event.metadata);
      prevHash = metadata.hash as string;
      const result = this.statements.insert.run(
        stream,
        revision,
        event.eventId,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(metadata),
      );
      stored.push({
        eventId: event.eventId,
        stream,
        revision,
        position: formatSequencePosition(result.lastInsertRowid),
        type: event.type,
        data: event.data,
        metadata,
      });
    }
    tentative.set(stream, { revision, hash: prevHash });
    return stored;
  }

  private settleFailure(pending: Pending, error: unknown): void {
    let mapped: Error;
    try {
      mapped = this.hooks.mapError(error, pending.stream, pending.batch, pending.expected);
    } catch (mappingError) {
      mapped = mappingError instanceof Error ? mappingError : new Error(String(mappingError));
    }
    this.tips.delete(pending.stream);
    pending.reject(mapped);
  }

  private remember(event: StoredEvent): void {
    this.recent.push(event);
    this.recentPositions.push(Number(event.position));
    if (this.recent.length > MAX_RECENT) {
      const drop = this.recent.length - MAX_RECENT / 2;
      this.recent = this.recent.slice(drop);
      this.recentPositions = this.recentPositions.slice(drop);
    }
  }

  private dropRecent(): void {
    if (this.recent.length === 0) return;
    this.recent = [];
    this.recentPositions = [];
  }

  private forget(): void {
    this.tips.clear();
    this.dropRecent();
    this.dataVersion = undefined;
  }
}

interface GroupResult {
  outcomes: Outcome[];
  /** Tips as the group's committed appends leave them (and as read inside its transaction). */
  tentative: Map<string, Tip>;
}

function resultOf(stored: StoredEvent[]): AppendResult {
  const last = stored[stored.length - 1];
  if (!last) throw new Error('unreachable: a normalised batch is never empty');
  const first = stored[0] ?? last;
  // AUTOINCREMENT positions only grow, so nothing can sit between first-1 and first.
  const before = BigInt(first.position) - 1n;
  return {
    nextExpectedRevision: last.revision,
    position: last.position,
    events: stored,
    precedingPosition: before > 0n ? before.toString() : null,
  };
}

/** Index of the first element ≥ `value` in an ascending array. */
function lowerBound(values: number[], value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
