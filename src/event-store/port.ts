/**
 * The event-store port. Every adapter (memory, SQLite, EventStoreDB) implements it and passes the same
 * contract suite (test/int/event-store.contract.ts).
 *
 * Positions are opaque strings, totally ordered within one store; compare them only with
 * {@link EventStore.comparePositions}. Revisions are 0-based per stream (the first event has revision 0).
 */

/** Expected state of a stream for an append. A number is the revision of the stream's last event. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

/** Metadata recorded with every event (DESIGN.md "Events are data"). */
export interface EventMetadata {
  /** Principal on whose behalf the command ran: `user:<id>`, `sa:<id>` or `system`. */
  actor: string;
  correlationId: string;
  /** Event id of the event that caused this one (cascades), or the command id for direct effects. */
  causationId?: string | null;
  commandId?: string;
  commandName?: string;
  /** `<client>:<Idempotency-Key>` when the request carried one. */
  idempotencyKey?: string;
  /** Hash of the command name + body, to detect a key reused with another body. */
  requestHash?: string;
  occurredAt: string;
  /** Version of the `data` shape (upcasters key off it). */
  schemaVersion: number;
  /** Hash chain link (tamper evidence), filled by adapters that support it. */
  [extra: string]: unknown;
}

export interface NewEvent {
  /** Optional client-chosen id (uuid); adapters that deduplicate by id (EventStoreDB) use it. */
  eventId?: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export interface StoredEvent {
  eventId: string;
  stream: string;
  revision: number;
  position: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

/**
 * The metadata fields the projections read from every event: provenance cites who and when, and the
 * read model keeps the answer of a command that carried an idempotency key. Read them with
 * {@link metadataSummaryOf}, which lets an adapter that keeps the metadata as text hand them over
 * without parsing the rest.
 */
export type MetadataSummary = Pick<
  EventMetadata,
  'actor' | 'occurredAt' | 'idempotencyKey' | 'requestHash' | 'commandId'
>;

/**
 * An adapter's events may carry a method under this key returning their {@link MetadataSummary} (the
 * SQLite adapter parses `metadata` lazily). It lives on the prototype, so it is no part of the event's
 * own properties.
 */
export const METADATA_SUMMARY: unique symbol = Symbol('metadataSummary');

/**
 * The fields of `e.metadata` a projection reads on every event, without making an adapter parse the
 * whole metadata when it can avoid it; every other event answers with its `metadata` itself.
 */
export function metadataSummaryOf(e: StoredEvent): MetadataSummary {
  const summary = (e as { [METADATA_SUMMARY]?: () => MetadataSummary })[METADATA_SUMMARY];
  return summary === undefined ? e.metadata : summary.call(e);
}

/** A stored event without its metadata (see {@link EventStore.readStreamData}). */
export type StoredEventData = Omit<StoredEvent, 'metadata'>;

export interface AppendResult {
  /** Revision of the stream's last event after the append. */
  nextExpectedRevision: number;
  /** Position of the last appended event. */
  position: string;
  events: StoredEvent[];
  /**
   * The position immediately before the batch's first event in this store's order (null when the batch
   * opens the store): no event lies strictly between it and the batch. Adapters that know it set it, so
   * the appending instance can apply its own events at once when its read model stands exactly there.
   */
  precedingPosition?: string | null;
}

export interface ReadAllOptions {
  /** Exclusive lower bound; `null`/absent reads from the first event. */
  after?: string | null;
  /** Maximum number of events to return (default 1000). */
  limit?: number;
}

export interface Subscription {
  /** Stops delivery; resolves once no handler call is in flight. */
  close(): Promise<void>;
}

export interface SubscribeHandlers {
  /** Called once per event, in position order, never concurrently. A rejection stops the subscription. */
  onEvent(event: StoredEvent): void | Promise<void>;
  /** Called after the backlog existing at subscribe time has been delivered (then live events follow). */
  onCaughtUp?(): void;
  onError?(error: Error): void;
}

export interface EventStore {
  readonly kind: 'memory' | 'sqlite' | 'esdb';
  /**
   * Adapters that check their storage in the background (SQLite, `PRAGMA quick_check`): where that
   * check stands, and a promise of its verdict (rejects with {@link StoreCorruptError} on damage).
   * Absent on adapters with nothing to check.
   */
  readonly integrityState?: 'checking' | 'ok' | 'failed';
  readonly integrity?: Promise<void>;
  /** Appends atomically (all or nothing). Throws {@link ConcurrencyError} when `expected` does not hold. */
  append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /**
   * Events of one stream in revision order from `fromRevision` (default 0), at most `limit` of them
   * (default: all); an unknown stream reads as empty.
   */
  readStream(stream: string, fromRevision?: number, limit?: number): Promise<StoredEvent[]>;
  /**
   * {@link readStream} without the events' metadata, and without the events of `exceptTypes`: a replay
   * that folds only `data`, and only some of it (time travel about one org's projects: no runs), reads
   * and parses a fraction of the bytes. `limit` counts the events returned. Optional: callers fall back
   * to readStream.
   */
  readStreamData?(
    stream: string,
    fromRevision: number,
    limit: number,
    exceptTypes?: readonly string[],
  ): Promise<StoredEventData[]>;
  /**
   * True when an event of the store has exactly this position (time travel answers only at positions
   * of events). Throws a RangeError for a token that is not a position of this store. Optional: callers
   * fall back to reading forward with readAll.
   */
  hasPosition?(position: string): Promise<boolean>;
  /** Events of every stream in position order, after `after`, at most `limit`. */
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  /** Catch-up subscription to all streams from a position (exclusive), then live. */
  subscribeAll(after: string | null, handlers: SubscribeHandlers): Subscription;
  /** Position of the newest event in the store, or null when empty. */
  headPosition(): Promise<string | null>;
  /** Negative, zero or positive like a comparator. */
  comparePositions(a: string, b: string): number;
  close(): Promise<void>;
}

export class ConcurrencyError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(
      `Wrong expected revision on stream ${stream}: expected ${String(expected)}, actual ${String(actual)}`,
    );
    this.name = 'ConcurrencyError';
  }
}

/** The store cannot be reached (EventStoreDB down, disk gone). */
export class StoreUnavailableError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** The store's files are not ours or are damaged: refuse to start rather than serve an empty store. */
export class StoreCorruptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreCorruptError';
  }
}

export const EVENT_STORE = Symbol('EVENT_STORE');

/**
 * An append carried an event id that is already stored (or repeated within the batch). Raised by the
 * adapters that keep event ids unique (memory, SQLite); EventStoreDB deduplicates such retries instead.
 */
export class DuplicateEventIdError extends Error {
  constructor(
    readonly stream: string,
    readonly eventId: string,
  ) {
    super(`Event id ${eventId} already exists in the event store (append to stream ${stream} rejected)`);
    this.name = 'DuplicateEventIdError';
  }
}
