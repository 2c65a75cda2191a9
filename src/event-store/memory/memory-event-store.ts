import { chainMetadata, GENESIS_HASH, hashOf } from '../hash-chain';
import {
  assertExpectedRevision,
  compareSequencePositions,
  CursorSubscription,
  formatSequencePosition,
  normalizeNewEvents,
  parseSequencePosition,
  validateExpectedRevision,
} from '../positions';
import {
  DuplicateEventIdError,
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

/**
 * In-process event store for unit tests and throwaway runs. Same semantics as the durable adapters:
 * dense global positions from 1, 0-based revisions, atomic batches, optimistic concurrency, hash chain,
 * catch-up subscriptions. Nothing survives {@link close}.
 */
export class MemoryEventStore implements EventStore {
  readonly kind = 'memory' as const;
  /** All events; the event at index i has position i + 1. */
  private readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly eventIds = new Set<string>();
  private readonly subscriptions = new Set<CursorSubscription>();
  private closed = false;

  async append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.assertOpen();
    validateExpectedRevision(expected);
    const batch = normalizeNewEvents(stream, events);
    // Everything below runs synchronously, so no other append can interleave: check-then-write is atomic.
    const existing = this.streams.get(stream) ?? [];
    const last = existing[existing.length - 1];
    assertExpectedRevision(stream, expected, last ? last.revision : 'no_stream');
    const seen = new Set<string>();
    for (const event of batch) {
      if (this.eventIds.has(event.eventId) || seen.has(event.eventId)) {
        throw new DuplicateEventIdError(stream, event.eventId);
      }
      seen.add(event.eventId);
    }

    let prevHash = last ? (hashOf(last.metadata) ?? GENESIS_HASH) : GENESIS_HASH;
    let revision = last ? last.revision : -1;
    const stored: StoredEvent[] = batch.map((event, index) => {
      revision += 1;
      const metadata = chainMetadata(prevHash, stream, revision, event.type, event.data, event.metadata);
      prevHash = hashOf(metadata) ?? GENESIS_HASH;
      return {
        eventId: event.eventId,
        stream,
        revision,
        position: formatSequencePosition(this.log.length + index + 1),
        type: event.type,
        data: event.data,
        metadata,
      };
    });
    for (const event of stored) {
      this.log.push(event);
      this.eventIds.add(event.eventId);
    }
    this.streams.set(stream, existing.concat(stored));
    for (const subscription of this.subscriptions) subscription.notify();

    const lastStored = stored[stored.length - 1];
    if (!lastStored) throw new Error('unreachable: a normalised batch is never empty');
    const precedingIndex = this.log.length - stored.length;
    return {
      nextExpectedRevision: lastStored.revision,
      position: lastStored.position,
      events: stored.map(copy),
      precedingPosition: precedingIndex > 0 ? formatSequencePosition(precedingIndex) : null,
    };
  }

  async readStream(stream: string, fromRevision = 0, limit?: number): Promise<StoredEvent[]> {
    this.assertOpen();
    const events = this.streams.get(stream) ?? [];
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
      throw new RangeError(`readStream: limit must be a positive integer, got ${limit}`);
    const from = events.filter((event) => event.revision >= fromRevision);
    return (limit === undefined ? from : from.slice(0, limit)).map(copy);
  }

  async readStreamData(
    stream: string,
    fromRevision: number,
    limit: number,
    exceptTypes: readonly string[] = [],
  ): Promise<StoredEventData[]> {
    const events = await this.readStream(stream, fromRevision);
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`readStreamData: limit must be a positive integer, got ${limit}`);
    return events
      .filter((e) => !exceptTypes.includes(e.type))
      .slice(0, limit)
      .map(({ metadata: _metadata, ...e }) => e);
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
        readAfter: async (from, limit) => (this.closed ? [] : this.readAfter(from, limit)),
        head: () => this.headPosition(),
        compare: compareSequencePositions,
      },
      after,
      handlers,
      { onEnded: () => this.subscriptions.delete(subscription) },
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async hasPosition(position: string): Promise<boolean> {
    this.assertOpen();
    // Dense positions: the event at index i has position i + 1.
    return parseSequencePosition(position) <= BigInt(this.log.length);
  }

  async headPosition(): Promise<string | null> {
    this.assertOpen();
    return this.log.length === 0 ? null : formatSequencePosition(this.log.length);
  }

  comparePositions(a: string, b: string): number {
    return compareSequencePositions(a, b);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.closed = true;
  }

  private readAfter(after: string | null, limit: number): StoredEvent[] {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`readAll: limit must be a positive integer, got ${limit}`);
    const start = after === null ? 0 : Number(parseSequencePosition(after));
    return this.log.slice(start, start + limit).map(copy);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('MemoryEventStore is closed');
  }
}

/** Callers get their own copies: mutating a returned event must not rewrite history. */
function copy(event: StoredEvent): StoredEvent {
  return structuredClone(event);
}
