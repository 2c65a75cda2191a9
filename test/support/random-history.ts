/**
 * A seeded generator of long, plausible command histories over several organizations, for the
 * replay-equivalence test (test/int/replay-equivalence.test.ts).
 *
 * The generator is deterministic: the same seed and the same answers from the system under test give
 * the same commands. It looks at the current state of each org (a read-only view of the live read
 * model) only to bias its choices towards commands that can succeed — an admin of the right team, a
 * member who is really in the team — so that most commands are accepted and the history reaches the
 * interesting states (overrides, restricted members, custom roles, grants); a share of the choices is
 * deliberately careless (random actor, stale id), so rejections are part of the history too.
 */
import type { CommandName } from '../../src/domain/commands';
import type {
  OrgRole,
  OrgState,
  ProjectState,
  ProjectVisibility,
  RegistryRole,
  TeamRole,
  TeamState,
} from '../../src/domain/model';
import {
  CUSTOM_ROLE_CATALOGUE,
  MEMBER_BASE_PERMISSIONS,
  VIEWER_BASE_PERMISSIONS,
} from '../../src/domain/permissions';

export interface HistoryCommand {
  name: CommandName;
  body: Record<string, unknown>;
  /** `user:<id>`, `sa:<id>` or `system`. */
  actor: string;
}

/** Read-only view of the system's current state of an org (undefined before it exists). */
export type OrgView = (orgId: string) => OrgState | undefined;

/** mulberry32: a tiny, well-distributed 32-bit PRNG; enough for test data, and seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VISIBILITIES: readonly ProjectVisibility[] = ['open', 'public', 'team', 'restricted'];
const REGISTRY_ROLES: readonly RegistryRole[] = ['restricted-viewer', 'viewer', 'member', 'admin'];
const DEPLOYMENTS: readonly Record<string, unknown>[] = [
  {},
  { type: 'multi-tenant' },
  { type: 'dedicated', serverVersion: '0.74.2' },
  { type: 'self-managed', customRoles: false },
];

/** Users of this pool belong to several orgs (user ids are global, api.md). */
const SHARED_USERS = ['shared-ann', 'shared-ben', 'shared-cat', 'shared-dan', 'shared-eve'];

type Weighted = readonly (readonly [CommandName, number])[];

/** Relative frequencies of the churn phase: role churn and membership dominate, as in real use. */
const CHURN: Weighted = [
  ['AddUserToOrganization', 2],
  ['ChangeOrganizationRole', 4],
  ['RemoveUserFromOrganization', 1.2],
  ['DeactivateUser', 1.5],
  ['ReactivateUser', 1.5],
  ['SetOrganizationPolicy', 1],
  ['CreateCustomRole', 1],
  ['UpdateCustomRole', 2],
  ['DeleteCustomRole', 0.8],
  ['CreateTeam', 0.4],
  ['UpdateTeamSettings', 1.5],
  ['AddTeamMember', 7],
  ['AssignTeamRole', 10],
  ['RemoveTeamMember', 3.5],
  ['CreateServiceAccount', 1],
  ['DeleteServiceAccount', 0.4],
  ['CreateProject', 3.5],
  ['ChangeProjectVisibility', 5],
  ['AddToRestrictedProject', 6],
  ['RemoveFromRestrictedProject', 2.5],
  ['ChangeProjectRole', 11],
  ['ChangeProjectOwner', 2],
  ['DeleteProject', 0.6],
  ['LogRun', 9],
  ['StopRun', 2.5],
  ['DeleteRun', 2.5],
  ['MoveRun', 3],
  ['CreateReport', 5],
  ['DeleteReport', 2],
  ['CreateRegistry', 0.8],
  ['DeleteRegistry', 0.3],
  ['ChangeRegistryVisibility', 1.5],
  ['AddRegistryMember', 5],
  ['ChangeRegistryRole', 4],
  ['RemoveRegistryMember', 2],
  ['ChangeRegistryOwner', 1.5],
  ['SetRegistryOwningTeam', 1.5],
];

export interface RandomHistoryOptions {
  seed: number;
  orgs: number;
  /** Users created per org at set-up, besides the founder and the shared users. */
  usersPerOrg: number;
  teamsPerOrg: number;
  projectsPerOrg: number;
}

export class RandomHistory {
  readonly orgIds: string[];
  private readonly rnd: () => number;
  private readonly counters = new Map<string, number>();
  private readonly totalWeight: number;
  /** Every user id any command named (ids are global). */
  readonly userIds = new Set<string>();
  /** Every service-account id any command named. */
  readonly serviceAccountIds = new Set<string>();

  constructor(
    private readonly view: OrgView,
    private readonly options: RandomHistoryOptions,
  ) {
    this.rnd = prng(options.seed);
    this.orgIds = Array.from({ length: options.orgs }, (_, i) => `rh${i + 1}`);
    this.totalWeight = CHURN.reduce((s, [, w]) => s + w, 0);
  }

  // --- random helpers ------------------------------------------------------------------------------

  private int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  private chance(p: number): boolean {
    return this.rnd() < p;
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.int(items.length)];
  }

  private subset<T>(items: readonly T[], p: number): T[] {
    return items.filter(() => this.chance(p));
  }

  private fresh(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}${n}`;
  }

  private user(id: string): string {
    this.userIds.add(id);
    return id;
  }

  // --- state look-ups (biasing only) ---------------------------------------------------------------

  private state(orgId: string): OrgState {
    const s = this.view(orgId);
    if (!s) throw new Error(`org ${orgId} does not exist in the system under test`);
    return s;
  }

  private activeUsers(s: OrgState, role?: OrgRole): string[] {
    return [...s.users.values()]
      .filter((u) => u.status === 'active' && (role === undefined || u.orgRole === role))
      .map((u) => u.userId);
  }

  private teamAdmins(team: TeamState): string[] {
    return [...team.members].filter(([, r]) => r === 'admin').map(([u]) => u);
  }

  /**
   * An actor for a command whose authority sits with an org admin or the admin of `team`: mostly one of
   * those, sometimes anyone at all (system, a random user or SA, a user of another org).
   */
  private actor(s: OrgState, team?: TeamState, extra: readonly string[] = []): string {
    const r = this.rnd();
    if (r < 0.06) return 'system';
    if (r < 0.4) {
      const admin = this.pick(this.activeUsers(s, 'admin'));
      if (admin) return `user:${admin}`;
    }
    if (r < 0.8 && (team || extra.length > 0)) {
      const candidates = [...(team ? this.teamAdmins(team).map((u) => `user:${u}`) : []), ...extra];
      const c = this.pick(candidates);
      if (c) return c;
    }
    return this.anyone(s);
  }

  /** Any principal: a user of the org (deactivated ones included), an SA, or a stranger. */
  private anyone(s: OrgState): string {
    const r = this.rnd();
    if (r < 0.15) {
      const sa = this.pick([...s.serviceAccounts.keys()]);
      if (sa) return `sa:${sa}`;
    }
    if (r < 0.25) {
      const stranger = this.pick([...this.userIds]);
      if (stranger) return `user:${stranger}`;
    }
    const u = this.pick([...s.users.keys()]);
    return u ? `user:${u}` : 'system';
  }

  private teamRole(s: OrgState, custom = 0.3): TeamRole {
    if (this.chance(custom)) {
      const role = this.pick([...s.customRoles.keys()]);
      if (role) return `custom:${role}`;
    }
    return this.pick<TeamRole>(['admin', 'member', 'member', 'viewer']) ?? 'member';
  }

  private projectOf(s: OrgState, filter?: (p: ProjectState) => boolean): ProjectState | undefined {
    return this.pick([...s.projects.values()].filter((p) => filter?.(p) ?? true));
  }

  private addablePermissions(base: 'member' | 'viewer'): string[] {
    const inBase = base === 'member' ? MEMBER_BASE_PERMISSIONS : VIEWER_BASE_PERMISSIONS;
    return [...CUSTOM_ROLE_CATALOGUE].filter((p) => !inBase.has(p));
  }

  // --- phases --------------------------------------------------------------------------------------

  /**
   * The set-up of every org, as a list of thunks (each reads the state as it is when it runs): org,
   * users, custom roles, teams with members, service accounts of both scopes, projects of all four
   * visibilities, registries with grants. Thunks that find nothing to do return undefined.
   */
  setup(): (() => HistoryCommand | undefined)[] {
    const steps: (() => HistoryCommand | undefined)[] = [];
    this.orgIds.forEach((orgId, index) => {
      const founder = this.user(`${orgId}-u0`);
      const asFounder = `user:${founder}`;
      steps.push(() => ({
        name: 'CreateOrganization',
        actor: 'system',
        body: {
          orgId,
          name: `Org ${orgId}`,
          founderUserId: founder,
          ...(Object.keys(DEPLOYMENTS[index % DEPLOYMENTS.length] ?? {}).length > 0
            ? { deployment: DEPLOYMENTS[index % DEPLOYMENTS.length] }
            : {}),
        },
      }));
      const users = [
        ...Array.from({ length: this.options.usersPerOrg }, (_, i) => `${orgId}-u${i + 1}`),
        ...SHARED_USERS.filter((_, i) => (i + index) % 2 === 0),
      ];
      users.forEach((userId, i) => {
        // Two extra admins, two legacy org viewers (R8), the rest members.
        const role: OrgRole = i < 2 ? 'admin' : i < 4 ? 'viewer' : 'member';
        steps.push(() => ({
          name: 'AddUserToOrganization',
          actor: asFounder,
          body: { orgId, userId: this.user(userId), role },
        }));
      });
      for (let i = 0; i < 3; i++) steps.push(() => this.createCustomRole(orgId, asFounder));
      for (let t = 0; t < this.options.teamsPerOrg; t++) {
        const teamId = this.fresh(`${orgId}-t`);
        steps.push(() => ({ name: 'CreateTeam', actor: asFounder, body: { orgId, teamId, name: teamId } }));
        for (let m = 0; m < 7; m++) {
          steps.push(() => {
            const s = this.state(orgId);
            const team = s.teams.get(teamId);
            const candidates = this.activeUsers(s).filter((u) => !team?.members.has(u));
            const userId = this.pick(candidates);
            if (!userId) return undefined;
            const orgRole = s.users.get(userId)?.orgRole;
            const role: TeamRole = orgRole === 'viewer' ? 'viewer' : this.teamRole(s, 0.25);
            return { name: 'AddTeamMember', actor: asFounder, body: { teamId, userId, role } };
          });
        }
      }
      steps.push(() => this.createServiceAccount(orgId, 'org', asFounder));
      steps.push(() => this.createServiceAccount(orgId, 'team', asFounder));
      steps.push(() => this.createServiceAccount(orgId, 'team', asFounder));
      for (let p = 0; p < this.options.projectsPerOrg; p++) {
        const visibility = VISIBILITIES[p % VISIBILITIES.length] ?? 'team';
        steps.push(() => this.createProject(orgId, visibility, true));
      }
      for (let r = 0; r < 3; r++) steps.push(() => this.createRegistry(orgId, true));
      for (let g = 0; g < 6; g++) steps.push(() => this.addRegistryMember(orgId, true));
    });
    return steps;
  }

  /** One churn command, chosen by weight in a random org. */
  next(): HistoryCommand {
    for (;;) {
      const orgId = this.pick(this.orgIds) ?? 'rh1';
      let r = this.rnd() * this.totalWeight;
      let name: CommandName = 'AssignTeamRole';
      for (const [n, w] of CHURN) {
        r -= w;
        if (r < 0) {
          name = n;
          break;
        }
      }
      const cmd = this.make(name, orgId);
      if (cmd) return cmd;
    }
  }

  private make(name: CommandName, orgId: string): HistoryCommand | undefined {
    const s = this.state(orgId);
    const anyTeam = this.pick([...s.teams.values()]);
    switch (name) {
      case 'AddUserToOrganization': {
        // Mostly a brand-new user; sometimes someone from another org or one who was removed (A38).
        const known = [...this.userIds].filter((u) => !s.users.has(u));
        const userId = this.chance(0.5) ? this.pick(known) : undefined;
        const role = this.pick<OrgRole>(['member', 'member', 'member', 'admin', 'viewer']) ?? 'member';
        return {
          name,
          actor: this.actor(s),
          body: { orgId, userId: this.user(userId ?? this.fresh(`${orgId}-n`)), role },
        };
      }
      case 'ChangeOrganizationRole': {
        const userId = this.pick([...s.users.keys()]);
        if (!userId) return undefined;
        // →viewer a third of the time: the A3/R60 cascade is the most intricate role churn.
        const role = this.pick<OrgRole>(['viewer', 'member', 'admin']) ?? 'member';
        return { name, actor: this.actor(s), body: { orgId, userId, role } };
      }
      case 'RemoveUserFromOrganization':
      case 'DeactivateUser':
      case 'ReactivateUser': {
        // Reactivation mostly targets someone who is deactivated (else it is a no-op).
        const deactivated = [...s.users.values()].filter((u) => u.status !== 'active').map((u) => u.userId);
        const preferred = name === 'ReactivateUser' && this.chance(0.7) ? this.pick(deactivated) : undefined;
        const userId = preferred ?? this.pick([...s.users.keys()]);
        if (!userId) return undefined;
        return { name, actor: this.actor(s), body: { orgId, userId } };
      }
      case 'SetOrganizationPolicy': {
        const policy = this.chance(0.5) ? 'futureProjectPrivacy' : 'invitationControl';
        // Enforcing is the rarer move, so that most of the history runs without the policy.
        return { name, actor: this.actor(s), body: { orgId, policy, enforced: this.chance(0.35) } };
      }
      case 'CreateCustomRole':
        return this.createCustomRole(orgId, this.actor(s));
      case 'UpdateCustomRole': {
        const role = this.pick([...s.customRoles.values()]);
        if (!role) return undefined;
        const addable = this.addablePermissions(role.base);
        const add = this.subset(addable, 0.12).filter((p) => !role.added.has(p));
        const remove = this.subset([...role.added], 0.3);
        // Now and then a removal of an inherited permission: refused by A32.
        if (this.chance(0.1)) remove.push('project:read');
        const body: Record<string, unknown> = { orgId, roleId: role.roleId };
        if (add.length > 0) body.addPermissions = add;
        if (remove.length > 0) body.removePermissions = remove;
        if (add.length === 0 && remove.length === 0) body.description = this.fresh('desc-');
        return { name, actor: this.actor(s), body };
      }
      case 'DeleteCustomRole': {
        const role = this.pick([...s.customRoles.keys()]);
        if (!role) return undefined;
        return { name, actor: this.actor(s), body: { orgId, roleId: role } };
      }
      case 'CreateTeam': {
        if (s.teams.size >= this.options.teamsPerOrg + 2) return undefined;
        const teamId = this.fresh(`${orgId}-t`);
        return { name, actor: this.actor(s), body: { orgId, teamId, name: teamId } };
      }
      case 'UpdateTeamSettings': {
        if (!anyTeam) return undefined;
        const body: Record<string, unknown> = { teamId: anyTeam.teamId };
        if (this.chance(0.6)) body.futureProjectsPrivate = this.chance(0.4);
        else body.membersCanInvite = this.chance(0.5);
        return { name, actor: this.actor(s, anyTeam), body };
      }
      case 'AddTeamMember': {
        if (!anyTeam) return undefined;
        const candidates = [...s.users.keys()].filter((u) => !anyTeam.members.has(u));
        const userId = this.pick(candidates) ?? this.pick([...s.users.keys()]);
        if (!userId) return undefined;
        const body: Record<string, unknown> = { teamId: anyTeam.teamId, userId };
        if (this.chance(0.8)) body.role = this.teamRole(s);
        // Members invite when the team allows it (R83); a plain member is one of the possible actors.
        const members = [...anyTeam.members.keys()].map((u) => `user:${u}`);
        return { name, actor: this.actor(s, anyTeam, this.subset(members, 0.2)), body };
      }
      case 'AssignTeamRole': {
        if (!anyTeam) return undefined;
        const userId = this.pick([...anyTeam.members.keys()]);
        if (!userId) return undefined;
        return {
          name,
          actor: this.actor(s, anyTeam),
          body: { teamId: anyTeam.teamId, userId, role: this.teamRole(s) },
        };
      }
      case 'RemoveTeamMember': {
        if (!anyTeam) return undefined;
        const userId = this.pick([...anyTeam.members.keys()]);
        if (!userId) return undefined;
        return { name, actor: this.actor(s, anyTeam), body: { teamId: anyTeam.teamId, userId } };
      }
      case 'CreateServiceAccount':
        return this.createServiceAccount(orgId, this.chance(0.4) ? 'org' : 'team', undefined);
      case 'DeleteServiceAccount': {
        const sa = this.pick([...s.serviceAccounts.values()]);
        if (!sa) return undefined;
        return {
          name,
          actor: this.actor(s, s.teams.get(sa.teamId)),
          body: { serviceAccountId: sa.serviceAccountId },
        };
      }
      case 'CreateProject':
        return this.createProject(orgId, this.pick(VISIBILITIES) ?? 'team', false);
      case 'ChangeProjectVisibility': {
        const p = this.projectOf(s);
        if (!p) return undefined;
        const team = s.teams.get(p.teamId);
        const visibility = this.pick(VISIBILITIES.filter((v) => v !== p.visibility)) ?? 'team';
        const body: Record<string, unknown> = { projectId: p.projectId, visibility };
        if (visibility === 'restricted' && team) {
          const invitees = this.subset([...team.members.keys()], 0.4).map((u) => `user:${u}`);
          if (invitees.length > 0) body.invitees = invitees;
        }
        return { name, actor: this.actor(s, team, [p.owner]), body };
      }
      case 'AddToRestrictedProject': {
        const p = this.projectOf(s, (x) => x.visibility === 'restricted') ?? this.projectOf(s);
        if (!p) return undefined;
        const team = s.teams.get(p.teamId);
        const saCandidates = [...s.serviceAccounts.values()]
          .filter((sa) => sa.scope === 'org' || sa.teamId === p.teamId)
          .map((sa) => `sa:${sa.serviceAccountId}`);
        const userCandidates = [...(team?.members.keys() ?? [])].map((u) => `user:${u}`);
        const candidates = [...userCandidates, ...saCandidates].filter((x) => !p.restrictedMembers.has(x));
        const principal = this.pick(candidates) ?? this.anyone(s);
        // Admins joining themselves (A10) happen when the chosen actor is the principal.
        const actor = this.chance(0.15) ? principal : this.actor(s, team, [p.owner]);
        return { name, actor, body: { projectId: p.projectId, principal } };
      }
      case 'RemoveFromRestrictedProject': {
        const p = this.projectOf(s, (x) => x.restrictedMembers.size > 1) ?? this.projectOf(s);
        if (!p) return undefined;
        const principal = this.pick([...p.restrictedMembers]) ?? this.anyone(s);
        return {
          name,
          actor: this.actor(s, s.teams.get(p.teamId), [p.owner]),
          body: { projectId: p.projectId, principal },
        };
      }
      case 'ChangeProjectRole': {
        const p =
          this.projectOf(s, (x) => x.visibility === 'team' || x.visibility === 'restricted') ??
          this.projectOf(s);
        if (!p) return undefined;
        const team = s.teams.get(p.teamId);
        const members =
          p.visibility === 'restricted'
            ? [...p.restrictedMembers].filter((m) => m.startsWith('user:')).map((m) => m.slice(5))
            : [...(team?.members.keys() ?? [])];
        const userId = this.pick(members) ?? this.pick([...s.users.keys()]);
        if (!userId) return undefined;
        // A project-role admin may change roles too (A12): include the overridden admins as actors.
        const projectAdmins = [...p.overrides].filter(([, r]) => r === 'admin').map(([u]) => `user:${u}`);
        return {
          name,
          actor: this.actor(s, team, projectAdmins),
          body: { projectId: p.projectId, userId, role: this.teamRole(s, 0.35) },
        };
      }
      case 'ChangeProjectOwner': {
        const p = this.projectOf(s);
        if (!p) return undefined;
        const team = s.teams.get(p.teamId);
        const userId = this.pick([...(team?.members.keys() ?? [])]) ?? this.pick([...s.users.keys()]);
        if (!userId) return undefined;
        return { name, actor: this.actor(s, team, [p.owner]), body: { projectId: p.projectId, userId } };
      }
      case 'DeleteProject': {
        // Keep the project population up: delete only while there are plenty.
        if (s.projects.size < this.options.projectsPerOrg) return undefined;
        const p = this.projectOf(s);
        if (!p) return undefined;
        return { name, actor: this.actor(s, s.teams.get(p.teamId)), body: { projectId: p.projectId } };
      }
      case 'LogRun': {
        const p = this.projectOf(s);
        if (!p) return undefined;
        const team = s.teams.get(p.teamId);
        const loggers = [
          ...[...(team?.members ?? [])].filter(([, r]) => r !== 'viewer').map(([u]) => `user:${u}`),
          ...[...s.serviceAccounts.keys()].map((sa) => `sa:${sa}`),
          ...[...p.restrictedMembers],
        ];
        const actor = this.chance(0.8) ? (this.pick(loggers) ?? this.anyone(s)) : this.anyone(s);
        const body: Record<string, unknown> = { runId: this.fresh(`${orgId}-run`), projectId: p.projectId };
        // R120: a service account may attribute the run to a user of its team.
        if (actor.startsWith('sa:') && this.chance(0.4)) {
          const u = this.pick([...(team?.members.keys() ?? [])]);
          if (u) body.attributedUserId = u;
        }
        return { name, actor, body };
      }
      case 'StopRun':
      case 'DeleteRun':
      case 'MoveRun': {
        const run = this.pick([...s.runs.values()]);
        if (!run) return undefined;
        const p = s.projects.get(run.projectId);
        const team = p ? s.teams.get(p.teamId) : undefined;
        const actor = this.chance(0.4) ? run.creator : this.actor(s, team);
        if (name !== 'MoveRun') return { name, actor, body: { runId: run.runId } };
        const target = this.projectOf(s, (x) => x.projectId !== run.projectId);
        if (!target) return undefined;
        return { name, actor, body: { runId: run.runId, toProjectId: target.projectId } };
      }
      case 'CreateReport': {
        const p = this.projectOf(s);
        if (!p) return undefined;
        const team = s.teams.get(p.teamId);
        const writers = [...(team?.members.keys() ?? [])].map((u) => `user:${u}`);
        const actor = this.chance(0.7) ? (this.pick(writers) ?? this.anyone(s)) : this.anyone(s);
        return { name, actor, body: { reportId: this.fresh(`${orgId}-rep`), projectId: p.projectId } };
      }
      case 'DeleteReport': {
        const report = this.pick([...s.reports.values()]);
        if (!report) return undefined;
        const p = s.projects.get(report.projectId);
        const actor = this.chance(0.4)
          ? report.creator
          : this.actor(s, p ? s.teams.get(p.teamId) : undefined);
        return { name, actor, body: { reportId: report.reportId } };
      }
      case 'CreateRegistry':
        if (s.registries.size >= 8) return undefined;
        return this.createRegistry(orgId, false);
      case 'DeleteRegistry': {
        const r = this.pick([...s.registries.values()].filter((x) => x.type === 'custom'));
        if (!r || s.registries.size < 5) return undefined;
        return { name, actor: this.registryActor(s, r.registryId), body: { registryId: r.registryId } };
      }
      case 'ChangeRegistryVisibility': {
        const r = this.pick([...s.registries.values()]);
        if (!r) return undefined;
        const visibility = r.visibility === 'organization' ? 'restricted' : 'organization';
        return {
          name,
          actor: this.registryActor(s, r.registryId),
          body: { registryId: r.registryId, visibility },
        };
      }
      case 'AddRegistryMember':
        return this.addRegistryMember(orgId, false);
      case 'ChangeRegistryRole': {
        const r = this.pick([...s.registries.values()].filter((x) => x.grants.size > 0));
        if (!r) return undefined;
        const member = this.pick([...r.grants.keys()]);
        if (!member) return undefined;
        // Service accounts are offered viewer roles too: R40 refuses them.
        const role = this.pick(REGISTRY_ROLES) ?? 'member';
        return {
          name,
          actor: this.registryActor(s, r.registryId),
          body: { registryId: r.registryId, member, role },
        };
      }
      case 'RemoveRegistryMember': {
        const r = this.pick([...s.registries.values()].filter((x) => x.grants.size > 0));
        if (!r) return undefined;
        const member = this.pick([...r.grants.keys()]);
        if (!member) return undefined;
        return {
          name,
          actor: this.registryActor(s, r.registryId),
          body: { registryId: r.registryId, member },
        };
      }
      case 'ChangeRegistryOwner': {
        const r = this.pick([...s.registries.values()]);
        if (!r) return undefined;
        const principals = [...r.grants.keys()].filter((m) => !m.startsWith('team:'));
        const principal = this.pick(principals) ?? this.anyone(s);
        return {
          name,
          actor: this.registryActor(s, r.registryId),
          body: { registryId: r.registryId, principal },
        };
      }
      case 'SetRegistryOwningTeam': {
        const r = this.pick([...s.registries.values()]);
        if (!r) return undefined;
        const teamId = this.chance(0.25) ? null : (anyTeam?.teamId ?? null);
        return { name, actor: this.actor(s), body: { registryId: r.registryId, teamId } };
      }
      default:
        return undefined;
    }
  }

  private createCustomRole(orgId: string, actor: string): HistoryCommand {
    const base = this.chance(0.5) ? 'member' : 'viewer';
    const roleId = this.fresh(`${orgId}-cr`);
    return {
      name: 'CreateCustomRole',
      actor,
      body: {
        orgId,
        roleId,
        name: roleId,
        base,
        permissions: this.subset(this.addablePermissions(base), 0.25),
      },
    };
  }

  private createServiceAccount(
    orgId: string,
    scope: 'org' | 'team',
    actor: string | undefined,
  ): HistoryCommand | undefined {
    const s = this.state(orgId);
    const team = this.pick([...s.teams.values()]);
    if (!team) return undefined;
    const serviceAccountId = this.fresh(`${orgId}-sa`);
    this.serviceAccountIds.add(serviceAccountId);
    return {
      name: 'CreateServiceAccount',
      actor: actor ?? this.actor(s, team),
      body: { orgId, serviceAccountId, scope, teamId: team.teamId },
    };
  }

  private createProject(
    orgId: string,
    visibility: ProjectVisibility,
    careful: boolean,
  ): HistoryCommand | undefined {
    const s = this.state(orgId);
    const team = this.pick([...s.teams.values()]);
    if (!team) return undefined;
    const creators = [...team.members]
      .filter(([u, r]) => r !== 'viewer' && s.users.get(u)?.status === 'active')
      .map(([u]) => `user:${u}`);
    const sas = [...s.serviceAccounts.values()]
      .filter((sa) => sa.scope === 'org' || sa.teamId === team.teamId)
      .map((sa) => `sa:${sa.serviceAccountId}`);
    const actor = careful
      ? (this.pick(creators) ?? 'system')
      : this.chance(0.1)
        ? (this.pick(sas) ?? this.anyone(s))
        : this.chance(0.85)
          ? (this.pick(creators) ?? this.anyone(s))
          : this.anyone(s);
    const body: Record<string, unknown> = {
      projectId: this.fresh(`${orgId}-p`),
      teamId: team.teamId,
      name: 'project',
      visibility,
    };
    if (visibility === 'restricted') {
      const invitees = [
        ...this.subset([...team.members.keys()], 0.45).map((u) => `user:${u}`),
        ...this.subset(sas, 0.3),
      ].filter((p) => p !== actor);
      if (invitees.length > 0) body.invitees = invitees;
    }
    return { name: 'CreateProject', actor, body };
  }

  private createRegistry(orgId: string, careful: boolean): HistoryCommand | undefined {
    const s = this.state(orgId);
    const team = this.pick([...s.teams.values()]);
    const registryId = this.fresh(`${orgId}-reg`);
    const body: Record<string, unknown> = {
      orgId,
      registryId,
      name: registryId,
      visibility: this.chance(0.5) ? 'organization' : 'restricted',
    };
    if (team && this.chance(0.6)) body.owningTeamId = team.teamId;
    const member = this.pick(this.activeUsers(s, 'member'));
    const actor = careful ? (member ? `user:${member}` : 'system') : this.actor(s);
    return { name: 'CreateRegistry', actor, body };
  }

  private registryActor(s: OrgState, registryId: string): string {
    const r = s.registries.get(registryId);
    const admins = [...(r?.grants ?? [])]
      .filter(([m, role]) => role === 'admin' && !m.startsWith('team:'))
      .map(([m]) => m);
    const owning = r?.owningTeamId ? s.teams.get(r.owningTeamId) : undefined;
    return this.actor(s, owning, admins);
  }

  private addRegistryMember(orgId: string, careful: boolean): HistoryCommand | undefined {
    const s = this.state(orgId);
    const r = this.pick([...s.registries.values()]);
    if (!r) return undefined;
    const candidates = [
      ...[...s.users.keys()].map((u) => `user:${u}`),
      ...[...s.teams.keys()].map((t) => `team:${t}`),
      ...[...s.serviceAccounts.keys()].map((sa) => `sa:${sa}`),
    ].filter((m) => !r.grants.has(m));
    const member = this.pick(candidates);
    if (!member) return undefined;
    const body: Record<string, unknown> = { registryId: r.registryId, member };
    // A missing role takes the §3.6 default (R39); service accounts now and then get a refused one (R40).
    if (this.chance(0.7)) body.role = this.pick(REGISTRY_ROLES) ?? 'member';
    let actor: string;
    if (careful) {
      // Set-up grants come from an org admin, who is an effective registry admin everywhere (A20).
      const admin = this.pick(this.activeUsers(s, 'admin'));
      actor = admin ? `user:${admin}` : 'system';
    } else {
      actor = this.registryActor(s, r.registryId);
    }
    return { name: 'AddRegistryMember', actor, body };
  }
}
