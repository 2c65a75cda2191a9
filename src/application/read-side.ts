import type { EventStore } from '../event-store/port';
import { ReadModel } from '../read-model/read-model';
import type { ProjectionRunner } from '../read-model/projection-runner';
import { notFound } from '../domain/errors';
import { Queries } from './query.service';
import type { Consistency } from './cqrs';

/**
 * Chooses the read model a query runs on: the live one (after an optional bounded wait for
 * `atLeast:`), or one rebuilt from the store as of a past position (`at:`).
 *
 * Historical read models are rebuilt by replay and cached (a few, LRU). Snapshots that make this a
 * lookup instead of a replay are the audit/time-travel work (issue 4).
 */
export class ReadSide {
  private readonly history = new Map<string, Promise<ReadModel>>();
  private readonly live: Queries;

  constructor(
    private readonly store: EventStore,
    private readonly projection: ProjectionRunner,
    private readonly timeoutMs: number,
    private readonly historyCacheSize = 4,
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
    const rm = new ReadModel((a, b) => this.store.comparePositions(a, b));
    let after: string | null = null;
    let found = false;
    for (;;) {
      const batch = await this.store.readAll({ after, limit: 5000 });
      if (batch.length === 0) break;
      for (const e of batch) {
        const c = this.store.comparePositions(e.position, position);
        if (c > 0) return finish();
        rm.apply(e);
        if (c === 0) found = true;
      }
      after = (batch[batch.length - 1] as { position: string }).position;
    }
    return finish();
    function finish(): ReadModel {
      if (!found) throw notFound(`position ${position} is not the position of an event in this store`);
      return rm;
    }
  }
}
