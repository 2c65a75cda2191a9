import type { EventStore } from '../event-store/port';
import { PROJECTION_VERSION } from './projection-version';
import type { ProjectionRunner } from './projection-runner';
import { ReadModel, type UnknownEventLog } from './read-model';
import {
  decodeOrgSections,
  decodeSnapshot,
  decodeSnapshotLayout,
  encodeSnapshot,
  orgSectionsSpan,
  SnapshotFormatError,
  type OrgParts,
  type SnapshotEncoding,
  type SnapshotHeader,
  type SnapshotLayout,
} from './snapshot';
import {
  checkpointStoreFor,
  readSnapshotRange,
  type SnapshotStore,
  type StoredSnapshot,
} from './snapshot-store';

export interface SnapshotLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const quiet: SnapshotLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** Why a snapshot cannot seed a read model over this store, or null when it can. */
export async function snapshotMismatch(header: SnapshotHeader, store: EventStore): Promise<string | null> {
  if (header.projectionVersion !== PROJECTION_VERSION) {
    return `written by projection version ${header.projectionVersion}, this is version ${PROJECTION_VERSION}`;
  }
  if (header.storeKind !== store.kind) return `taken over a ${header.storeKind} store, this is ${store.kind}`;
  // readAll is exclusive: reading after the previous position returns the snapshot's last event, if the
  // store still holds it. A store that was replaced, truncated or restored from an older backup fails.
  let next;
  try {
    [next] = await store.readAll({ after: header.previousPosition, limit: 1 });
  } catch (err) {
    if (err instanceof RangeError) return `its positions are not this store's (${err.message})`;
    throw err;
  }
  if (!next) return `position ${header.position} is ahead of the event store`;
  if (next.position !== header.position || next.eventId !== header.eventId) {
    return `the event store holds ${next.type} ${next.eventId} at ${next.position}, not event ${header.eventId} at ${header.position}`;
  }
  return null;
}

export interface SnapshotSelectionOptions {
  logger?: SnapshotLogger;
  /** Delete unusable snapshots (default true); a read-only tool passes false. */
  discard?: boolean;
  /**
   * What the store holds: full snapshots (default) or time-travel checkpoints (runless, see
   * SnapshotHeader.runless); a file of the other kind is unusable there.
   */
  checkpoints?: boolean;
}

/**
 * The snapshots that can seed a read model over `store`, oldest first. Unusable ones — unreadable,
 * another projection version (they are rebuilt by replay), another store kind, or not in the store
 * (a snapshot ahead of a replaced store) — are logged and, unless `discard` is false, deleted.
 */
export async function usableSnapshots(
  snapshots: SnapshotStore,
  store: EventStore,
  options: SnapshotSelectionOptions = {},
): Promise<StoredSnapshot[]> {
  const logger = options.logger ?? quiet;
  const discard = options.discard ?? true;
  const listing = await snapshots.list();
  const drop = async (name: string, why: string, level: 'log' | 'warn'): Promise<void> => {
    logger[level](`snapshot ${snapshots.location}/${name} ${discard ? 'discarded' : 'ignored'}: ${why}`);
    if (discard) await snapshots.remove(name);
  };
  for (const u of listing.unreadable) await drop(u.name, u.reason, 'warn');
  const usable: StoredSnapshot[] = [];
  const checkpoints = options.checkpoints ?? false;
  for (const s of listing.snapshots) {
    const why =
      (s.header.runless ?? false) !== checkpoints
        ? checkpoints
          ? 'a full snapshot among the time-travel checkpoints'
          : 'a time-travel checkpoint (runless) among the snapshots'
        : await snapshotMismatch(s.header, store);
    if (why === null) usable.push(s);
    else await drop(s.name, why, s.header.projectionVersion !== PROJECTION_VERSION ? 'log' : 'warn');
  }
  return usable.sort((a, b) => a.header.eventCount - b.header.eventCount);
}

/** A snapshot loaded into a fresh read model. */
export interface LoadedSnapshot {
  snapshot: StoredSnapshot;
  readModel: ReadModel;
  /** Time to read and decode it. */
  ms: number;
}

export interface LoadOptions extends SnapshotSelectionOptions {
  onSkipped?: UnknownEventLog;
}

/**
 * Reads and decodes one stored snapshot into a fresh read model over `store`. The id index and the
 * idempotency answers are decoded now, each org on first use (read-model.ts DeferredOrg); every
 * section's hash is checked now, so a damaged file is refused here and not later.
 */
export async function openSnapshot(
  snapshots: SnapshotStore,
  snapshot: StoredSnapshot,
  store: EventStore,
  onSkipped?: UnknownEventLog,
): Promise<ReadModel> {
  const bytes = await snapshots.read(snapshot.name);
  const { readModel } = await decodeSnapshot(bytes, {
    comparePositions: (a, b) => store.comparePositions(a, b),
    onSkipped,
    deferOrgs: true,
  });
  return readModel;
}

/** Bytes read first for a snapshot's table of contents (a few hundred per org). */
const LAYOUT_PROBE_BYTES = 64 * 1024;

/** The header and table of contents of a stored snapshot, reading only the start of the file. */
export async function readSnapshotLayout(snapshots: SnapshotStore, name: string): Promise<SnapshotLayout> {
  let head = await readSnapshotRange(snapshots, name, 0, LAYOUT_PROBE_BYTES);
  let layout = decodeSnapshotLayout(head);
  if ('need' in layout) {
    head = await readSnapshotRange(snapshots, name, 0, layout.need);
    layout = decodeSnapshotLayout(head);
    if ('need' in layout) throw new SnapshotFormatError('the table of contents is cut off');
  }
  return layout;
}

/** One org as of a snapshot (SnapshotManager.openOrg). */
export interface OrgAtSnapshot {
  /** A read model holding only this org (empty when the org had no event yet), at the snapshot's position. */
  readModel: ReadModel;
  /** The org stream's revision folded in (-1 when the org had no event yet). */
  revision: number;
}

/**
 * The newest usable snapshot of `snapshots` for `store`, decoded, or null when there is none. A
 * snapshot that fails to decode (damaged) is discarded like an unusable one and the next older is
 * tried. Also returns the usable list it worked from (oldest first).
 */
export async function loadLatestSnapshot(
  snapshots: SnapshotStore,
  store: EventStore,
  options: LoadOptions = {},
): Promise<{ loaded: LoadedSnapshot | null; usable: StoredSnapshot[] }> {
  const logger = options.logger ?? quiet;
  const usable = await usableSnapshots(snapshots, store, options);
  while (usable.length > 0) {
    const newest = usable[usable.length - 1] as StoredSnapshot;
    const started = Date.now();
    try {
      const readModel = await openSnapshot(snapshots, newest, store, options.onSkipped);
      return { loaded: { snapshot: newest, readModel, ms: Date.now() - started }, usable };
    } catch (err) {
      usable.pop();
      logger.warn(`snapshot ${snapshots.location}/${newest.name} does not load: ${(err as Error).message}`);
      if (options.discard ?? true) await snapshots.remove(newest.name);
    }
  }
  return { loaded: null, usable };
}

/** Encodes a read model that nothing else mutates meanwhile and stores it. */
export async function writeSnapshot(
  snapshots: SnapshotStore,
  readModel: ReadModel,
  storeKind: EventStore['kind'],
  encoding?: SnapshotEncoding,
): Promise<StoredSnapshot> {
  return snapshots.write(await encodeSnapshot(readModel, { storeKind, encoding }));
}

/**
 * Which snapshots to delete so that at most `keep` remain: never the newest (start-up needs it), and
 * otherwise the one whose removal leaves the smallest gap between its neighbours (in events). The
 * survivors stay spread over the whole history, so a time-travel query at any position replays at most
 * about (events / keep) events from the nearest one.
 */
export function retentionVictims(snapshots: readonly StoredSnapshot[], keep: number): StoredSnapshot[] {
  const rest = [...snapshots].sort((a, b) => a.header.eventCount - b.header.eventCount);
  const victims: StoredSnapshot[] = [];
  while (rest.length > Math.max(1, keep)) {
    let best = 0;
    let bestGap = Number.POSITIVE_INFINITY;
    for (let i = 0; i < rest.length - 1; i++) {
      const prev = i === 0 ? 0 : (rest[i - 1] as StoredSnapshot).header.eventCount;
      const gap = (rest[i + 1] as StoredSnapshot).header.eventCount - prev;
      if (gap < bestGap) {
        bestGap = gap;
        best = i;
      }
    }
    victims.push(...rest.splice(best, 1));
  }
  return victims;
}

export interface SnapshotPolicy {
  /** Take a snapshot each time the event count reaches a multiple of this; 0 disables snapshots. */
  every: number;
  /** Snapshots kept (see {@link retentionVictims}). */
  keep: number;
  encoding?: SnapshotEncoding;
  /**
   * Take a time-travel checkpoint each time the event count reaches a multiple of this (and no
   * snapshot is due); 0 disables them. Default: {@link CHECKPOINTS_PER_SNAPSHOT} per `every`.
   */
  checkpointEvery?: number;
  /** Checkpoints kept, spread like snapshots. Default: {@link CHECKPOINTS_PER_SNAPSHOT} × `keep`. */
  checkpointKeep?: number;
}

/**
 * Time-travel checkpoints taken (and kept) per snapshot. A checkpoint holds every org's state but its
 * runs (snapshot.ts SnapshotHeader.runless): about 3 MB and 0.1 s to encode at 1M events, against 77 MB
 * and seconds for a snapshot. A cold `at:` question about anything but runs starts from the nearest
 * of both and replays only its org's events after it (read-side.ts), so their spacing bounds its
 * cost: with the defaults (a snapshot every 50,000 events, 10 kept) a checkpoint every 10,000 events,
 * 50 kept (about 150 MB at 1M events, thinned to one every 20,000 events).
 */
export const CHECKPOINTS_PER_SNAPSHOT = 5;

/**
 * Snapshots of the live read model: taken at regular event counts on the projection path, after a
 * start-up replay and on graceful shutdown; loaded at start-up; looked up by time-travel queries.
 *
 * Taking one pauses the projection (ProjectionRunner.exclusive) while the state is encoded in slices,
 * so queries keep being answered and only commands wait for their events to become visible.
 */
export class SnapshotManager {
  /** Usable snapshots, oldest first. */
  private catalog: StoredSnapshot[] = [];
  /** Usable time-travel checkpoints, oldest first. */
  private checkpointCatalog: StoredSnapshot[] = [];
  private projection: ProjectionRunner | null = null;
  /** Position of the newest snapshot taken or loaded (nothing to take while the model is still there). */
  private lastPosition: string | null = null;
  /** Position of the newest checkpoint taken. */
  private lastCheckpointPosition: string | null = null;
  /** Where the checkpoints live ({@link checkpointStoreFor} unless given). */
  readonly checkpoints: SnapshotStore;
  /** The chain of snapshot writes: one at a time, in the order they were taken. */
  private writes: Promise<unknown> = Promise.resolve();
  /** Tables of contents read for time travel, by snapshot name (dropped with the snapshot). */
  private readonly layouts = new Map<
    string,
    Promise<{ layout: SnapshotLayout; orgs: Map<string, number> }>
  >();

  constructor(
    readonly snapshots: SnapshotStore,
    private readonly store: EventStore,
    private readonly policy: SnapshotPolicy,
    private readonly logger: SnapshotLogger = quiet,
    checkpoints?: SnapshotStore,
  ) {
    this.checkpoints = checkpoints ?? checkpointStoreFor(snapshots);
  }

  get enabled(): boolean {
    return this.policy.every > 0;
  }

  /** Events between two checkpoints (0: none are taken). */
  private get checkpointEvery(): number {
    if (!this.enabled) return 0;
    return this.policy.checkpointEvery ?? Math.floor(this.policy.every / CHECKPOINTS_PER_SNAPSHOT);
  }

  private get checkpointKeep(): number {
    return this.policy.checkpointKeep ?? this.policy.keep * CHECKPOINTS_PER_SNAPSHOT;
  }

  /** The usable snapshots, oldest first. */
  list(): readonly StoredSnapshot[] {
    return this.catalog;
  }

  /** The usable time-travel checkpoints, oldest first. */
  listCheckpoints(): readonly StoredSnapshot[] {
    return this.checkpointCatalog;
  }

  /** Start-up: the newest usable snapshot, decoded (null when there is none or snapshots are off). */
  async loadLatest(onSkipped?: UnknownEventLog): Promise<LoadedSnapshot | null> {
    if (!this.enabled) return null;
    const { loaded, usable } = await loadLatestSnapshot(this.snapshots, this.store, {
      logger: this.logger,
      onSkipped,
    });
    this.catalog = usable;
    this.lastPosition = loaded?.snapshot.header.position ?? null;
    // A few hundred bytes read per checkpoint (its header, and its event in the store).
    this.checkpointCatalog = await usableSnapshots(this.checkpoints, this.store, {
      logger: this.logger,
      checkpoints: true,
    });
    this.lastCheckpointPosition = this.checkpointCatalog.at(-1)?.header.position ?? null;
    return loaded;
  }

  /** Takes periodic snapshots from this projection once it has caught up. */
  attach(projection: ProjectionRunner): void {
    this.projection = projection;
    if (!this.enabled) return;
    projection.onApplied(() => {
      // During the start-up replay only the end matters (afterCatchUp): encoding twenty growing states
      // on the way would multiply the start-up time.
      if (!projection.isCaughtUp) return;
      const count = projection.readModel.eventCount;
      const checkpointEvery = this.checkpointEvery;
      if (count % this.policy.every === 0) void this.take('periodic');
      else if (checkpointEvery > 0 && count % checkpointEvery === 0) void this.takeCheckpoint();
    });
  }

  /** After the start-up replay: snapshot if it replayed at least `every` events past the newest one. */
  afterCatchUp(): void {
    const rm = this.projection?.readModel;
    if (!this.enabled || !rm) return;
    const base = this.catalog[this.catalog.length - 1]?.header.eventCount ?? 0;
    if (rm.eventCount - base >= this.policy.every) void this.take('after the start-up replay');
  }

  /**
   * Snapshots the live read model at its current position: the projection pauses at once (so the
   * state is this one), encodes, and the file is written after any earlier snapshot's. Resolves once
   * written — awaiting it therefore also awaits every snapshot taken before. Nothing is taken when
   * the newest snapshot is already at this position. Never rejects: a failure is logged.
   */
  take(reason: string): Promise<StoredSnapshot | null> {
    return this.capture(false, reason);
  }

  /**
   * A time-travel checkpoint ({@link CHECKPOINTS_PER_SNAPSHOT}) of the live read model at its current
   * position, like {@link take}: the projection pauses while the orgs' states but their runs are encoded
   * (about 0.1 s at 1M events), then the file is written in turn. Never rejects.
   */
  takeCheckpoint(reason = 'periodic'): Promise<StoredSnapshot | null> {
    return this.capture(true, reason);
  }

  private capture(checkpoint: boolean, reason: string): Promise<StoredSnapshot | null> {
    const projection = this.projection;
    if (!projection || !this.enabled) return Promise.resolve(null);
    const what = checkpoint ? 'checkpoint' : 'snapshot';
    const last = (): string | null => (checkpoint ? this.lastCheckpointPosition : this.lastPosition);
    const setLast = (p: string | null): void => {
      if (checkpoint) this.lastCheckpointPosition = p;
      else this.lastPosition = p;
    };
    let position: string | null = null;
    const encoded = projection.exclusive(async () => {
      const rm = projection.readModel;
      if (rm.position === null || rm.position === last()) return null;
      position = rm.position;
      setLast(position);
      const started = Date.now();
      const enc = await encodeSnapshot(rm, {
        storeKind: this.store.kind,
        encoding: this.policy.encoding,
        runless: checkpoint,
      });
      return { enc, ms: Date.now() - started };
    });
    const written = this.writes.then(async () => {
      const e = await encoded;
      if (!e) return null;
      const started = Date.now();
      const target = checkpoint ? this.checkpoints : this.snapshots;
      const stored = await target.write(e.enc);
      const catalog = [
        ...(checkpoint ? this.checkpointCatalog : this.catalog).filter((s) => s.name !== stored.name),
        stored,
      ].sort((a, b) => a.header.eventCount - b.header.eventCount);
      const h = stored.header;
      this.logger.log(
        `${what} at position ${h.position} (${h.eventCount} events, ${(stored.bytes / 1e6).toFixed(1)} MB, ${reason}): ` +
          `encoded in ${e.ms} ms with the projection paused, written in ${Date.now() - started} ms`,
      );
      const victims = retentionVictims(catalog, checkpoint ? this.checkpointKeep : this.policy.keep);
      const kept = catalog.filter((s) => !victims.includes(s));
      if (checkpoint) this.checkpointCatalog = kept;
      else this.catalog = kept;
      for (const victim of victims) {
        this.layouts.delete(layoutKey(victim));
        await target.remove(victim.name);
      }
      return stored;
    });
    const settled = written.catch((err: unknown) => {
      this.logger.error(`${what} (${reason}) failed: ${(err as Error).message}`);
      // Let a later attempt at the same position try again.
      if (position !== null && last() === position) setLast(null);
      return null;
    });
    this.writes = settled;
    return settled;
  }

  /** Graceful shutdown: one last snapshot at the final position, and every write finished. */
  async close(): Promise<void> {
    await this.take('shutdown');
  }

  /** The newest usable snapshot at or before `position` (time travel), if any. */
  nearest(position: string): StoredSnapshot | undefined {
    return this.nearestIn(this.catalog, position, undefined);
  }

  /**
   * The newest usable snapshot or checkpoint at or before `position` that holds `parts` of an org: a
   * checkpoint serves only a read without runs and without provenance (snapshot.ts OrgParts).
   */
  nearestFor(position: string, parts: OrgParts): StoredSnapshot | undefined {
    const best = this.nearestIn(this.catalog, position, undefined);
    if (parts.runs || parts.provenance) return best;
    return this.nearestIn(this.checkpointCatalog, position, best);
  }

  private nearestIn(
    catalog: readonly StoredSnapshot[],
    position: string,
    best: StoredSnapshot | undefined,
  ): StoredSnapshot | undefined {
    for (const s of catalog) {
      let c: number;
      try {
        c = this.store.comparePositions(s.header.position, position);
      } catch {
        continue;
      }
      if (c <= 0 && (!best || s.header.eventCount > best.header.eventCount)) best = s;
    }
    return best;
  }

  /** A fresh read model decoded from one of {@link list} (its orgs decoded on first use). */
  open(snapshot: StoredSnapshot, onSkipped?: UnknownEventLog): Promise<ReadModel> {
    return openSnapshot(this.snapshots, snapshot, this.store, onSkipped);
  }

  /**
   * One org of one of {@link list} or {@link listCheckpoints} (a checkpoint only without runs and
   * provenance), reading only the table of contents (cached) and that org's sections: what a
   * time-travel query about one org needs (read-side.ts). `parts` says whether its runs and its
   * provenance are read too (snapshot.ts OrgParts). Throws when the file is gone or damaged.
   */
  async openOrg(
    snapshot: StoredSnapshot,
    orgId: string,
    parts: OrgParts,
    onSkipped?: UnknownEventLog,
  ): Promise<OrgAtSnapshot> {
    const files = snapshot.header.runless ? this.checkpoints : this.snapshots;
    const key = layoutKey(snapshot);
    let cached = this.layouts.get(key);
    if (!cached) {
      cached = readSnapshotLayout(files, snapshot.name).then((layout) => ({
        layout,
        orgs: new Map(layout.toc.orgs.map((o, i) => [o.orgId, i])),
      }));
      this.layouts.set(key, cached);
      cached.catch(() => this.layouts.delete(key));
    }
    const { layout, orgs } = await cached;
    if (
      layout.header.position !== snapshot.header.position ||
      layout.header.runless !== snapshot.header.runless
    ) {
      this.layouts.delete(key);
      throw new SnapshotFormatError(`${snapshot.name} no longer holds position ${snapshot.header.position}`);
    }
    const comparePositions = (a: string, b: string): number => this.store.comparePositions(a, b);
    const i = orgs.get(orgId);
    const entry = i === undefined ? undefined : layout.toc.orgs[i];
    if (!entry) {
      const empty = new ReadModel(comparePositions, onSkipped, parts);
      empty.position = layout.header.position;
      return { readModel: empty, revision: -1 };
    }
    const [offset, length] = orgSectionsSpan(layout, entry, parts);
    const bytes = await readSnapshotRange(files, snapshot.name, offset, length);
    const readModel = decodeOrgSections(layout, entry, bytes, { comparePositions, onSkipped, ...parts });
    return { readModel, revision: entry.revision };
  }
}

/** The key of a snapshot's table of contents in SnapshotManager's cache (checkpoints share names). */
function layoutKey(s: StoredSnapshot): string {
  return `${s.header.runless ? 'checkpoint' : 'snapshot'}/${s.name}`;
}
