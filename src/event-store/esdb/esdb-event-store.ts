/*
 * The only module allowed to import @eventstore/db-client: everything client-specific (names, bigint
 * revisions, error classes) stays behind the EventStore port here.
 */
import {
  ANY,
  BACKWARDS,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type AppendResult as EsdbAppendResult,
  type Position,
  type ReadPosition,
  type RecordedEvent,
} from '@eventstore/db-client';
import {
  compareLogPositions,
  formatLogPosition,
  normalizeNewEvents,
  parseLogPosition,
  validateExpectedRevision,
  type NormalizedEvent,
} from '../positions';
import {
  ConcurrencyError,
  StoreUnavailableError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type StoredEvent,
  type SubscribeHandlers,
  type Subscription,
} from '../port';

/** Options of {@link EsdbEventStore.connect}. */
export interface EsdbEventStoreOptions {
  /** e.g. `esdb://localhost:2113?tls=false`; credentials may be embedded (they never appear in errors). */
  connectionString: string;
  /** Deadline of appends and bounded reads, in ms (default 10 000). */
  deadlineMs?: number;
}

/** gRPC status codes the client sometimes surfaces raw instead of as a CommandError. */
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;
/** Events per `$all` page when we must filter client-side. */
const PAGE_SIZE = 256;

/**
 * Event store backed by EventStoreDB (gRPC client 6.x). Positions are `<commit>:<prepare>` tokens of the
 * `$all` log; system events (`$`-prefixed types or streams) are never returned. Event ids are passed to the
 * server, which deduplicates a retried append carrying the same ids and expected revision.
 *
 * This adapter does not fill the hash chain: linking would need a read before every append, and with
 * expected revision `any` concurrent writers could fork the chain.
 */
export class EsdbEventStore implements EventStore {
  readonly kind = 'esdb' as const;
  private readonly subscriptions = new Set<EsdbCatchUpSubscription>();
  private readonly deadline: number;
  private closed = false;

  private constructor(
    private readonly client: EventStoreDBClient,
    /** The connection string without credentials, for messages. */
    readonly endpoint: string,
    deadlineMs: number,
  ) {
    this.deadline = deadlineMs;
  }

  /** Creates the client. The connection is lazy: an unreachable server surfaces on the first call. */
  static connect(options: EsdbEventStoreOptions): EsdbEventStore {
    const endpoint = redactConnectionString(options.connectionString);
    let client: EventStoreDBClient;
    try {
      client = EventStoreDBClient.connectionString(options.connectionString);
    } catch (error) {
      throw new TypeError(`Invalid EventStoreDB connection string ${endpoint}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    return new EsdbEventStore(client, endpoint, options.deadlineMs ?? 10_000);
  }

  async append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.assertOpen();
    validateExpectedRevision(expected);
    // Serialising up front means a bad batch fails before anything is sent (all or nothing).
    const batch = normalizeNewEvents(stream, events);
    let result: EsdbAppendResult;
    try {
      result = await this.client.appendToStream(
        stream,
        batch.map((event) =>
          jsonEvent({ id: event.eventId, type: event.type, data: event.data, metadata: event.metadata }),
        ),
        { expectedRevision: toEsdbExpected(expected), deadline: this.deadline },
      );
    } catch (error) {
      throw this.mapError(error, 'append', { stream, expected });
    }
    const nextExpectedRevision = Number(result.nextExpectedRevision);
    const stored = await this.readBack(stream, batch, nextExpectedRevision, result.position);
    const last = stored[stored.length - 1];
    if (!last) throw new Error('unreachable: a normalised batch is never empty');
    return { nextExpectedRevision, position: last.position, events: stored };
  }

  async readStream(stream: string, fromRevision = 0, limit?: number): Promise<StoredEvent[]> {
    this.assertOpen();
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
      throw new RangeError(`readStream: limit must be a positive integer, got ${limit}`);
    const events: StoredEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, {
        direction: FORWARDS,
        fromRevision: BigInt(fromRevision),
        ...(limit === undefined ? {} : { maxCount: limit }),
        resolveLinkTos: false,
      })) {
        const event = resolved.event;
        if (event) events.push(toStoredEvent(event, event.position));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw this.mapError(error, 'readStream');
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    const limit = options.limit ?? 1000;
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`readAll: limit must be a positive integer, got ${limit}`);
    let cursor = options.after ? parseLogPosition(options.after) : null;
    const result: StoredEvent[] = [];
    try {
      while (result.length < limit) {
        // +1: reading forwards from a position includes the event at that position, which we skip.
        // At least 32 per page, so that runs of filtered system events do not cost a round trip each.
        const pageSize = Math.min(Math.max(limit - result.length, 32), PAGE_SIZE) + 1;
        let seen = 0;
        let lastSeen: Position | null = null;
        for await (const resolved of this.client.readAll({
          direction: FORWARDS,
          fromPosition: cursor ?? START,
          maxCount: pageSize,
          resolveLinkTos: false,
          deadline: this.deadline,
        })) {
          seen += 1;
          const event = resolved.event;
          if (!event) continue;
          lastSeen = event.position;
          if (cursor && comparePosition(event.position, cursor) <= 0) continue;
          if (isSystemEvent(event) || result.length >= limit) continue;
          result.push(toStoredEvent(event, event.position));
        }
        if (seen < pageSize || lastSeen === null) break;
        cursor = lastSeen;
      }
    } catch (error) {
      throw this.mapError(error, 'readAll');
    }
    return result;
  }

  subscribeAll(after: string | null, handlers: SubscribeHandlers): Subscription {
    this.assertOpen();
    const from = after === null ? null : parseLogPosition(after);
    const subscription: EsdbCatchUpSubscription = new EsdbCatchUpSubscription(
      {
        head: () => this.headPosition(),
        open: (fromPosition) =>
          this.client.subscribeToAll({ fromPosition, resolveLinkTos: false, filter: excludeSystemEvents() }),
        mapError: (error) => this.mapError(error, 'subscribeAll'),
        ended: () => this.subscriptions.delete(subscription),
      },
      from,
      handlers,
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<string | null> {
    this.assertOpen();
    let cursor: ReadPosition = END;
    try {
      // Walk back over trailing system events (stats, settings) to the newest event readAll would return.
      for (;;) {
        let seen = 0;
        let lastSeen: Position | null = null;
        for await (const resolved of this.client.readAll({
          direction: BACKWARDS,
          fromPosition: cursor,
          maxCount: PAGE_SIZE,
          resolveLinkTos: false,
          deadline: this.deadline,
        })) {
          seen += 1;
          const event: AllStreamResolvedEvent['event'] = resolved.event;
          if (!event) continue;
          if (!isSystemEvent(event)) return formatLogPosition(event.position);
          lastSeen = event.position;
        }
        if (seen < PAGE_SIZE || lastSeen === null) return null;
        cursor = lastSeen;
      }
    } catch (error) {
      throw this.mapError(error, 'headPosition');
    }
  }

  comparePositions(a: string, b: string): number {
    return compareLogPositions(a, b);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  /**
   * Returns the appended events as stored. The append result carries only the position of the write, so
   * the batch is read back by revision to learn each event's own `$all` position.
   */
  private async readBack(
    stream: string,
    batch: NormalizedEvent[],
    nextExpectedRevision: number,
    writePosition: Position | undefined,
  ): Promise<StoredEvent[]> {
    const firstRevision = nextExpectedRevision - batch.length + 1;
    const stored: StoredEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, {
        direction: FORWARDS,
        fromRevision: BigInt(firstRevision),
        maxCount: batch.length,
        resolveLinkTos: false,
        deadline: this.deadline,
      })) {
        const event = resolved.event;
        if (event) stored.push(toStoredEvent(event, event.position));
      }
    } catch (error) {
      // The write itself succeeded; a retry with the same event ids and expected revision is deduplicated.
      throw this.mapError(error, 'reading back a successful append');
    }
    const matches =
      stored.length === batch.length &&
      stored.every((event, index) => event.eventId === batch[index]?.eventId && event.position !== '0:0');
    if (matches || !writePosition) return stored;
    // Servers before 22.6 send no per-event position on stream reads (the client then reports none, or the
    // protobuf default 0:0): fall back to the position of the write for the whole batch.
    const position = formatLogPosition(writePosition);
    return batch.map((event, index) => ({
      eventId: event.eventId,
      stream,
      revision: firstRevision + index,
      position,
      type: event.type,
      data: event.data,
      metadata: event.metadata,
    }));
  }

  private mapError(
    error: unknown,
    operation: string,
    append?: { stream: string; expected: ExpectedRevision },
  ): Error {
    if (append && error instanceof WrongExpectedVersionError) {
      const actual = error.actualVersion;
      return new ConcurrencyError(
        append.stream,
        append.expected,
        typeof actual === 'bigint' ? Number(actual) : 'no_stream',
      );
    }
    if (error instanceof UnavailableError || grpcCode(error) === GRPC_UNAVAILABLE) {
      return new StoreUnavailableError(
        `EventStoreDB at ${this.endpoint} is unavailable (${operation}): ${messageOf(error)}`,
        error,
      );
    }
    if (error instanceof DeadlineExceededError || grpcCode(error) === GRPC_DEADLINE_EXCEEDED) {
      return new StoreUnavailableError(
        `EventStoreDB at ${this.endpoint} did not answer within ${this.deadline} ms (${operation})` +
          (append ? '; the append may or may not have been written' : ''),
        error,
      );
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`EsdbEventStore (${this.endpoint}) is closed`);
  }
}

interface CatchUpDeps {
  head(): Promise<string | null>;
  open(from: ReadPosition): AllStreamSubscription;
  mapError(error: unknown): Error;
  ended(): void;
}

/**
 * Catch-up subscription on `$all`. `onCaughtUp` is driven by the head position read at subscribe time, not
 * by the client's `caughtUp` event: that event is emitted when the server's marker passes through the
 * client's transform, possibly before events buffered ahead of it have reached our handler.
 */
class EsdbCatchUpSubscription implements Subscription {
  private closed = false;
  private stream: AllStreamSubscription | null = null;
  private readonly done: Promise<void>;

  constructor(
    private readonly deps: CatchUpDeps,
    after: Position | null,
    private readonly handlers: SubscribeHandlers,
  ) {
    this.done = this.run(after);
  }

  async close(): Promise<void> {
    this.closed = true;
    const stream = this.stream;
    if (stream) {
      await stream.unsubscribe().catch(() => undefined);
      // Destroying ends the async iteration even if the cancelled gRPC call never signals 'end'.
      stream.destroy();
    }
    await this.done;
  }

  private async run(after: Position | null): Promise<void> {
    let cursor = after ? formatLogPosition(after) : null;
    let caughtUp = false;
    let target: string | null = null;
    const checkCaughtUp = (): void => {
      if (caughtUp) return;
      if (target === null || (cursor !== null && compareLogPositions(cursor, target) >= 0)) {
        caughtUp = true;
        this.handlers.onCaughtUp?.();
      }
    };
    try {
      target = await this.deps.head();
      if (this.closed) return;
      checkCaughtUp();
      const stream = this.deps.open(after ?? START);
      this.stream = stream;
      for await (const resolved of stream) {
        if (this.closed) break;
        const event: AllStreamResolvedEvent['event'] = resolved.event;
        if (!event?.position || isSystemEvent(event)) continue;
        const position = formatLogPosition(event.position);
        // Subscriptions start after `after`; the check guards against a server that includes it.
        if (cursor !== null && compareLogPositions(position, cursor) <= 0) continue;
        await this.handlers.onEvent(toStoredEvent(event, event.position));
        cursor = position;
        checkCaughtUp();
      }
    } catch (error) {
      if (!this.closed) this.handlers.onError?.(this.deps.mapError(error));
    } finally {
      this.closed = true;
      // Also after a handler failure: cancel the server-side subscription, not just our end of the pipe.
      await this.stream?.unsubscribe().catch(() => undefined);
      this.stream?.destroy();
      this.deps.ended();
    }
  }
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

function isSystemEvent(event: RecordedEvent): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

function comparePosition(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** `position` is absent only on servers before 22.6 (stream reads); `0:0` then stands for "unknown". */
function toStoredEvent(event: RecordedEvent, position: Position | undefined): StoredEvent {
  return {
    eventId: event.id,
    stream: event.streamId,
    revision: Number(event.revision),
    position: formatLogPosition(position ?? { commit: 0n, prepare: 0n }),
    type: event.type,
    data: asRecord(event.data),
    // Our own events always carry EventMetadata; foreign events in $all may carry anything.
    metadata: asRecord(event.metadata) as EventMetadata,
  };
}

/** JSON objects pass through; binary payloads are decoded when they hold a JSON object. */
function asRecord(value: unknown): Record<string, unknown> {
  if (value instanceof Uint8Array) {
    if (value.length === 0) return {};
    try {
      return asRecord(JSON.parse(Buffer.from(value).toString('utf8')));
    } catch {
      return { $binary: Buffer.from(value).toString('base64') };
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value))
    return value as Record<string, unknown>;
  return value === undefined || value === null ? {} : { value };
}

function grpcCode(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object' || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Drops `user:password@` so a connection string can appear in logs and errors. */
export function redactConnectionString(connectionString: string): string {
  return connectionString.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, '$1');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
