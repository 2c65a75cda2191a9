import type { AppendResult, EventStore, StoredEvent, Subscription } from '../event-store/port';
import { ReadModel } from './read-model';

/**
 * Events read per page while catching up ({@link ProjectionRunner.start}, {@link catchUp}). A page's
 * events stay alive until it has been applied; a page that outlives a young-generation collection is
 * copied and then promoted to the old space, where it dies and leaves the pages it was promoted into
 * fragmented. At a thousand events a page mostly dies young: a full replay of 1M events ends with about
 * 80 MB less resident memory than with pages of 5,000, and runs no slower.
 */
export const CATCH_UP_PAGE = 1000;

/**
 * Reads every event after `after` from the store, a page at a time in position order, and hands each
 * to `onEvent` — awaited only when it returns a promise (a paused projection): the backlog of a cold
 * start is a tight loop, not a promise per event. Stops after a short page (everything stored when that
 * page was read has been handed over), or before the next page once `shouldStop` says so. Resolves with
 * the position of the last event handed over (`after` when none).
 */
export async function catchUp(
  store: EventStore,
  after: string | null,
  onEvent: (e: StoredEvent) => void | Promise<void>,
  options: { pageSize?: number; shouldStop?: () => boolean } = {},
): Promise<string | null> {
  const pageSize = options.pageSize ?? CATCH_UP_PAGE;
  let cursor = after;
  while (!(options.shouldStop?.() ?? false)) {
    const page = await store.readAll({ after: cursor, limit: pageSize });
    for (const e of page) {
      const pending = onEvent(e);
      if (pending) await pending;
      cursor = e.position;
    }
    if (page.length < pageSize) break;
  }
  return cursor;
}

export class NotCaughtUpError extends Error {
  constructor(
    readonly position: string,
    readonly current: string | null,
    timeoutMs: number,
  ) {
    super(
      `This instance has not reached position ${position} within ${timeoutMs} ms (at ${current ?? 'start'})`,
    );
    this.name = 'NotCaughtUpError';
  }
}

interface Waiter {
  position: string;
  resolve: () => void;
  timer: NodeJS.Timeout;
}

export interface ProjectionLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * One ordered, checkpointed subscription from the store into the in-memory read model. The checkpoint
 * is the read model's position (snapshots will seed it). Waiters let a command's response wait until
 * its events are visible, and `atLeast:` queries wait (bounded) for a position.
 */
export class ProjectionRunner {
  private subscription: Subscription | null = null;
  private waiters: Waiter[] = [];
  private caughtUp = false;
  private failed: Error | null = null;
  private readonly listeners: ((e: StoredEvent) => void)[] = [];
  /** Set while {@link exclusive} work runs (or waits to run); events wait for it. */
  private gate: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly store: EventStore,
    readonly readModel: ReadModel,
    private readonly logger: ProjectionLogger,
    private readonly options: { catchUpPage?: number } = {},
  ) {}

  get isCaughtUp(): boolean {
    return this.caughtUp && this.failed === null;
  }

  get failure(): Error | null {
    return this.failed;
  }

  /** Called after each applied event (audit index, event bus). Listener errors are logged, never fatal. */
  onApplied(listener: (e: StoredEvent) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Applies the backlog (everything stored after the read model's position) page by page with
   * {@link catchUp}, then subscribes from where that ended for what is appended later; resolves once
   * the backlog present at start is applied.
   */
  async start(): Promise<void> {
    const started = Date.now();
    try {
      await catchUp(this.store, this.readModel.position, (e) => this.handle(e, true), {
        pageSize: this.options.catchUpPage,
        shouldStop: () => this.stopping,
      });
    } catch (err) {
      this.failed = err instanceof Error ? err : new Error(String(err));
      this.logger.error(`projection catch-up failed: ${this.failed.message}`);
      throw this.failed;
    }
    if (this.stopping) return;
    return this.subscribe(started);
  }

  /** The live subscription, from the read model's position on (its backlog is what came meanwhile). */
  private subscribe(started: number): Promise<void> {
    return new Promise((resolveStart, rejectStart) => {
      this.subscription = this.store.subscribeAll(this.readModel.position, {
        onEvent: (e) => this.handle(e),
        onCaughtUp: () => {
          this.caughtUp = true;
          const ms = Date.now() - started;
          this.logger.log(
            `read models caught up: ${this.readModel.eventCount} events, position ${this.readModel.position ?? 'empty'}, ${ms} ms`,
          );
          resolveStart();
        },
        onError: (err) => {
          this.failed = err;
          this.logger.error(`projection subscription failed: ${err.message}`);
          if (!this.caughtUp) rejectStart(err);
        },
      });
    });
  }

  /**
   * Runs `work` while no event is applied: the read model stays exactly at one position until the
   * returned promise settles, though `work` may yield to the event loop (queries, which only read, go
   * on meanwhile). Used to encode snapshots in slices. The pause starts synchronously, so calling this
   * from an onApplied listener freezes the read model at that event.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const prior = this.gate;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const gate = prior ? prior.then(() => mine) : mine;
    this.gate = gate;
    const run = async (): Promise<T> => {
      if (prior) await prior;
      try {
        return await work();
      } finally {
        release();
        if (this.gate === gate) this.gate = null;
      }
    };
    return run();
  }

  /**
   * Applies an append made by this instance right away when the read model stands exactly where the batch
   * begins, instead of waiting for the subscription to read it back (the command's response waits for its
   * own events; this removes that round trip). Otherwise — another writer in between, a snapshot pause,
   * not yet caught up, or a store that does not report the preceding position — the subscription applies
   * the events as usual. The subscription skips what was applied here.
   */
  applyLocal(result: AppendResult): void {
    if (this.gate || !this.caughtUp || this.failed || result.precedingPosition === undefined) return;
    if (this.readModel.position !== result.precedingPosition) return;
    for (const e of result.events) void this.handle(e);
  }

  /**
   * Applies one event and tells the listeners and waiters. `fresh`: the event is known to lie past the
   * read model's position (the catch-up reads after it and applyLocal stays out until it is done), so
   * the check for an event applyLocal already applied — a position comparison per event — is skipped.
   */
  private handle(e: StoredEvent, fresh = false): void | Promise<void> {
    // The subscription awaits the promise, so events keep their order across a pause.
    if (this.gate) return this.gate.then(() => this.handle(e, fresh));
    // Already applied by applyLocal (the subscription reads our own appends back later).
    if (!fresh && this.readModel.position !== null && this.readModel.includes(e.position)) return;
    this.readModel.apply(e);
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.logger.error(`read-model listener failed on ${e.type}@${e.position}: ${(err as Error).message}`);
      }
    }
    if (this.waiters.length > 0) {
      const still: Waiter[] = [];
      for (const w of this.waiters) {
        if (this.readModel.includes(w.position)) {
          clearTimeout(w.timer);
          w.resolve();
        } else still.push(w);
      }
      this.waiters = still;
    }
  }

  /** Resolves once the read model includes `position`; rejects with NotCaughtUpError after `timeoutMs`. */
  waitFor(position: string, timeoutMs: number): Promise<void> {
    if (this.readModel.includes(position)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const expire = (): void => {
        // Paused for a snapshot (exclusive): the instance is busy, not behind. The time budget starts
        // again once the pause ends, so a command whose events are already stored is not answered
        // 503 because a large snapshot was being encoded.
        if (this.gate) {
          const gate = this.gate;
          void gate.then(() => {
            if (this.waiters.includes(waiter)) waiter.timer = setTimeout(expire, timeoutMs);
          });
          return;
        }
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new NotCaughtUpError(position, this.readModel.position, timeoutMs));
      };
      const waiter: Waiter = { position, resolve, timer: setTimeout(expire, timeoutMs) };
      this.waiters.push(waiter);
    });
  }

  /** Waits until everything the store holds now is applied (used after a concurrency conflict). */
  async catchUpToHead(timeoutMs: number): Promise<void> {
    const head = await this.store.headPosition();
    if (head !== null) await this.waitFor(head, timeoutMs);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscription?.close();
    this.subscription = null;
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
  }
}
