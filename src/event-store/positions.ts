/*
 * Helpers shared by the adapters: position tokens, stream revisions (expected-revision checks), append
 * input normalisation, and the cursor-driven catch-up loop used by the memory and SQLite adapters (both
 * expose positions as a dense global sequence).
 */

import { randomUUID } from 'node:crypto';
import { ConcurrencyError } from './port';
import type {
  EventMetadata,
  ExpectedRevision,
  NewEvent,
  StoredEvent,
  SubscribeHandlers,
  Subscription,
} from './port';

/** Formats a global sequence number (1-based) as a position token. */
export function formatSequencePosition(sequence: number | bigint): string {
  return BigInt(sequence).toString(10);
}

/**
 * Parses a sequence position token ("1", "2", …). Throws a RangeError for anything else, so that a
 * token from another adapter (e.g. an EventStoreDB `commit:prepare` pair) is never silently misread.
 */
export function parseSequencePosition(position: string): bigint {
  if (!/^[1-9][0-9]*$/.test(position)) {
    throw new RangeError(
      `Invalid event-store position ${JSON.stringify(position)}: expected a positive decimal integer`,
    );
  }
  return BigInt(position);
}

/** Comparator for sequence position tokens (numeric, not lexicographic: "10" > "9"). */
export function compareSequencePositions(a: string, b: string): number {
  const x = parseSequencePosition(a);
  const y = parseSequencePosition(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A `{commit, prepare}` pair as EventStoreDB reports it (declared here so this file stays client-free). */
export interface LogPosition {
  commit: bigint;
  prepare: bigint;
}

/** Formats an EventStoreDB log position as the opaque token `<commit>:<prepare>`. */
export function formatLogPosition(position: LogPosition): string {
  return `${position.commit.toString(10)}:${position.prepare.toString(10)}`;
}

/** Parses a `<commit>:<prepare>` token; throws a RangeError for anything else. */
export function parseLogPosition(position: string): LogPosition {
  const match = /^([0-9]+):([0-9]+)$/.exec(position);
  if (!match || match[1] === undefined || match[2] === undefined) {
    throw new RangeError(
      `Invalid EventStoreDB position ${JSON.stringify(position)}: expected "<commit>:<prepare>"`,
    );
  }
  return { commit: BigInt(match[1]), prepare: BigInt(match[2]) };
}

/** Orders log positions by commit, then prepare (the order of `$all`). */
export function compareLogPositions(a: string, b: string): number {
  const x = parseLogPosition(a);
  const y = parseLogPosition(b);
  if (x.commit !== y.commit) return x.commit < y.commit ? -1 : 1;
  if (x.prepare !== y.prepare) return x.prepare < y.prepare ? -1 : 1;
  return 0;
}

/** Rejects an expected revision that no adapter could honour (negative, fractional, unknown keyword). */
export function validateExpectedRevision(expected: ExpectedRevision): void {
  if (typeof expected === 'number') {
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw new RangeError(`Invalid expected revision ${expected}: must be a non-negative integer`);
    }
  } else if (expected !== 'any' && expected !== 'no_stream' && expected !== 'stream_exists') {
    throw new RangeError(`Invalid expected revision ${JSON.stringify(expected)}`);
  }
}

/**
 * Throws {@link ConcurrencyError} unless `expected` holds for a stream whose last revision is `actual`.
 * Callers run it where no other writer can interleave (the SQLite write transaction, the memory store's
 * synchronous append).
 */
export function assertExpectedRevision(
  stream: string,
  expected: ExpectedRevision,
  actual: number | 'no_stream',
): void {
  const holds =
    expected === 'any' ||
    (expected === 'no_stream' && actual === 'no_stream') ||
    (expected === 'stream_exists' && actual !== 'no_stream') ||
    (typeof expected === 'number' && expected === actual);
  if (!holds) throw new ConcurrencyError(stream, expected, actual);
}

/** An append's event after validation: JSON-normalised data/metadata and a definite id. */
export interface NormalizedEvent {
  eventId: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

/**
 * Validates an append batch and returns JSON round-tripped copies, so that every adapter stores exactly
 * what a JSON store would (and the caller's objects are never aliased). Throws before anything is written
 * when the batch is empty, a type is empty, or data/metadata are not JSON-serialisable (e.g. a BigInt).
 */
export function normalizeNewEvents(stream: string, events: NewEvent[]): NormalizedEvent[] {
  if (typeof stream !== 'string' || stream.length === 0)
    throw new TypeError('Stream name must be a non-empty string');
  if (events.length === 0) throw new RangeError(`Append to ${stream}: the batch is empty`);
  return events.map((event, index) => {
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new TypeError(`Append to ${stream}: event #${index} has no type`);
    }
    if (event.eventId !== undefined && !UUID_PATTERN.test(event.eventId)) {
      throw new TypeError(
        `Append to ${stream}: event #${index} id ${JSON.stringify(event.eventId)} is not a UUID`,
      );
    }
    return {
      eventId: event.eventId?.toLowerCase() ?? randomUUID(),
      type: event.type,
      data: jsonObject(event.data, `Append to ${stream}: data of event #${index}`),
      metadata: jsonObject(
        event.metadata,
        `Append to ${stream}: metadata of event #${index}`,
      ) as EventMetadata,
    };
  });
}

/** Any RFC 4122-shaped UUID (EventStoreDB requires event ids in this shape). */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function jsonObject(value: unknown, what: string): Record<string, unknown> {
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(value) ?? 'null');
  } catch (error) {
    throw new TypeError(
      `${what} is not JSON-serialisable: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  if (copy === null || typeof copy !== 'object' || Array.isArray(copy))
    throw new TypeError(`${what} must be a JSON object`);
  return copy as Record<string, unknown>;
}

/** What {@link CursorSubscription} needs from a store. */
export interface CursorSource {
  /** Events strictly after `after` (null: from the start), in position order, at most `limit`. */
  readAfter(after: string | null, limit: number): Promise<StoredEvent[]>;
  /** Position of the newest event right now, or null when the store is empty. */
  head(): Promise<string | null>;
  compare(a: string, b: string): number;
}

/** Tuning for {@link CursorSubscription}. */
export interface CursorSubscriptionOptions {
  /** Events read per batch (default 500). */
  batchSize?: number;
  /**
   * When set, the live tail also re-reads every this many milliseconds even without a
   * {@link CursorSubscription.notify} call, so appends made by another process are seen.
   */
  pollIntervalMs?: number;
  /** Called once the loop has ended (closed, or stopped by an error). */
  onEnded?: () => void;
}

/**
 * Catch-up subscription over a store whose events can be read "after a position": reads the backlog in
 * batches, calls `onCaughtUp` once the head that existed at subscribe time has been delivered, then
 * tails live by waiting for {@link notify} (in-process appends) or the poll timer (other processes).
 *
 * Do not await {@link close} from inside `onEvent`: close waits for the in-flight handler to return.
 */
export class CursorSubscription implements Subscription {
  private closed = false;
  /** Set when something may have been appended since the last read, so a wake-up is never lost. */
  private dirty = false;
  private wake: (() => void) | null = null;
  private cursor: string | null;
  private readonly done: Promise<void>;

  constructor(
    private readonly source: CursorSource,
    after: string | null,
    private readonly handlers: SubscribeHandlers,
    private readonly options: CursorSubscriptionOptions = {},
  ) {
    this.cursor = after;
    // Called synchronously so that "the backlog existing at subscribe time" is fixed now, not when the
    // loop first gets scheduled (the in-process adapters compute the head before their first await).
    const head = source.head();
    this.done = this.run(head);
  }

  /** Tells the loop that new events may exist. Cheap; safe to call at any time. */
  notify(): void {
    this.dirty = true;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.notify();
    await this.done;
  }

  private async run(headPromise: Promise<string | null>): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    let caughtUp = false;
    const reachedHead = (target: string | null): boolean =>
      target === null || (this.cursor !== null && this.source.compare(this.cursor, target) >= 0);
    const markCaughtUp = (): void => {
      if (caughtUp) return;
      caughtUp = true;
      this.handlers.onCaughtUp?.();
    };
    try {
      const target = await headPromise;
      if (this.closed) return;
      if (reachedHead(target)) markCaughtUp();
      while (!this.closed) {
        this.dirty = false;
        const batch = await this.source.readAfter(this.cursor, batchSize);
        for (const event of batch) {
          if (this.closed) return;
          await this.handlers.onEvent(event);
          this.cursor = event.position;
          if (!caughtUp && reachedHead(target)) markCaughtUp();
        }
        if (batch.length < batchSize) {
          // A short batch means everything committed before the read has been delivered, which
          // includes the subscribe-time head; this also covers a `target` we could not reach exactly.
          markCaughtUp();
          await this.waitForWake();
        }
      }
    } catch (error) {
      this.closed = true;
      this.handlers.onError?.(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.options.onEnded?.();
    }
  }

  private waitForWake(): Promise<void> {
    if (this.dirty || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (timer) clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      this.wake = finish;
      if (this.options.pollIntervalMs !== undefined) timer = setTimeout(finish, this.options.pollIntervalMs);
    });
  }
}
