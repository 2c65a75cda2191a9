import type { AnyDomainEvent, EventDataByType, EventType } from './events';
import { INFORMATIONAL_EVENTS } from './events';
import { emptyOrgState, userPrincipal, type OrgState } from './model';

type Handlers = { [T in EventType]: (s: OrgState, d: EventDataByType[T]) => void };

/** One string object per principal an org's runs name (creator, loggedBy), per org state. */
const principals = new WeakMap<OrgState, Map<string, string>>();

/** The org's string for `principal`: equal to it, and shared by every run that names it. */
function principalOf(s: OrgState, principal: string): string {
  let known = principals.get(s);
  if (known === undefined) {
    known = new Map();
    principals.set(s, known);
  }
  const shared = known.get(principal);
  if (shared !== undefined) return shared;
  known.set(principal, principal);
  return principal;
}

/**
 * Each event changes exactly the fact it names; cascades are separate events in the same append,
 * so a replay reproduces the state without re-running any rule.
 */
const handlers: Handlers = {
  OrganizationCreated: (s, d) => {
    s.name = d.name;
    s.profile = { ...d.profile };
  },
  UserJoinedOrganization: (s, d) => {
    s.users.set(d.userId, { userId: d.userId, orgRole: d.role, status: 'active', teams: new Set() });
  },
  CoreRegistryProvisioned: (s, d) => {
    s.registries.set(d.registryId, {
      registryId: d.registryId,
      name: d.name,
      type: 'core',
      visibility: 'organization',
      owner: null,
      owningTeamId: null,
      createdBy: null,
      grants: new Map(),
    });
  },
  OrgRoleChanged: (s, d) => {
    const u = s.users.get(d.userId);
    if (u) u.orgRole = d.to;
  },
  UserRemovedFromOrganization: (s, d) => {
    s.users.delete(d.userId);
  },
  UserDeactivated: (s, d) => {
    const u = s.users.get(d.userId);
    if (u) u.status = 'deactivated';
  },
  UserReactivated: (s, d) => {
    const u = s.users.get(d.userId);
    if (u) u.status = 'active';
  },
  OrgPrivacyPolicyEnforced: (s, d) => {
    s.policies[d.policy] = true;
  },
  OrgPrivacyPolicyReleased: (s, d) => {
    s.policies[d.policy] = false;
  },
  CustomRoleCreated: (s, d) => {
    s.customRoles.set(d.roleId, {
      roleId: d.roleId,
      name: d.name,
      description: d.description,
      base: d.base,
      added: new Set(d.permissions),
    });
  },
  CustomRoleDetailsChanged: (s, d) => {
    const r = s.customRoles.get(d.roleId);
    if (!r) return;
    if (d.name !== undefined) r.name = d.name;
    if (d.description !== undefined) r.description = d.description;
  },
  CustomRolePermissionsAdded: (s, d) => {
    const r = s.customRoles.get(d.roleId);
    if (r) for (const p of d.permissions) r.added.add(p);
  },
  CustomRolePermissionsRemoved: (s, d) => {
    const r = s.customRoles.get(d.roleId);
    if (r) for (const p of d.permissions) r.added.delete(p);
  },
  CustomRoleDeleted: (s, d) => {
    s.customRoles.delete(d.roleId);
    s.retired.add(`customRole:${d.roleId}`);
  },
  TeamCreated: (s, d) => {
    s.teams.set(d.teamId, {
      teamId: d.teamId,
      name: d.name,
      members: new Map(),
      futureProjectsPrivate: false,
      membersCanInvite: false,
      serviceAccounts: new Set(),
      projects: new Set(),
    });
  },
  TeamPrivacySettingsChanged: (s, d) => {
    const t = s.teams.get(d.teamId);
    if (!t) return;
    if (d.futureProjectsPrivate !== undefined) t.futureProjectsPrivate = d.futureProjectsPrivate;
    if (d.membersCanInvite !== undefined) t.membersCanInvite = d.membersCanInvite;
  },
  TeamMemberAdded: (s, d) => {
    s.teams.get(d.teamId)?.members.set(d.userId, d.role);
    s.users.get(d.userId)?.teams.add(d.teamId);
  },
  TeamRoleChanged: (s, d) => {
    const t = s.teams.get(d.teamId);
    if (t?.members.has(d.userId)) t.members.set(d.userId, d.to);
  },
  TeamMemberRemoved: (s, d) => {
    s.teams.get(d.teamId)?.members.delete(d.userId);
    s.users.get(d.userId)?.teams.delete(d.teamId);
  },
  TeamHasNoAdminWarning: () => undefined,
  ServiceAccountCreated: (s, d) => {
    s.serviceAccounts.set(d.serviceAccountId, {
      serviceAccountId: d.serviceAccountId,
      scope: d.scope,
      teamId: d.teamId,
    });
    if (d.scope === 'team') s.teams.get(d.teamId)?.serviceAccounts.add(d.serviceAccountId);
  },
  ServiceAccountDeleted: (s, d) => {
    const sa = s.serviceAccounts.get(d.serviceAccountId);
    if (sa) s.teams.get(sa.teamId)?.serviceAccounts.delete(d.serviceAccountId);
    s.serviceAccounts.delete(d.serviceAccountId);
    s.retired.add(`sa:${d.serviceAccountId}`);
  },
  ProjectCreated: (s, d) => {
    s.projects.set(d.projectId, {
      projectId: d.projectId,
      teamId: d.teamId,
      name: d.name,
      visibility: d.visibility,
      owner: d.owner,
      restrictedMembers: new Set(),
      overrides: new Map(),
      runs: new Set(),
      reports: new Set(),
    });
    s.teams.get(d.teamId)?.projects.add(d.projectId);
  },
  ProjectVisibilityChanged: (s, d) => {
    const p = s.projects.get(d.projectId);
    if (p) p.visibility = d.to;
  },
  RestrictedProjectMemberAdded: (s, d) => {
    s.projects.get(d.projectId)?.restrictedMembers.add(d.principal);
  },
  RestrictedProjectMemberRemoved: (s, d) => {
    s.projects.get(d.projectId)?.restrictedMembers.delete(d.principal);
  },
  RestrictedMembershipDissolved: (s, d) => {
    s.projects.get(d.projectId)?.restrictedMembers.clear();
  },
  ProjectRoleChanged: (s, d) => {
    const p = s.projects.get(d.projectId);
    if (!p) return;
    if (d.isOverride) p.overrides.set(d.userId, d.to);
    else p.overrides.delete(d.userId);
  },
  ProjectRoleOverrideCleared: (s, d) => {
    s.projects.get(d.projectId)?.overrides.delete(d.userId);
  },
  ProjectOwnerChanged: (s, d) => {
    const p = s.projects.get(d.projectId);
    if (p) p.owner = d.to;
  },
  ProjectOwnerOrphaned: () => undefined,
  ProjectDeleted: (s, d) => {
    const p = s.projects.get(d.projectId);
    if (!p) return;
    for (const r of p.runs) {
      s.runs.delete(r);
      s.retired.add(`run:${r}`);
    }
    for (const r of p.reports) {
      s.reports.delete(r);
      s.retired.add(`report:${r}`);
    }
    s.teams.get(p.teamId)?.projects.delete(d.projectId);
    s.projects.delete(d.projectId);
    s.retired.add(`project:${d.projectId}`);
  },
  RunCreated: (s, d) => {
    // Runs are most of the state: each keeps the project's own id string and one string per principal
    // (principalOf), not copies of its own (memory).
    const project = s.projects.get(d.projectId);
    const creator = principalOf(s, d.creator);
    s.runs.set(d.runId, {
      runId: d.runId,
      projectId: project?.projectId ?? d.projectId,
      creator,
      loggedBy: d.loggedBy === d.creator ? creator : principalOf(s, d.loggedBy),
      stopped: false,
    });
    project?.runs.add(d.runId);
  },
  RunStopped: (s, d) => {
    const r = s.runs.get(d.runId);
    if (r) r.stopped = true;
  },
  RunDeleted: (s, d) => {
    s.projects.get(d.projectId)?.runs.delete(d.runId);
    s.runs.delete(d.runId);
    s.retired.add(`run:${d.runId}`);
  },
  RunMoved: (s, d) => {
    const r = s.runs.get(d.runId);
    if (!r) return;
    s.projects.get(d.from)?.runs.delete(d.runId);
    const to = s.projects.get(d.to);
    to?.runs.add(d.runId);
    r.projectId = to?.projectId ?? d.to;
  },
  ReportCreated: (s, d) => {
    s.reports.set(d.reportId, { reportId: d.reportId, projectId: d.projectId, creator: d.creator });
    s.projects.get(d.projectId)?.reports.add(d.reportId);
  },
  ReportDeleted: (s, d) => {
    s.projects.get(d.projectId)?.reports.delete(d.reportId);
    s.reports.delete(d.reportId);
    s.retired.add(`report:${d.reportId}`);
  },
  RegistryCreated: (s, d) => {
    s.registries.set(d.registryId, {
      registryId: d.registryId,
      name: d.name,
      type: 'custom',
      visibility: d.visibility,
      owner: null,
      owningTeamId: d.owningTeamId,
      createdBy: d.createdBy,
      grants: new Map(),
    });
  },
  RegistryDeleted: (s, d) => {
    s.registries.delete(d.registryId);
    s.retired.add(`registry:${d.registryId}`);
  },
  RegistryVisibilityChanged: (s, d) => {
    const r = s.registries.get(d.registryId);
    if (r) r.visibility = d.to;
  },
  RegistryMemberAdded: (s, d) => {
    s.registries.get(d.registryId)?.grants.set(d.member, d.role);
  },
  RegistryRoleChanged: (s, d) => {
    s.registries.get(d.registryId)?.grants.set(d.member, d.to);
  },
  RegistryMemberRemoved: (s, d) => {
    s.registries.get(d.registryId)?.grants.delete(d.member);
  },
  RegistryOwnerChanged: (s, d) => {
    const r = s.registries.get(d.registryId);
    if (r) r.owner = d.to;
  },
  RegistryOwningTeamChanged: (s, d) => {
    const r = s.registries.get(d.registryId);
    if (r) r.owningTeamId = d.to;
  },
  RegistryAccessViaTeamLost: () => undefined,
};

export function isKnownEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(handlers, type);
}

/** Every known type, by name, to the handler table's own string for it. */
const KNOWN_TYPES = new Map<string, EventType>((Object.keys(handlers) as EventType[]).map((t) => [t, t]));

/**
 * The known event type named `type`, as the handler table's own string, or undefined for an unknown
 * type. A type read from the store is a new string on every event, and each table lookup by it hashes
 * it again; the projection looks it up here once and uses the string it gets back for the rest.
 */
export function knownEventType(type: string): EventType | undefined {
  return KNOWN_TYPES.get(type);
}

/**
 * Folds one event into the state, in place. Returns false for an unknown type (the caller logs and
 * skips it: a projection never throws on a recorded event).
 */
export function evolve(state: OrgState, type: string, data: unknown): boolean {
  if (!isKnownEventType(type)) return false;
  evolveKnown(state, type, data);
  return true;
}

/** {@link evolve} for a type already known to be one (the projection checks it once per event). */
export function evolveKnown(state: OrgState, type: EventType, data: unknown): void {
  (handlers[type] as (s: OrgState, d: unknown) => void)(state, data);
  state.revision += 1;
}

/** Builds a state from scratch (tests, replay). */
export function foldEvents(
  orgId: string,
  events: readonly Pick<AnyDomainEvent, 'type' | 'data'>[],
): OrgState {
  const s = emptyOrgState(orgId);
  for (const e of events) evolve(s, e.type, e.data);
  return s;
}

export { INFORMATIONAL_EVENTS, userPrincipal };
