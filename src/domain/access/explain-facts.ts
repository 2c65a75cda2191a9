/**
 * Which stored facts an access decision relied on, for `GET /v1/explain`.
 *
 * The decision itself always comes from `check` (and `projectAccess` / `registryAccess` for the
 * derivation), so an explanation can never disagree with a check. This module then walks the same
 * branches as check.ts / project-access.ts / registry-access.ts and names, for each step, the fact it
 * read as a fact key (fact-keys.ts). The read side turns those keys into the events that established
 * them (the provenance index). For a denial it also says what would be needed, with the keys whose last
 * removal is worth citing ("… was removed at position 812 by user:bob").
 *
 * Pure: reads the state, never mutates it.
 */
import type { CheckResult } from '../access';
import {
  customRoleId,
  isCustomRole,
  REGISTRY_ROLE_ORDER,
  type OrgState,
  type Principal,
  type ProjectState,
  type RegistryState,
  type ServiceAccountState,
  type TeamRole,
  type UserState,
} from '../model';
import {
  CUSTOM_ROLE_CATALOGUE,
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
import { check } from './check';
import { factKeys } from './fact-keys';
import { parseRef, projectAccess } from './project-access';
import { registryAccess } from './registry-access';
import { baseOfRole, roleGrant, type Grant } from './roles';

/** A fact key the step read; `absent` when the step relied on the fact *not* holding (cite its removal). */
export interface FactCitation {
  key: string;
  absent?: boolean;
}

export interface ExplainFact {
  /** Human-readable statement, e.g. "user:carol has role member in team:ml". */
  fact: string;
  /** Facts it rests on; empty for statements of the static matrices (§3.2, §3.5). */
  cite: FactCitation[];
}

export interface ExplainMissing {
  /** What would be needed, e.g. "user:carol would need to be a restricted member of project:p (R17)". */
  need: string;
  /** Keys about the principal whose latest removal explains the denial, if one happened. */
  removalKeys: string[];
}

export interface ExplainPlan {
  /** The decision, from `check` (never recomputed here). */
  result: CheckResult;
  facts: ExplainFact[];
  /** Only for denials. */
  missing?: ExplainMissing;
}

const has = (key: string): FactCitation => ({ key });
const lacks = (key: string): FactCitation => ({ key, absent: true });

class Plan {
  readonly facts: ExplainFact[] = [];
  missing: ExplainMissing | undefined;

  add(fact: string, ...cite: FactCitation[]): void {
    this.facts.push({ fact, cite });
  }

  /** The first (innermost-reached) requirement wins: later fallbacks never overwrite it. */
  need(need: string, ...removalKeys: string[]): void {
    this.missing ??= { need, removalKeys };
  }
}

type Subject =
  | { kind: 'user'; id: string; user: UserState }
  | { kind: 'sa'; id: string; sa: ServiceAccountState }
  | { kind: 'outsider'; id: string }
  | { kind: 'absent' };

/**
 * Explains `check(state, principal, permission, resource)`: the decision plus the facts behind it.
 * `resource` must belong to this org (the caller routes by id, as for `check`).
 */
export function explainDecision(
  state: OrgState,
  principal: Principal,
  permission: string,
  resource: string,
): ExplainPlan {
  const result = check(state, principal, permission, resource);
  const plan = new Plan();
  const ref = parseRef(resource);
  switch (ref?.kind) {
    case 'org':
      orgScope(plan, state, principal, permission, ref.id);
      break;
    case 'team':
      teamScope(plan, state, principal, permission, ref.id);
      break;
    case 'project':
    case 'run':
    case 'report':
      projectScope(plan, state, principal, permission, ref.kind, ref.id);
      break;
    case 'registry':
      registryScope(plan, state, principal, permission, ref.id, result);
      break;
    default:
      plan.need(`${resource} is not a resource`);
  }
  if (result.allowed) return { result, facts: plan.facts };
  // Every denial says something; the check's own reason is the fallback.
  plan.need(result.reason);
  return { result, facts: plan.facts, missing: plan.missing };
}

// ---------------------------------------------------------------------------------------------
// Principal
// ---------------------------------------------------------------------------------------------

/** Who the principal is in this org (check.ts `identify`), with the facts that say so. */
function subject(plan: Plan, state: OrgState, principal: Principal): Subject {
  const p = parseRef(principal);
  const org = state.orgId;
  if (p?.kind === 'user') {
    const key = factKeys.orgUser(org, p.id);
    const user = state.users.get(p.id);
    if (!user) {
      plan.add(`${principal} is not a member of org:${org}`, lacks(key));
      return { kind: 'outsider', id: p.id };
    }
    plan.add(`${principal} is a member of org:${org} with org role ${user.orgRole}`, has(key));
    if (user.status !== 'active') {
      plan.add(
        `${principal} is deactivated: memberships are kept but inert (A39)`,
        has(factKeys.userStatus(org, p.id)),
      );
      plan.need(`${principal} would need to be reactivated (A39)`);
      return { kind: 'absent' };
    }
    return { kind: 'user', id: p.id, user };
  }
  if (p?.kind === 'sa') {
    const key = factKeys.serviceAccount(org, p.id);
    const sa = state.serviceAccounts.get(p.id);
    if (!sa) {
      plan.add(`${principal} is not a service account of org:${org}`, lacks(key));
      plan.need(`${principal} would need to be a service account of org:${org}`, key);
      return { kind: 'absent' };
    }
    plan.add(
      sa.scope === 'org'
        ? `${principal} is an org-scoped service account with default team team:${sa.teamId} (R117)`
        : `${principal} is a service account of team:${sa.teamId} (R118)`,
      has(key),
    );
    return { kind: 'sa', id: p.id, sa };
  }
  plan.need(`${principal} is not a user or service account`);
  return { kind: 'absent' };
}

/**
 * Whether `role` grants `permission` (roles.ts `roleGrant`), with the custom-role facts it depends on
 * (R9: base ∪ added; A46: an added permission applies to any resource).
 */
function roleFacts(plan: Plan, state: OrgState, role: TeamRole, permission: string): Grant | null {
  const grant = roleGrant(state, role, permission);
  const own = grant === 'own' ? ' on what the holder created only' : '';
  if (!isCustomRole(role)) {
    plan.add(grant ? `role ${role} grants ${permission}${own}` : `role ${role} does not grant ${permission}`);
    return grant;
  }
  const id = customRoleId(role);
  const custom = state.customRoles.get(id);
  const roleKey = factKeys.customRole(state.orgId, id);
  if (!custom) {
    plan.add(`custom role ${id} no longer exists and grants nothing (R69)`, lacks(roleKey));
    return grant;
  }
  plan.add(`custom role ${id} is based on ${custom.base} (R9)`, has(roleKey));
  const permKey = factKeys.customRolePermission(state.orgId, id, permission);
  if (custom.added.has(permission) && CUSTOM_ROLE_CATALOGUE.has(permission)) {
    plan.add(`custom role ${id} adds ${permission}, on any resource in scope (A46)`, has(permKey));
  } else if (grant) {
    plan.add(`the ${custom.base} base of custom role ${id} grants ${permission}${own}`);
  } else {
    plan.add(`custom role ${id} does not grant ${permission}`, lacks(permKey));
  }
  return grant;
}

// ---------------------------------------------------------------------------------------------
// Org and team scope (check.ts checkOrg / checkTeam)
// ---------------------------------------------------------------------------------------------

function orgScope(
  plan: Plan,
  state: OrgState,
  principal: Principal,
  permission: string,
  orgId: string,
): void {
  if (orgId !== state.orgId || state.revision < 0) return plan.need(`org:${orgId} does not exist`);
  if (!ORG_CHECKABLE_PERMISSIONS.has(permission))
    return plan.add(`${permission} is not an org-scope permission`);
  const who = subject(plan, state, principal);
  if (who.kind === 'absent') return;
  if (who.kind === 'user' && who.user.orgRole === 'admin') {
    return plan.add(`org admins hold ${permission} (§3.1)`);
  }
  const need = `${principal} would need org role admin in org:${orgId}: only org admins hold ${permission} (§3.1)`;
  if (who.kind === 'sa') return plan.need(need);
  plan.need(need, factKeys.orgUser(orgId, who.id));
}

function teamScope(
  plan: Plan,
  state: OrgState,
  principal: Principal,
  permission: string,
  teamId: string,
): void {
  const team = state.teams.get(teamId);
  if (!team) return plan.need(`team:${teamId} does not exist`);
  if (!TEAM_CHECKABLE_PERMISSIONS.has(permission))
    return plan.add(`${permission} is not a team-scope permission`);
  const who = subject(plan, state, principal);
  if (who.kind === 'absent') return;
  if (who.kind === 'sa') {
    const inScope = who.sa.scope === 'org' || who.sa.teamId === teamId;
    if (inScope && SERVICE_ACCOUNT_PERMISSIONS.has(permission)) {
      return plan.add(`service accounts in scope are member-equivalent and hold ${permission} (A35)`);
    }
    return plan.need(`service accounts do not hold ${permission} on team:${teamId} (A35)`);
  }
  const memberKey = factKeys.teamMember(teamId, who.id);
  if (who.kind === 'outsider') {
    return plan.need(
      `${principal} would need to be a member of org:${state.orgId} and of team:${teamId}`,
      factKeys.orgUser(state.orgId, who.id),
      memberKey,
    );
  }
  const memberRole = team.members.get(who.id);
  const isOrgAdmin = who.user.orgRole === 'admin';
  if (memberRole !== undefined)
    plan.add(`${principal} has role ${memberRole} in team:${teamId}`, has(memberKey));
  else plan.add(`${principal} is not a member of team:${teamId}`, lacks(memberKey));
  if (isOrgAdmin) {
    plan.add(
      `${principal} is an org admin: team admin powers in every team (A9, R77)`,
      has(factKeys.orgUser(state.orgId, who.id)),
    );
  }
  const role: TeamRole | undefined = isOrgAdmin ? 'admin' : memberRole;
  if (role === undefined)
    return plan.need(`${principal} would need to be a member of team:${teamId}`, memberKey);
  if (role === 'admin') return plan.add(`team admins hold ${permission} (R91)`);
  if (permission === 'team:invite') {
    if (state.policies.invitationControl) {
      plan.add(
        `org:${state.orgId} enforces invitation control: only admins invite (R85)`,
        has(factKeys.policy(state.orgId, 'invitationControl')),
      );
      return plan.need(
        `${principal} would need to be an admin of team:${teamId} while org:${state.orgId} enforces invitation control (R85)`,
      );
    }
    if (roleFacts(plan, state, role, permission)) return;
    if (team.membersCanInvite && baseOfRole(state, role) === 'member') {
      return plan.add(
        `team:${teamId} lets members invite, and ${role} is member-like (R83, A43)`,
        has(factKeys.teamSetting(teamId, 'membersCanInvite')),
      );
    }
    return plan.need(
      `${principal} would need to be an admin of team:${teamId}, or team:${teamId} would need to let members invite (R79, R83)`,
    );
  }
  if (roleFacts(plan, state, role, permission)) return;
  plan.need(
    `${principal} would need a role in team:${teamId} that grants ${permission} (e.g. admin)`,
    memberKey,
  );
}

// ---------------------------------------------------------------------------------------------
// Project scope (check.ts checkProject, project-access.ts)
// ---------------------------------------------------------------------------------------------

interface Item {
  kind: 'run' | 'report';
  id: string;
  creator: Principal;
}

function projectScope(
  plan: Plan,
  state: OrgState,
  principal: Principal,
  permission: string,
  kind: 'project' | 'run' | 'report',
  id: string,
): void {
  let project: ProjectState | undefined;
  let item: Item | null = null;
  if (kind === 'project') {
    project = state.projects.get(id);
  } else {
    const found = kind === 'run' ? state.runs.get(id) : state.reports.get(id);
    project = found && state.projects.get(found.projectId);
    if (found && project) {
      item = { kind, id, creator: found.creator };
      plan.add(
        `${kind}:${id} is in project:${project.projectId}`,
        has(kind === 'run' ? factKeys.run(id) : factKeys.report(id)),
      );
    }
  }
  if (!project) return plan.need(`${kind}:${id} does not exist`);
  const pid = project.projectId;
  plan.add(`project:${pid} belongs to team:${project.teamId}`, has(factKeys.project(pid)));
  if (!PROJECT_CHECKABLE_PERMISSIONS.has(permission)) {
    return plan.add(`${permission} is not a project-scope permission`);
  }
  const who = subject(plan, state, principal);
  if (who.kind === 'absent') return;
  if (who.kind === 'sa') serviceAccountAccessFacts(plan, principal, who.sa, project);
  else userAccessFacts(plan, state, principal, who, project);
  if (PROJECT_MANAGEMENT_PERMISSIONS.has(permission))
    managementFacts(plan, state, principal, who, permission, project);
  else contentFacts(plan, state, principal, who, permission, project, item);
}

/** The restricted member list matters only for Restricted projects (R17, R21). */
function restrictedFact(plan: Plan, principal: Principal, project: ProjectState): boolean {
  const key = factKeys.restrictedMember(project.projectId, principal);
  if (project.restrictedMembers.has(principal)) {
    plan.add(`${principal} is a restricted member of project:${project.projectId}`, has(key));
    return true;
  }
  plan.add(`${principal} is not a restricted member of project:${project.projectId}`, lacks(key));
  return false;
}

/** project-access.ts userAccess: team role (or A9), visibility, restricted membership, override. */
function userAccessFacts(
  plan: Plan,
  state: OrgState,
  principal: Principal,
  who: Extract<Subject, { kind: 'user' | 'outsider' }>,
  project: ProjectState,
): void {
  const pid = project.projectId;
  const teamId = project.teamId;
  const visibility = project.visibility;
  const visibilityFact = (): void =>
    plan.add(`project:${pid} is ${visibility}`, has(factKeys.projectVisibility(pid)));
  const publicFact = (): void =>
    plan.add(
      visibility === 'open'
        ? `project:${pid} is open: anyone can view it and submit runs or reports (R14)`
        : `project:${pid} is public: anyone can view it (R15)`,
    );
  if (who.kind === 'outsider') {
    visibilityFact();
    if (visibility === 'open' || visibility === 'public') publicFact();
    return;
  }
  const memberKey = factKeys.teamMember(teamId, who.id);
  const memberRole = state.teams.get(teamId)?.members.get(who.id);
  const isOrgAdmin = who.user.orgRole === 'admin';
  if (memberRole !== undefined) {
    plan.add(`${principal} has role ${memberRole} in team:${teamId}`, has(memberKey));
  } else if (isOrgAdmin) {
    plan.add(
      `${principal} is not a member of team:${teamId} but, as an org admin, acts as its admin (A9)`,
      lacks(memberKey),
      has(factKeys.orgUser(state.orgId, who.id)),
    );
  } else {
    plan.add(`${principal} is not a member of team:${teamId}`, lacks(memberKey));
  }
  visibilityFact();
  const teamRole = memberRole ?? (isOrgAdmin ? 'admin' : undefined);
  const overrideKey = factKeys.projectOverride(pid, who.id);
  const stored = project.overrides.get(who.id);
  const overrideFact = (): void => {
    if (stored !== undefined) {
      plan.add(
        `${principal} has the project-level role ${stored} on project:${pid} (override, R110)`,
        has(overrideKey),
      );
    } else {
      plan.add(
        `${principal}'s role on project:${pid} is inherited from the team role (R28)`,
        lacks(overrideKey),
      );
    }
  };
  switch (visibility) {
    case 'open':
    case 'public':
      if (teamRole === undefined) return publicFact();
      if (stored !== undefined) {
        plan.add(
          `${principal}'s project-level role ${stored} is inactive while project:${pid} is ${visibility} (A6)`,
          has(overrideKey),
        );
      }
      return;
    case 'team':
      if (teamRole !== undefined) overrideFact();
      return;
    case 'restricted':
      if (teamRole === undefined) return;
      if (restrictedFact(plan, principal, project)) return overrideFact();
      if (teamRole === 'admin' || isOrgAdmin) {
        plan.add(
          `as an admin, ${principal} may manage project:${pid} and join it, but sees no content until joining (A10)`,
        );
      }
      return;
  }
}

/** project-access.ts serviceAccountAccess (§3.3 SA rows, A35, R21, R117–R119, A36). */
function serviceAccountAccessFacts(
  plan: Plan,
  principal: Principal,
  sa: ServiceAccountState,
  project: ProjectState,
): void {
  const pid = project.projectId;
  plan.add(`project:${pid} is ${project.visibility}`, has(factKeys.projectVisibility(pid)));
  const inScope = sa.scope === 'org' || sa.teamId === project.teamId;
  if (inScope) {
    plan.add(
      `${principal} is in scope of team:${project.teamId} and member-equivalent there (A35, ${sa.scope === 'org' ? 'R117' : 'R118'})`,
    );
    if (project.visibility === 'restricted') restrictedFact(plan, principal, project);
    return;
  }
  plan.add(`${principal} belongs to another team than team:${project.teamId}`);
  if (project.visibility === 'open')
    plan.add(`a team service account may read and log runs to another team's open project (R119)`);
  if (project.visibility === 'public')
    plan.add(`a team service account may read another team's public project (A36)`);
}

/** check.ts checkManagement (C1, A9–A12, A16, R106, R112). */
function managementFacts(
  plan: Plan,
  state: OrgState,
  principal: Principal,
  who: Extract<Subject, { kind: 'user' | 'sa' | 'outsider' }>,
  permission: string,
  project: ProjectState,
): void {
  const pid = project.projectId;
  const teamId = project.teamId;
  if (who.kind === 'sa') return plan.need(`service accounts never manage projects (A35)`);
  const memberKey = factKeys.teamMember(teamId, who.id);
  if (who.kind === 'outsider') {
    return plan.need(
      `${principal} would need to be a member of org:${state.orgId} with admin rights on project:${pid}`,
      factKeys.orgUser(state.orgId, who.id),
      memberKey,
    );
  }
  if (who.user.orgRole === 'admin') return plan.add(`org admins manage every project (C1, A9)`);
  const teamRole = state.teams.get(teamId)?.members.get(who.id);
  if (teamRole === 'admin') {
    return plan.add(`admins of team:${teamId} manage its projects, whatever their project role (C1)`);
  }
  const pa = projectAccess(state, principal, pid);
  if (pa.access === 'role' && pa.role !== undefined && roleFacts(plan, state, pa.role, permission) === 'any')
    return;
  const owner = project.owner === principal;
  if (owner) {
    if (permission !== 'project:delete' && teamRole !== undefined) {
      return plan.add(
        `${principal} owns project:${pid} (${permission === 'project:change-visibility' ? 'R106' : 'A11'})`,
        has(factKeys.projectOwner(pid)),
      );
    }
    if (teamRole === undefined) {
      plan.add(
        `${principal} owns project:${pid} but is no longer in team:${teamId}, so ownership grants nothing (R24, R140)`,
        has(factKeys.projectOwner(pid)),
        lacks(memberKey),
      );
    }
  }
  const overrideKey = factKeys.projectOverride(pid, who.id);
  if (permission === 'project:delete') {
    return plan.need(
      `${principal} would need to be an org admin, an admin of team:${teamId}, a project-level admin of project:${pid}, ` +
        `or hold a custom role adding project:delete (A16; ownership alone is not enough, R112)`,
      memberKey,
      overrideKey,
    );
  }
  plan.need(
    `${principal} would need to be an org admin, an admin of team:${teamId}, a project-level admin or the owner of project:${pid} (C1, ${permission === 'project:change-visibility' ? 'R106' : 'A11'})`,
    memberKey,
    overrideKey,
  );
}

/** check.ts checkContent (§3.2, §3.3, A10, A35, A46, R5, R92, R95). */
function contentFacts(
  plan: Plan,
  state: OrgState,
  principal: Principal,
  who: Extract<Subject, { kind: 'user' | 'sa' | 'outsider' }>,
  permission: string,
  project: ProjectState,
  item: Item | null,
): void {
  const pid = project.projectId;
  const teamId = project.teamId;
  const restricted = project.visibility === 'restricted';
  const restrictedKey = factKeys.restrictedMember(pid, principal);
  const memberKey = who.kind === 'sa' ? '' : factKeys.teamMember(teamId, who.id);
  const pa = projectAccess(state, principal, pid);
  switch (pa.access) {
    case 'none':
      if (who.kind === 'outsider') {
        return plan.need(
          `${principal} would need to be a member of org:${state.orgId} and of team:${teamId}` +
            (restricted ? ` and a restricted member of project:${pid} (R17)` : ' (R16)'),
          factKeys.orgUser(state.orgId, who.id),
          memberKey,
        );
      }
      if (who.kind === 'sa') {
        const inScope = who.sa.scope === 'org' || who.sa.teamId === teamId;
        if (inScope) {
          return plan.need(
            `${principal} would need to be added to restricted project:${pid} (R21)`,
            restrictedKey,
          );
        }
        return plan.need(`${principal} would need to be a service account of team:${teamId} (R119)`);
      }
      if (pa.teamRole === undefined) {
        return plan.need(
          `${principal} would need to be a member of team:${teamId}` +
            (restricted ? ` and a restricted member of project:${pid} (R17)` : ' (R16)'),
          memberKey,
          restrictedKey,
        );
      }
      return plan.need(
        `${principal} would need to be a restricted member of project:${pid} (R17)`,
        restrictedKey,
      );
    case 'manage-only':
      return plan.need(
        `${principal} would need to join restricted project:${pid} (AddToRestrictedProject) to see its content (A10)`,
        restrictedKey,
      );
    case 'external-viewer':
    case 'external-contributor': {
      const granted =
        pa.access === 'external-viewer'
          ? EXTERNAL_VIEWER_PERMISSIONS
          : who.kind === 'sa'
            ? SERVICE_ACCOUNT_EXTERNAL_CONTRIBUTOR_PERMISSIONS
            : EXTERNAL_CONTRIBUTOR_PERMISSIONS;
      if (granted.has(permission)) {
        return plan.add(
          `${pa.access === 'external-viewer' ? 'viewing' : 'viewing and submitting'} is open to everyone here, including ${permission}`,
        );
      }
      if (who.kind === 'sa') {
        return plan.need(
          `${principal} would need to be a service account of team:${teamId} to hold ${permission}`,
        );
      }
      return plan.need(
        `${principal} would need to be a member of team:${teamId} to hold ${permission}`,
        memberKey,
      );
    }
    case 'role':
      break;
  }
  const role = pa.role;
  if (role === undefined) return;
  let grant: Grant | null;
  if (who.kind === 'sa') {
    grant = SERVICE_ACCOUNT_PERMISSIONS.has(permission)
      ? SERVICE_ACCOUNT_OWN_ONLY_PERMISSIONS.has(permission)
        ? 'own'
        : 'any'
      : null;
    if (grant === null) return plan.need(`service accounts do not hold ${permission} (A35)`);
    plan.add(
      `service accounts hold ${permission}${grant === 'own' ? ' on what they created only' : ''} (A35)`,
    );
  } else {
    grant = roleFacts(plan, state, role, permission);
    if (grant === null) {
      return plan.need(
        `${principal} would need a role on project:${pid} that grants ${permission}; ${role} does not`,
        factKeys.projectOverride(pid, who.id),
      );
    }
  }
  if (grant === 'any' || item === null) return;
  const itemKey = item.kind === 'run' ? factKeys.run(item.id) : factKeys.report(item.id);
  const rule = OWN_ONLY_RULES[permission] ?? 'R5';
  if (item.creator === principal) {
    return plan.add(`${principal} created ${item.kind}:${item.id} (${rule})`, has(itemKey));
  }
  plan.add(`${item.kind}:${item.id} was created by ${item.creator}, not ${principal}`, has(itemKey));
  plan.need(
    `${principal} would need to be the creator of ${item.kind}:${item.id}, or hold ${permission} on any ${item.kind} (e.g. as admin) (${rule})`,
  );
}

// ---------------------------------------------------------------------------------------------
// Registry scope (check.ts checkRegistry, registry-access.ts)
// ---------------------------------------------------------------------------------------------

function registryScope(
  plan: Plan,
  state: OrgState,
  principal: Principal,
  permission: string,
  registryId: string,
  result: CheckResult,
): void {
  const registry = state.registries.get(registryId);
  if (!registry) return plan.need(`registry:${registryId} does not exist`);
  plan.add(
    `registry:${registryId} is a ${registry.type} registry with ${registry.visibility} visibility`,
    has(factKeys.registry(registryId)),
    has(factKeys.registryVisibility(registryId)),
  );
  if (!REGISTRY_CHECKABLE_PERMISSIONS.has(permission))
    return plan.add(`${permission} is not a registry permission`);
  const who = subject(plan, state, principal);
  if (who.kind === 'absent') return;
  if (who.kind === 'outsider') {
    // §3.7 first line: registries answer only to members of their org (R124).
    return plan.need(
      `${principal} would need to be a member of org:${state.orgId} (R124)`,
      factKeys.orgUser(state.orgId, who.id),
    );
  }
  const grantKey = factKeys.registryGrant(registryId, principal);
  const ra = registryAccess(state, principal, registryId);
  for (const c of ra.contributions) contributionFact(plan, state, principal, who, registry, c.role, c.source);
  if (ra.role !== null) {
    plan.add(
      `${principal}'s effective role on registry:${registryId} is ${ra.role}, the highest contribution (R43)`,
    );
  }
  const isOrgAdmin = who.kind === 'user' && who.user.orgRole === 'admin';
  if (permission === 'registry:delete') {
    if (registry.type === 'core') return plan.need(`core registries can never be deleted (A26)`);
    if (isOrgAdmin) return plan.add(`org admins delete any custom registry (A26, R128)`);
    if (ra.role === 'admin' && registry.createdBy === principal) {
      return plan.add(
        `${principal} created registry:${registryId} (A26)`,
        has(factKeys.registry(registryId)),
      );
    }
    return plan.need(
      `${principal} would need to be an org admin, or the registry admin who created registry:${registryId} (A26, P29)`,
      grantKey,
    );
  }
  if (permission === 'registry:visibility.update') {
    if (registry.type === 'core')
      return plan.need(`the visibility of a core registry can never change (R122)`);
    if (isOrgAdmin || ra.role === 'admin')
      return plan.add(`org admins and registry admins change visibility (A25)`);
    return plan.need(`${principal} would need to be an admin of registry:${registryId} (A25, P25)`, grantKey);
  }
  if (ra.role === null) {
    const owning =
      registry.owningTeamId === null ? '' : `, or a member of its owning team team:${registry.owningTeamId}`;
    return plan.need(
      `${principal} would need a grant on registry:${registryId}, directly or through a team${owning} (R124)`,
      grantKey,
    );
  }
  if (REGISTRY_ROLE_PERMISSIONS[ra.role].has(permission)) {
    return plan.add(`registry role ${ra.role} grants ${permission} (R41)`);
  }
  const lowest = REGISTRY_ROLE_ORDER.find((r) => REGISTRY_ROLE_PERMISSIONS[r].has(permission));
  plan.add(`registry role ${ra.role} does not grant ${permission} (${result.rule ?? 'R41'})`);
  plan.need(
    `${principal} would need registry role ${lowest ?? 'admin'} or higher on registry:${registryId} (R41)`,
    grantKey,
  );
}

/** One §3.7 contribution (registry-access.ts), with the facts it came from. */
function contributionFact(
  plan: Plan,
  state: OrgState,
  principal: Principal,
  who: Extract<Subject, { kind: 'user' | 'sa' | 'outsider' }>,
  registry: RegistryState,
  role: string,
  source: string,
): void {
  const rid = registry.registryId;
  const principalKey =
    who.kind === 'sa' ? factKeys.serviceAccount(state.orgId, who.id) : factKeys.orgUser(state.orgId, who.id);
  if (source === 'orgAdmin') {
    return plan.add(
      `${principal} is an org admin, which contributes admin (R43, R44, A20)`,
      has(principalKey),
    );
  }
  if (source === 'direct') {
    return plan.add(
      `${principal} is granted registry role ${role} on registry:${rid} (direct)`,
      has(factKeys.registryGrant(rid, principal)),
    );
  }
  if (source.startsWith('teamGrant:')) {
    const teamId = source.slice('teamGrant:'.length);
    return plan.add(
      `team:${teamId} is granted registry role ${role} on registry:${rid}, and ${principal} belongs to it (R132, C11)`,
      has(factKeys.registryGrant(rid, `team:${teamId}`)),
      has(who.kind === 'sa' ? principalKey : factKeys.teamMember(teamId, who.id)),
    );
  }
  if (source === 'owningTeam' && registry.owningTeamId !== null && who.kind !== 'sa') {
    const teamId = registry.owningTeamId;
    const teamRole = state.teams.get(teamId)?.members.get(who.id);
    const cite = [has(factKeys.registryOwningTeam(rid)), has(factKeys.teamMember(teamId, who.id))];
    if (teamRole !== undefined && isCustomRole(teamRole)) {
      cite.push(has(factKeys.customRole(state.orgId, customRoleId(teamRole))));
    }
    return plan.add(
      `team:${teamId} owns registry:${rid}; ${principal}'s role ${teamRole ?? '?'} there contributes ${role} (R43, A19)`,
      ...cite,
    );
  }
  if (source === 'orgVisibility') {
    if (who.kind === 'sa') {
      return plan.add(
        `registry:${rid} is visible to the whole org, where org-scoped service accounts are members (A22)`,
        has(factKeys.registryVisibility(rid)),
      );
    }
    return plan.add(
      `registry:${rid} is visible to the whole org with baseline ${role} for a ${state.profile.type} ${state.profile.serverVersion} deployment (A21, R135)`,
      has(factKeys.registryVisibility(rid)),
      has(factKeys.org(state.orgId)),
    );
  }
  if (source === 'saFloor')
    return plan.add(`a service account with any access is at least member (R40, A22)`);
  plan.add(`${source} contributes ${role}`);
}
