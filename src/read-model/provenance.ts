/**
 * Provenance of the facts access decisions rest on: for every fact key (domain/access/fact-keys.ts),
 * the events that established its current value and the last event that removed it. `GET /v1/explain`
 * cites them ("user:carol has role member in team:ml" ← TeamMemberAdded@12, TeamRoleChanged@40) and
 * names the removal behind a denial ("… was removed at position 812 by user:bob").
 *
 * Memory (the read models must fit 500 MB at 1M events): per key only three event references are kept
 * (creation, latest change, latest removal), never a key's whole history; each referenced event is one
 * row of a columnar table (position, type, actor, time as typed arrays, strings interned), and runs and
 * reports — the bulk of a large store — cost one map entry each. Keys of a deleted project or registry
 * are dropped with it (ids are never reused, so nothing can ask for them again).
 *
 * Fed by ReadModel.apply, in position order, *before* the event is folded into the org state (the state
 * says which runs a deleted project held). It never throws: a projection never stops on a recorded event.
 */
import type { EventDataByType, EventType } from '../domain/events';
import { isKnownEventType } from '../domain/evolve';
import type { OrgState } from '../domain/model';
import { factAspect, factEntity, splitFactKey } from '../domain/access/fact-keys';
import { metadataSummaryOf, type StoredEvent } from '../event-store/port';

/** An event as explain cites it. */
export interface EventRef {
  position: string;
  type: string;
  actor: string;
  occurredAt: string;
}

export interface FactProvenance {
  /** The events that established the current value (creation, then the latest change), oldest first; empty when the fact does not hold. */
  established: EventRef[];
  /** The latest event that removed the fact, if any (it may have been re-established since). */
  removed: EventRef | null;
}

/** What explain reads: one org's {@link ProvenanceIndex}, or a read model's view over all its orgs. */
export interface ProvenanceLookup {
  /** The events behind a fact key (fact-keys.ts); an unknown key has none. */
  lookup(key: string): FactProvenance;
  /** The most recent removal among `keys`, or null when none of them was ever removed. */
  latestRemoval(keys: readonly string[]): EventRef | null;
}

const NONE = -1;
const SIMPLE_POSITION = /^[1-9][0-9]{0,14}$/;

/**
 * One row per referenced event, in apply (= position) order, so a row number also orders events.
 * Decimal positions and millisecond ISO times are stored as numbers; anything else (EventStoreDB
 * `commit:prepare` positions, other time spellings) falls back to a string kept on the side.
 */
class RefTable {
  // Small at first: there is one table per org (read-model.ts), and most orgs are small.
  private capacity = 64;
  private positions = new Float64Array(this.capacity);
  private times = new Float64Array(this.capacity);
  private typeIds = new Uint16Array(this.capacity);
  private actorIds = new Uint32Array(this.capacity);
  private readonly positionText = new Map<number, string>();
  private readonly timeText = new Map<number, string>();
  readonly types: string[] = [];
  private readonly typeIndex = new Map<string, number>();
  readonly actors: string[] = [];
  private readonly actorIndex = new Map<string, number>();
  length = 0;

  add(position: string, type: string, actor: string, occurredAt: string): number {
    if (this.length === this.capacity) this.grow();
    const row = this.length++;
    if (SIMPLE_POSITION.test(position)) this.positions[row] = Number(position);
    else {
      this.positions[row] = Number.NaN;
      this.positionText.set(row, position);
    }
    const ms = this.millis(occurredAt);
    this.times[row] = ms;
    if (Number.isNaN(ms)) this.timeText.set(row, occurredAt);
    this.typeIds[row] = intern(type, this.types, this.typeIndex);
    this.actorIds[row] = intern(actor, this.actors, this.actorIndex);
    return row;
  }

  /** Events of one command share their time: remember the last conversion. */
  private lastTime = '';
  private lastMillis = Number.NaN;

  /**
   * `occurredAt` as epoch milliseconds when that number gives back the same string (the
   * `toISOString()` form every command writes), else NaN: the string is then kept as it is.
   */
  private millis(occurredAt: string): number {
    if (occurredAt === this.lastTime) return this.lastMillis;
    const ms = canonicalIsoMillis(occurredAt);
    this.lastTime = occurredAt;
    this.lastMillis = ms;
    return ms;
  }

  get(row: number): EventRef {
    const p = this.positions[row] as number;
    const t = this.times[row] as number;
    return {
      position: Number.isNaN(p) ? (this.positionText.get(row) ?? '') : String(p),
      type: this.types[this.typeIds[row] as number] ?? '',
      actor: this.actors[this.actorIds[row] as number] ?? '',
      occurredAt: Number.isNaN(t) ? (this.timeText.get(row) ?? '') : new Date(t).toISOString(),
    };
  }

  toJSON(): RefTableJson {
    const position: (number | string)[] = [];
    const occurredAt: (number | string)[] = [];
    for (let i = 0; i < this.length; i++) {
      const p = this.positions[i] as number;
      const t = this.times[i] as number;
      position.push(Number.isNaN(p) ? (this.positionText.get(i) ?? '') : p);
      occurredAt.push(Number.isNaN(t) ? (this.timeText.get(i) ?? '') : t);
    }
    return {
      types: [...this.types],
      actors: [...this.actors],
      type: Array.from(this.typeIds.subarray(0, this.length)),
      actor: Array.from(this.actorIds.subarray(0, this.length)),
      position,
      occurredAt,
    };
  }

  static fromJSON(x: RefTableJson): RefTable {
    const t = new RefTable();
    const n = x.position.length;
    if (x.type.length !== n || x.actor.length !== n || x.occurredAt.length !== n) {
      throw new TypeError('invalid provenance snapshot: ref columns differ in length');
    }
    x.types.forEach((s) => intern(s, t.types, t.typeIndex));
    x.actors.forEach((s) => intern(s, t.actors, t.actorIndex));
    while (t.capacity < n) t.grow();
    for (let i = 0; i < n; i++) {
      const typeId = x.type[i] as number;
      const actorId = x.actor[i] as number;
      const type = t.types[typeId];
      const actor = t.actors[actorId];
      if (type === undefined || actor === undefined) {
        throw new TypeError(`invalid provenance snapshot: row ${i} names an unknown type or actor`);
      }
      const p = x.position[i] as number | string;
      const at = x.occurredAt[i] as number | string;
      // Numbers are what toJSON wrote for rows add() had stored as numbers: taken as they are, which is
      // what add() would store again (a million rows restore without re-parsing every string). Anything
      // else takes add()'s own path.
      if (typeof p === 'number' && typeof at === 'number' && isSimplePosition(p) && isIsoMillis(at)) {
        t.positions[i] = p;
        t.times[i] = at;
        t.typeIds[i] = typeId;
        t.actorIds[i] = actorId;
        t.length = i + 1;
      } else {
        t.add(
          typeof p === 'number' ? String(p) : p,
          type,
          actor,
          typeof at === 'number' ? new Date(at).toISOString() : at,
        );
      }
    }
    return t;
  }

  private grow(): void {
    this.capacity *= 2;
    const widen = <A extends Float64Array | Uint16Array | Uint32Array>(a: A, make: (n: number) => A): A => {
      const b = make(this.capacity);
      b.set(a);
      return b;
    };
    this.positions = widen(this.positions, (n) => new Float64Array(n));
    this.times = widen(this.times, (n) => new Float64Array(n));
    this.typeIds = widen(this.typeIds, (n) => new Uint16Array(n));
    this.actorIds = widen(this.actorIds, (n) => new Uint32Array(n));
  }
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch milliseconds of a time exactly as `toISOString()` writes it (`YYYY-MM-DDTHH:mm:ss.sssZ`, years
 * 0000-9999, every field in range), read digit by digit: exactly the strings whose number gives them
 * back. NaN for any other string, including ones Date.parse would read (`T24:00`, `02-30`). A replay
 * reads one time per event, and Date.parse was a good part of the cost of provenance.
 */
function canonicalIsoMillis(s: string): number {
  if (
    s.length !== 24 ||
    s.charCodeAt(4) !== 0x2d ||
    s.charCodeAt(7) !== 0x2d ||
    s.charCodeAt(10) !== 0x54 ||
    s.charCodeAt(13) !== 0x3a ||
    s.charCodeAt(16) !== 0x3a ||
    s.charCodeAt(19) !== 0x2e ||
    s.charCodeAt(23) !== 0x5a
  ) {
    return Number.NaN;
  }
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  const milli = digits(s, 20, 3);
  // digits() is negative for a non-digit, which fails these too.
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return Number.NaN;
  if (minute < 0 || minute > 59 || second < 0 || second > 59 || milli < 0) return Number.NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number))) return Number.NaN;
  return daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + milli;
}

/** The decimal number of `length` ASCII digits at `from`, or -1 when one of them is not a digit. */
function digits(s: string, from: number, length: number): number {
  let n = 0;
  for (let i = from; i < from + length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** A number that add() stores as a number position: what SIMPLE_POSITION accepts, as a number. */
function isSimplePosition(p: number): boolean {
  return Number.isInteger(p) && p >= 1 && p < 1e15;
}

/** Epoch milliseconds whose toISOString() has the canonicalIsoMillis form (years 0000-9999). */
function isIsoMillis(ms: number): boolean {
  return Number.isInteger(ms) && ms >= -62167219200000 && ms <= 253402300799999;
}

function intern(s: string, list: string[], index: Map<string, number>): number {
  let i = index.get(s);
  if (i === undefined) {
    i = list.length;
    list.push(s);
    index.set(s, i);
  }
  return i;
}

/** Row numbers of the events behind one fact key. */
class Entry {
  constructor(
    public created = NONE,
    public changed = NONE,
    public removed = NONE,
  ) {}
}

interface RefTableJson {
  types: string[];
  actors: string[];
  type: number[];
  actor: number[];
  position: (number | string)[];
  occurredAt: (number | string)[];
}

/** The serialised form (snapshots). Row numbers index `refs`; NONE = -1. */
export interface ProvenanceJson {
  version: 1;
  refs: RefTableJson;
  /** entity → [aspect, created, changed, removed][] */
  facts: [string, [string, number, number, number][]][];
  /** [runId, created, latest move] */
  runs: [string, number, number][];
  /** [reportId, created] */
  reports: [string, number][];
}

/** Records one event type's facts; runs before the event is folded into `state`. */
type Recorder<T extends EventType> = (ix: ProvenanceIndex, d: EventDataByType[T], state: OrgState) => void;

/** See the file comment. */
export class ProvenanceIndex {
  private refs = new RefTable();
  /** entity (`org:o`, `team:t`, `project:p`, `registry:r`) → aspect → entry. */
  private facts = new Map<string, Map<string, Entry>>();
  /** Runs and reports are many and only need their creation (creator, project) and latest move. */
  private runCreated = new Map<string, number>();
  private runMoved = new Map<string, number>();
  private reportCreated = new Map<string, number>();

  /** Number of event rows and of fact keys held (for memory accounting). */
  stats(): { events: number; facts: number; runs: number; reports: number } {
    let facts = 0;
    for (const m of this.facts.values()) facts += m.size;
    return { events: this.refs.length, facts, runs: this.runCreated.size, reports: this.reportCreated.size };
  }

  /** The events behind a fact key (fact-keys.ts); an unknown key has none. */
  lookup(key: string): FactProvenance {
    const { entity, aspect } = splitFactKey(key);
    if (aspect === '' && entity.startsWith('run:')) {
      const id = entity.slice(4);
      return this.provenanceOf(this.runCreated.get(id) ?? NONE, this.runMoved.get(id) ?? NONE, NONE);
    }
    if (aspect === '' && entity.startsWith('report:')) {
      return this.provenanceOf(this.reportCreated.get(entity.slice(7)) ?? NONE, NONE, NONE);
    }
    const e = this.facts.get(entity)?.get(aspect);
    return e ? this.provenanceOf(e.created, e.changed, e.removed) : { established: [], removed: null };
  }

  /** The most recent removal among `keys`, or null when none of them was ever removed. */
  latestRemoval(keys: readonly string[]): EventRef | null {
    let best = NONE;
    for (const key of keys) {
      const { entity, aspect } = splitFactKey(key);
      const row = this.facts.get(entity)?.get(aspect)?.removed ?? NONE;
      if (row > best) best = row;
    }
    return best === NONE ? null : this.refs.get(best);
  }

  /** Records what `e` establishes or removes. Call before the event is folded into `state`. */
  apply(e: StoredEvent, state: OrgState): void {
    if (isKnownEventType(e.type)) this.applyKnown(e, e.type, state);
  }

  /** {@link apply} for an event whose type is already known to be one (ReadModel checks it once). */
  applyKnown(e: StoredEvent, type: EventType, state: OrgState): void {
    try {
      this.record(e, type, state);
    } catch {
      // Malformed data of a recorded event: provenance is best effort, the projection goes on.
    }
  }

  private provenanceOf(created: number, changed: number, removed: number): FactProvenance {
    const established: EventRef[] = [];
    if (created !== NONE) established.push(this.refs.get(created));
    if (changed !== NONE) established.push(this.refs.get(changed));
    return { established, removed: removed === NONE ? null : this.refs.get(removed) };
  }

  private entry(entity: string, aspect: string): Entry {
    let m = this.facts.get(entity);
    if (!m) {
      m = new Map();
      this.facts.set(entity, m);
    }
    let e = m.get(aspect);
    if (!e) {
      e = new Entry();
      m.set(aspect, e);
    }
    return e;
  }

  /** The event being recorded, and its row once something cites it (an event gets at most one row). */
  private current: StoredEvent | null = null;
  /** The current event's type (the caller's string for it: see evolve.ts knownEventType). */
  private currentType = '';
  private currentRow = NONE;

  private row(): number {
    if (this.currentRow === NONE && this.current) {
      const m = metadataSummaryOf(this.current);
      this.currentRow = this.refs.add(
        this.current.position,
        this.currentType,
        String(m.actor),
        String(m.occurredAt),
      );
    }
    return this.currentRow;
  }

  /** A fresh value: this event is its creation. */
  private establish(entity: string, aspect = ''): void {
    const x = this.entry(entity, aspect);
    x.created = this.row();
    x.changed = NONE;
  }

  /** A new value of an existing fact (or its creation, when no creation is on record). */
  private change(entity: string, aspect = ''): void {
    const x = this.entry(entity, aspect);
    if (x.created === NONE) x.created = this.row();
    else x.changed = this.row();
  }

  private remove(entity: string, aspect = ''): void {
    const x = this.entry(entity, aspect);
    x.created = NONE;
    x.changed = NONE;
    x.removed = this.row();
  }

  private record(e: StoredEvent, type: EventType, state: OrgState): void {
    this.current = e;
    this.currentType = type;
    this.currentRow = NONE;
    try {
      (ProvenanceIndex.RECORDERS[type] as Recorder<EventType>)(this, e.data as never, state);
    } finally {
      this.current = null;
    }
  }

  /**
   * What each event establishes, changes or removes. A table, not a `switch`: one hash lookup per
   * event instead of a chain of string comparisons (this runs for every event the projection applies).
   */
  private static readonly RECORDERS: { [T in EventType]: Recorder<T> } = {
    OrganizationCreated: (ix, _d, s) => ix.establish(factEntity.org(s.orgId)),
    UserJoinedOrganization: (ix, d, s) => {
      const org = factEntity.org(s.orgId);
      ix.establish(org, factAspect.user(d.userId));
      ix.facts.get(org)?.delete(factAspect.userStatus(d.userId));
    },
    OrgRoleChanged: (ix, d, s) => ix.change(factEntity.org(s.orgId), factAspect.user(d.userId)),
    UserRemovedFromOrganization: (ix, d, s) => {
      const org = factEntity.org(s.orgId);
      ix.remove(org, factAspect.user(d.userId));
      ix.facts.get(org)?.delete(factAspect.userStatus(d.userId));
    },
    UserDeactivated: (ix, d, s) => ix.establish(factEntity.org(s.orgId), factAspect.userStatus(d.userId)),
    UserReactivated: (ix, d, s) => ix.remove(factEntity.org(s.orgId), factAspect.userStatus(d.userId)),
    OrgPrivacyPolicyEnforced: (ix, d, s) =>
      ix.establish(factEntity.org(s.orgId), factAspect.policy(d.policy)),
    OrgPrivacyPolicyReleased: (ix, d, s) => ix.remove(factEntity.org(s.orgId), factAspect.policy(d.policy)),

    CustomRoleCreated: (ix, d, s) => {
      const org = factEntity.org(s.orgId);
      ix.establish(org, factAspect.customRole(d.roleId));
      for (const p of d.permissions) ix.establish(org, factAspect.customRolePermission(d.roleId, p));
    },
    CustomRoleDetailsChanged: (ix, d, s) =>
      ix.change(factEntity.org(s.orgId), factAspect.customRole(d.roleId)),
    CustomRolePermissionsAdded: (ix, d, s) => {
      for (const p of d.permissions)
        ix.establish(factEntity.org(s.orgId), factAspect.customRolePermission(d.roleId, p));
    },
    CustomRolePermissionsRemoved: (ix, d, s) => {
      for (const p of d.permissions)
        ix.remove(factEntity.org(s.orgId), factAspect.customRolePermission(d.roleId, p));
    },
    CustomRoleDeleted: (ix, d, s) => ix.remove(factEntity.org(s.orgId), factAspect.customRole(d.roleId)),

    TeamCreated: (ix, d) => ix.establish(factEntity.team(d.teamId)),
    TeamPrivacySettingsChanged: (ix, d) => {
      const team = factEntity.team(d.teamId);
      if (d.futureProjectsPrivate !== undefined) ix.change(team, factAspect.setting('futureProjectsPrivate'));
      if (d.membersCanInvite !== undefined) ix.change(team, factAspect.setting('membersCanInvite'));
    },
    TeamMemberAdded: (ix, d) => ix.establish(factEntity.team(d.teamId), factAspect.member(d.userId)),
    TeamRoleChanged: (ix, d) => ix.change(factEntity.team(d.teamId), factAspect.member(d.userId)),
    TeamMemberRemoved: (ix, d) => ix.remove(factEntity.team(d.teamId), factAspect.member(d.userId)),
    TeamHasNoAdminWarning: () => undefined,

    ServiceAccountCreated: (ix, d, s) =>
      ix.establish(factEntity.org(s.orgId), factAspect.serviceAccount(d.serviceAccountId)),
    ServiceAccountDeleted: (ix, d, s) =>
      ix.remove(factEntity.org(s.orgId), factAspect.serviceAccount(d.serviceAccountId)),

    ProjectCreated: (ix, d) => {
      const project = factEntity.project(d.projectId);
      ix.establish(project);
      ix.establish(project, factAspect.visibility);
      ix.establish(project, factAspect.owner);
    },
    ProjectVisibilityChanged: (ix, d) => ix.change(factEntity.project(d.projectId), factAspect.visibility),
    ProjectOwnerChanged: (ix, d) => ix.change(factEntity.project(d.projectId), factAspect.owner),
    RestrictedProjectMemberAdded: (ix, d) =>
      ix.establish(factEntity.project(d.projectId), factAspect.restrictedMember(d.principal)),
    RestrictedProjectMemberRemoved: (ix, d) =>
      ix.remove(factEntity.project(d.projectId), factAspect.restrictedMember(d.principal)),
    RestrictedMembershipDissolved: (ix, d) => {
      // A8: the whole member list goes at once; each current member's key records this event.
      for (const [aspect, x] of ix.facts.get(factEntity.project(d.projectId)) ?? []) {
        if (!aspect.startsWith('restricted:') || x.created === NONE) continue;
        x.created = NONE;
        x.changed = NONE;
        x.removed = ix.row();
      }
    },
    ProjectRoleChanged: (ix, d) => {
      const project = factEntity.project(d.projectId);
      const aspect = factAspect.override(d.userId);
      if (d.isOverride) return ix.change(project, aspect);
      // Not an override: either A4 convergence (the stored override goes) or C7's informational
      // tracking event, which changes no stored fact (the team role it follows has its own key).
      const stored = ix.facts.get(project)?.get(aspect);
      if (stored && stored.created !== NONE) ix.remove(project, aspect);
    },
    ProjectRoleOverrideCleared: (ix, d) =>
      ix.remove(factEntity.project(d.projectId), factAspect.override(d.userId)),
    ProjectOwnerOrphaned: () => undefined,
    ProjectDeleted: (ix, d, s) => {
      // Ids are never reused: nothing can ask about this project, its runs or reports again.
      const p = s.projects.get(d.projectId);
      for (const r of p?.runs ?? []) {
        ix.runCreated.delete(r);
        ix.runMoved.delete(r);
      }
      for (const r of p?.reports ?? []) ix.reportCreated.delete(r);
      ix.facts.delete(factEntity.project(d.projectId));
    },

    RunCreated: (ix, d) => void ix.runCreated.set(d.runId, ix.row()),
    RunStopped: () => undefined,
    RunDeleted: (ix, d) => {
      ix.runCreated.delete(d.runId);
      ix.runMoved.delete(d.runId);
    },
    RunMoved: (ix, d) => void ix.runMoved.set(d.runId, ix.row()),
    ReportCreated: (ix, d) => void ix.reportCreated.set(d.reportId, ix.row()),
    ReportDeleted: (ix, d) => void ix.reportCreated.delete(d.reportId),

    CoreRegistryProvisioned: (ix, d) => {
      const registry = factEntity.registry(d.registryId);
      ix.establish(registry);
      ix.establish(registry, factAspect.visibility);
    },
    RegistryCreated: (ix, d) => {
      const registry = factEntity.registry(d.registryId);
      ix.establish(registry);
      ix.establish(registry, factAspect.visibility);
      if (d.owningTeamId !== null) ix.establish(registry, factAspect.owningTeam);
    },
    RegistryDeleted: (ix, d) => void ix.facts.delete(factEntity.registry(d.registryId)),
    RegistryVisibilityChanged: (ix, d) => ix.change(factEntity.registry(d.registryId), factAspect.visibility),
    RegistryMemberAdded: (ix, d) =>
      ix.establish(factEntity.registry(d.registryId), factAspect.grant(d.member)),
    RegistryRoleChanged: (ix, d) => ix.change(factEntity.registry(d.registryId), factAspect.grant(d.member)),
    RegistryMemberRemoved: (ix, d) =>
      ix.remove(factEntity.registry(d.registryId), factAspect.grant(d.member)),
    RegistryOwnerChanged: (ix, d) => ix.change(factEntity.registry(d.registryId), factAspect.owner),
    RegistryOwningTeamChanged: (ix, d) => {
      // A new owning team is a new fact, not a change of the previous team's.
      const registry = factEntity.registry(d.registryId);
      if (d.to === null) ix.remove(registry, factAspect.owningTeam);
      else ix.establish(registry, factAspect.owningTeam);
    },
    RegistryAccessViaTeamLost: () => undefined,
  };

  /** A plain-JSON form for snapshots. */
  toJSON(): ProvenanceJson {
    return {
      version: 1,
      refs: this.refs.toJSON(),
      facts: [...this.facts].map(([entity, m]) => [
        entity,
        [...m].map(([aspect, x]): [string, number, number, number] => [
          aspect,
          x.created,
          x.changed,
          x.removed,
        ]),
      ]),
      runs: [...this.runCreated].map(([id, c]): [string, number, number] => [
        id,
        c,
        this.runMoved.get(id) ?? NONE,
      ]),
      reports: [...this.reportCreated],
    };
  }

  /**
   * Replaces this index's content with a snapshot's ({@link toJSON} output), in place, so holders of
   * the instance (ReadModel.provenance) keep it. Throws a TypeError, leaving the index as it was, on
   * anything else.
   */
  restore(x: unknown): void {
    const p = ProvenanceIndex.fromJSON(x);
    this.refs = p.refs;
    this.facts = p.facts;
    this.runCreated = p.runCreated;
    this.runMoved = p.runMoved;
    this.reportCreated = p.reportCreated;
  }

  /** Restores {@link toJSON}'s output; throws a TypeError on anything else. */
  static fromJSON(x: unknown): ProvenanceIndex {
    if (!isProvenanceJson(x)) throw new TypeError('invalid provenance snapshot');
    const p = new ProvenanceIndex();
    p.refs = RefTable.fromJSON(x.refs);
    const n = p.refs.length;
    const row = (i: number): number => {
      if (i !== NONE && (i < 0 || i >= n)) throw new TypeError(`invalid provenance snapshot: row ${i}`);
      return i;
    };
    for (const [entity, aspects] of x.facts) {
      const m = new Map<string, Entry>();
      for (const [aspect, c, ch, r] of aspects) m.set(aspect, new Entry(row(c), row(ch), row(r)));
      p.facts.set(entity, m);
    }
    for (const [id, c, moved] of x.runs) {
      p.runCreated.set(id, row(c));
      if (moved !== NONE) p.runMoved.set(id, row(moved));
    }
    for (const [id, c] of x.reports) p.reportCreated.set(id, row(c));
    return p;
  }
}

const isInt = (v: unknown): v is number => Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isArrayOf = <T>(v: unknown, item: (x: unknown) => x is T): v is T[] =>
  Array.isArray(v) && v.every(item);
const isTuple = (v: unknown, ...parts: ((x: unknown) => boolean)[]): boolean =>
  Array.isArray(v) && v.length === parts.length && parts.every((p, i) => p(v[i]));

function isProvenanceJson(x: unknown): x is ProvenanceJson {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  const refs = o.refs as Record<string, unknown> | null | undefined;
  const posOrText = (v: unknown): v is number | string => isInt(v) || isStr(v);
  const timeOrText = (v: unknown): v is number | string => typeof v === 'number' || isStr(v);
  return (
    o.version === 1 &&
    typeof refs === 'object' &&
    refs !== null &&
    isArrayOf(refs.types, isStr) &&
    isArrayOf(refs.actors, isStr) &&
    isArrayOf(refs.type, isInt) &&
    isArrayOf(refs.actor, isInt) &&
    isArrayOf(refs.position, posOrText) &&
    isArrayOf(refs.occurredAt, timeOrText) &&
    isArrayOf(o.facts, (f): f is ProvenanceJson['facts'][number] =>
      isTuple(f, isStr, (a) => isArrayOf(a, (t): t is unknown => isTuple(t, isStr, isInt, isInt, isInt))),
    ) &&
    isArrayOf(o.runs, (r): r is [string, number, number] => isTuple(r, isStr, isInt, isInt)) &&
    isArrayOf(o.reports, (r): r is [string, number] => isTuple(r, isStr, isInt))
  );
}
