/**
 * Team commands: teams, their members and roles, privacy settings, and service accounts.
 *
 * Order of checks: actor (403, A39) → referenced team/user/role (404) → authority via the effective
 * permissions (403) → rules (422) → conflicts (409) → events. The command's own event comes first
 * (index 0); cascades carry `causedBy` pointing at the event that caused them.
 */
import { check } from '../access';
import type { Command } from '../commands';
import type { Decider } from '../decide';
import { alreadyExists, forbidden, notFound, violation } from '../errors';
import { event, type AnyDomainEvent } from '../events';
import {
  customRoleId,
  isCustomRole,
  saPrincipal,
  type OrgState,
  type TeamRole,
  type TeamState,
  type UserState,
} from '../model';
import {
  authorize,
  requireActor,
  requireOrg,
  requireServiceAccount,
  requireTeam,
  requireUser,
  teamLeftWithoutAdmin,
  teamRemovalCascade,
  trackingCascade,
} from './shared';

type TeamCommandName =
  | 'CreateTeam'
  | 'UpdateTeamSettings'
  | 'AddTeamMember'
  | 'AssignTeamRole'
  | 'RemoveTeamMember'
  | 'CreateServiceAccount'
  | 'DeleteServiceAccount';

const teamResource = (teamId: string): string => `team:${teamId}`;

/** Resolves the actor (403) and the team (404), in that order, for commands addressed by team id. */
function actorAndTeam(state: OrgState, actor: string, teamId: string): { team: TeamState } {
  requireOrg(state);
  requireActor(state, actor);
  return { team: requireTeam(state, teamId) };
}

/** A team admin by team role, an org admin (A9) or the system actor: holds team:manage-members. */
function isTeamManager(state: OrgState, actor: string, teamId: string): boolean {
  return actor === 'system' || check(state, actor, 'team:manage-members', teamResource(teamId)).allowed;
}

/**
 * Who may add members (R79, R83, R85, A43): admins (team:manage-members) always; anyone else needs
 * team:invite from the effective-role module, which grants it to a custom role that added it or to a
 * Member-based role while the team allows members to invite (R83), and to nobody but admins while the
 * org enforces invitation control (R85). Returns whether the inviter is an admin (lifts the A43 cap).
 */
function inviteAuthority(state: OrgState, actor: string, team: TeamState): { admin: boolean } {
  if (isTeamManager(state, actor, team.teamId)) return { admin: true };
  // No rule passed: the check's own id (R79 by default, R85 under invitation control) is the specific one.
  authorize(state, actor, 'team:invite', teamResource(team.teamId));
  return { admin: false };
}

/**
 * Whether `user` may hold `role` in a team: R8 (an org viewer holds only viewer; custom roles need org
 * member, and A2 admits org admins too), A1 (custom roles need the feature) and the role must exist (404).
 */
function requireEligibleRole(state: OrgState, user: UserState, role: TeamRole): void {
  if (user.orgRole === 'viewer' && role !== 'viewer') {
    throw violation('R8', `${user.userId} is an org viewer and can only hold the viewer team role (R8)`);
  }
  if (isCustomRole(role)) {
    if (!state.profile.customRoles) {
      throw violation('A1', `custom roles are not enabled for organization ${state.orgId} (A1)`);
    }
    if (!state.customRoles.has(customRoleId(role)))
      throw notFound(`custom role ${customRoleId(role)} not found`);
  }
}

function createTeam(state: OrgState, { body, actor }: Command<'CreateTeam'>): AnyDomainEvent[] {
  requireOrg(state);
  const resolved = authorize(state, actor, 'org:create-team', `org:${state.orgId}`, 'R53');
  if (state.teams.has(body.teamId) || state.retired.has(`team:${body.teamId}`)) {
    throw alreadyExists(`team ${body.teamId} already exists`);
  }
  const out: AnyDomainEvent[] = [
    event('TeamCreated', { orgId: state.orgId, teamId: body.teamId, name: body.name }),
  ];
  // A49: the creating user becomes team admin; the system actor (tooling, like SCIM) does not join.
  if (resolved.kind === 'user') {
    out.push(event('TeamMemberAdded', { teamId: body.teamId, userId: resolved.userId, role: 'admin' }, 0));
  }
  return out;
}

/**
 * R78/R82: team admins and org admins change team settings. R85/C6: while the org enforces the
 * matching policy, any value for the locked setting is refused (422 R85), even the enforced value or
 * the stored one. Unchanged values produce no event.
 */
function updateTeamSettings(
  state: OrgState,
  { body, actor }: Command<'UpdateTeamSettings'>,
): AnyDomainEvent[] {
  const { team } = actorAndTeam(state, actor, body.teamId);
  authorize(state, actor, 'team:manage-settings', teamResource(team.teamId), 'R78');
  if (body.futureProjectsPrivate !== undefined && state.policies.futureProjectPrivacy) {
    throw violation(
      'R85',
      'futureProjectsPrivate is locked: the organization enforces privacy for future projects (R85, C6)',
    );
  }
  if (body.membersCanInvite !== undefined && state.policies.invitationControl) {
    throw violation(
      'R85',
      'membersCanInvite is locked: the organization enforces invitation control (R85, C6)',
    );
  }
  const data: { teamId: string; futureProjectsPrivate?: boolean; membersCanInvite?: boolean } = {
    teamId: team.teamId,
  };
  if (body.futureProjectsPrivate !== undefined && body.futureProjectsPrivate !== team.futureProjectsPrivate) {
    data.futureProjectsPrivate = body.futureProjectsPrivate;
  }
  if (body.membersCanInvite !== undefined && body.membersCanInvite !== team.membersCanInvite) {
    data.membersCanInvite = body.membersCanInvite;
  }
  if (data.futureProjectsPrivate === undefined && data.membersCanInvite === undefined) return [];
  return [event('TeamPrivacySettingsChanged', data)];
}

function addTeamMember(state: OrgState, { body, actor }: Command<'AddTeamMember'>): AnyDomainEvent[] {
  const { team } = actorAndTeam(state, actor, body.teamId);
  const { admin } = inviteAuthority(state, actor, team);
  // R62/A35: service accounts never hold team roles; an SA id does not resolve as a user (404).
  const user = requireUser(state, body.userId);
  // A40: default member; an org viewer defaults to viewer (R8 then refuses anything else).
  const role: TeamRole = body.role ?? (user.orgRole === 'viewer' ? 'viewer' : 'member');
  // A43 is authority (403), so it is decided before the rules: a non-admin inviter grants at most member.
  if (!admin && role === 'admin') {
    throw forbidden('a non-admin inviter may grant roles only up to member (A43)', 'A43');
  }
  if (user.status !== 'active') {
    throw violation(
      'A39',
      `${user.userId} is deactivated; only active org members can be added to a team (A39)`,
    );
  }
  requireEligibleRole(state, user, role);
  if (team.members.has(user.userId))
    throw alreadyExists(`${user.userId} is already a member of team ${team.teamId}`);
  return [event('TeamMemberAdded', { teamId: team.teamId, userId: user.userId, role })];
}

function assignTeamRole(state: OrgState, { body, actor }: Command<'AssignTeamRole'>): AnyDomainEvent[] {
  const { team } = actorAndTeam(state, actor, body.teamId);
  // R77, R2: team admins and org admins change team members' roles.
  authorize(state, actor, 'team:manage-members', teamResource(team.teamId), 'R77');
  const user = requireUser(state, body.userId);
  const from = team.members.get(user.userId);
  if (from === undefined) throw notFound(`${user.userId} is not a member of team ${team.teamId}`);
  const to = body.role;
  if (from === to) return [];
  requireEligibleRole(state, user, to);
  const out: AnyDomainEvent[] = [
    event('TeamRoleChanged', { teamId: team.teamId, userId: user.userId, from, to, reason: 'assigned' }),
  ];
  out.push(...trackingCascade(state, team.teamId, user.userId, from, to, 0)); // A4, C7
  if (from === 'admin' && teamLeftWithoutAdmin(team, user.userId)) {
    out.push(event('TeamHasNoAdminWarning', { teamId: team.teamId }, 0)); // A44: allowed, but flagged
  }
  return out;
}

function removeTeamMember(state: OrgState, { body, actor }: Command<'RemoveTeamMember'>): AnyDomainEvent[] {
  const { team } = actorAndTeam(state, actor, body.teamId);
  authorize(state, actor, 'team:manage-members', teamResource(team.teamId), 'R78');
  const user = requireUser(state, body.userId);
  if (!team.members.has(user.userId)) throw notFound(`${user.userId} is not a member of team ${team.teamId}`);
  return [
    event('TeamMemberRemoved', { teamId: team.teamId, userId: user.userId, reason: 'removed' }),
    // R32, R107, R140, R81/A28, A44; runs untouched (R80).
    ...teamRemovalCascade(state, team.teamId, user.userId, 0, 'leftTeam'),
  ];
}

/**
 * R117: an org-scoped SA is created by an org admin and needs an existing default team (teamId).
 * R118: a team-scoped SA is created by an admin of that team (or an org admin, A9); service accounts
 * are managed in the team's settings (R121), hence team:manage-settings.
 */
function createServiceAccount(
  state: OrgState,
  { body, actor }: Command<'CreateServiceAccount'>,
): AnyDomainEvent[] {
  const { team } = actorAndTeam(state, actor, body.teamId);
  if (body.scope === 'org') authorize(state, actor, 'org:manage-users', `org:${state.orgId}`, 'R117');
  else authorize(state, actor, 'team:manage-settings', teamResource(team.teamId), 'R118');
  const id = body.serviceAccountId;
  if (state.serviceAccounts.has(id) || state.retired.has(`sa:${id}`))
    throw alreadyExists(`service account ${id} already exists`);
  return [
    event('ServiceAccountCreated', {
      orgId: state.orgId,
      serviceAccountId: id,
      scope: body.scope,
      teamId: team.teamId,
    }),
  ];
}

/**
 * The admin of the SA's scope deletes it (org admin for org SAs, R117; team or org admin for team SAs,
 * R118). Cascades (causedBy 0): its restricted-project memberships and its registry grants go.
 */
function deleteServiceAccount(
  state: OrgState,
  { body, actor }: Command<'DeleteServiceAccount'>,
): AnyDomainEvent[] {
  requireOrg(state);
  requireActor(state, actor);
  const sa = requireServiceAccount(state, body.serviceAccountId);
  if (sa.scope === 'org') authorize(state, actor, 'org:manage-users', `org:${state.orgId}`, 'R117');
  else authorize(state, actor, 'team:manage-settings', teamResource(sa.teamId), 'R118');
  const principal = saPrincipal(sa.serviceAccountId);
  const out: AnyDomainEvent[] = [
    event('ServiceAccountDeleted', { orgId: state.orgId, serviceAccountId: sa.serviceAccountId }),
  ];
  for (const p of state.projects.values()) {
    if (p.restrictedMembers.has(principal)) {
      out.push(
        event(
          'RestrictedProjectMemberRemoved',
          { projectId: p.projectId, principal, reason: 'serviceAccountDeleted' },
          0,
        ),
      );
    }
  }
  for (const r of state.registries.values()) {
    if (r.grants.has(principal)) {
      out.push(
        event(
          'RegistryMemberRemoved',
          { registryId: r.registryId, member: principal, reason: 'serviceAccountDeleted' },
          0,
        ),
      );
    }
  }
  return out;
}

export const teamDeciders: { [K in TeamCommandName]: Decider<K> } = {
  CreateTeam: createTeam,
  UpdateTeamSettings: updateTeamSettings,
  AddTeamMember: addTeamMember,
  AssignTeamRole: assignTeamRole,
  RemoveTeamMember: removeTeamMember,
  CreateServiceAccount: createServiceAccount,
  DeleteServiceAccount: deleteServiceAccount,
};
