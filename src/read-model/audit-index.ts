import type { EventStore, StoredEvent } from '../event-store/port';
import { WANDB_AUDIT_ACTIONS, type EventType } from '../domain/events';
import { NotCaughtUpError } from './projection-runner';

/** One audit entry as GET /v1/audit returns it (api.md: position, type, stream, occurredAt, actor, causationId?, correlationId, data). */
export interface AuditEntry {
  position: string;
  type: string;
  stream: string;
  revision: number;
  occurredAt: string;
  actor: string;
  correlationId: string;
  /** The event that caused this one (cascades), or the command id for a command's direct effects. */
  causationId?: string;
  /** For a cascade: the entry its causationId names (access-model.md §4.1: "caused by TeamRoleChanged #123"). */
  causedBy?: { position: string; type: string; eventId: string };
  eventId: string;
  commandName?: string;
  /** The W&B audit action the event maps to (access-model.md §4.4, R137), when it has one. */
  wandbAction?: string;
  data: Record<string, unknown>;
}

/** What the index keeps per event (in {@link Rows}): the StoredEvent's own strings and data, no metadata copy. */
interface Row {
  position: string;
  type: string;
  stream: string;
  revision: number;
  occurredAt: string;
  actor: string;
  correlationId: string;
  causationId: string | undefined;
  eventId: string;
  commandName: string | undefined;
  data: Record<string, unknown>;
}

export interface AuditFilter {
  orgId?: string;
  actor?: string;
  subject?: string;
  resource?: string;
  type?: string;
  /** Inclusive lower bound on occurredAt (RFC 3339). */
  from?: string;
  /** Inclusive upper bound on occurredAt (RFC 3339). */
  to?: string;
  /** Exclusive cursor (a position, the `next` of the previous page) in the direction of traversal. */
  after?: string;
  /** Inclusive upper bound on positions (`consistency=at:<position>`). */
  until?: string;
  limit: number;
  order: 'asc' | 'desc';
}

/** /v1/audit while the index is still being rebuilt after a start from a snapshot: 503 NOT_CAUGHT_UP. */
export class AuditIndexIncompleteError extends NotCaughtUpError {
  constructor(upTo: string | null) {
    super(upTo ?? 'start', null, 0);
    this.message =
      `The audit index of this instance is still being rebuilt from the event store ` +
      `(it started from a snapshot at ${upTo ?? 'the start'}); retry shortly`;
    this.name = 'AuditIndexIncompleteError';
  }
}

const SUBJECT_FIELDS: [string, string][] = [
  ['userId', 'user:'],
  ['founderUserId', 'user:'],
  ['serviceAccountId', 'sa:'],
];
/** Fields that hold a principal string (`user:`/`sa:`/`team:`) as they are. */
const PRINCIPAL_FIELDS = ['principal', 'member', 'creator', 'loggedBy', 'owner'];
/** Events whose `from`/`to` are principals (owner changes) rather than roles or projects. */
const PRINCIPAL_FROM_TO = new Set(['ProjectOwnerChanged', 'RegistryOwnerChanged']);

const RESOURCE_FIELDS: [string, string][] = [
  ['orgId', 'org:'],
  ['teamId', 'team:'],
  ['owningTeamId', 'team:'],
  ['projectId', 'project:'],
  ['runId', 'run:'],
  ['reportId', 'report:'],
  ['registryId', 'registry:'],
  ['serviceAccountId', 'sa:'],
  ['roleId', 'customRole:'],
];
/** Events whose `from`/`to` name resources: a run's two projects, a registry's two owning teams. */
const RESOURCE_FROM_TO: Record<string, string> = { RunMoved: 'project:', RegistryOwningTeamChanged: 'team:' };

/** Who an event affects (users, service accounts, teams as registry members), for the `subject` filter. */
export function subjectsOf(type: string, data: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [f, prefix] of SUBJECT_FIELDS)
    if (typeof data[f] === 'string') out.push(prefix + (data[f] as string));
  for (const f of PRINCIPAL_FIELDS) if (typeof data[f] === 'string') out.push(data[f] as string);
  if (PRINCIPAL_FROM_TO.has(type)) {
    for (const f of ['from', 'to']) if (typeof data[f] === 'string') out.push(data[f] as string);
  }
  return out;
}

/** Resources an event touches, for the `resource` filter. */
export function resourcesOf(type: string, data: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [f, prefix] of RESOURCE_FIELDS)
    if (typeof data[f] === 'string') out.push(prefix + (data[f] as string));
  const prefix = RESOURCE_FROM_TO[type];
  if (prefix)
    for (const f of ['from', 'to']) if (typeof data[f] === 'string') out.push(prefix + (data[f] as string));
  return out;
}

/**
 * A sorted list of row numbers. Most lists are tiny (one run, one report): they start as a plain
 * array and become an Int32Array when they grow, where a typed array's fixed overhead pays off.
 */
export class PostingList {
  private items: number[] | Int32Array;
  length: number;

  /** `rows` (sorted) becomes the list's storage. */
  constructor(rows: number[] = []) {
    this.items = rows;
    this.length = rows.length;
  }

  push(row: number): void {
    let items = this.items;
    if (Array.isArray(items)) {
      if (items.length < 32) {
        items.push(row);
        this.length += 1;
        return;
      }
      const typed = new Int32Array(128);
      typed.set(items);
      this.items = items = typed;
    } else if (this.length === items.length) {
      const grown = new Int32Array(items.length * 2);
      grown.set(items);
      this.items = items = grown;
    }
    items[this.length++] = row;
  }

  at(i: number): number {
    return this.items[i] as number;
  }

  /** Smallest index ≥ `from` whose row is ≥ `target` (galloping: cheap when the answer is near). */
  seekGE(from: number, target: number): number {
    const n = this.length;
    if (from >= n || this.at(from) >= target) return from;
    let lo = from;
    let step = 1;
    while (lo + step < n && this.at(lo + step) < target) {
      lo += step;
      step *= 2;
    }
    let hi = Math.min(lo + step, n);
    // Invariant: at(lo) < target, and hi === n or at(hi) ≥ target.
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid) < target) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  /** Largest index ≤ `from` whose row is ≤ `target`, or -1. */
  seekLE(from: number, target: number): number {
    if (from < 0 || this.at(from) <= target) return from;
    let hi = from;
    let step = 1;
    while (hi - step >= 0 && this.at(hi - step) > target) {
      hi -= step;
      step *= 2;
    }
    let lo = Math.max(hi - step, -1);
    // Invariant: at(hi) > target, and lo === -1 or at(lo) ≤ target.
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid) > target) hi = mid;
      else lo = mid;
    }
    return lo;
  }
}

class GrowableFloat64 {
  private items = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.items.length) {
      const grown = new Float64Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.length++] = v;
  }

  at(i: number): number {
    return this.items[i] as number;
  }
}

class GrowableInt32 {
  private items = new Int32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.items.length) {
      const grown = new Int32Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.length++] = v;
  }

  at(i: number): number {
    return this.items[i] as number;
  }
}

/**
 * The rows, column by column: about half the memory of one object per event at a million events.
 * Strings come from the StoredEvent (not copied); the few distinct types, streams, actors and command
 * names are stored once and referenced by number; a command's events share one correlation id,
 * causation id and time string.
 */
class Rows {
  private readonly position: string[] = [];
  private readonly eventId: string[] = [];
  private readonly occurredAt: string[] = [];
  private readonly correlationId: string[] = [];
  private readonly causationId: (string | undefined)[] = [];
  private readonly data: Record<string, unknown>[] = [];
  private readonly revision = new GrowableInt32();
  /** Per row: type, stream, actor, command name (-1: none), as indexes into `strings`. */
  private readonly codes = new GrowableInt32();
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  length = 0;

  private code(s: string | undefined): number {
    if (s === undefined) return -1;
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.push(s) - 1;
      this.stringIds.set(s, id);
    }
    return id;
  }

  private str(code: number): string {
    return this.strings[code] as string;
  }

  push(r: Row): number {
    const i = this.length;
    const same = <T extends string | undefined>(column: T[], v: T): T =>
      i > 0 && column[i - 1] === v ? (column[i - 1] as T) : v;
    this.position.push(r.position);
    this.eventId.push(r.eventId);
    this.occurredAt.push(same(this.occurredAt, r.occurredAt));
    this.correlationId.push(same(this.correlationId, r.correlationId));
    this.causationId.push(same(this.causationId, r.causationId));
    this.data.push(r.data);
    this.revision.push(r.revision);
    this.codes.push(this.code(r.type));
    this.codes.push(this.code(r.stream));
    this.codes.push(this.code(r.actor));
    this.codes.push(this.code(r.commandName));
    return (this.length = i + 1) - 1;
  }

  positionAt(i: number): string {
    return this.position[i] as string;
  }

  get(i: number): Row {
    const command = this.codes.at(i * 4 + 3);
    return {
      position: this.position[i] as string,
      type: this.str(this.codes.at(i * 4)),
      stream: this.str(this.codes.at(i * 4 + 1)),
      revision: this.revision.at(i),
      occurredAt: this.occurredAt[i] as string,
      actor: this.str(this.codes.at(i * 4 + 2)),
      correlationId: this.correlationId[i] as string,
      causationId: this.causationId[i],
      eventId: this.eventId[i] as string,
      commandName: command < 0 ? undefined : this.str(command),
      data: this.data[i] as Record<string, unknown>,
    };
  }
}

/**
 * The audit read model: every event once, in position order, with a posting list of row numbers per
 * filter value (`org:`, `type:`, `actor:`, `subject:`, `resource:`). A filtered page intersects the
 * lists of its filters by leapfrogging (each list seeks, galloping, to the largest candidate so far),
 * so its cost follows the page and the sparsest list, not the log. Positions and, usually, times grow
 * with the row number, so cursors and time bounds are binary searches.
 */
export class AuditIndex {
  private rows = new Rows();
  /** Filter value → its rows: a bare row number while there is one (most runs and reports), then a list. */
  private postings = new Map<string, PostingList | number>();
  private byId = new Map<string, number>();
  /** occurredAt in ms per row (NaN when unparseable), and its running maximum (non-decreasing). */
  private times = new GrowableFloat64();
  private maxTimes = new GrowableFloat64();
  /** Largest amount by which a row's time fell behind the running maximum (clock skew between writers). */
  private maxBackstep = 0;
  private incompleteUpTo: string | null = null;
  private incomplete = false;

  constructor(private readonly comparePositions: (a: string, b: string) => number) {}

  get size(): number {
    return this.rows.length;
  }

  /** False while the events before a start-up snapshot are still being read back ({@link prepend}). */
  get complete(): boolean {
    return !this.incomplete;
  }

  /** Position of the newest entry, or null when empty. */
  get lastPosition(): string | null {
    return this.rows.length === 0 ? null : this.rows.positionAt(this.rows.length - 1);
  }

  /** Marks the index as missing every event up to `position` until {@link prepend} brings them. */
  expectBackfill(position: string): void {
    this.incomplete = true;
    this.incompleteUpTo = position;
  }

  /** Throws {@link AuditIndexIncompleteError} (503) unless complete. */
  assertComplete(): void {
    if (this.incomplete) throw new AuditIndexIncompleteError(this.incompleteUpTo);
  }

  add(e: StoredEvent): void {
    const m = e.metadata;
    this.addRow({
      position: e.position,
      type: e.type,
      stream: e.stream,
      revision: e.revision,
      occurredAt: m.occurredAt,
      actor: typeof m.actor === 'string' ? m.actor : 'unknown',
      correlationId: m.correlationId,
      causationId: typeof m.causationId === 'string' ? m.causationId : undefined,
      eventId: e.eventId,
      commandName: typeof m.commandName === 'string' ? m.commandName : undefined,
      data: e.data,
    });
  }

  private addRow(row: Row): void {
    const idx = this.rows.push(row);
    this.byId.set(row.eventId, idx);
    const t = Date.parse(row.occurredAt);
    const prevMax = idx === 0 ? Number.NEGATIVE_INFINITY : this.maxTimes.at(idx - 1);
    this.times.push(t);
    if (!Number.isNaN(t) && t < prevMax) this.maxBackstep = Math.max(this.maxBackstep, prevMax - t);
    this.maxTimes.push(Number.isNaN(t) ? prevMax : Math.max(prevMax, t));
    const keys = new Set<string>([`type:${row.type}`, `actor:${row.actor}`]);
    if (row.stream.startsWith('org-')) keys.add(`org:${row.stream.slice(4)}`);
    for (const s of subjectsOf(row.type, row.data)) keys.add(`subject:${s}`);
    for (const r of resourcesOf(row.type, row.data)) keys.add(`resource:${r}`);
    for (const k of keys) {
      const list = this.postings.get(k);
      if (list === undefined) this.postings.set(k, idx);
      else if (typeof list === 'number') this.postings.set(k, new PostingList([list, idx]));
      else list.push(idx);
    }
  }

  /**
   * Puts the entries of `older` — every event up to the first one this index holds, read back from
   * the store after a start from a snapshot — in front of this index's, and marks it complete.
   */
  prepend(older: AuditIndex): void {
    const mine = this.rows;
    if (mine.length > 0 && older.rows.length > 0) {
      const last = older.rows.positionAt(older.rows.length - 1);
      const first = mine.positionAt(0);
      if (this.comparePositions(last, first) >= 0) {
        throw new Error(`audit backfill overlaps: it reaches ${last}, the index starts at ${first}`);
      }
    }
    this.rows = older.rows;
    this.postings = older.postings;
    this.byId = older.byId;
    this.times = older.times;
    this.maxTimes = older.maxTimes;
    this.maxBackstep = older.maxBackstep;
    for (let i = 0; i < mine.length; i++) this.addRow(mine.get(i));
    this.incomplete = false;
    this.incompleteUpTo = null;
  }

  /** True when `position` is well-formed for this store (a cursor from elsewhere is a 400, not a 500). */
  isPosition(position: string): boolean {
    try {
      this.comparePositions(position, position);
      return true;
    } catch {
      return false;
    }
  }

  /** True when an entry has exactly this position. */
  hasPosition(position: string): boolean {
    const i = this.firstAbove(position) - 1;
    return i >= 0 && this.comparePositions(this.rows.positionAt(i), position) === 0;
  }

  /** First row for which `beyond(row)` holds, given that it holds for every row after it too. */
  private firstWhere(beyond: (row: number) => boolean): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (beyond(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private firstAbove(position: string): number {
    return this.firstWhere((r) => this.comparePositions(this.rows.positionAt(r), position) > 0);
  }

  private firstAtOrAbove(position: string): number {
    return this.firstWhere((r) => this.comparePositions(this.rows.positionAt(r), position) >= 0);
  }

  query(f: AuditFilter): { entries: AuditEntry[]; next?: string } {
    const lists: PostingList[] = [];
    for (const [value, prefix] of [
      [f.orgId, 'org:'],
      [f.type, 'type:'],
      [f.actor, 'actor:'],
      [f.subject, 'subject:'],
      [f.resource, 'resource:'],
    ] as const) {
      if (value === undefined) continue;
      const list = this.postings.get(prefix + value);
      if (list === undefined) return { entries: [] };
      lists.push(typeof list === 'number' ? new PostingList([list]) : list);
    }
    // Sparsest first: it proposes the fewest candidates.
    lists.sort((a, b) => a.length - b.length);

    // Row range [lo, hi) allowed by the cursor, `until` and the time bounds.
    let lo = 0;
    let hi = this.rows.length;
    if (f.until !== undefined) hi = this.firstAbove(f.until);
    if (f.after !== undefined) {
      if (f.order === 'asc') lo = Math.max(lo, this.firstAbove(f.after));
      else hi = Math.min(hi, this.firstAtOrAbove(f.after));
    }
    const fromMs = f.from === undefined ? undefined : Date.parse(f.from);
    const toMs = f.to === undefined ? undefined : Date.parse(f.to);
    // Rows before the first whose running max reaches `from` are all earlier than `from`; from the first
    // whose running max exceeds `to` by more than any backstep seen on, all are later than `to`.
    if (fromMs !== undefined)
      lo = Math.max(
        lo,
        this.firstWhere((r) => this.maxTimes.at(r) >= fromMs),
      );
    if (toMs !== undefined) {
      const limit = toMs + this.maxBackstep;
      hi = Math.min(
        hi,
        this.firstWhere((r) => this.maxTimes.at(r) > limit),
      );
    }
    const timeOk = (row: number): boolean => {
      if (fromMs === undefined && toMs === undefined) return true;
      const t = this.times.at(row);
      return !(fromMs !== undefined && !(t >= fromMs)) && !(toMs !== undefined && !(t <= toMs));
    };

    const out: AuditEntry[] = [];
    const asc = f.order === 'asc';
    let hasMore = false;
    const visit = (row: number): boolean => {
      if (!timeOk(row)) return true;
      if (out.length === f.limit) {
        hasMore = true;
        return false;
      }
      out.push(this.view(this.rows.get(row)));
      return true;
    };
    if (lo < hi) {
      if (lists.length === 0) {
        if (asc) for (let r = lo; r < hi && visit(r); r++);
        else for (let r = hi - 1; r >= lo && visit(r); r--);
      } else if (asc) this.leapfrogAsc(lists, lo, hi, visit);
      else this.leapfrogDesc(lists, lo, hi, visit);
    }
    const lastOut = out[out.length - 1];
    return hasMore && lastOut ? { entries: out, next: lastOut.position } : { entries: out };
  }

  /** Rows in [lo, hi) present in every list, ascending, until `visit` returns false. */
  private leapfrogAsc(lists: PostingList[], lo: number, hi: number, visit: (row: number) => boolean): void {
    const k = lists.length;
    const ptr = new Array<number>(k).fill(0);
    let cur = lo;
    for (;;) {
      let agreed = 0;
      for (let i = 0; agreed < k; i = (i + 1) % k) {
        const list = lists[i] as PostingList;
        const p = (ptr[i] = list.seekGE(ptr[i] as number, cur));
        if (p >= list.length) return;
        const v = list.at(p);
        if (v >= hi) return;
        if (v === cur) agreed += 1;
        else {
          cur = v;
          agreed = 1;
        }
      }
      if (!visit(cur)) return;
      cur += 1;
    }
  }

  /** Rows in [lo, hi) present in every list, descending, until `visit` returns false. */
  private leapfrogDesc(lists: PostingList[], lo: number, hi: number, visit: (row: number) => boolean): void {
    const k = lists.length;
    const ptr = lists.map((l) => l.length - 1);
    let cur = hi - 1;
    for (;;) {
      let agreed = 0;
      for (let i = 0; agreed < k; i = (i + 1) % k) {
        const list = lists[i] as PostingList;
        const p = (ptr[i] = list.seekLE(ptr[i] as number, cur));
        if (p < 0) return;
        const v = list.at(p);
        if (v < lo) return;
        if (v === cur) agreed += 1;
        else {
          cur = v;
          agreed = 1;
        }
      }
      if (!visit(cur)) return;
      cur -= 1;
    }
  }

  private view(r: Row): AuditEntry {
    const cause = r.causationId === undefined ? undefined : this.byId.get(r.causationId);
    const causeRow = cause === undefined ? undefined : this.rows.get(cause);
    const action = WANDB_AUDIT_ACTIONS[r.type as EventType];
    return {
      position: r.position,
      type: r.type,
      stream: r.stream,
      revision: r.revision,
      occurredAt: r.occurredAt,
      actor: r.actor,
      correlationId: r.correlationId,
      ...(r.causationId !== undefined ? { causationId: r.causationId } : {}),
      ...(causeRow
        ? { causedBy: { position: causeRow.position, type: causeRow.type, eventId: causeRow.eventId } }
        : {}),
      eventId: r.eventId,
      ...(r.commandName !== undefined ? { commandName: r.commandName } : {}),
      ...(action ? { wandbAction: action } : {}),
      data: r.data,
    };
  }

  /** The entry with this event id (cascade → cause links). */
  byEventId(eventId: string): AuditEntry | undefined {
    const i = this.byId.get(eventId);
    return i === undefined ? undefined : this.view(this.rows.get(i));
  }
}

/**
 * After a start from a snapshot the projection feeds the audit index only from the snapshot's
 * position: this reads every event up to that position back from the store (yielding between batches,
 * so requests are served meanwhile) and puts them in front. Retries until it succeeds or is stopped.
 */
export async function backfillAuditIndex(
  store: EventStore,
  audit: AuditIndex,
  upTo: string,
  options: { shouldStop?: () => boolean; onError?: (err: Error) => void; retryMs?: number } = {},
): Promise<boolean> {
  for (;;) {
    try {
      const older = new AuditIndex((a, b) => store.comparePositions(a, b));
      let after: string | null = null;
      let done = false;
      while (!done) {
        if (options.shouldStop?.()) return false;
        const batch = await store.readAll({ after, limit: 2000 });
        if (batch.length === 0) break;
        for (const e of batch) {
          if (store.comparePositions(e.position, upTo) > 0) {
            done = true;
            break;
          }
          older.add(e);
        }
        const lastEvent = batch[batch.length - 1] as StoredEvent;
        after = lastEvent.position;
        if (store.comparePositions(after, upTo) >= 0) done = true;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (options.shouldStop?.()) return false;
      audit.prepend(older);
      return true;
    } catch (err) {
      options.onError?.(err as Error);
      if (options.shouldStop?.()) return false;
      await new Promise<void>((resolve) => setTimeout(resolve, options.retryMs ?? 2000));
    }
  }
}
