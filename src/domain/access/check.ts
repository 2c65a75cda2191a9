/**
 * `check(principal, permission, resource)`: one decision per resource kind, each a constant number of map
 * and Set lookups (a user's own teams are the only thing ever iterated, for registry team grants).
 */
import type { CheckResult, ProjectAccess } from '../access';
import type {
  OrgState,
  Principal,
  ProjectState,
  RegistryRole,
  RegistryState,
  TeamRole,
  TeamState,
} from '../model';
import {
  EXTERNAL_CONTRIBUTOR_PERMISSIONS,
  EXTERNAL_VIEWER_PERMISSIONS,
  ORG_CHECKABLE_PERMISSIONS,
  OWN_ONLY_RULES,
  PROJECT_CHECKABLE_PERMISSIONS,
  PROJECT_MANAGEMENT_PERMISSIONS,
  REGISTRY_CHECKABLE_PERMISSIONS,
  REGISTRY_ROLE_PERMISSIONS,
  SERVICE_ACCOUNT_EXTERNAL_CONTRIBUTOR_PERMISSIONS,
  SERVICE_ACCOUNT_OWN_ONLY_PERMISSIONS,
  SERVICE_ACCOUNT_PERMISSIONS,
  TEAM_CHECKABLE_PERMISSIONS,
} from '../permissions';
import { parseRef, projectAccessOf } from './project-access';
import { registryAccess } from './registry-access';
import { baseOfRole, roleGrant, type Grant } from './roles';

const NOT_FOUND: CheckResult = { allowed: false, reason: 'not found' };

function allow(role: string | undefined, reason: string, rule?: string): CheckResult {
  const r: CheckResult = { allowed: true, reason };
  if (role !== undefined) r.role = role;
  if (rule !== undefined) r.rule = rule;
  return r;
}

function deny(role: string | undefined, reason: string, rule?: string): CheckResult {
  const r: CheckResult = { allowed: false, reason };
  if (role !== undefined) r.role = role;
  if (rule !== undefined) r.rule = rule;
  return r;
}

export type Who =
  | { kind: 'user'; id: string; orgRole: 'admin' | 'member' | 'viewer' }
  | { kind: 'sa'; id: string; scope: 'org' | 'team'; teamId: string }
  | { kind: 'inactive'; id: string }
  | { kind: 'outsider'; id: string }
  | { kind: 'unknown' };

function identify(state: OrgState, principal: Principal): Who {
  const ref = parseRef(principal);
  if (ref?.kind === 'user') {
    const u = state.users.get(ref.id);
    if (!u) return { kind: 'outsider', id: ref.id };
    if (u.status !== 'active') return { kind: 'inactive', id: ref.id };
    return { kind: 'user', id: ref.id, orgRole: u.orgRole };
  }
  if (ref?.kind === 'sa') {
    const sa = state.serviceAccounts.get(ref.id);
    return sa ? { kind: 'sa', id: ref.id, scope: sa.scope, teamId: sa.teamId } : { kind: 'unknown' };
  }
  return { kind: 'unknown' };
}

type Absent = Extract<Who, { kind: 'unknown' | 'inactive' }>;

/** Denial shared by every scope for principals that hold nothing in this org. */
function absent(who: Absent): CheckResult {
  if (who.kind === 'unknown') return deny(undefined, 'unknown principal');
  return deny(undefined, 'A39: deactivated users hold no permission', 'A39');
}

export function check(
  state: OrgState,
  principal: Principal,
  permission: string,
  resource: string,
): CheckResult {
  const ref = parseRef(resource);
  if (!ref) return NOT_FOUND;
  switch (ref.kind) {
    case 'org':
      return ref.id === state.orgId && state.revision >= 0
        ? checkOrg(state, principal, permission)
        : NOT_FOUND;
    case 'team': {
      const team = state.teams.get(ref.id);
      return team ? checkTeam(state, principal, permission, team) : NOT_FOUND;
    }
    case 'project': {
      const project = state.projects.get(ref.id);
      return project ? checkProject(state, principal, permission, project, null) : NOT_FOUND;
    }
    case 'run': {
      const run = state.runs.get(ref.id);
      const project = run && state.projects.get(run.projectId);
      return run && project
        ? checkProject(state, principal, permission, project, { kind: 'run', own: run.creator === principal })
        : NOT_FOUND;
    }
    case 'report': {
      const report = state.reports.get(ref.id);
      const project = report && state.projects.get(report.projectId);
      return report && project
        ? checkProject(state, principal, permission, project, {
            kind: 'report',
            own: report.creator === principal,
          })
        : NOT_FOUND;
    }
    case 'registry': {
      const registry = state.registries.get(ref.id);
      return registry ? checkRegistry(state, principal, permission, registry) : NOT_FOUND;
    }
    default:
      return NOT_FOUND;
  }
}

// ---------------------------------------------------------------------------------------------

const ORG_RULES: Readonly<Record<string, string>> = {
  'org:manage-users': 'R51',
  'org:manage-roles': 'R7',
  'org:create-team': 'R53',
  'org:read-audit': 'R70',
};

/** §3.1: every org capability is the org admin's alone. */
function checkOrg(state: OrgState, principal: Principal, permission: string): CheckResult {
  if (!ORG_CHECKABLE_PERMISSIONS.has(permission))
    return deny(undefined, `${permission} is not an org-scope permission`);
  const who = identify(state, principal);
  if (who.kind === 'unknown' || who.kind === 'inactive') return absent(who);
  const rule = ORG_RULES[permission];
  if (who.kind === 'user' && who.orgRole === 'admin') return allow('admin', `${rule}: org admin`, rule);
  if (who.kind === 'user') return deny(who.orgRole, `${rule}: only org admins hold ${permission}`, rule);
  return deny(undefined, `${rule}: only org admins hold ${permission}`, rule);
}

// ---------------------------------------------------------------------------------------------

const TEAM_DENY_RULES: Readonly<Record<string, string>> = {
  'team:read': 'A42',
  'team:manage-members': 'R78',
  'team:manage-settings': 'R91',
  'team:invite': 'R79',
  'launchqueue:create': 'R105',
  'launchqueue:update': 'R105',
  'project:create': 'A15',
  'launchagent:read': 'A42',
};

function checkTeam(state: OrgState, principal: Principal, permission: string, team: TeamState): CheckResult {
  if (!TEAM_CHECKABLE_PERMISSIONS.has(permission))
    return deny(undefined, `${permission} is not a team-scope permission`);
  const who = identify(state, principal);
  if (who.kind === 'unknown' || who.kind === 'inactive') return absent(who);
  const denyRule = TEAM_DENY_RULES[permission];
  if (who.kind === 'sa') {
    // A35/R117/R118: Member-equivalent inside its scope; no team administration.
    const inScope = who.scope === 'org' || who.teamId === team.teamId;
    if (inScope && SERVICE_ACCOUNT_PERMISSIONS.has(permission))
      return allow('member', `A35: service account in scope`, 'A35');
    return deny(
      inScope ? 'member' : undefined,
      `A35: service accounts do not hold ${permission} on team:${team.teamId}`,
      'A35',
    );
  }
  if (who.kind === 'outsider') return deny(undefined, `not a member of the organization`, denyRule);

  const memberRole = team.members.get(who.id);
  // A9/R77: org admins hold team admin powers in every team, whatever their own team role.
  const role: TeamRole | undefined = who.orgRole === 'admin' ? 'admin' : memberRole;
  if (role === undefined) return deny(undefined, `not a member of team:${team.teamId}`, denyRule);
  if (role === 'admin') {
    return allow(
      'admin',
      memberRole === 'admin' ? `R91: team admin` : `A9: org admin acts as team admin`,
      memberRole === 'admin' ? 'R91' : 'A9',
    );
  }
  if (permission === 'team:invite') {
    // R85/C6: enforced invitation control means non-admins cannot invite to any team — also through a
    // custom role's added team:invite.
    if (state.policies.invitationControl)
      return deny(role, 'R85: the org enforces invitation control', 'R85');
    if (roleGrant(state, role, permission)) return allow(role, `§3.8: ${role} adds team:invite`, 'A46');
    // R83/A43: the team toggle lets Member-like roles (Member, custom on a Member base) invite.
    if (team.membersCanInvite && baseOfRole(state, role) === 'member')
      return allow(role, 'R83: members may invite in this team', 'R83');
    return deny(role, 'R4/R79: only team admins invite members', 'R79');
  }
  if (roleGrant(state, role, permission)) return allow(role, `R9: ${role} grants ${permission}`);
  return deny(role, `${denyRule}: ${role} does not grant ${permission}`, denyRule);
}

// ---------------------------------------------------------------------------------------------

/** The run or report a project-scope check is about, and whether the principal created it (R5, R95). */
export interface ItemFacts {
  kind: 'run' | 'report';
  own: boolean;
}

const MANAGEMENT_DENY_RULES: Readonly<Record<string, string>> = {
  'project:manage-members': 'A11',
  'project:change-visibility': 'R106',
  'project:delete': 'A16',
};

function roleLabel(pa: ProjectAccess): string | undefined {
  if (pa.access === 'role') return pa.role;
  if (pa.access === 'none') return undefined;
  return pa.access;
}

/**
 * Everything a project-scope decision reads about the principal and the project, besides the permission
 * and the item: who the principal is, its effective project access, its own team role and ownership
 * (management, C1/R24), and the team (denial texts). {@link decideProject} reads only these and the
 * org-wide role definitions, so two principals with equal facts on one team get the same answers — what
 * lets the effective-access read model (read-model/effective-access.ts) share them.
 */
export interface ProjectFacts {
  who: Who;
  /** Null for principals that hold nothing in this org (unknown, deactivated). */
  pa: ProjectAccess | null;
  /** The user's own role in the project's team (not the A9 virtual one). */
  teamRole: TeamRole | undefined;
  owner: boolean;
  teamId: string;
}

export function projectFacts(state: OrgState, principal: Principal, project: ProjectState): ProjectFacts {
  const who = identify(state, principal);
  if (who.kind === 'unknown' || who.kind === 'inactive')
    return { who, pa: null, teamRole: undefined, owner: false, teamId: project.teamId };
  const pa = projectAccessOf(state, principal, project, false);
  const user = who.kind === 'user';
  return {
    who,
    pa,
    teamRole: user ? state.teams.get(project.teamId)?.members.get(who.id) : undefined,
    owner: user && isOwner(project, who.id),
    teamId: project.teamId,
  };
}

/** A key equal for two principals exactly when {@link decideProject} answers them alike (same org). */
export function projectFactsKey(f: ProjectFacts): string {
  const w = f.who;
  if (f.pa === null) return w.kind;
  const pa = f.pa;
  return [
    w.kind,
    w.kind === 'user' ? w.orgRole : '',
    pa.access,
    pa.role ?? '',
    pa.rules.join(','),
    f.teamRole ?? '',
    f.owner ? 'owner' : '',
    f.teamId,
  ].join('\u0000');
}

function checkProject(
  state: OrgState,
  principal: Principal,
  permission: string,
  project: ProjectState,
  item: ItemFacts | null,
): CheckResult {
  if (!PROJECT_CHECKABLE_PERMISSIONS.has(permission))
    return deny(undefined, `${permission} is not a project-scope permission`);
  return decideProject(state, projectFacts(state, principal, project), permission, item);
}

/** The decision of {@link checkProject} from the principal's {@link ProjectFacts}. */
export function decideProject(
  state: OrgState,
  facts: ProjectFacts,
  permission: string,
  item: ItemFacts | null,
): CheckResult {
  if (!PROJECT_CHECKABLE_PERMISSIONS.has(permission))
    return deny(undefined, `${permission} is not a project-scope permission`);
  const { who, pa } = facts;
  // Null exactly for the principals that hold nothing here (projectFacts).
  if (pa === null) return absent(who as Absent);
  if (PROJECT_MANAGEMENT_PERMISSIONS.has(permission)) return checkManagement(state, facts, permission, pa);
  return checkContent(state, who, permission, pa, item);
}

/**
 * C1: management (visibility, restricted members, project roles, delete) is open to org admins (A9), to
 * admins of the project's team by their *team* role — whatever their project role and whether or not they
 * joined a restricted project (R3, A10, A12, A16) — to the owner for visibility and members (R106, A11),
 * and to users whose effective project role is admin. Delete also to a custom role adding project:delete
 * (A16), never to ownership alone (R112).
 */
function checkManagement(
  state: OrgState,
  facts: ProjectFacts,
  permission: string,
  pa: ProjectAccess,
): CheckResult {
  const { who, teamRole } = facts;
  const denyRule = MANAGEMENT_DENY_RULES[permission];
  const label = roleLabel(pa);
  if (who.kind === 'sa') return deny(label, `A35: service accounts do not manage projects`, 'A35');
  if (who.kind !== 'user') return deny(label, `${denyRule}: only admins manage projects`, denyRule);
  if (who.orgRole === 'admin') return allow('admin', `C1/A9: org admin manages every project`, 'A9');
  if (teamRole === 'admin') return allow('admin', `C1: admin of team:${facts.teamId}`, 'C1');
  if (pa.access === 'role' && pa.role !== undefined && roleGrant(state, pa.role, permission) === 'any') {
    return allow(
      pa.role,
      pa.role === 'admin' ? 'C1: project-level admin' : `A16: ${pa.role} adds ${permission}`,
      pa.role === 'admin' ? 'C1' : 'A16',
    );
  }
  // R24/R140: an owner who left the parent team keeps the designation but not the powers.
  if (permission !== 'project:delete' && facts.owner && teamRole !== undefined) {
    return allow(
      label,
      `${permission === 'project:change-visibility' ? 'R106' : 'A11'}: project owner`,
      permission === 'project:change-visibility' ? 'R106' : 'A11',
    );
  }
  if (permission === 'project:delete')
    return deny(label, 'R112/A16: only admins delete projects (ownership alone is not enough)', 'A16');
  return deny(label, `${denyRule}: only the owner or an admin holds ${permission}`, denyRule);
}

/** Project owners are principals (model.ts), so a user owns a project as `user:<id>`. */
function isOwner(project: ProjectState, userId: string): boolean {
  return project.owner === `user:${userId}`;
}

function checkContent(
  state: OrgState,
  who: Who,
  permission: string,
  pa: ProjectAccess,
  item: ItemFacts | null,
): CheckResult {
  const label = roleLabel(pa);
  switch (pa.access) {
    case 'none':
      return deny(undefined, `${pa.rules[0] ?? 'R16'}: no access to the project`, pa.rules[0] ?? 'R16');
    case 'manage-only':
      // A10/C1: a non-joined admin manages a restricted project but sees none of its content; project:read
      // means "view project, runs, workspace" (§3.8), which is content.
      return deny(label, 'A10: join the restricted project to see its content', 'A10');
    case 'external-viewer':
      return EXTERNAL_VIEWER_PERMISSIONS.has(permission)
        ? allow(label, `${pa.rules[0] ?? 'R15'}: view only`, pa.rules[0])
        : deny(label, `${pa.rules[0] ?? 'R15'}: outsiders may only view this project`, pa.rules[0]);
    case 'external-contributor': {
      const set =
        who.kind === 'sa'
          ? SERVICE_ACCOUNT_EXTERNAL_CONTRIBUTOR_PERMISSIONS
          : EXTERNAL_CONTRIBUTOR_PERMISSIONS;
      return set.has(permission)
        ? allow(label, `${pa.rules[0] ?? 'R14'}: view and submit`, pa.rules[0])
        : deny(
            label,
            `${pa.rules[0] ?? 'R14'}: outsiders may only view and submit runs or reports`,
            pa.rules[0],
          );
    }
    case 'role':
      break;
  }
  const role = pa.role;
  if (role === undefined) return deny(undefined, 'no effective role');
  let grant: Grant | null;
  if (who.kind === 'sa') {
    grant = SERVICE_ACCOUNT_PERMISSIONS.has(permission)
      ? SERVICE_ACCOUNT_OWN_ONLY_PERMISSIONS.has(permission)
        ? 'own'
        : 'any'
      : null;
    if (grant === null) return deny(role, `A35: service accounts do not hold ${permission}`, 'A35');
  } else {
    grant = roleGrant(state, role, permission);
    if (grant === null) {
      const rule = deniedRule(role, permission);
      return deny(role, `${rule}: ${role} does not grant ${permission}`, rule);
    }
  }
  const actor = who.kind === 'sa' ? 'service account' : role;
  if (grant === 'any') return allow(role, `${role === 'admin' ? 'R3' : 'R9'}: ${actor} holds ${permission}`);
  const ownRule = OWN_ONLY_RULES[permission] ?? 'R5';
  // api.md: own-only qualifiers apply on run:/report: resources; on the project itself the question is
  // whether the role holds the permission at all.
  if (item === null)
    return allow(
      role,
      `${ownRule}: ${actor} holds ${permission} on own ${permission.split(':')[0]}s only`,
      ownRule,
    );
  if (item.own) return allow(role, `${ownRule}: ${actor} may ${permission} own ${item.kind}s`, ownRule);
  return deny(role, `${ownRule}: ${actor} may ${permission.split(':')[1]} only own ${item.kind}s`, ownRule);
}

/** The rule that keeps a role from a content permission (§3.2), for denial reasons. */
function deniedRule(role: TeamRole, permission: string): string {
  if (permission === 'project:update') return 'R74';
  return role === 'viewer' ? 'R6' : 'R9';
}

// ---------------------------------------------------------------------------------------------

/**
 * Everything a registry decision reads about the principal besides the permission: who it is, its
 * effective registry role (§3.7), whether it created the registry (A26), and the registry's type.
 * {@link decideRegistry} reads nothing else, so equal facts give equal answers (see {@link ProjectFacts}).
 */
export interface RegistryFacts {
  who: Who;
  role: RegistryRole | null;
  creator: boolean;
  type: RegistryState['type'];
}

export function registryFacts(state: OrgState, principal: Principal, registry: RegistryState): RegistryFacts {
  const who = identify(state, principal);
  const absentOrActor = who.kind === 'unknown' || who.kind === 'inactive';
  return {
    who,
    // Only user: and sa: reach here; a team is a grant holder, not an actor.
    role: absentOrActor ? null : registryAccess(state, principal, registry.registryId).role,
    creator: registry.createdBy === principal,
    type: registry.type,
  };
}

/** A key equal for two principals exactly when {@link decideRegistry} answers them alike. */
export function registryFactsKey(f: RegistryFacts): string {
  const w = f.who;
  return [w.kind, w.kind === 'user' ? w.orgRole : '', f.role ?? '', f.creator ? 'creator' : '', f.type].join(
    '\u0000',
  );
}

function checkRegistry(
  state: OrgState,
  principal: Principal,
  permission: string,
  registry: RegistryState,
): CheckResult {
  if (!REGISTRY_CHECKABLE_PERMISSIONS.has(permission))
    return deny(undefined, `${permission} is not a registry permission`);
  return decideRegistry(registryFacts(state, principal, registry), permission);
}

/** The decision of {@link checkRegistry} from the principal's {@link RegistryFacts}. */
export function decideRegistry(facts: RegistryFacts, permission: string): CheckResult {
  if (!REGISTRY_CHECKABLE_PERMISSIONS.has(permission))
    return deny(undefined, `${permission} is not a registry permission`);
  const { who } = facts;
  if (who.kind === 'unknown' || who.kind === 'inactive') return absent(who);
  const role = facts.role ?? undefined;
  const isOrgAdmin = who.kind === 'user' && who.orgRole === 'admin';

  if (permission === 'registry:delete') {
    if (facts.type === 'core') return deny(role, 'A26: core registries cannot be deleted', 'A26');
    if (isOrgAdmin) return allow(role, 'A26/R128: org admins delete any custom registry', 'A26');
    if (facts.role === 'admin' && facts.creator)
      return allow(role, 'A26: registry admin deletes a registry they created', 'A26');
    return deny(role, 'A26/P29: only the creating registry admin or an org admin deletes a registry', 'A26');
  }
  if (permission === 'registry:visibility.update') {
    if (facts.type === 'core') return deny(role, 'R122: core registry visibility is fixed', 'R122');
    if (isOrgAdmin || facts.role === 'admin')
      return allow(role, 'A25: org admin or effective registry admin', 'A25');
    return deny(role, 'A25/P25: only registry admins change visibility', 'A25');
  }
  if (facts.role === null) return deny(undefined, 'R124: no access to this registry', 'R124');
  if (REGISTRY_ROLE_PERMISSIONS[facts.role].has(permission))
    return allow(facts.role, `R41: registry ${facts.role} holds ${permission}`, 'R41');
  const rule =
    facts.role === 'restricted-viewer' ? 'R134' : permission === 'registry:alias.protected' ? 'R129' : 'R41';
  return deny(facts.role, `${rule}: registry ${facts.role} does not hold ${permission}`, rule);
}
