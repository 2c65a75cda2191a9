import { metadataSummaryOf, type MetadataSummary, type StoredEvent } from '../event-store/port';
import type { EventType } from '../domain/events';
import { evolveKnown, knownEventType } from '../domain/evolve';
import { emptyOrgState, type OrgState } from '../domain/model';
import { splitFactKey } from '../domain/access/fact-keys';
import { EffectiveAccess } from './effective-access';
import {
  ProvenanceIndex,
  type EventRef,
  type FactProvenance,
  type ProvenanceJson,
  type ProvenanceLookup,
} from './provenance';

/** What a repeated command with the same Idempotency-Key gets back. */
export interface IdempotentResult {
  requestHash: string;
  commandId: string | undefined;
  position: string;
  events: { type: string; stream: string; revision: number }[];
}

/** Kinds of globally unique ids (api.md: "unique per kind") and the field that names them on creation. */
const CREATED_IDS: Partial<Record<EventType, { kind: string; field: string }>> = {
  TeamCreated: { kind: 'team', field: 'teamId' },
  ProjectCreated: { kind: 'project', field: 'projectId' },
  RunCreated: { kind: 'run', field: 'runId' },
  ReportCreated: { kind: 'report', field: 'reportId' },
  RegistryCreated: { kind: 'registry', field: 'registryId' },
  CoreRegistryProvisioned: { kind: 'registry', field: 'registryId' },
  ServiceAccountCreated: { kind: 'sa', field: 'serviceAccountId' },
};

/** What an event of one org stream lands on (ReadModel.targetOf). */
interface ApplyTarget {
  readonly state: OrgState;
  /** Undefined when the model keeps no provenance. */
  readonly provenance: ProvenanceIndex | undefined;
}

export interface UnknownEventLog {
  (event: StoredEvent, why: string): void;
}

/** One org as restored from a snapshot (snapshot.ts): its state and, unless left out, its provenance. */
export interface RestoredOrg {
  state: OrgState;
  provenance: ProvenanceIndex | null;
}

/**
 * An org of a snapshot that is decoded on first use (snapshot.ts): start-up decodes only the id index
 * (and of that, not the runs' part) and leaves each org's sections to the first command, query or
 * event that needs them, or to the background work of {@link ReadModel.loadDeferred}.
 */
export interface DeferredOrg {
  /** Decodes what is left of the org; throws when its section does not decode. */
  load(): RestoredOrg;
  /** Decodes a bounded part (one piece) ahead of {@link load}; true once nothing is left. */
  step(): boolean;
}

export interface ReadModelOptions {
  /**
   * Keep the provenance index (default true). A historical read model built for queries that never
   * explain (read-side.ts) leaves it out: replaying it is a good part of the cost of each event.
   */
  provenance?: boolean;
  /**
   * False for a historical model seeded without the snapshot's runs (snapshot.ts OrgParts): its orgs
   * hold only the runs created since. Only recorded here, so that such a model is never snapshotted.
   */
  runs?: boolean;
}

/**
 * The in-memory read model: every organization's state, the global id → org index, the idempotency
 * answers, and the position it has applied. Fed only by the projection runner, in position order.
 *
 * Orgs seeded from a snapshot may still be {@link DeferredOrg}s: every access to one org (org(),
 * apply() of its event, its provenance) decodes that org first, and `orgs` — the whole Map — decodes
 * them all, so callers never see the difference (only the time it takes).
 */
export class ReadModel {
  /** Decoded orgs. Together with `deferred`, every org; `orgs` puts them back in first-event order. */
  private readonly decoded = new Map<string, OrgState>();
  private readonly deferred = new Map<string, DeferredOrg>();
  /** The order of the orgs a snapshot seeded (first-event order), kept while some are deferred. */
  private seededOrder: string[] = [];
  private readonly provenances = new Map<string, ProvenanceIndex>();
  /** See {@link targetOf}. */
  private readonly targets = new Map<string, ApplyTarget>();
  private readonly keepsProvenance: boolean;
  /** See {@link ReadModelOptions.runs}. */
  readonly hasAllRuns: boolean;
  /** See {@link index}. */
  private readonly ids = new Map<string, string>();
  /** Sections of the id index not decoded yet (start-up defers the runs': most of the index). */
  private pendingIds: ((index: Map<string, string>) => void)[] = [];
  /** The prefix of every key the pending sections hold (`run:`): no other lookup needs them. */
  private pendingIdsPrefix = '';
  readonly idempotency = new Map<string, IdempotentResult>();
  /** Which events established each fact an access decision reads (explain, provenance.ts), per org. */
  readonly provenance: ReadModelProvenance;
  /** The effective-access read model `check` answers from (effective-access.ts); told of every event. */
  readonly effectiveAccess: EffectiveAccess;
  position: string | null = null;
  /** Position of the event applied before `position`, and the id of the last event: a snapshot records
   * both so a loader can read that event back and check the store still holds it (snapshot.ts). */
  previousPosition: string | null = null;
  lastEventId: string | null = null;
  eventCount = 0;

  constructor(
    private readonly comparePositions: (a: string, b: string) => number,
    private readonly onSkipped: UnknownEventLog = () => undefined,
    options: ReadModelOptions = {},
  ) {
    this.keepsProvenance = options.provenance ?? true;
    this.hasAllRuns = options.runs ?? true;
    this.provenance = new ReadModelProvenance(this, comparePositions);
    this.effectiveAccess = new EffectiveAccess(this);
  }

  /**
   * `<kind>:<id>` → orgId. Deleted ids stay: ids are never reused. Decodes the parts still deferred;
   * a lookup of one id goes through {@link ownerOf}.
   */
  get index(): Map<string, string> {
    if (this.pendingIds.length > 0) this.loadIds();
    return this.ids;
  }

  /** The org that owns an id index key (`project:P`, `run:R`, …). */
  ownerOf(key: string): string | undefined {
    const orgId = this.ids.get(key);
    if (orgId !== undefined || this.pendingIds.length === 0 || !key.startsWith(this.pendingIdsPrefix)) {
      return orgId;
    }
    // Not among the decoded ids: it may be among the deferred ones.
    this.loadIds();
    return this.ids.get(key);
  }

  /**
   * Seeds parts of the id index to decode on first need (snapshot.ts), each adding its entries, all of
   * whose keys start with `prefix`.
   */
  deferIds(prefix: string, loads: readonly ((index: Map<string, string>) => void)[]): void {
    if (this.pendingIds.length > 0 && prefix !== this.pendingIdsPrefix) {
      throw new Error('ReadModel.deferIds: the deferred ids already have another prefix');
    }
    this.pendingIdsPrefix = prefix;
    this.pendingIds.push(...loads);
  }

  /** Parts of the id index still deferred. */
  get deferredIds(): number {
    return this.pendingIds.length;
  }

  private loadIds(): void {
    while (this.loadIdsPart());
  }

  /** Decodes one deferred part of the id index; false when none was left (for work in slices). */
  loadIdsPart(): boolean {
    const load = this.pendingIds.shift();
    load?.(this.ids);
    return load !== undefined;
  }

  /** Every org's state, in the order of their first events. Decodes the orgs still deferred. */
  get orgs(): ReadonlyMap<string, OrgState> {
    if (this.deferred.size > 0) this.loadAll();
    return this.decoded;
  }

  org(orgId: string): OrgState | undefined {
    const state = this.decoded.get(orgId);
    if (state !== undefined || this.deferred.size === 0) return state;
    return this.load(orgId)?.state;
  }

  /** True when the org has an event here (without decoding a deferred org). */
  hasOrg(orgId: string): boolean {
    return this.decoded.has(orgId) || this.deferred.has(orgId);
  }

  /** Ids of every org in first-event order, the order of `orgs` (without decoding deferred orgs). */
  orgIds(): string[] {
    if (this.seededOrder.length === 0) return [...this.decoded.keys()];
    const seeded = new Set(this.seededOrder);
    return [...this.seededOrder, ...[...this.decoded.keys()].filter((orgId) => !seeded.has(orgId))];
  }

  /** Orgs still waiting to be decoded. */
  get deferredOrgs(): number {
    return this.deferred.size;
  }

  /** The deferred form of an org not decoded yet (snapshot.ts re-encodes it without decoding it). */
  deferredOrg(orgId: string): DeferredOrg | undefined {
    return this.deferred.get(orgId);
  }

  /** The org's provenance index (created empty on first use); undefined when this model keeps none. */
  provenanceOf(orgId: string): ProvenanceIndex | undefined {
    if (!this.keepsProvenance) return undefined;
    if (this.deferred.has(orgId)) this.load(orgId);
    let p = this.provenances.get(orgId);
    if (!p) {
      p = new ProvenanceIndex();
      this.provenances.set(orgId, p);
    }
    return p;
  }

  /** False for a historical read model built without provenance (see {@link ReadModelOptions}). */
  get hasProvenance(): boolean {
    return this.keepsProvenance;
  }

  /** Seeds a decoded org (snapshot.ts); the provenance is ignored by a model that keeps none. */
  restoreOrg(orgId: string, org: RestoredOrg): void {
    this.targets.clear();
    this.effectiveAccess.replaced(orgId);
    this.decoded.set(orgId, org.state);
    if (this.keepsProvenance && org.provenance) this.provenances.set(orgId, org.provenance);
  }

  /** Seeds orgs to decode on first use, in their first-event order (snapshot.ts). */
  deferOrgs(orgs: readonly (readonly [string, DeferredOrg])[]): void {
    if (this.decoded.size > 0 || this.deferred.size > 0) {
      throw new Error('ReadModel.deferOrgs: only a fresh read model can be seeded with deferred orgs');
    }
    for (const [orgId, org] of orgs) this.deferred.set(orgId, org);
    this.seededOrder = orgs.map(([orgId]) => orgId);
  }

  /**
   * Decodes every deferred org in the background, a piece at a time, yielding to the event loop after
   * each `sliceMs` of work (an org a request needs meanwhile is decoded at once, synchronously).
   * Resolves with the number of orgs it decoded; stops early when `shouldStop` says so.
   */
  async loadDeferred(options: { sliceMs?: number; shouldStop?: () => boolean } = {}): Promise<number> {
    const sliceMs = options.sliceMs ?? 8;
    let loaded = 0;
    let since = Date.now();
    const slice = async (): Promise<void> => {
      if (Date.now() - since < sliceMs) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
      since = Date.now();
    };
    // The deferred ids first: a lookup of an id not decoded yet decodes all of them at once.
    while (this.pendingIds.length > 0 && !(options.shouldStop?.() ?? false)) {
      this.loadIdsPart();
      await slice();
    }
    while (this.deferred.size > 0 && !(options.shouldStop?.() ?? false)) {
      const [orgId, org] = this.deferred.entries().next().value as [string, DeferredOrg];
      if (org.step()) {
        this.load(orgId);
        loaded += 1;
      }
      await slice();
    }
    return loaded;
  }

  private load(orgId: string): RestoredOrg | undefined {
    const org = this.deferred.get(orgId);
    if (!org) return undefined;
    // A section that does not decode was checked against its hash when the snapshot was opened, so
    // this is a bug, not a damaged file: fail loudly rather than serve an org without its state.
    const restored = org.load();
    this.deferred.delete(orgId);
    this.restoreOrg(orgId, restored);
    if (this.deferred.size === 0) this.reorder();
    return restored;
  }

  private loadAll(): void {
    for (const orgId of [...this.deferred.keys()]) this.load(orgId);
  }

  /** Puts the decoded orgs back in first-event order (the order a replay gives): seeded ones first. */
  private reorder(): void {
    const order = this.seededOrder;
    this.seededOrder = [];
    if (order.length === 0) return;
    const seededIds = new Set(order);
    const later = [...this.decoded].filter(([orgId]) => !seededIds.has(orgId));
    const seeded = order.map((orgId) => [orgId, this.decoded.get(orgId)] as const);
    this.decoded.clear();
    for (const [orgId, state] of seeded) if (state) this.decoded.set(orgId, state);
    for (const [orgId, state] of later) this.decoded.set(orgId, state);
  }

  /** The org that owns `<kind>:<id>` (kinds: org, team, project, run, report, registry, sa). */
  orgOf(kind: string, id: string): string | undefined {
    if (kind === 'org') return this.hasOrg(id) ? id : undefined;
    return this.ownerOf(`${kind}:${id}`);
  }

  /**
   * The org owning a resource reference (`project:P`, `org:O`, …). The index keys are the reference
   * strings themselves, so the hot check path looks up the caller's string without building a new one.
   */
  orgOfRef(ref: string): string | undefined {
    if (ref.startsWith('org:')) {
      const id = ref.slice(4);
      return this.hasOrg(id) ? id : undefined;
    }
    return this.ownerOf(ref);
  }

  /**
   * The org state (decoded first when deferred, created on its first event) and provenance index an
   * event of `stream` lands on; undefined for a stream that is not an org's. Kept per stream, so an
   * event costs one lookup instead of a slice and three (cleared when an org state is replaced).
   */
  private targetOf(stream: string): ApplyTarget | undefined {
    let target = this.targets.get(stream);
    if (target !== undefined) return target;
    if (!stream.startsWith('org-')) return undefined;
    const orgId = stream.slice(4);
    let state = this.org(orgId); // decodes a deferred org before its next event lands on it
    if (!state) {
      state = emptyOrgState(orgId);
      this.decoded.set(orgId, state);
    }
    target = { state, provenance: this.provenanceOf(orgId) };
    this.targets.set(stream, target);
    return target;
  }

  /** True when this read model includes `position`. */
  includes(position: string): boolean {
    return this.position !== null && this.comparePositions(this.position, position) >= 0;
  }

  apply(e: StoredEvent): void {
    this.previousPosition = this.position;
    this.position = e.position;
    this.lastEventId = e.eventId;
    this.eventCount += 1;
    const target = this.targetOf(e.stream);
    if (target === undefined) {
      this.onSkipped(e, 'stream is not an organization stream');
      return;
    }
    const { state, provenance } = target;
    const orgId = state.orgId;
    // The revision advances for every recorded event, known or not, so expected revisions stay right.
    state.revision = e.revision;
    const type = knownEventType(e.type);
    if (type === undefined) {
      this.onSkipped(e, `unknown event type ${e.type}`);
      return;
    }
    // Before evolve: it reads what the event is about to remove.
    provenance?.applyKnown(e, type, state);
    try {
      evolveKnown(state, type, e.data);
    } catch (err) {
      // A recorded event never stops the projection (DESIGN.md); the state keeps what it had.
      this.onSkipped(e, `evolve failed: ${(err as Error).message}`);
    }
    this.effectiveAccess.applied(orgId, type, e.data);
    state.revision = e.revision;
    const created = CREATED_IDS[type];
    if (created) {
      const id = e.data[created.field];
      // The state's own orgId string: one string per org, not one per id (memory, and a hot key). The
      // key is joined, not concatenated: a concatenation stays a two-part string object for good.
      if (typeof id === 'string') this.ids.set([created.kind, id].join(':'), orgId);
    }
    // The summary, not the metadata: an adapter need not parse all of it (port.ts).
    const m = metadataSummaryOf(e);
    if (typeof m.idempotencyKey === 'string') this.recordIdempotent(e, m.idempotencyKey, m);
  }

  private recordIdempotent(e: StoredEvent, key: string, m: MetadataSummary): void {
    if (typeof m.requestHash !== 'string') return;
    const prev = this.idempotency.get(key);
    const entry = { type: e.type, stream: e.stream, revision: e.revision };
    // Events of one command share its commandId; a later command reusing the key is ignored here
    // (the command side refuses it before appending).
    if (prev && prev.commandId === m.commandId) {
      prev.events.push(entry);
      prev.position = e.position;
    } else if (!prev) {
      this.idempotency.set(key, {
        requestHash: m.requestHash,
        position: e.position,
        events: [entry],
        commandId: m.commandId,
      });
    }
  }
}

/** The provenance of a read model as of its position: one {@link ProvenanceIndex} per org. */
export interface ReadModelProvenanceJson {
  version: 2;
  orgs: [string, ProvenanceJson | null][];
}

/**
 * The provenance of every org of a read model, as one lookup. A fact key's entity (`org:<id>`,
 * `team:<id>`, …) names its org directly or through the id index, so a lookup reads one org's index —
 * which is what lets a historical read model rebuild (and a snapshot decode) one org alone. Every event
 * records facts about its own org only (provenance.ts), so this answers as one index over all would.
 */
export class ReadModelProvenance implements ProvenanceLookup {
  constructor(
    private readonly rm: ReadModel,
    private readonly comparePositions: (a: string, b: string) => number,
  ) {}

  private indexOf(key: string): ProvenanceIndex | undefined {
    const { entity } = splitFactKey(key);
    const orgId = entity.startsWith('org:') ? entity.slice(4) : this.rm.ownerOf(entity);
    return orgId === undefined || !this.rm.hasOrg(orgId) ? undefined : this.orgIndex(orgId);
  }

  private orgIndex(orgId: string): ProvenanceIndex {
    const p = this.rm.provenanceOf(orgId);
    if (!p) throw new Error('this read model was built without provenance (ReadModelOptions.provenance)');
    return p;
  }

  lookup(key: string): FactProvenance {
    return this.indexOf(key)?.lookup(key) ?? { established: [], removed: null };
  }

  latestRemoval(keys: readonly string[]): EventRef | null {
    // Rows of one index are in position order; across orgs, positions decide.
    let best: EventRef | null = null;
    for (const key of keys) {
      const r = this.indexOf(key)?.latestRemoval([key]) ?? null;
      if (r && (!best || this.comparePositions(r.position, best.position) > 0)) best = r;
    }
    return best;
  }

  /** Every org's index, in the read model's org order (snapshot round trips and the CLI compare these). */
  toJSON(): ReadModelProvenanceJson {
    return {
      version: 2,
      orgs: [...this.rm.orgs.keys()].map((orgId) => [orgId, this.orgIndex(orgId).toJSON()]),
    };
  }

  /** Totals over the orgs (memory accounting). */
  stats(): { events: number; facts: number; runs: number; reports: number } {
    const total = { events: 0, facts: 0, runs: 0, reports: 0 };
    for (const orgId of this.rm.orgs.keys()) {
      const s = this.orgIndex(orgId).stats();
      total.events += s.events;
      total.facts += s.facts;
      total.runs += s.runs;
      total.reports += s.reports;
    }
    return total;
  }
}
