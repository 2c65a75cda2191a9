import type { EventStore, StoredEvent } from '../event-store/port';
import { ReadModel } from '../read-model/read-model';
import type { ProjectionRunner } from '../read-model/projection-runner';
import type { SnapshotLogger, SnapshotManager } from '../read-model/snapshot-manager';
import { invalid, notFound } from '../domain/errors';
import { Queries } from './query.service';
import type { Consistency } from './cqrs';

/**
 * Chooses the read model a query runs on: the live one (after an optional bounded wait for
 * `atLeast:`), or one rebuilt from the store as of a past position (`at:`).
 *
 * A historical read model is the nearest snapshot at or before the position plus a replay of the
 * events after it up to the position (from the first event when no snapshot is that old); a few are
 * cached (LRU). The position must be the position of an event: anything else is 404, so that an
 * answer always names a point the audit log shows (a malformed position is 400).
 */
export class ReadSide {
  private readonly history = new Map<string, Promise<ReadModel>>();
  private readonly live: Queries;

  constructor(
    private readonly store: EventStore,
    private readonly projection: ProjectionRunner,
    private readonly timeoutMs: number,
    private readonly historyCacheSize = 4,
    private readonly snapshots: SnapshotManager | null = null,
    private readonly logger: SnapshotLogger | null = null,
  ) {
    this.live = new Queries(projection.readModel);
  }

  async queriesAt(c: Consistency): Promise<Queries> {
    if (c.kind === 'latest') return this.live;
    if (c.kind === 'atLeast') {
      await this.projection.waitFor(c.position, this.timeoutMs);
      return this.live;
    }
    const rm = this.projection.readModel;
    try {
      this.store.comparePositions(c.position, c.position);
    } catch {
      throw invalid(`consistency: ${c.position} is not a position of this event store`);
    }
    if (rm.position !== null && this.store.comparePositions(c.position, rm.position) > 0) {
      // The future cannot be answered; waiting for it is what atLeast: is for.
      await this.projection.waitFor(c.position, this.timeoutMs);
    }
    return new Queries(await this.historical(c.position));
  }

  private historical(position: string): Promise<ReadModel> {
    let rm = this.history.get(position);
    if (rm) {
      this.history.delete(position);
      this.history.set(position, rm);
      return rm;
    }
    rm = this.replayTo(position);
    this.history.set(position, rm);
    rm.catch(() => this.history.delete(position));
    while (this.history.size > this.historyCacheSize) {
      const oldest = this.history.keys().next().value as string;
      this.history.delete(oldest);
    }
    return rm;
  }

  private async replayTo(position: string): Promise<ReadModel> {
    let rm: ReadModel | null = null;
    const base = this.snapshots?.nearest(position);
    if (base) {
      try {
        rm = (await this.snapshots?.open(base)) ?? null;
      } catch (err) {
        // Pruned meanwhile or damaged: the store alone still answers, only slower.
        this.logger?.warn(
          `time travel: snapshot ${base.name} unusable (${(err as Error).message}); replaying from the start`,
        );
      }
    }
    rm ??= new ReadModel((a, b) => this.store.comparePositions(a, b));
    if (rm.position !== null && this.store.comparePositions(rm.position, position) === 0) return rm;
    let after = rm.position;
    for (;;) {
      const batch = await this.store.readAll({ after, limit: 5000 });
      if (batch.length === 0) break;
      for (const e of batch) {
        const c = this.store.comparePositions(e.position, position);
        if (c > 0) break;
        rm.apply(e);
        if (c === 0) return rm;
      }
      if (this.store.comparePositions((batch[batch.length - 1] as StoredEvent).position, position) > 0) break;
      after = (batch[batch.length - 1] as StoredEvent).position;
      // A long replay must not stall the other requests of this instance.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    throw notFound(`position ${position} is not the position of an event in this store`);
  }
}
