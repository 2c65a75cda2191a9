/**
 * Deterministic history generator for the benchmarks: organizations with users, teams, custom roles,
 * service accounts, projects in all four scopes (restricted members, project-role overrides), runs,
 * reports, registries with user/team/SA grants and owning teams, then activity with role churn.
 *
 * Every command goes through the real deciders (`decide`) against an in-memory OrgState that is evolved
 * with the stored events, so the history is one the service itself could have written. Commands the
 * deciders refuse are counted and skipped. Event ids, command ids and timestamps come from the seeded
 * PRNG and a simulated clock: the same seed and size give the same history, byte for byte.
 *
 * Usage: node dist/bench/generator.js --events 1000000 [--seed 42] [--force]
 * Output: bench/.data/<seed>-<events>/events.sqlite + meta.json (cached: reused unless --force).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyCommand, CommandBodies, CommandName } from '../src/domain/commands';
import { check } from '../src/domain/access';
import { decide } from '../src/domain/decide';
import { DomainError } from '../src/domain/errors';
import { evolve } from '../src/domain/evolve';
import {
  emptyOrgState,
  orgStream,
  type DeploymentType,
  type OrgRole,
  type OrgState,
  type ProjectVisibility,
  type RegistryRole,
  type TeamRole,
} from '../src/domain/model';
import {
  CUSTOM_ROLE_CATALOGUE,
  MEMBER_BASE_PERMISSIONS,
  VIEWER_BASE_PERMISSIONS,
} from '../src/domain/permissions';
import type { NewEvent } from '../src/event-store/port';
import { SQLITE_FILE_NAME, SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store';
import { parseArgs } from './lib/args';
import { storeDirOf } from './lib/paths';
import { Rng } from './lib/prng';

/** Bump when the generated history changes shape: cached stores of another version are regenerated. */
export const GENERATOR_VERSION = 1;
/** Events per organization: sets the number of organizations for a target size. */
const EVENTS_PER_ORG = 60_000;

export interface GenerateOptions {
  events: number;
  seed: number;
  /** Directory that receives `events.sqlite` and `meta.json`. */
  dir: string;
  log?: (line: string) => void;
}

export interface GeneratedMeta {
  generatorVersion: number;
  seed: number;
  targetEvents: number;
  events: number;
  commands: number;
  noops: number;
  rejected: Record<string, number>;
  orgs: number;
  generationMs: number;
  eventsPerSecond: number;
  fileBytes: number;
  counts: Record<string, number>;
  eventTypes: Record<string, number>;
  headPosition: string;
}

/** Bookkeeping the generator keeps beside the OrgState: id counters and lists to pick from. */
interface OrgPlan {
  orgId: string;
  founder: string;
  multiTenant: boolean;
  users: string[];
  teams: string[];
  customRoles: string[];
  projects: string[];
  registries: string[];
  runs: string[];
  next: Record<'user' | 'team' | 'project' | 'run' | 'registry' | 'sa' | 'role' | 'report', number>;
}

type Op = (plan: OrgPlan) => Promise<void>;

const ACTIVITY_WEIGHTS = {
  logRun: 80,
  stopRun: 5,
  deleteRun: 0.8,
  createReport: 2,
  assignTeamRole: 1.5,
  changeProjectRole: 1.5,
  addTeamMember: 1,
  removeTeamMember: 0.4,
  addToRestricted: 0.8,
  removeFromRestricted: 0.4,
  changeRegistryRole: 0.8,
  addRegistryMember: 0.8,
  removeRegistryMember: 0.2,
  changeProjectVisibility: 0.4,
  changeOrgRole: 0.25,
  toggleUserStatus: 0.25,
  removeUser: 0.03,
  updateCustomRole: 0.15,
  addUser: 0.6,
  createProject: 0.6,
  createRegistry: 0.1,
  setOwningTeam: 0.08,
  changeRegistryVisibility: 0.08,
  createServiceAccount: 0.05,
  deleteProject: 0.03,
} as const;
type OpName = keyof typeof ACTIVITY_WEIGHTS;

/** The last tenth of the history is role churn: same operations, with the membership and role changes up. */
const CHURN_WEIGHTS: Record<OpName, number> = {
  ...ACTIVITY_WEIGHTS,
  logRun: 30,
  stopRun: 3,
  assignTeamRole: 6,
  changeProjectRole: 6,
  addTeamMember: 3,
  removeTeamMember: 2,
  addToRestricted: 3,
  removeFromRestricted: 2,
  changeRegistryRole: 4,
  addRegistryMember: 3,
  removeRegistryMember: 1,
  changeOrgRole: 1,
  toggleUserStatus: 1,
  updateCustomRole: 0.5,
};

const MEMBER_ADDABLE = [...CUSTOM_ROLE_CATALOGUE].filter((p) => !MEMBER_BASE_PERMISSIONS.has(p));
const VIEWER_ADDABLE = [...CUSTOM_ROLE_CATALOGUE].filter((p) => !VIEWER_BASE_PERMISSIONS.has(p));

class Generator {
  private readonly rng: Rng;
  private readonly states = new Map<string, OrgState>();
  private readonly plans: OrgPlan[] = [];
  private clock = Date.UTC(2024, 0, 1);
  eventCount = 0;
  commands = 0;
  noops = 0;
  readonly rejected: Record<string, number> = {};
  readonly eventTypes: Record<string, number> = {};
  lastPosition = '0';
  private readonly ops: Record<OpName, Op>;

  constructor(
    private readonly store: SqliteEventStore,
    seed: number,
  ) {
    this.rng = new Rng(seed);
    this.ops = {
      logRun: (p) => this.logRun(p),
      stopRun: (p) => this.stopRun(p),
      deleteRun: (p) => this.deleteRun(p),
      createReport: (p) => this.createReport(p),
      assignTeamRole: (p) => this.assignTeamRole(p),
      changeProjectRole: (p) => this.changeProjectRole(p),
      addTeamMember: (p) => this.addTeamMember(p, this.pickTeam(p)),
      removeTeamMember: (p) => this.removeTeamMember(p),
      addToRestricted: (p) => this.addToRestricted(p),
      removeFromRestricted: (p) => this.removeFromRestricted(p),
      changeRegistryRole: (p) => this.changeRegistryRole(p),
      addRegistryMember: (p) => this.addRegistryMember(p, this.pickCustomRegistry(p)),
      removeRegistryMember: (p) => this.removeRegistryMember(p),
      changeProjectVisibility: (p) => this.changeProjectVisibility(p),
      changeOrgRole: (p) => this.changeOrgRole(p),
      toggleUserStatus: (p) => this.toggleUserStatus(p),
      removeUser: (p) => this.removeUser(p),
      updateCustomRole: (p) => this.updateCustomRole(p),
      addUser: (p) => this.addUser(p),
      createProject: (p) => this.createProject(p, this.pickTeam(p)),
      createRegistry: (p) => this.createRegistry(p),
      setOwningTeam: (p) => this.setOwningTeam(p),
      changeRegistryVisibility: (p) => this.changeRegistryVisibility(p),
      createServiceAccount: (p) => this.createServiceAccount(p, this.pickTeam(p), 'team'),
      deleteProject: (p) => this.deleteProject(p),
    };
  }

  // -------------------------------------------------------------------------------------------
  // The command path: decide on the in-memory state, append with the expected revision, evolve.
  // -------------------------------------------------------------------------------------------

  private state(orgId: string): OrgState {
    let s = this.states.get(orgId);
    if (!s) {
      s = emptyOrgState(orgId);
      this.states.set(orgId, s);
    }
    return s;
  }

  private async exec<N extends CommandName>(
    plan: OrgPlan,
    name: N,
    body: CommandBodies[N],
    actor: string,
  ): Promise<boolean> {
    const state = this.state(plan.orgId);
    const command = { name, body, actor } as unknown as AnyCommand;
    let decided;
    try {
      decided = decide(state, command);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      this.rejected[name] = (this.rejected[name] ?? 0) + 1;
      if (process.env.GEN_DEBUG) process.stderr.write(`${name} ${actor}: ${err.message}\n`);
      return false;
    }
    this.commands += 1;
    if (decided.length === 0) {
      this.noops += 1;
      return true;
    }
    this.clock += this.rng.int(50, 20_000);
    const occurredAt = new Date(this.clock).toISOString();
    const commandId = this.rng.uuid();
    const ids = decided.map(() => this.rng.uuid());
    const events: NewEvent[] = decided.map((e, i) => ({
      eventId: ids[i],
      type: e.type,
      data: e.data as unknown as Record<string, unknown>,
      metadata: {
        actor,
        correlationId: commandId,
        causationId: e.causedBy !== undefined ? (ids[e.causedBy] ?? commandId) : commandId,
        commandId,
        commandName: name,
        occurredAt,
        schemaVersion: 1,
      },
    }));
    const result = await this.store.append(
      orgStream(plan.orgId),
      events,
      state.revision < 0 ? 'no_stream' : state.revision,
    );
    // Evolve with what the store recorded (JSON-normalised), exactly as a replay would see it.
    for (const e of result.events) {
      evolve(state, e.type, e.data);
      this.eventTypes[e.type] = (this.eventTypes[e.type] ?? 0) + 1;
    }
    this.eventCount += result.events.length;
    this.lastPosition = result.position;
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Helpers for picking valid targets.
  // -------------------------------------------------------------------------------------------

  private newId(plan: OrgPlan, kind: keyof OrgPlan['next'], prefix: string): string {
    const n = plan.next[kind]++;
    return `${plan.orgId}-${prefix}${n}`;
  }

  private pickTeam(plan: OrgPlan): string | undefined {
    return plan.teams.length > 0 ? this.rng.pick(plan.teams) : undefined;
  }

  private pickCustomRegistry(plan: OrgPlan): string | undefined {
    return plan.registries.length > 0 ? this.rng.pick(plan.registries) : undefined;
  }

  private activeUser(plan: OrgPlan, userId: string): boolean {
    return this.state(plan.orgId).users.get(userId)?.status === 'active';
  }

  /** A random active org user other than the founder, optionally not an org viewer. */
  private pickUser(plan: OrgPlan, notViewer = false): string | undefined {
    const s = this.state(plan.orgId);
    for (let i = 0; i < 8; i++) {
      const id = this.rng.pick(plan.users);
      const u = s.users.get(id);
      if (id === plan.founder || !u || u.status !== 'active') continue;
      if (notViewer && u.orgRole === 'viewer') continue;
      return id;
    }
    return undefined;
  }

  /** A team role for a new member: org viewers may only hold viewer (R8). */
  private teamRoleFor(plan: OrgPlan, userId: string): TeamRole {
    const s = this.state(plan.orgId);
    if (s.users.get(userId)?.orgRole === 'viewer') return 'viewer';
    const kind = this.rng.weighted({ member: 70, viewer: 12, custom: 10, admin: 8 });
    if (kind === 'custom') {
      const roles = plan.customRoles.filter((r) => s.customRoles.has(r));
      return roles.length > 0 ? `custom:${this.rng.pick(roles)}` : 'member';
    }
    return kind;
  }

  private otherRole(plan: OrgPlan, current: TeamRole): TeamRole {
    const s = this.state(plan.orgId);
    const roles: TeamRole[] = ['admin', 'member', 'viewer'];
    for (const r of plan.customRoles) if (s.customRoles.has(r)) roles.push(`custom:${r}`);
    const choices = roles.filter((r) => r !== current);
    return this.rng.pick(choices);
  }

  private pickProject(plan: OrgPlan): string | undefined {
    const s = this.state(plan.orgId);
    for (let i = 0; i < 5; i++) {
      const id = this.rng.pick(plan.projects);
      if (s.projects.has(id)) return id;
    }
    return undefined;
  }

  private founderActor(plan: OrgPlan): string {
    return `user:${plan.founder}`;
  }

  // -------------------------------------------------------------------------------------------
  // Organization set-up.
  // -------------------------------------------------------------------------------------------

  async setupOrg(index: number, orgCount: number): Promise<void> {
    const orgId = `o${index}`;
    const type: DeploymentType =
      index % 8 === 5 ? 'multi-tenant' : index % 4 === 2 ? 'self-managed' : 'dedicated';
    // Registries default differently before 0.75.0 (R135): keep a few orgs on an older server.
    const serverVersion = index % 4 === 1 ? '0.74.2' : '0.76.1';
    const plan: OrgPlan = {
      orgId,
      founder: `${orgId}-u0`,
      multiTenant: type === 'multi-tenant',
      users: [],
      teams: [],
      customRoles: [],
      projects: [],
      registries: [],
      runs: [],
      next: { user: 1, team: 0, project: 0, run: 0, registry: 0, sa: 0, role: 0, report: 0 },
    };
    this.plans.push(plan);
    await this.exec(
      plan,
      'CreateOrganization',
      {
        orgId,
        name: `Organization ${index}`,
        founderUserId: plan.founder,
        deployment: { type, serverVersion, customRoles: true },
      },
      'system',
    );
    plan.registries.push(`${orgId}.models`, `${orgId}.datasets`);
    // Larger and smaller organizations alike; the size mix stays the same whatever the total.
    const scale = orgCount === 1 ? 1 : 0.6 + this.rng.float() * 0.8;
    const userCount = Math.round(this.rng.int(220, 420) * scale);
    for (let i = 0; i < userCount; i++) await this.addUser(plan);
    const roleCount = this.rng.int(3, 6);
    for (let i = 0; i < roleCount; i++) await this.createCustomRole(plan);
    const teamCount = Math.max(4, Math.round(this.rng.int(14, 28) * scale));
    for (let i = 0; i < teamCount; i++) await this.createTeam(plan);
    for (let i = 0, n = this.rng.int(1, 3); i < n; i++)
      await this.createServiceAccount(plan, this.pickTeam(plan), 'org');
    for (const teamId of plan.teams) {
      if (this.rng.chance(0.35)) await this.createServiceAccount(plan, teamId, 'team');
      if (this.rng.chance(0.1)) await this.createServiceAccount(plan, teamId, 'team');
    }
    for (const teamId of plan.teams) {
      const n = this.rng.int(10, 32);
      for (let i = 0; i < n; i++) await this.createProject(plan, teamId);
    }
    // Project-level roles differing from the team role (R27), in a third of the projects.
    for (const projectId of plan.projects) {
      if (!this.rng.chance(0.33)) continue;
      for (let i = 0, n = this.rng.int(1, 3); i < n; i++) await this.changeProjectRole(plan, projectId);
    }
    const registryCount = Math.round(this.rng.int(8, 24) * scale);
    for (let i = 0; i < registryCount; i++) await this.createRegistry(plan);
    for (const projectId of plan.projects) if (this.rng.chance(0.3)) await this.createReport(plan, projectId);
  }

  private async addUser(plan: OrgPlan): Promise<void> {
    const userId = this.newId(plan, 'user', 'u');
    const role: OrgRole = this.rng.weighted({ member: 85, viewer: 11, admin: 4 });
    if (
      await this.exec(
        plan,
        'AddUserToOrganization',
        { orgId: plan.orgId, userId, role },
        this.founderActor(plan),
      )
    )
      plan.users.push(userId);
  }

  private async createCustomRole(plan: OrgPlan): Promise<void> {
    const roleId = this.newId(plan, 'role', 'cr');
    const base = this.rng.chance(0.6) ? 'member' : 'viewer';
    const permissions = this.rng.sample(
      base === 'member' ? MEMBER_ADDABLE : VIEWER_ADDABLE,
      this.rng.int(1, 3),
    );
    const ok = await this.exec(
      plan,
      'CreateCustomRole',
      { orgId: plan.orgId, roleId, name: `Role ${roleId}`, description: 'generated', base, permissions },
      this.founderActor(plan),
    );
    if (ok) plan.customRoles.push(roleId);
  }

  private async createTeam(plan: OrgPlan): Promise<void> {
    const teamId = this.newId(plan, 'team', 't');
    // `system` creates the team (admin tooling): nobody joins implicitly (A49), members are added below.
    if (
      !(await this.exec(plan, 'CreateTeam', { orgId: plan.orgId, teamId, name: `Team ${teamId}` }, 'system'))
    )
      return;
    plan.teams.push(teamId);
    const admin = this.pickUser(plan, true);
    if (admin !== undefined)
      await this.exec(
        plan,
        'AddTeamMember',
        { teamId, userId: admin, role: 'admin' },
        this.founderActor(plan),
      );
    const size = this.rng.int(8, 40);
    for (let i = 0; i < size; i++) await this.addTeamMember(plan, teamId);
    const futureProjectsPrivate = this.rng.chance(0.12);
    const membersCanInvite = this.rng.chance(0.2);
    if (futureProjectsPrivate || membersCanInvite) {
      await this.exec(
        plan,
        'UpdateTeamSettings',
        { teamId, futureProjectsPrivate, membersCanInvite },
        this.founderActor(plan),
      );
    }
  }

  private async addTeamMember(plan: OrgPlan, teamId: string | undefined): Promise<void> {
    if (teamId === undefined) return;
    const team = this.state(plan.orgId).teams.get(teamId);
    const userId = this.pickUser(plan);
    if (!team || userId === undefined || team.members.has(userId)) return;
    const role = this.teamRoleFor(plan, userId);
    await this.exec(plan, 'AddTeamMember', { teamId, userId, role }, this.founderActor(plan));
  }

  private async createServiceAccount(
    plan: OrgPlan,
    teamId: string | undefined,
    scope: 'org' | 'team',
  ): Promise<void> {
    if (teamId === undefined) return;
    const serviceAccountId = this.newId(plan, 'sa', 'sa');
    await this.exec(
      plan,
      'CreateServiceAccount',
      { orgId: plan.orgId, serviceAccountId, scope, teamId },
      scope === 'org' ? this.founderActor(plan) : 'system',
    );
  }

  /** Service accounts that may act in `teamId`: its team SAs and every org SA (R117, R118). */
  private serviceAccountsFor(plan: OrgPlan, teamId: string): string[] {
    const out: string[] = [];
    for (const sa of this.state(plan.orgId).serviceAccounts.values())
      if (sa.scope === 'org' || sa.teamId === teamId) out.push(sa.serviceAccountId);
    return out;
  }

  /** A team member whose team role can create content (not View-Only), or undefined. */
  private pickContributor(plan: OrgPlan, teamId: string): string | undefined {
    const team = this.state(plan.orgId).teams.get(teamId);
    if (!team || team.members.size === 0) return undefined;
    const members = [...team.members].filter(([id, role]) => role !== 'viewer' && this.activeUser(plan, id));
    return members.length > 0 ? this.rng.pick(members)[0] : undefined;
  }

  private async createProject(plan: OrgPlan, teamId: string | undefined): Promise<void> {
    if (teamId === undefined) return;
    const s = this.state(plan.orgId);
    const team = s.teams.get(teamId);
    if (!team) return;
    let actor: string | undefined;
    const sas = this.serviceAccountsFor(plan, teamId);
    if (sas.length > 0 && this.rng.chance(0.08)) actor = `sa:${this.rng.pick(sas)}`;
    else {
      const userId = this.pickContributor(plan, teamId);
      if (userId !== undefined) actor = `user:${userId}`;
    }
    if (actor === undefined) return;
    const locked = team.futureProjectsPrivate || s.policies.futureProjectPrivacy;
    const visibility: ProjectVisibility = locked
      ? this.rng.chance(0.7)
        ? 'team'
        : 'restricted'
      : this.rng.weighted({ team: 45, restricted: 20, open: 18, public: 17 });
    const projectId = this.newId(plan, 'project', 'p');
    const body: CommandBodies['CreateProject'] = {
      projectId,
      teamId,
      name: `Project ${projectId}`,
      visibility,
    };
    if (visibility === 'restricted') {
      const members = [...team.members.keys()].filter((id) => `user:${id}` !== actor);
      const invitees = this.rng.sample(members, this.rng.int(1, 6)).map((id) => `user:${id}`);
      if (sas.length > 0 && this.rng.chance(0.3)) invitees.push(`sa:${this.rng.pick(sas)}`);
      body.invitees = invitees.filter((p) => p !== actor);
    }
    if (await this.exec(plan, 'CreateProject', body, actor)) plan.projects.push(projectId);
  }

  private async createRegistry(plan: OrgPlan): Promise<void> {
    const creator = this.pickUser(plan, true);
    if (creator === undefined) return;
    const registryId = this.newId(plan, 'registry', 'g');
    const visibility = this.rng.chance(0.55) ? 'organization' : 'restricted';
    const body: CommandBodies['CreateRegistry'] = {
      orgId: plan.orgId,
      registryId,
      name: `Registry ${registryId}`,
      visibility,
    };
    const team = this.pickTeam(plan);
    if (team !== undefined && this.rng.chance(0.45)) body.owningTeamId = team;
    if (!(await this.exec(plan, 'CreateRegistry', body, `user:${creator}`))) return;
    plan.registries.push(registryId);
    for (let i = 0, n = this.rng.int(2, 8); i < n; i++) await this.addRegistryMember(plan, registryId);
  }

  private async addRegistryMember(plan: OrgPlan, registryId: string | undefined): Promise<void> {
    if (registryId === undefined) return;
    const s = this.state(plan.orgId);
    const registry = s.registries.get(registryId);
    if (!registry) return;
    const kind = this.rng.weighted({ user: 60, team: 25, sa: 15 });
    let member: string | undefined;
    let role: RegistryRole;
    if (kind === 'team') {
      const t = this.pickTeam(plan);
      member = t === undefined ? undefined : `team:${t}`;
      role = this.rng.weighted({ viewer: 40, member: 40, 'restricted-viewer': 10, admin: 10 });
    } else if (kind === 'sa') {
      const sas = [...s.serviceAccounts.keys()];
      member = sas.length > 0 ? `sa:${this.rng.pick(sas)}` : undefined;
      role = this.rng.chance(0.8) ? 'member' : 'admin'; // R40: never below member
    } else {
      const u = this.pickUser(plan);
      member = u === undefined ? undefined : `user:${u}`;
      role = this.rng.weighted({ viewer: 35, member: 35, 'restricted-viewer': 20, admin: 10 });
    }
    if (member === undefined || registry.grants.has(member)) return;
    await this.exec(plan, 'AddRegistryMember', { registryId, member, role }, this.founderActor(plan));
  }

  private async createReport(plan: OrgPlan, projectId?: string): Promise<void> {
    const pid = projectId ?? this.pickProject(plan);
    const p = pid === undefined ? undefined : this.state(plan.orgId).projects.get(pid);
    if (!p || pid === undefined) return;
    const author = this.pickContributor(plan, p.teamId);
    if (author === undefined) return;
    const reportId = this.newId(plan, 'report', 'rep');
    await this.exec(
      plan,
      'CreateReport',
      { reportId, projectId: pid, name: `Report ${reportId}` },
      `user:${author}`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Activity and churn.
  // -------------------------------------------------------------------------------------------

  private async logRun(plan: OrgPlan): Promise<void> {
    const s = this.state(plan.orgId);
    const projectId = this.pickProject(plan);
    const p = projectId === undefined ? undefined : s.projects.get(projectId);
    if (!p || projectId === undefined) return;
    const team = s.teams.get(p.teamId);
    if (!team) return;
    const sas = this.serviceAccountsFor(plan, p.teamId);
    const people =
      p.visibility === 'restricted'
        ? [...p.restrictedMembers]
        : [...team.members.keys()].map((id) => `user:${id}`);
    // Ask the effective-role module first (a microsecond) rather than let the decider refuse: a viewer, a
    // viewer-based custom role or an SA outside a restricted project cannot log (R6, R9, R21).
    for (let attempt = 0; attempt < 6; attempt++) {
      const bySa = sas.length > 0 && this.rng.chance(0.12);
      if (!bySa && people.length === 0) return;
      const actor = bySa ? `sa:${this.rng.pick(sas)}` : this.rng.pick(people);
      if (!check(s, actor, 'run:create', `project:${projectId}`).allowed) continue;
      const runId = this.newId(plan, 'run', 'r');
      const body: CommandBodies['LogRun'] = { runId, projectId };
      // R120: half of the SA runs are attributed to a team member.
      if (bySa && team.members.size > 0 && this.rng.chance(0.5))
        body.attributedUserId = this.rng.pick([...team.members.keys()]);
      if (await this.exec(plan, 'LogRun', body, actor)) plan.runs.push(runId);
      return;
    }
  }

  private pickRun(plan: OrgPlan): { runId: string; creator: string } | undefined {
    const s = this.state(plan.orgId);
    for (let i = 0; i < 4 && plan.runs.length > 0; i++) {
      const runId = this.rng.pick(plan.runs);
      const run = s.runs.get(runId);
      if (run) return { runId, creator: run.creator };
    }
    return undefined;
  }

  /** The run's creator acts on their own run (R93) when still active; otherwise the org admin. */
  private runActor(plan: OrgPlan, creator: string): string {
    if (creator.startsWith('user:') && this.activeUser(plan, creator.slice(5)) && this.rng.chance(0.8))
      return creator;
    return this.founderActor(plan);
  }

  private async stopRun(plan: OrgPlan): Promise<void> {
    const run = this.pickRun(plan);
    if (run) await this.exec(plan, 'StopRun', { runId: run.runId }, this.runActor(plan, run.creator));
  }

  private async deleteRun(plan: OrgPlan): Promise<void> {
    const run = this.pickRun(plan);
    if (run) await this.exec(plan, 'DeleteRun', { runId: run.runId }, this.runActor(plan, run.creator));
  }

  private async assignTeamRole(plan: OrgPlan): Promise<void> {
    const teamId = this.pickTeam(plan);
    const team = teamId === undefined ? undefined : this.state(plan.orgId).teams.get(teamId);
    if (!team || teamId === undefined || team.members.size === 0) return;
    const [userId, current] = this.rng.pick([...team.members]);
    const role = this.otherRole(plan, current);
    await this.exec(plan, 'AssignTeamRole', { teamId, userId, role }, this.founderActor(plan));
  }

  private async changeProjectRole(plan: OrgPlan, projectId?: string): Promise<void> {
    const s = this.state(plan.orgId);
    const pid = projectId ?? this.pickProject(plan);
    const p = pid === undefined ? undefined : s.projects.get(pid);
    if (!p || pid === undefined || p.visibility === 'open' || p.visibility === 'public') return;
    const team = s.teams.get(p.teamId);
    if (!team) return;
    const candidates = [...team.members].filter(
      ([id, role]) =>
        role !== 'viewer' && (p.visibility !== 'restricted' || p.restrictedMembers.has(`user:${id}`)),
    );
    if (candidates.length === 0) return;
    const [userId, teamRole] = this.rng.pick(candidates);
    const role = this.otherRole(plan, p.overrides.get(userId) ?? teamRole);
    await this.exec(plan, 'ChangeProjectRole', { projectId: pid, userId, role }, this.founderActor(plan));
  }

  private async removeTeamMember(plan: OrgPlan): Promise<void> {
    const teamId = this.pickTeam(plan);
    const team = teamId === undefined ? undefined : this.state(plan.orgId).teams.get(teamId);
    if (!team || teamId === undefined || team.members.size < 4) return;
    const userId = this.rng.pick([...team.members.keys()]);
    await this.exec(plan, 'RemoveTeamMember', { teamId, userId }, this.founderActor(plan));
  }

  private restrictedProject(plan: OrgPlan): string | undefined {
    const s = this.state(plan.orgId);
    for (let i = 0; i < 12; i++) {
      const pid = this.pickProject(plan);
      if (pid !== undefined && s.projects.get(pid)?.visibility === 'restricted') return pid;
    }
    return undefined;
  }

  private async addToRestricted(plan: OrgPlan): Promise<void> {
    const s = this.state(plan.orgId);
    const pid = this.restrictedProject(plan);
    const p = pid === undefined ? undefined : s.projects.get(pid);
    const team = p && s.teams.get(p.teamId);
    if (!p || !team || pid === undefined) return;
    const outside = [...team.members.keys()].filter((id) => !p.restrictedMembers.has(`user:${id}`));
    if (outside.length === 0) return;
    const principal = `user:${this.rng.pick(outside)}`;
    await this.exec(plan, 'AddToRestrictedProject', { projectId: pid, principal }, this.founderActor(plan));
  }

  private async removeFromRestricted(plan: OrgPlan): Promise<void> {
    const s = this.state(plan.orgId);
    const pid = this.restrictedProject(plan);
    const p = pid === undefined ? undefined : s.projects.get(pid);
    if (!p || pid === undefined) return;
    const members = [...p.restrictedMembers].filter((m) => m !== p.owner);
    if (members.length === 0) return;
    const principal = this.rng.pick(members);
    await this.exec(
      plan,
      'RemoveFromRestrictedProject',
      { projectId: pid, principal },
      this.founderActor(plan),
    );
  }

  private async changeRegistryRole(plan: OrgPlan): Promise<void> {
    const registryId = this.pickCustomRegistry(plan);
    const r = registryId === undefined ? undefined : this.state(plan.orgId).registries.get(registryId);
    if (!r || registryId === undefined || r.grants.size === 0) return;
    const [member, current] = this.rng.pick([...r.grants]);
    const choices: RegistryRole[] = member.startsWith('sa:')
      ? ['member', 'admin']
      : ['restricted-viewer', 'viewer', 'member', 'admin'];
    const role = this.rng.pick(choices.filter((c) => c !== current));
    await this.exec(plan, 'ChangeRegistryRole', { registryId, member, role }, this.founderActor(plan));
  }

  private async removeRegistryMember(plan: OrgPlan): Promise<void> {
    const registryId = this.pickCustomRegistry(plan);
    const r = registryId === undefined ? undefined : this.state(plan.orgId).registries.get(registryId);
    if (!r || registryId === undefined || r.grants.size < 3) return;
    const member = this.rng.pick([...r.grants.keys()]);
    if (member === r.owner) return;
    await this.exec(plan, 'RemoveRegistryMember', { registryId, member }, this.founderActor(plan));
  }

  private async changeProjectVisibility(plan: OrgPlan): Promise<void> {
    const s = this.state(plan.orgId);
    const pid = this.pickProject(plan);
    const p = pid === undefined ? undefined : s.projects.get(pid);
    const team = p && s.teams.get(p.teamId);
    if (!p || !team || pid === undefined) return;
    const choices = (['open', 'public', 'team', 'restricted'] as const).filter((v) => v !== p.visibility);
    const visibility = this.rng.pick(choices);
    const body: CommandBodies['ChangeProjectVisibility'] = { projectId: pid, visibility };
    if (visibility === 'restricted') {
      const members = [...team.members.keys()].map((id) => `user:${id}`).filter((m) => m !== p.owner);
      body.invitees = this.rng.sample(members, this.rng.int(1, 5));
    }
    await this.exec(plan, 'ChangeProjectVisibility', body, this.founderActor(plan));
  }

  private async changeOrgRole(plan: OrgPlan): Promise<void> {
    const userId = this.pickUser(plan);
    const u = userId === undefined ? undefined : this.state(plan.orgId).users.get(userId);
    if (!u || userId === undefined) return;
    // Org viewer (A3/R60) cascades over the user's teams and registries; keep it the rare case.
    const role: OrgRole = this.rng.chance(0.1) ? 'viewer' : u.orgRole === 'admin' ? 'member' : 'admin';
    await this.exec(
      plan,
      'ChangeOrganizationRole',
      { orgId: plan.orgId, userId, role },
      this.founderActor(plan),
    );
  }

  private async toggleUserStatus(plan: OrgPlan): Promise<void> {
    if (plan.multiTenant) return; // R63: deactivation removes the user there; removeUser covers that.
    const s = this.state(plan.orgId);
    const userId = this.rng.pick(plan.users);
    const u = s.users.get(userId);
    if (!u || userId === plan.founder) return;
    const name = u.status === 'active' ? 'DeactivateUser' : 'ReactivateUser';
    await this.exec(plan, name, { orgId: plan.orgId, userId }, this.founderActor(plan));
  }

  private async removeUser(plan: OrgPlan): Promise<void> {
    const userId = this.pickUser(plan);
    if (userId === undefined) return;
    await this.exec(
      plan,
      'RemoveUserFromOrganization',
      { orgId: plan.orgId, userId },
      this.founderActor(plan),
    );
  }

  private async updateCustomRole(plan: OrgPlan): Promise<void> {
    const s = this.state(plan.orgId);
    const roles = plan.customRoles.filter((r) => s.customRoles.has(r));
    if (roles.length === 0) return;
    const roleId = this.rng.pick(roles);
    const role = s.customRoles.get(roleId);
    if (!role) return;
    const addable = (role.base === 'member' ? MEMBER_ADDABLE : VIEWER_ADDABLE).filter(
      (p) => !role.added.has(p),
    );
    const body: CommandBodies['UpdateCustomRole'] = { orgId: plan.orgId, roleId };
    if (role.added.size > 1 && (addable.length === 0 || this.rng.chance(0.5)))
      body.removePermissions = [this.rng.pick([...role.added])];
    else if (addable.length > 0) body.addPermissions = [this.rng.pick(addable)];
    else return;
    await this.exec(plan, 'UpdateCustomRole', body, this.founderActor(plan));
  }

  private async setOwningTeam(plan: OrgPlan): Promise<void> {
    const registryId = this.pickCustomRegistry(plan);
    if (registryId === undefined || registryId.endsWith('.models') || registryId.endsWith('.datasets'))
      return;
    const teamId = this.rng.chance(0.2) ? null : (this.pickTeam(plan) ?? null);
    await this.exec(plan, 'SetRegistryOwningTeam', { registryId, teamId }, this.founderActor(plan));
  }

  private async changeRegistryVisibility(plan: OrgPlan): Promise<void> {
    const registryId = this.pickCustomRegistry(plan);
    const r = registryId === undefined ? undefined : this.state(plan.orgId).registries.get(registryId);
    if (!r || registryId === undefined || r.type === 'core') return;
    const visibility = r.visibility === 'organization' ? 'restricted' : 'organization';
    await this.exec(plan, 'ChangeRegistryVisibility', { registryId, visibility }, this.founderActor(plan));
  }

  private async deleteProject(plan: OrgPlan): Promise<void> {
    const pid = this.pickProject(plan);
    if (pid !== undefined)
      await this.exec(plan, 'DeleteProject', { projectId: pid }, this.founderActor(plan));
  }

  // -------------------------------------------------------------------------------------------

  async run(target: number, log: (line: string) => void): Promise<void> {
    const orgCount = Math.max(1, Math.round(target / EVENTS_PER_ORG));
    const started = Date.now();
    let nextReport = 100_000;
    const progress = (): void => {
      if (this.eventCount < nextReport) return;
      nextReport += 100_000;
      const s = (Date.now() - started) / 1000;
      log(
        `  ${this.eventCount} events, ${this.commands} commands, ${s.toFixed(1)} s (${Math.round(this.eventCount / s)}/s)`,
      );
    };
    for (let i = 0; i < orgCount && this.eventCount < target; i++) {
      await this.setupOrg(i, orgCount);
      progress();
    }
    const names = Object.keys(ACTIVITY_WEIGHTS) as OpName[];
    const weightsOf = (w: Record<OpName, number>): number[] => names.map((n) => w[n]);
    const activity = weightsOf(ACTIVITY_WEIGHTS);
    const churn = weightsOf(CHURN_WEIGHTS);
    const pickOp = (weights: number[]): OpName => {
      let total = 0;
      for (const w of weights) total += w;
      let x = this.rng.float() * total;
      for (let i = 0; i < weights.length; i++) {
        x -= weights[i] as number;
        if (x < 0) return names[i] as OpName;
      }
      return 'logRun';
    };
    const churnFrom = Math.floor(target * 0.9);
    while (this.eventCount < target) {
      const plan = this.rng.pick(this.plans);
      const op = pickOp(this.eventCount >= churnFrom ? churn : activity);
      await this.ops[op](plan);
      progress();
    }
  }

  counts(): Record<string, number> {
    const c: Record<string, number> = {
      orgs: 0,
      users: 0,
      activeUsers: 0,
      teams: 0,
      teamMemberships: 0,
      customRoles: 0,
      serviceAccounts: 0,
      projects: 0,
      projectsOpen: 0,
      projectsPublic: 0,
      projectsTeam: 0,
      projectsRestricted: 0,
      restrictedMembers: 0,
      projectRoleOverrides: 0,
      runs: 0,
      reports: 0,
      registries: 0,
      registryGrants: 0,
      registriesWithOwningTeam: 0,
    };
    const add = (k: string, n = 1): void => {
      c[k] = (c[k] ?? 0) + n;
    };
    for (const s of this.states.values()) {
      add('orgs');
      add('users', s.users.size);
      for (const u of s.users.values()) if (u.status === 'active') add('activeUsers');
      add('teams', s.teams.size);
      for (const t of s.teams.values()) add('teamMemberships', t.members.size);
      add('customRoles', s.customRoles.size);
      add('serviceAccounts', s.serviceAccounts.size);
      add('projects', s.projects.size);
      for (const p of s.projects.values()) {
        add(`projects${p.visibility[0]?.toUpperCase()}${p.visibility.slice(1)}`);
        add('restrictedMembers', p.restrictedMembers.size);
        add('projectRoleOverrides', p.overrides.size);
      }
      add('runs', s.runs.size);
      add('reports', s.reports.size);
      add('registries', s.registries.size);
      for (const r of s.registries.values()) {
        add('registryGrants', r.grants.size);
        if (r.owningTeamId !== null) add('registriesWithOwningTeam');
      }
    }
    return c;
  }
}

/** Generates a history of at least `events` events into `<dir>/events.sqlite` and returns its description. */
export async function generate(options: GenerateOptions): Promise<GeneratedMeta> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  mkdirSync(options.dir, { recursive: true });
  // Durability is irrelevant while generating (a crash means regenerate): synchronous=OFF is the fast path.
  const store = SqliteEventStore.open({ dataDir: options.dir, synchronous: 'OFF' });
  if ((await store.headPosition()) !== null) {
    await store.close();
    throw new Error(`${options.dir} already holds events; generate into an empty directory`);
  }
  const started = process.hrtime.bigint();
  const gen = new Generator(store, options.seed);
  try {
    await gen.run(options.events, log);
  } finally {
    await store.close();
  }
  const generationMs = Number(process.hrtime.bigint() - started) / 1e6;
  const meta: GeneratedMeta = {
    generatorVersion: GENERATOR_VERSION,
    seed: options.seed,
    targetEvents: options.events,
    events: gen.eventCount,
    commands: gen.commands,
    noops: gen.noops,
    rejected: gen.rejected,
    orgs: Math.max(1, Math.round(options.events / EVENTS_PER_ORG)),
    generationMs: Math.round(generationMs),
    eventsPerSecond: Math.round(gen.eventCount / (generationMs / 1000)),
    fileBytes: statSync(join(options.dir, SQLITE_FILE_NAME)).size,
    counts: gen.counts(),
    eventTypes: gen.eventTypes,
    headPosition: gen.lastPosition,
  };
  writeFileSync(join(options.dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

/** The cached store for (seed, events), generated first when missing or made by another generator version. */
export async function ensureStore(
  seed: number,
  events: number,
  options: { force?: boolean; log?: (line: string) => void } = {},
): Promise<{ dir: string; meta: GeneratedMeta; cached: boolean }> {
  const dir = storeDirOf(seed, events);
  const metaFile = join(dir, 'meta.json');
  if (!options.force && existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as GeneratedMeta;
    if (meta.generatorVersion === GENERATOR_VERSION) return { dir, meta, cached: true };
  }
  // Generate beside the final place and rename, so an interrupted run never leaves a half store cached.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const meta = await generate({ events, seed, dir: tmp, log: options.log });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { dir, meta, cached: false };
}

if (require.main === module) {
  const args = parseArgs();
  const events = args.num('events', 1_000_000);
  const seed = args.num('seed', 42);
  ensureStore(seed, events, { force: args.flag('force') })
    .then(({ dir, meta, cached }) => {
      process.stdout.write(
        `${cached ? 'cached' : 'generated'} ${meta.events} events in ${dir}` +
          (cached ? '\n' : ` (${(meta.generationMs / 1000).toFixed(1)} s, ${meta.eventsPerSecond}/s)\n`),
      );
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    });
}
