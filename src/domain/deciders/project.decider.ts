/**
 * Project commands (api.md: CreateProject … DeleteProject): visibility scopes (R13–R25, R84, R106,
 * R107, A7, A8, A13), restricted membership (R17, R19–R21, R32, A10, A11, C5), project-level roles
 * (R25–R32, A4, A5, A12, R8), ownership (R24, R140, A45) and deletion (A16, R112).
 *
 * Authority is read from the effective-role module (access.ts) through `authorize`/`check`
 * (403 first, C2); rule checks come after (422 with the rule id). Idempotent no-ops return [].
 */
import type { Command } from '../commands';
import type { DeciderTable } from '../decide';
import { alreadyExists, forbidden, invalid, notFound, violation } from '../errors';
import { event, type AnyDomainEvent } from '../events';
import { projectAccess } from '../access';
import {
  customRoleId,
  isCustomRole,
  userPrincipal,
  type OrgState,
  type Principal,
  type ProjectState,
  type ProjectVisibility,
  type TeamRole,
  type TeamState,
} from '../model';
import {
  authorize,
  requireActor,
  requireCustomRole,
  requireProject,
  requireTeam,
  type ResolvedActor,
} from './shared';

type ProjectCommand =
  | 'CreateProject'
  | 'ChangeProjectVisibility'
  | 'AddToRestrictedProject'
  | 'RemoveFromRestrictedProject'
  | 'ChangeProjectRole'
  | 'ChangeProjectOwner'
  | 'DeleteProject';

const VISIBILITIES: ReadonlySet<string> = new Set<ProjectVisibility>([
  'open',
  'public',
  'team',
  'restricted',
]);
const BUILTIN_ROLES: ReadonlySet<string> = new Set(['admin', 'member', 'viewer']);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** A project-side principal (`user:<id>` / `sa:<id>`), parsed without throwing a plain Error. */
interface ParsedPrincipal {
  kind: 'user' | 'sa';
  id: string;
  principal: Principal;
}

function parsePrincipal(ref: string): ParsedPrincipal {
  const i = ref.indexOf(':');
  const kind = i < 0 ? '' : ref.slice(0, i);
  const id = i < 0 ? '' : ref.slice(i + 1);
  if ((kind === 'user' || kind === 'sa') && id !== '') return { kind, id, principal: ref };
  throw invalid(`principal must be user:<id> or sa:<id>, got "${ref}"`);
}

/** 404 for a principal unknown to the org: the reference itself is wrong (api.md 404 row). */
function requirePrincipalExists(state: OrgState, p: ParsedPrincipal): void {
  if (p.kind === 'user' && !state.users.has(p.id))
    throw notFound(`user ${p.id} is not a member of organization ${state.orgId}`);
  if (p.kind === 'sa' && !state.serviceAccounts.has(p.id))
    throw notFound(`service account ${p.id} not found`);
}

/**
 * A11: who may be a member of a restricted project — a member of the parent team (R17), a service
 * account team-scoped to the parent team (R21), or an org-scoped service account (R117).
 * Org admins outside the team are not eligible invitees; they may only join themselves (A10, C5).
 */
function isA11Eligible(state: OrgState, team: TeamState, p: ParsedPrincipal): boolean {
  if (p.kind === 'user') return team.members.has(p.id);
  const sa = state.serviceAccounts.get(p.id);
  return sa !== undefined && (sa.scope === 'org' || sa.teamId === team.teamId);
}

/**
 * Parses, de-duplicates and validates invitees (R19, A7, A11). The owner is skipped: A7 adds them
 * anyway, with reason `owner`.
 */
function eligibleInvitees(
  state: OrgState,
  team: TeamState,
  owner: Principal,
  invitees: readonly string[],
): Principal[] {
  const out: Principal[] = [];
  const seen = new Set<Principal>([owner]);
  for (const ref of invitees) {
    const p = parsePrincipal(ref);
    if (seen.has(p.principal)) continue;
    seen.add(p.principal);
    requirePrincipalExists(state, p);
    if (!isA11Eligible(state, team, p)) {
      throw violation(
        'A11',
        `${p.principal} cannot be invited to a restricted project of team ${team.teamId}: only members of the team, ` +
          `its team service accounts and org service accounts can (A11, R17)`,
      );
    }
    out.push(p.principal);
  }
  return out;
}

/** R84/A13: while either switch is on, no project of the team may become (or be created) Open/Public. */
function futureProjectsPrivate(state: OrgState, team: TeamState): boolean {
  return team.futureProjectsPrivate || state.policies.futureProjectPrivacy;
}

function isOrgAdmin(actor: ResolvedActor): boolean {
  return actor.kind === 'user' && actor.user.orgRole === 'admin';
}

/** C1/A9/A10/A12: an admin of the project's team by *team* role, whatever their project-level role. */
function isTeamAdmin(state: OrgState, project: ProjectState, actor: ResolvedActor): boolean {
  return actor.kind === 'user' && state.teams.get(project.teamId)?.members.get(actor.userId) === 'admin';
}

/** C1/A11/A12/A16: a user whose effective role in this project is admin (an override included). */
function isProjectRoleAdmin(state: OrgState, project: ProjectState, actor: ResolvedActor): boolean {
  if (actor.kind !== 'user') return false;
  const access = projectAccess(state, userPrincipal(actor.userId), project.projectId);
  return access.access === 'role' && access.role === 'admin';
}

function parseRole(role: string): TeamRole {
  if (BUILTIN_ROLES.has(role)) return role as TeamRole;
  if (isCustomRole(role) && customRoleId(role) !== '') return role;
  throw invalid(`role must be admin, member, viewer or custom:<roleId>, got "${role}"`);
}

function requireVisibility(v: string): ProjectVisibility {
  if (!VISIBILITIES.has(v)) throw invalid(`visibility must be open, public, team or restricted, got "${v}"`);
  return v as ProjectVisibility;
}

// ---------------------------------------------------------------------------------------------
// Deciders
// ---------------------------------------------------------------------------------------------

function createProject(state: OrgState, { body, actor }: Command<'CreateProject'>): AnyDomainEvent[] {
  const resolved = requireActor(state, actor);
  if (resolved.kind === 'system') {
    // A15: the creator becomes the owner, and `system` is not a principal that can own a project.
    throw forbidden(
      'the system actor cannot create a project: the creator becomes its owner (A15); act as a user or service account',
      'A15',
    );
  }
  const team = requireTeam(state, body.teamId);
  // A15: team member/admin, custom role with project:create, org admin (A9), service account in scope.
  authorize(state, actor, 'project:create', `team:${team.teamId}`, 'A15');
  if (state.projects.has(body.projectId) || state.retired.has(`project:${body.projectId}`)) {
    throw alreadyExists(`project ${body.projectId} already exists (ids are never reused)`);
  }
  const visibility = requireVisibility(body.visibility ?? 'team'); // A15: Team is the default and always legal
  if ((visibility === 'open' || visibility === 'public') && futureProjectsPrivate(state, team)) {
    throw violation(
      'R84',
      `team ${team.teamId} allows only team or restricted projects while "make all future projects private" is on (R84, R85, A13)`,
    );
  }
  const invitees = body.invitees ?? [];
  if (visibility !== 'restricted' && invitees.length > 0) {
    // R19: naming invitees is part of creating a *restricted* project; elsewhere they would mean nothing.
    throw violation(
      'R19',
      `invitees can only be named when the project is created as restricted (R19), not ${visibility}`,
    );
  }
  const owner = actor;
  const invited = visibility === 'restricted' ? eligibleInvitees(state, team, owner, invitees) : [];

  const out: AnyDomainEvent[] = [
    event('ProjectCreated', {
      projectId: body.projectId,
      teamId: team.teamId,
      name: body.name,
      visibility,
      owner,
    }),
  ];
  if (visibility === 'restricted') {
    // A7: the owner is always a restricted member; R19: one event per invitee.
    out.push(
      event(
        'RestrictedProjectMemberAdded',
        { projectId: body.projectId, principal: owner, reason: 'owner' },
        0,
      ),
    );
    for (const principal of invited) {
      out.push(
        event('RestrictedProjectMemberAdded', { projectId: body.projectId, principal, reason: 'invitee' }, 0),
      );
    }
  }
  return out;
}

function changeProjectVisibility(
  state: OrgState,
  { body, actor }: Command<'ChangeProjectVisibility'>,
): AnyDomainEvent[] {
  const project = requireProject(state, body.projectId);
  // R106/C1: owner, team admin, org admin, project-role admin.
  authorize(state, actor, 'project:change-visibility', `project:${project.projectId}`, 'R106');
  const to = requireVisibility(body.visibility);
  const invitees = body.invitees ?? [];
  if (to !== 'restricted' && invitees.length > 0) {
    throw violation('A7', `invitees only apply when a project becomes restricted (A7, R20), not ${to}`);
  }
  const from = project.visibility;
  if (from === to) return []; // idempotent; later additions go through AddToRestrictedProject (R20)
  const team = requireTeam(state, project.teamId);
  if ((to === 'open' || to === 'public') && futureProjectsPrivate(state, team)) {
    // A13: existing Open/Public projects keep their scope, but no change *to* Open/Public is allowed.
    throw violation(
      'R84',
      `project ${project.projectId} cannot become ${to} while team ${team.teamId} keeps future projects private (R84, R85, A13)`,
    );
  }
  // R23: Restricted → Team (and every other change among Team/Restricted) is always allowed.

  const pid = project.projectId;
  const out: AnyDomainEvent[] = [event('ProjectVisibilityChanged', { projectId: pid, from, to })];
  if (to === 'restricted') {
    // A7/R107: the owner and the invitees keep access; everybody else loses it, and with it their
    // override (consistent with R32: leaving the membership resets the override).
    const invited = eligibleInvitees(state, team, project.owner, invitees);
    out.push(
      event('RestrictedProjectMemberAdded', { projectId: pid, principal: project.owner, reason: 'owner' }, 0),
    );
    for (const principal of invited) {
      out.push(event('RestrictedProjectMemberAdded', { projectId: pid, principal, reason: 'invitee' }, 0));
    }
    const keep = new Set<Principal>([project.owner, ...invited]);
    for (const [userId, previous] of project.overrides) {
      if (keep.has(userPrincipal(userId))) continue;
      out.push(
        event('ProjectRoleOverrideCleared', { projectId: pid, userId, previous, reason: 'notInvited' }, 0),
      );
    }
  } else if (from === 'restricted') {
    // A8: the member list is discarded (every team member gets access, R107); overrides are kept.
    out.push(event('RestrictedMembershipDissolved', { projectId: pid }, 0));
  }
  return out;
}

/** A10/C5: a team admin (by team role) or an org admin adding themselves. */
function isAdminSelfJoin(
  state: OrgState,
  project: ProjectState,
  resolved: ResolvedActor,
  target: ParsedPrincipal,
): boolean {
  return (
    resolved.kind === 'user' &&
    target.kind === 'user' &&
    target.id === resolved.userId &&
    (isOrgAdmin(resolved) || isTeamAdmin(state, project, resolved))
  );
}

function requireRestricted(project: ProjectState): void {
  if (project.visibility !== 'restricted') {
    throw violation(
      'A11',
      `project ${project.projectId} is ${project.visibility}, not restricted: it has no member list (A11, R17)`,
    );
  }
}

function addToRestrictedProject(
  state: OrgState,
  { body, actor }: Command<'AddToRestrictedProject'>,
): AnyDomainEvent[] {
  const project = requireProject(state, body.projectId);
  const target = parsePrincipal(body.principal);
  // A11/C1: owner, team admin (by team role), org admin, project-role admin. The admins who may
  // join themselves (A10, C5) hold this authority already, so one check covers both.
  const resolved = authorize(state, actor, 'project:manage-members', `project:${project.projectId}`, 'A11');
  const selfJoin = isAdminSelfJoin(state, project, resolved, target);
  requireRestricted(project);
  requirePrincipalExists(state, target);
  if (project.restrictedMembers.has(target.principal)) return [];
  // C5: the admin self-join is the one exception to A11 (an org admin outside the team may join,
  // without becoming a team member); everybody else must be eligible.
  const team = requireTeam(state, project.teamId);
  if (!selfJoin && !isA11Eligible(state, team, target)) {
    throw violation(
      'A11',
      `${target.principal} cannot join restricted project ${project.projectId}: only members of team ${team.teamId}, ` +
        `its team service accounts and org service accounts can be added (A11, R17); admins may join themselves (A10)`,
    );
  }
  // R32: the member starts from the inherited team role; no earlier override is restored (removal cleared it).
  return [
    event('RestrictedProjectMemberAdded', {
      projectId: project.projectId,
      principal: target.principal,
      reason: selfJoin ? 'selfJoin' : 'added',
    }),
  ];
}

function removeFromRestrictedProject(
  state: OrgState,
  { body, actor }: Command<'RemoveFromRestrictedProject'>,
): AnyDomainEvent[] {
  const project = requireProject(state, body.projectId);
  const target = parsePrincipal(body.principal);
  authorize(state, actor, 'project:manage-members', `project:${project.projectId}`, 'A11');
  requireRestricted(project);
  requirePrincipalExists(state, target);
  if (target.principal === project.owner) {
    throw violation(
      'A11',
      `${target.principal} owns project ${project.projectId} and cannot be removed from it: change the owner first (A7, A45)`,
    );
  }
  // Idempotent, like AddToRestrictedProject: the principal is already outside the project.
  if (!project.restrictedMembers.has(target.principal)) return [];
  const out: AnyDomainEvent[] = [
    event('RestrictedProjectMemberRemoved', {
      projectId: project.projectId,
      principal: target.principal,
      reason: 'removed',
    }),
  ];
  // R32: leaving the project drops the override, so a later re-add starts from the team role.
  const previous = target.kind === 'user' ? project.overrides.get(target.id) : undefined;
  if (previous !== undefined) {
    out.push(
      event(
        'ProjectRoleOverrideCleared',
        { projectId: project.projectId, userId: target.id, previous, reason: 'removed' },
        0,
      ),
    );
  }
  return out;
}

function changeProjectRole(state: OrgState, { body, actor }: Command<'ChangeProjectRole'>): AnyDomainEvent[] {
  const project = requireProject(state, body.projectId);
  const resolved = requireActor(state, actor);
  // A12/C1: team admin by team role, org admin, or effective project-role admin. The owner as such
  // is not enough, nor is a plain member (T44).
  const mayChange =
    resolved.kind === 'system' ||
    isOrgAdmin(resolved) ||
    isTeamAdmin(state, project, resolved) ||
    isProjectRoleAdmin(state, project, resolved);
  if (!mayChange) {
    throw forbidden(
      `${actor} may not change project-level roles in ${project.projectId}: team admins, org admins and project admins may (A12)`,
      'A12',
    );
  }
  const role = parseRole(body.role);
  if (project.visibility === 'open' || project.visibility === 'public') {
    throw violation(
      'R25',
      `project-level roles exist only in team or restricted projects; ${project.projectId} is ${project.visibility} (R25)`,
    );
  }
  const userId = body.userId;
  if (!state.users.has(userId)) {
    if (state.serviceAccounts.has(userId)) {
      throw violation(
        'A35',
        `service account ${userId} has no project-level role; it is member-equivalent in its scope (A35)`,
      );
    }
    throw notFound(`user ${userId} is not a member of organization ${state.orgId}`);
  }
  const teamRole = state.teams.get(project.teamId)?.members.get(userId);
  if (teamRole === undefined) {
    throw violation(
      'R26',
      `user ${userId} is not a member of team ${project.teamId}: project-level roles are given to the team's members (R26, R28)`,
    );
  }
  if (project.visibility === 'restricted' && !project.restrictedMembers.has(userPrincipal(userId))) {
    throw violation(
      'R17',
      `user ${userId} is not a member of restricted project ${project.projectId}; add them first (R17, A11)`,
    );
  }
  if (teamRole === 'viewer') {
    // R29; with A5 this also freezes an override kept from before the team role dropped to View-Only.
    throw violation('R29', `the project-level role of a View-Only team member cannot be changed (R29, A5)`);
  }
  if (isCustomRole(role)) {
    if (!state.profile.customRoles)
      throw violation('A1', 'custom roles are not enabled in this organization (A1)');
    requireCustomRole(state, customRoleId(role));
    // R8: only org members and admins (A2) may hold a custom role.
    if (state.users.get(userId)?.orgRole === 'viewer') {
      throw violation('R8', `user ${userId} is an org viewer and cannot be given a custom role (R8)`);
    }
  }
  const override = project.overrides.get(userId);
  const current = override ?? teamRole;
  if (resolved.kind === 'user' && resolved.userId === userId && !(current === 'admin' && role !== 'admin')) {
    throw violation(
      'A12',
      `nobody changes their own project-level role, except an admin demoting themselves (A12)`,
    );
  }
  if (role === teamRole) {
    // A4: overrides are stored only while they differ; back to the team role = tracking again.
    if (override === undefined) return [];
    return [
      event('ProjectRoleOverrideCleared', {
        projectId: project.projectId,
        userId,
        previous: override,
        reason: 'assigned',
      }),
    ];
  }
  if (override === role) return [];
  // R27: one command, one event, effective immediately.
  return [
    event('ProjectRoleChanged', {
      projectId: project.projectId,
      userId,
      from: current,
      to: role,
      isOverride: true,
      reason: 'assigned',
    }),
  ];
}

function changeProjectOwner(
  state: OrgState,
  { body, actor }: Command<'ChangeProjectOwner'>,
): AnyDomainEvent[] {
  const project = requireProject(state, body.projectId);
  const resolved = requireActor(state, actor);
  // A45: team admin, org admin or the current owner; C1 adds users whose effective project role is admin.
  // An owner who left the parent team keeps the designation but not the power (R24, R140: the team
  // admin replaces them), and a service-account owner manages nothing (A35).
  const isActingOwner =
    resolved.kind === 'user' &&
    actor === project.owner &&
    state.teams.get(project.teamId)?.members.has(resolved.userId) === true;
  const mayChange =
    resolved.kind === 'system' ||
    isActingOwner ||
    isOrgAdmin(resolved) ||
    isTeamAdmin(state, project, resolved) ||
    isProjectRoleAdmin(state, project, resolved);
  if (!mayChange) {
    throw forbidden(
      `${actor} may not change the owner of ${project.projectId}: team admins, org admins and the current owner may (A45)`,
      'A45',
    );
  }
  const user = state.users.get(body.userId);
  if (!user) throw notFound(`user ${body.userId} is not a member of organization ${state.orgId}`);
  if (user.status !== 'active' || !state.teams.get(project.teamId)?.members.has(body.userId)) {
    throw violation('A45', `the new owner must be an active member of team ${project.teamId} (A45, R24)`);
  }
  const to = userPrincipal(body.userId);
  if (to === project.owner) return [];
  // R140: the orphaned-owner condition is derived (owner not in team), so this change clears it.
  const out: AnyDomainEvent[] = [
    event('ProjectOwnerChanged', { projectId: project.projectId, from: project.owner, to }),
  ];
  if (project.visibility === 'restricted' && !project.restrictedMembers.has(to)) {
    // A7/A45: the owner of a restricted project is always one of its members.
    out.push(
      event(
        'RestrictedProjectMemberAdded',
        { projectId: project.projectId, principal: to, reason: 'owner' },
        0,
      ),
    );
  }
  return out;
}

function deleteProject(state: OrgState, { body, actor }: Command<'DeleteProject'>): AnyDomainEvent[] {
  const project = requireProject(state, body.projectId);
  // A16/R112: team admin, org admin, project-role admin, custom project:delete; ownership alone is not enough.
  authorize(state, actor, 'project:delete', `project:${project.projectId}`, 'A16');
  return [event('ProjectDeleted', { projectId: project.projectId, teamId: project.teamId })];
}

export const projectDeciders: DeciderTable<ProjectCommand> = {
  CreateProject: createProject,
  ChangeProjectVisibility: changeProjectVisibility,
  AddToRestrictedProject: addToRestrictedProject,
  RemoveFromRestrictedProject: removeFromRestrictedProject,
  ChangeProjectRole: changeProjectRole,
  ChangeProjectOwner: changeProjectOwner,
  DeleteProject: deleteProject,
};
