/**
 * The effective-access read model behind `check` on projects, runs, reports and registries: per project
 * (and per registry), principal → its effective-access *subject*, and per subject the decision for each
 * permission, computed once by the effective-role module (domain/access/check.ts) and then answered as a
 * few map lookups ("fast as a map lookup", DESIGN.md). Resources are found by their reference string
 * (`project:<id>`, `registry:<id>`, and `run:<id>`/`report:<id>` of a project indexed on its first run or
 * report check), without going through the global id index.
 *
 * Why it is exact. `check` on a project splits into facts about the principal (projectFacts: who it is,
 * its effective project access §3.4, its own team role, ownership, the team) and a decision from those
 * facts alone (decideProject); registries alike (registryFacts, decideRegistry). A subject is one set of
 * facts; principals with equal facts in one org share it (projectFactsKey), and its answers are the
 * decide functions' own. A run or report check differs from the project's only by "did the principal
 * create it" (R5, R95): a subject keeps both answers where they differ, and a run or report entry
 * keeps the creator (no event changes a creator).
 *
 * Why it stays exact. Entries are built from the org's state on first use, and the read model tells
 * {@link EffectiveAccess.applied} of every event it folds:
 * - an event about one project's access (visibility, restricted members, project roles, owner) makes
 *   that project's view forget its principals; one about one registry (grants, visibility, owner, owning
 *   team) that registry's; a deletion drops the view;
 * - run and report creation, deletion and moves move their entries; {@link IGNORED} events change nothing;
 * - every other event of the org (users, org roles, deactivation, teams and team roles, custom roles,
 *   service accounts, policies, and any type added later) makes every view of the org forget its
 *   principals and drops the org's subjects (their answers read its custom roles and profile).
 * An org state replaced as a whole (snapshot decoding, read-side merges: ReadModel.restoreOrg) drops
 * what was built from it ({@link EffectiveAccess.replaced}), and is also noticed by identity when a
 * resource is resolved.
 *
 * Memory. Principal entries are made on a principal's first check of a project or registry, so the
 * model holds what is asked, never orgs × principals; run and report entries only for projects whose runs
 * or reports are checked. At most {@link MAX_ENTRIES} entries of both kinds are kept, and
 * {@link MAX_ANSWERS} distinct answers: past either, everything is dropped and rebuilt on demand (each
 * entry costs one check without this model). Subjects are few (one per distinct set of facts per team),
 * their answers 16-bit ids of shared, frozen CheckResult objects.
 */
import type { CheckResult } from '../domain/access';
import {
  decideProject,
  decideRegistry,
  projectFacts,
  projectFactsKey,
  registryFacts,
  registryFactsKey,
  type ItemFacts,
  type ProjectFacts,
  type RegistryFacts,
} from '../domain/access/check';
import type { OrgState, ProjectState, RegistryState, ReportState, RunState } from '../domain/model';
import { PROJECT_PERMISSIONS, REGISTRY_PERMISSIONS } from '../domain/permissions';

/** What the model needs from the read model (ReadModel implements it). */
export interface EffectiveAccessSource {
  ownerOf(key: string): string | undefined;
  org(orgId: string): OrgState | undefined;
}

/**
 * Upper bound on entries (principal, run and report entries; about 110 bytes each with their share of
 * the maps): ~14 MB at most. The bench's check mix at 1M events needs ~67k (7.4 MB).
 */
export const MAX_ENTRIES = 1 << 17;

/** Events that change no answer and no entry. */
const IGNORED: ReadonlySet<string> = new Set([
  'RunStopped',
  'ProjectCreated',
  'RegistryCreated',
  'CustomRoleDetailsChanged',
  'TeamHasNoAdminWarning',
  'ProjectOwnerOrphaned',
  'RegistryAccessViaTeamLost',
]);

/** Events that move runs and reports in or out of projects (entries of indexed projects follow them). */
const ITEM_EVENTS: ReadonlySet<string> = new Set([
  'RunCreated',
  'RunDeleted',
  'RunMoved',
  'ReportCreated',
  'ReportDeleted',
]);

/** Events whose only effect on access is on the project named by `data.projectId`. */
const PROJECT_LOCAL: ReadonlySet<string> = new Set([
  'ProjectVisibilityChanged',
  'RestrictedProjectMemberAdded',
  'RestrictedProjectMemberRemoved',
  'RestrictedMembershipDissolved',
  'ProjectRoleChanged',
  'ProjectRoleOverrideCleared',
  'ProjectOwnerChanged',
]);

/** Events whose only effect on access is on the registry named by `data.registryId`. */
const REGISTRY_LOCAL: ReadonlySet<string> = new Set([
  'RegistryVisibilityChanged',
  'RegistryMemberAdded',
  'RegistryRoleChanged',
  'RegistryMemberRemoved',
  'RegistryOwnerChanged',
  'RegistryOwningTeamChanged',
]);

const PROJECT_PERMISSION_INDEX: ReadonlyMap<string, number> = new Map(
  PROJECT_PERMISSIONS.map((p, i) => [p, i]),
);
const REGISTRY_PERMISSION_INDEX: ReadonlyMap<string, number> = new Map(
  REGISTRY_PERMISSIONS.map((p, i) => [p, i]),
);

/** Answer slots per project permission: on the project itself, on a run, on a report. */
const ON_PROJECT = 0;
const ON_RUN = 1 as const;
const ON_REPORT = 2 as const;
const PROJECT_SLOTS = 3;

/** Both answers on a run or report where they differ by whether the principal created it. */
class OwnSplit {
  constructor(
    readonly own: CheckResult,
    readonly other: CheckResult,
  ) {}
}

/**
 * One org's subjects of one kind: each a set of facts and its answers, one slot per permission (and
 * per resource variant). The answers of all its subjects are ids (0: not answered yet) into the model's
 * table of distinct answers, in one typed array, so that an answer is one read at `offset + slot` (the
 * offset is what a view maps a principal to) and the answers themselves are a few thousand shared
 * objects that stay in cache.
 */
class Subjects<F> {
  private readonly offsets = new Map<string, number>();
  private readonly facts: F[] = [];
  answers = new Uint16Array(0);
  constructor(
    private readonly width: number,
    /** The table its ids are ids of. */
    readonly table: AnswerTable,
  ) {}

  /** The offset of the subject with these facts (`key`: their facts key), made on first use. */
  offsetOf(key: string, facts: F): number {
    let offset = this.offsets.get(key);
    if (offset === undefined) {
      offset = this.facts.length * this.width;
      this.offsets.set(key, offset);
      this.facts.push(facts);
      if (offset + this.width > this.answers.length) {
        const grown = new Uint16Array(Math.max(offset + this.width, this.answers.length * 2));
        grown.set(this.answers);
        this.answers = grown;
      }
    }
    return offset;
  }

  factsAt(offset: number): F {
    return this.facts[offset / this.width] as F;
  }

  get size(): number {
    return this.facts.length;
  }
}

/** Most distinct answers kept: below 2^16 (Subjects hold them as 16-bit ids; an answer adds up to 3). */
export const MAX_ANSWERS = 0xfff0;

/** Distinct answers, each once (Subjects hold their ids). */
class AnswerTable {
  /** Id 0 is "not answered yet". */
  readonly answers: (CheckResult | OwnSplit)[] = [Object.freeze({ allowed: false, reason: '' })];
  private readonly ids = new Map<string, number>();

  constructor(private readonly max: number) {}

  get full(): boolean {
    return this.answers.length >= this.max;
  }

  idOf(r: CheckResult): number {
    const u = '\u0001'; // stands for "absent", which no role or rule id is
    return this.intern(
      `${r.allowed ? 'y' : 'n'}\u0000${r.role ?? u}\u0000${r.rule ?? u}\u0000${r.reason}`,
      () => Object.freeze(r),
    );
  }

  /** Both answers on a run or report where they depend on whether the principal created it. */
  splitOf(own: number, other: number): number {
    if (own === other) return own;
    return this.intern(
      `${own}/${other}`,
      () => new OwnSplit(this.answers[own] as CheckResult, this.answers[other] as CheckResult),
    );
  }

  private intern(key: string, make: () => CheckResult | OwnSplit): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.answers.length;
      this.answers.push(make());
      this.ids.set(key, id);
    }
    return id;
  }
}

class ProjectView {
  /** Principal → its subject's offset (OrgAccess.projectSubjects): the part access events change. */
  principals = new Map<string, number>();
  /** The `project:<id>` string it is found under in the resource map, once it is. */
  key: string | undefined = undefined;
  /** True once its runs and reports are in the resource map (on the first check of one of them). */
  itemsIndexed = false;
  /** Set when dropped: entries that still point here are stale. */
  dead = false;
  constructor(
    readonly org: OrgAccess,
    readonly project: ProjectState,
  ) {}
}

/** A run or report in the resource map: its project's view and its creator. */
class ItemEntry {
  constructor(
    readonly view: ProjectView,
    /** Who created it: never changes (no event rewrites a creator), so kept here. */
    readonly creator: string,
    readonly on: typeof ON_RUN | typeof ON_REPORT,
  ) {}
}

class RegistryView {
  principals = new Map<string, number>();
  key: string | undefined = undefined;
  dead = false;
  constructor(
    readonly org: OrgAccess,
    readonly registry: RegistryState,
  ) {}
}

type Entry = ProjectView | RegistryView | ItemEntry;

/** One org's views and subjects, valid for one OrgState object. */
class OrgAccess {
  readonly projects = new Map<string, ProjectView>();
  readonly registries = new Map<string, RegistryView>();
  projectSubjects: Subjects<ProjectFacts>;
  registrySubjects: Subjects<RegistryFacts>;
  constructor(
    readonly orgId: string,
    readonly state: OrgState,
    table: AnswerTable,
  ) {
    this.projectSubjects = new Subjects(PROJECT_SLOTS * PROJECT_PERMISSIONS.length, table);
    this.registrySubjects = new Subjects(REGISTRY_PERMISSIONS.length, table);
  }
}

/** Joined, not concatenated: a long concatenation stays a two-part string, slower to compare as a key. */
const itemKey = (on: number, id: string): string => [on === ON_RUN ? 'run' : 'report', id].join(':');

export class EffectiveAccess {
  /**
   * `project:<id>`, `registry:<id>` → its view; `run:<id>`, `report:<id>` of an indexed project → its
   * entry: the check path's one lookup for a resource.
   */
  private readonly byResource = new Map<string, Entry>();
  private readonly orgs = new Map<string, OrgAccess>();
  /** Principal entries plus run/report entries held. */
  private entries = 0;
  /** The distinct answers (cleared with everything else). */
  private table: AnswerTable;
  private readonly maxEntries: number;
  private readonly maxAnswers: number;

  /** `limits` lower the bounds ({@link MAX_ENTRIES}, {@link MAX_ANSWERS}); tests use small ones. */
  constructor(
    private readonly source: EffectiveAccessSource,
    limits: { entries?: number; answers?: number } = {},
  ) {
    this.maxEntries = limits.entries ?? MAX_ENTRIES;
    this.maxAnswers = Math.min(limits.answers ?? MAX_ANSWERS, MAX_ANSWERS);
    this.table = new AnswerTable(this.maxAnswers);
  }

  /**
   * `check(principal, permission, resource)` for project, run, report and registry resources; undefined
   * when this model does not answer (another kind, a resource that does not exist, a permission outside
   * the resource's scope) and the caller asks the effective-role module directly.
   */
  check(principal: string, permission: string, resource: string): CheckResult | undefined {
    const entry = this.byResource.get(resource);
    if (entry !== undefined) {
      if (entry instanceof ItemEntry) {
        const view = entry.view;
        if (!view.dead) return this.onProject(view, principal, permission, entry.on, entry.creator);
      } else if (!entry.dead) {
        return entry instanceof ProjectView
          ? this.onProject(entry, principal, permission, ON_PROJECT, null)
          : this.onRegistry(entry, principal, permission);
      }
    }
    if (resource.startsWith('run:')) return this.resolveItem(principal, permission, resource, ON_RUN);
    if (resource.startsWith('project:')) {
      const view = this.resolve(resource, 'project:');
      return view && this.onProject(view as ProjectView, principal, permission, ON_PROJECT, null);
    }
    if (resource.startsWith('registry:')) {
      const view = this.resolve(resource, 'registry:');
      return view && this.onRegistry(view as RegistryView, principal, permission);
    }
    if (resource.startsWith('report:')) return this.resolveItem(principal, permission, resource, ON_REPORT);
    return undefined;
  }

  /** Keeps the model exact after an event is folded into the org's state (see the module comment). */
  applied(orgId: string, type: string, data: Readonly<Record<string, unknown>>): void {
    if (this.orgs.size === 0 || IGNORED.has(type)) return;
    const org = this.orgs.get(orgId);
    if (org === undefined) return;
    const projectId = typeof data.projectId === 'string' ? data.projectId : undefined;
    const registryId = typeof data.registryId === 'string' ? data.registryId : undefined;
    if (ITEM_EVENTS.has(type)) {
      this.itemEvent(org, type, data);
    } else if (type === 'ProjectDeleted' || type === 'RegistryDeleted') {
      const view =
        type === 'ProjectDeleted'
          ? projectId === undefined
            ? null
            : org.projects.get(projectId)
          : registryId === undefined
            ? null
            : org.registries.get(registryId);
      if (view === null) this.dropOrg(org);
      else if (view instanceof ProjectView) this.dropProject(view);
      else if (view !== undefined) this.dropRegistry(view);
    } else if (PROJECT_LOCAL.has(type) && projectId !== undefined) {
      const view = org.projects.get(projectId);
      if (view !== undefined) this.forget(view);
    } else if (REGISTRY_LOCAL.has(type) && registryId !== undefined) {
      const view = org.registries.get(registryId);
      if (view !== undefined) this.forget(view);
    } else {
      // Anything else may change any answer in the org: every view forgets its principals, and the
      // subjects go (their answers read the org's custom roles and profile).
      for (const view of org.projects.values()) this.forget(view);
      for (const view of org.registries.values()) this.forget(view);
      org.projectSubjects = new Subjects(PROJECT_SLOTS * PROJECT_PERMISSIONS.length, this.table);
      org.registrySubjects = new Subjects(REGISTRY_PERMISSIONS.length, this.table);
    }
  }

  /** The org's state was replaced as a whole (ReadModel.restoreOrg): what was built from it goes. */
  replaced(orgId: string): void {
    const org = this.orgs.get(orgId);
    if (org !== undefined) this.dropOrg(org);
  }

  /** What the model holds (memory accounting, tests). */
  get size(): { entries: number; orgs: number; views: number; subjects: number; resources: number } {
    let views = 0;
    let subjects = 0;
    for (const org of this.orgs.values()) {
      views += org.projects.size + org.registries.size;
      subjects += org.projectSubjects.size + org.registrySubjects.size;
    }
    return { entries: this.entries, orgs: this.orgs.size, views, subjects, resources: this.byResource.size };
  }

  /** Drops everything (tests; also what happens past the bound of entries). */
  clear(): void {
    for (const org of this.orgs.values()) {
      for (const view of org.projects.values()) view.dead = true;
      for (const view of org.registries.values()) view.dead = true;
    }
    this.byResource.clear();
    this.orgs.clear();
    this.entries = 0;
    this.table = new AnswerTable(this.maxAnswers);
  }

  // --- resolution ---------------------------------------------------------------------------------

  private orgAccess(orgId: string, state: OrgState): OrgAccess {
    let org = this.orgs.get(orgId);
    if (org !== undefined && org.state === state) return org;
    if (org !== undefined) this.dropOrg(org);
    org = new OrgAccess(orgId, state, this.table);
    this.orgs.set(orgId, org);
    return org;
  }

  /** The view of a `project:`/`registry:` resource not in the resource map yet. */
  private resolve(
    resource: string,
    prefix: 'project:' | 'registry:',
  ): ProjectView | RegistryView | undefined {
    const orgId = this.source.ownerOf(resource);
    const state = orgId === undefined ? undefined : this.source.org(orgId);
    if (orgId === undefined || state === undefined) return undefined;
    const id = resource.slice(prefix.length);
    const org = this.orgAccess(orgId, state);
    let view: ProjectView | RegistryView | undefined;
    if (prefix === 'project:') {
      const project = state.projects.get(id);
      if (project === undefined) return undefined;
      view = this.projectView(org, project);
    } else {
      const registry = state.registries.get(id);
      if (registry === undefined) return undefined;
      view = org.registries.get(id);
      if (view === undefined) {
        view = new RegistryView(org, registry);
        org.registries.set(id, view);
      }
    }
    if (view.key === undefined) {
      view.key = [prefix === 'project:' ? 'project' : 'registry', id].join(':'); // see itemKey
      this.byResource.set(view.key, view);
    }
    return view;
  }

  private projectView(org: OrgAccess, project: ProjectState): ProjectView {
    let view = org.projects.get(project.projectId);
    if (view === undefined) {
      view = new ProjectView(org, project);
      org.projects.set(project.projectId, view);
    }
    return view;
  }

  /** A run or report not in the resource map: found through the id index, then its project indexed. */
  private resolveItem(
    principal: string,
    permission: string,
    resource: string,
    on: number,
  ): CheckResult | undefined {
    const orgId = this.source.ownerOf(resource);
    const state = orgId === undefined ? undefined : this.source.org(orgId);
    if (orgId === undefined || state === undefined) return undefined;
    const item = on === ON_RUN ? state.runs.get(resource.slice(4)) : state.reports.get(resource.slice(7));
    if (item === undefined) return undefined;
    const project = state.projects.get(item.projectId);
    if (project === undefined) return undefined;
    const view = this.projectView(this.orgAccess(orgId, state), project);
    if (!view.itemsIndexed) this.indexItems(view);
    return this.onProject(view, principal, permission, on, item.creator);
  }

  /** Puts a project's runs and reports in the resource map; events keep them there (itemEvent). */
  private indexItems(view: ProjectView): void {
    view.itemsIndexed = true;
    const { state } = view.org;
    for (const id of view.project.runs) this.addItem(view, ON_RUN, id, state.runs.get(id));
    for (const id of view.project.reports) this.addItem(view, ON_REPORT, id, state.reports.get(id));
  }

  private addItem(
    view: ProjectView,
    on: typeof ON_RUN | typeof ON_REPORT,
    id: string,
    item: RunState | ReportState | undefined,
  ): void {
    if (item === undefined || this.entries >= this.maxEntries) return;
    this.byResource.set(itemKey(on, id), new ItemEntry(view, item.creator, on));
    this.entries += 1;
  }

  private removeItem(on: number, id: string): void {
    const key = itemKey(on, id);
    if (this.byResource.get(key) instanceof ItemEntry) {
      this.byResource.delete(key);
      this.entries -= 1;
    }
  }

  private itemEvent(org: OrgAccess, type: string, data: Readonly<Record<string, unknown>>): void {
    const on = type.startsWith('Run') ? ON_RUN : ON_REPORT;
    const id = on === ON_RUN ? data.runId : data.reportId;
    if (typeof id !== 'string') return;
    // A move, a deletion, a creation: the item leaves its entry, and joins the entry of the project
    // it is in now if that project is indexed.
    this.removeItem(on, id);
    if (type.endsWith('Deleted')) return;
    const item = on === ON_RUN ? org.state.runs.get(id) : org.state.reports.get(id);
    const view = item === undefined ? undefined : org.projects.get(item.projectId);
    if (view !== undefined && view.itemsIndexed) this.addItem(view, on, id, item);
  }

  // --- answers -----------------------------------------------------------------------------------

  private onProject(
    view: ProjectView,
    principal: string,
    permission: string,
    on: number,
    creator: string | null,
  ): CheckResult | undefined {
    const index = PROJECT_PERMISSION_INDEX.get(permission);
    if (index === undefined) return undefined;
    const subjects = view.org.projectSubjects;
    let offset = view.principals.get(principal);
    if (offset === undefined) {
      const facts = projectFacts(view.org.state, principal, view.project);
      offset = subjects.offsetOf(projectFactsKey(facts), facts);
      this.remember(view.principals, principal, offset);
    }
    const slot = offset + index * PROJECT_SLOTS + on;
    const id = subjects.answers[slot] as number;
    const r =
      id !== 0
        ? (subjects.table.answers[id] as CheckResult | OwnSplit)
        : this.answerProject(subjects, view.org.state, offset, slot, permission, on);
    if (r instanceof OwnSplit) return creator === principal ? r.own : r.other;
    return r;
  }

  /** A subject's answer not computed yet: the effective-role module's, kept unless the table is full. */
  private answerProject(
    subjects: Subjects<ProjectFacts>,
    state: OrgState,
    offset: number,
    slot: number,
    permission: string,
    on: number,
  ): CheckResult | OwnSplit {
    const facts = subjects.factsAt(offset);
    if (on === ON_PROJECT) return this.keep(subjects, slot, decideProject(state, facts, permission, null));
    const kind: ItemFacts['kind'] = on === ON_RUN ? 'run' : 'report';
    const own = decideProject(state, facts, permission, { kind, own: true });
    const other = decideProject(state, facts, permission, { kind, own: false });
    const { table } = subjects;
    if (table.full) {
      this.clear(); // answers this one, starts over for the next
      return new OwnSplit(own, other);
    }
    const id = table.splitOf(table.idOf(own), table.idOf(other));
    subjects.answers[slot] = id;
    return table.answers[id] as CheckResult | OwnSplit;
  }

  private keep<F>(subjects: Subjects<F>, slot: number, r: CheckResult): CheckResult {
    const { table } = subjects;
    if (table.full) {
      this.clear(); // answers this one, starts over for the next
      return r;
    }
    const id = table.idOf(r);
    subjects.answers[slot] = id;
    return table.answers[id] as CheckResult;
  }

  private onRegistry(view: RegistryView, principal: string, permission: string): CheckResult | undefined {
    const index = REGISTRY_PERMISSION_INDEX.get(permission);
    if (index === undefined) return undefined;
    const subjects = view.org.registrySubjects;
    let offset = view.principals.get(principal);
    if (offset === undefined) {
      const facts = registryFacts(view.org.state, principal, view.registry);
      offset = subjects.offsetOf(registryFactsKey(facts), facts);
      this.remember(view.principals, principal, offset);
    }
    const slot = offset + index;
    const id = subjects.answers[slot] as number;
    if (id !== 0) return subjects.table.answers[id] as CheckResult;
    return this.keep(subjects, slot, decideRegistry(subjects.factsAt(offset), permission));
  }

  private remember(principals: Map<string, number>, principal: string, offset: number): void {
    // At the bound, start over: the subject still answers this check, and the next ones rebuild.
    if (this.entries >= this.maxEntries) return this.clear();
    principals.set(principal, offset);
    this.entries += 1;
  }

  // --- invalidation ------------------------------------------------------------------------------

  /** The view forgets its principals (their answers may have changed); it stays, with its items. */
  private forget(view: ProjectView | RegistryView): void {
    if (view.principals.size === 0) return;
    this.entries -= view.principals.size;
    view.principals = new Map();
  }

  private unmap(view: ProjectView | RegistryView): void {
    view.dead = true;
    this.entries -= view.principals.size;
    if (view.key !== undefined && this.byResource.get(view.key) === view) this.byResource.delete(view.key);
  }

  private dropProject(view: ProjectView): void {
    this.unmap(view);
    view.org.projects.delete(view.project.projectId);
    if (!view.itemsIndexed) return;
    // Its runs and reports were deleted with it; the sets still name them (evolve leaves them as they were).
    for (const id of view.project.runs) this.removeItem(ON_RUN, id);
    for (const id of view.project.reports) this.removeItem(ON_REPORT, id);
  }

  private dropRegistry(view: RegistryView): void {
    this.unmap(view);
    view.org.registries.delete(view.registry.registryId);
  }

  private dropOrg(org: OrgAccess): void {
    for (const view of [...org.projects.values()]) this.dropProject(view);
    for (const view of [...org.registries.values()]) this.dropRegistry(view);
    if (this.orgs.get(org.orgId) === org) this.orgs.delete(org.orgId);
  }
}
