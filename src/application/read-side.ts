import type { EventMetadata, EventStore, StoredEvent, StoredEventData } from '../event-store/port';
import { ReadModel } from '../read-model/read-model';
import type { ProjectionRunner } from '../read-model/projection-runner';
import type { SnapshotLogger, SnapshotManager } from '../read-model/snapshot-manager';
import type { OrgParts } from '../read-model/snapshot';
import { invalid, notFound } from '../domain/errors';
import { Queries } from './query.service';
import type { Consistency, QueryScope } from './cqrs';

/**
 * Events of one org read per page while rebuilding it. The last page may run past the position (up
 * to a page of events read for nothing), so it is small: a rebuild from a checkpoint reads a few
 * hundred of the org's events.
 */
const ORG_PAGE = 200;

/**
 * The metadata of an event read without it (readStreamData): a model without provenance reads none of
 * it but the idempotency key, and no query reads idempotency answers.
 */
const NO_METADATA: EventMetadata = Object.freeze({
  actor: '',
  correlationId: '',
  occurredAt: '',
  schemaVersion: 0,
});

/**
 * Resource kinds whose questions never read runs: check.ts reads `runs` for run resources only, and no
 * query reads a project's `runs`, `retired` or an org's revision beyond "has it begun".
 */
const RUNLESS_KINDS = new Set(['org', 'team', 'project', 'registry']);

/**
 * Events that touch only runs (their records, the projects' `runs`, `retired`): a model without runs
 * does not read them at all — most of a large org's events.
 */
const RUN_EVENTS: readonly string[] = ['RunCreated', 'RunStopped', 'RunDeleted', 'RunMoved'];

/** What a cached org model holds, as a rank: a model serves every request of its rank or below. */
const RANKS: readonly OrgParts[] = [
  { runs: false, provenance: false },
  { runs: true, provenance: false },
  { runs: true, provenance: true },
];

/**
 * Chooses the read model a query runs on: the live one (after an optional bounded wait for
 * `atLeast:`), or one rebuilt from the store as of a past position (`at:`). The position must be the
 * position of an event: anything else is 404, so that an answer always names a point the audit log
 * shows (a malformed position is 400).
 *
 * A read about one org (a {@link QueryScope}: checks, access, members, custom roles, orphaned projects,
 * explain) rebuilds only that org: its sections of the nearest snapshot at or before the position
 * (snapshot.ts) — or of the nearest time-travel checkpoint, for a read without runs and provenance —
 * then its own stream's events up to the position. Ids are never reused, so the live id
 * index names the org of a resource for every position; the rebuilt model holds that org's state, its
 * part of the id index and (for explain) its provenance exactly as a full replay to the position would,
 * and every answer about the org reads only those (numbers at {@link ReadSide.orgAt}).
 *
 * Any other read (lookups across orgs) rebuilds the whole read model: the nearest snapshot plus a
 * replay of every event after it up to the position. A few models of each kind are cached (LRU).
 */
export class ReadSide {
  private readonly history = new Map<string, Promise<ReadModel>>();
  private readonly orgHistory = new Map<string, Promise<ReadModel>>();
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

  async queriesAt(c: Consistency, scope?: QueryScope): Promise<Queries> {
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
    if (scope) return new Queries(await this.orgsAt(c.position, scope));
    return new Queries(await this.historical(c.position));
  }

  private compare(a: string, b: string): number {
    return this.store.comparePositions(a, b);
  }

  private historical(position: string): Promise<ReadModel> {
    return cached(this.history, position, this.historyCacheSize, () => this.replayTo(position));
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
    rm ??= new ReadModel((a, b) => this.compare(a, b));
    if (rm.position !== null && this.compare(rm.position, position) === 0) return rm;
    let after = rm.position;
    for (;;) {
      const batch = await this.store.readAll({ after, limit: 5000 });
      if (batch.length === 0) break;
      for (const e of batch) {
        const c = this.compare(e.position, position);
        if (c > 0) break;
        rm.apply(e);
        if (c === 0) return rm;
      }
      if (this.compare((batch[batch.length - 1] as StoredEvent).position, position) > 0) break;
      after = (batch[batch.length - 1] as StoredEvent).position;
      // A long replay must not stall the other requests of this instance.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    throw notFound(`position ${position} is not the position of an event in this store`);
  }

  /** The orgs of `scope` as of `position`, in one read model (most often a single cached org). */
  private async orgsAt(position: string, scope: QueryScope): Promise<ReadModel> {
    const live = this.projection.readModel;
    const orgIds = new Set<string>();
    for (const resource of scope.resources ?? []) {
      // Not in the live index: never created up to now, so not at the position either.
      const orgId = live.orgOfRef(resource);
      if (orgId !== undefined) orgIds.add(orgId);
    }
    for (const orgId of scope.orgs ?? []) if (live.hasOrg(orgId)) orgIds.add(orgId);
    // Explain cites provenance (and a run's); questions about runs or reports need the org's runs.
    const rank = scope.provenance
      ? 2
      : (scope.resources ?? []).every((r) => RUNLESS_KINDS.has(r.slice(0, r.indexOf(':'))))
        ? 0
        : 1;
    const parts = RANKS[rank] as OrgParts;
    if (orgIds.size === 0) {
      await this.assertEventAt(
        position,
        this.snapshots?.nearestFor(position, parts)?.header.position ?? null,
      );
      const empty = new ReadModel((a, b) => this.compare(a, b), undefined, parts);
      empty.position = position;
      return empty;
    }
    const models = await Promise.all([...orgIds].map((orgId) => this.orgAt(orgId, position, rank)));
    if (models.length === 1) return models[0] as ReadModel;
    // Several orgs (a batch of checks): their models side by side; the states are shared, read-only.
    const merged = new ReadModel((a, b) => this.compare(a, b), undefined, parts);
    for (const m of models) {
      for (const orgId of m.orgIds()) {
        const state = m.org(orgId);
        if (state) merged.restoreOrg(orgId, { state, provenance: m.provenanceOf(orgId) ?? null });
      }
      for (const [key, orgId] of m.index) merged.index.set(key, orgId);
    }
    merged.position = position;
    return merged;
  }

  /**
   * One org as of `position`, holding at least the parts of `rank` (cached: a model of a higher rank
   * serves lower ones).
   *
   * Measured on the bench history over SQLite (1M events, 17 orgs of ~59k events, 60% of them runs'; a
   * snapshot every 100k events, so up to ~6k of the org's events after it), cold (a fresh ReadSide per
   * query, 100 random positions), Node 20 on 2 cores shared with other benchmark runs (load 3-4):
   *
   *                                    p50        p95
   *   full replay (before, issue 4)    3.6 s      6.8 s
   *   check on a project (rank 0)      37-46 ms   51-68 ms   (org sections but runs', lean reads)
   *   check on a run (rank 1)          110 ms     190 ms     (with the org's runs and run events)
   *   explain (rank 2)                 190 ms     265 ms     (with provenance and full events)
   *
   * With time-travel checkpoints (snapshot-manager.ts: a runless one every 20k events at 1M, so up to
   * ~1.2k of the org's events after it), the bench's 40 cold positions, load 4-5:
   *
   *   check on a project (rank 0)      6-10 ms    11-28 ms   (the store's rows ~60%, the sections ~35%)
   *
   * Positions before the first snapshot replay the org from its first event (up to ~2.4k events but
   * runs'); the rest is reading the org's events (the store's rows: ~2/3 of the time) and its sections.
   */
  private orgAt(orgId: string, position: string, rank: number): Promise<ReadModel> {
    const key = (r: number): string => `${orgId}\u0000${position}\u0000${r}`;
    let have = rank;
    for (let r = RANKS.length - 1; r > rank; r--) if (this.orgHistory.has(key(r))) have = r;
    return cached(this.orgHistory, key(have), this.historyCacheSize * 2, () =>
      this.replayOrgTo(orgId, position, RANKS[have] as OrgParts),
    );
  }

  private async replayOrgTo(orgId: string, position: string, parts: OrgParts): Promise<ReadModel> {
    const compare = (a: string, b: string): number => this.compare(a, b);
    let rm: ReadModel | null = null;
    let from = 0;
    // Without runs and provenance, a time-travel checkpoint serves too (snapshot-manager.ts): they are
    // several times denser than snapshots.
    const base = this.snapshots?.nearestFor(position, parts);
    if (base && this.snapshots) {
      try {
        const at = await this.snapshots.openOrg(base, orgId, parts);
        rm = at.readModel;
        from = at.revision + 1;
      } catch (err) {
        // Pruned meanwhile or damaged: the org's stream alone still answers, only slower.
        this.logger?.warn(
          `time travel: snapshot ${base.name} unusable for org ${orgId} (${(err as Error).message}); replaying the org from its first event`,
        );
      }
    }
    rm ??= new ReadModel(compare, undefined, parts);
    const stream = `org-${orgId}`;
    // Without provenance only `data` is folded: the lean read skips the metadata (about 4/5 of the
    // bytes), and without runs the run events too.
    const lean = parts.provenance ? undefined : this.store.readStreamData?.bind(this.store);
    const except = parts.runs ? [] : RUN_EVENTS;
    let last: string | null = null;
    let reached = false;
    for (;;) {
      const batch: (StoredEvent | StoredEventData)[] = lean
        ? await lean(stream, from, ORG_PAGE, except)
        : await this.store.readStream(stream, from, ORG_PAGE);
      for (const e of batch) {
        const c = compare(e.position, position);
        if (c > 0) {
          reached = true;
          break;
        }
        rm.apply('metadata' in e ? e : Object.assign(e, { metadata: NO_METADATA }));
        last = e.position;
        if (c === 0) break;
      }
      if (reached || batch.length < ORG_PAGE || (last !== null && compare(last, position) === 0)) break;
      from = (batch[batch.length - 1] as StoredEvent).revision + 1;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // The position may be another org's event: check that some event has it.
    if (last === null || compare(last, position) !== 0) {
      const lower = base?.header.position ?? null;
      await this.assertEventAt(
        position,
        last === null || (lower !== null && compare(lower, last) > 0) ? lower : last,
      );
    }
    rm.position = position;
    return rm;
  }

  /**
   * 404 unless an event of the store has exactly `position`: asks the store when it can tell, else
   * reads forward from `after` (≤ position).
   */
  private async assertEventAt(position: string, after: string | null): Promise<void> {
    if (after !== null && this.compare(after, position) === 0) return;
    if (this.store.hasPosition) {
      if (await this.store.hasPosition(position)) return;
      throw notFound(`position ${position} is not the position of an event in this store`);
    }
    let cursor = after;
    let limit = 64;
    for (;;) {
      const batch = await this.store.readAll({ after: cursor, limit });
      for (const e of batch) {
        const c = this.compare(e.position, position);
        if (c === 0) return;
        if (c > 0) throw notFound(`position ${position} is not the position of an event in this store`);
      }
      if (batch.length < limit) {
        throw notFound(`position ${position} is not the position of an event in this store`);
      }
      cursor = (batch[batch.length - 1] as StoredEvent).position;
      limit = Math.min(limit * 4, 5000);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

/** An LRU of promises: a hit moves to the end, a failure is dropped, the oldest go beyond `size`. */
function cached<T>(
  cache: Map<string, Promise<T>>,
  key: string,
  size: number,
  make: () => Promise<T>,
): Promise<T> {
  let p = cache.get(key);
  if (p) {
    cache.delete(key);
    cache.set(key, p);
    return p;
  }
  p = make();
  cache.set(key, p);
  p.catch(() => cache.delete(key));
  while (cache.size > size) cache.delete(cache.keys().next().value as string);
  return p;
}
