/**
 * Organization-level commands: the org itself, its users, policies and custom roles.
 *
 * Order of checks in every decider: actor (403, A39) → referenced org/resources (404) → authority via
 * the effective permissions (403) → rules (422) → existence conflicts (409) → events. Cascades are
 * separate events of the same decision; each carries `causedBy` = the index of the event that caused it,
 * and the command's own event always comes first (index 0) so that every cascade can point back to it.
 */
import { registryAccess } from '../access';
import type { Command } from '../commands';
import type { Decider } from '../decide';
import { alreadyExists, forbidden, invalid, violation } from '../errors';
import { event, type AnyDomainEvent } from '../events';
import {
  DEFAULT_PROFILE,
  REGISTRY_ROLE_ORDER,
  userPrincipal,
  type CustomRoleBase,
  type DeploymentProfile,
  type OrgRole,
  type OrgState,
  type RegistryRole,
  type UserState,
} from '../model';
import { CUSTOM_ROLE_CATALOGUE, MEMBER_BASE_PERMISSIONS, VIEWER_BASE_PERMISSIONS } from '../permissions';
import {
  authorize,
  requireCustomRole,
  requireOrg,
  requireUser,
  teamRemovalCascade,
  trackingCascade,
} from './shared';

type OrgCommandName =
  | 'CreateOrganization'
  | 'AddUserToOrganization'
  | 'ChangeOrganizationRole'
  | 'RemoveUserFromOrganization'
  | 'DeactivateUser'
  | 'ReactivateUser'
  | 'SetOrganizationPolicy'
  | 'CreateCustomRole'
  | 'UpdateCustomRole'
  | 'DeleteCustomRole';

const orgResource = (state: OrgState): string => `org:${state.orgId}`;

/** Org-admin authority for user management (R51); `rule` is the command's key rule (C10). */
function authorizeManageUsers(state: OrgState, actor: string, rule = 'R51'): void {
  authorize(state, actor, 'org:manage-users', orgResource(state), rule);
}

function authorizeManageRoles(state: OrgState, actor: string): void {
  // R7: only org admins compose custom roles; R51 lists it among the org-admin powers.
  authorize(state, actor, 'org:manage-roles', orgResource(state), 'R7');
}

/**
 * A34: an interactive command may not leave the org without an active admin. Only an active admin
 * counts, so demoting, removing or deactivating an already deactivated admin never trips it.
 */
function guardLastAdmin(state: OrgState, target: UserState, verb: string): void {
  if (target.orgRole !== 'admin' || target.status !== 'active') return;
  for (const u of state.users.values()) {
    if (u.userId !== target.userId && u.orgRole === 'admin' && u.status === 'active') return;
  }
  throw violation(
    'A34',
    `cannot ${verb} ${target.userId}: the organization must keep at least one active admin (A34, R54)`,
  );
}

/** A3 flag: in scimMapping mode a requested org `viewer` is stored as `member` (R60a). */
function storedOrgRole(state: OrgState, requested: OrgRole): OrgRole {
  return requested === 'viewer' && state.profile.orgViewerMode === 'scimMapping' ? 'member' : requested;
}

const rank = (r: RegistryRole): number => REGISTRY_ROLE_ORDER.indexOf(r);

/**
 * The A3/R60 cascade when a user becomes org viewer, appended to `out` with `root` as the cause
 * (the OrgRoleChanged index, or undefined when scimMapping stores no role change):
 * (d) every team role → viewer (custom roles included), each TeamRoleChanged followed by its C7
 *     tracking events; every project override of the user cleared (reason orgViewer), so projects
 *     inherit viewer (A5 explicitly: R60 clears even frozen overrides);
 * (e) registry viewer in every Organization-visibility registry where the user's effective role, once
 *     the org-admin contribution is gone, is lower than viewer: a direct grant is raised
 *     (RegistryRoleChanged) or one is added (RegistryMemberAdded). Team roles become viewer, so an
 *     owning-team contribution afterwards is at least viewer and needs nothing.
 */
function orgViewerCascade(
  state: OrgState,
  user: UserState,
  out: AnyDomainEvent[],
  root: number | undefined,
): void {
  const userId = user.userId;
  const principal = userPrincipal(userId);
  for (const teamId of user.teams) {
    const team = state.teams.get(teamId);
    const from = team?.members.get(userId);
    if (!team || from === undefined) continue;
    let cause = root;
    if (from !== 'viewer') {
      cause = out.length;
      out.push(event('TeamRoleChanged', { teamId, userId, from, to: 'viewer', reason: 'orgViewer' }, root));
    }
    for (const projectId of team.projects) {
      const p = state.projects.get(projectId);
      if (!p) continue;
      const override = p.overrides.get(userId);
      if (override !== undefined) {
        out.push(
          event(
            'ProjectRoleOverrideCleared',
            { projectId, userId, previous: override, reason: 'orgViewer' },
            cause,
          ),
        );
      } else if (
        from !== 'viewer' &&
        (p.visibility === 'team' || (p.visibility === 'restricted' && p.restrictedMembers.has(principal)))
      ) {
        // C7: informational tracking event where the project role followed the team role.
        out.push(
          event(
            'ProjectRoleChanged',
            { projectId, userId, from, to: 'viewer', isOverride: false, reason: 'trackingTeamRole' },
            cause,
          ),
        );
      }
    }
  }
  // Overrides outside the user's teams cannot normally exist (leaving a team clears them, R32); clear
  // any stray one too so that "every override is cleared" (A3) holds whatever the history.
  for (const p of state.projects.values()) {
    if (user.teams.has(p.teamId)) continue;
    const override = p.overrides.get(userId);
    if (override !== undefined) {
      out.push(
        event(
          'ProjectRoleOverrideCleared',
          { projectId: p.projectId, userId, previous: override, reason: 'orgViewer' },
          root,
        ),
      );
    }
  }
  const viewer = rank('viewer');
  for (const r of state.registries.values()) {
    if (r.visibility !== 'organization') continue;
    const direct = r.grants.get(principal);
    if (direct !== undefined && rank(direct) >= viewer) continue;
    const access = registryAccess(state, principal, r.registryId);
    const after = access.contributions
      .filter((c) => c.source !== 'orgAdmin')
      .reduce((best, c) => Math.max(best, rank(c.role)), -1);
    if (after >= viewer) continue;
    if (direct !== undefined) {
      out.push(
        event(
          'RegistryRoleChanged',
          { registryId: r.registryId, member: principal, from: direct, to: 'viewer', reason: 'orgViewer' },
          root,
        ),
      );
    } else {
      out.push(
        event(
          'RegistryMemberAdded',
          { registryId: r.registryId, member: principal, role: 'viewer', defaulted: false },
          root,
        ),
      );
    }
  }
}

/**
 * A38 (and R63 on multi-tenant): the user leaves the organization. UserRemovedFromOrganization comes
 * first (index 0); every cascade points back to it, directly or through its TeamMemberRemoved:
 * each team → TeamMemberRemoved(leftOrganization) + that team's removal cascade (R32, R81/A28, R140,
 * A44); restricted memberships and overrides outside the user's teams (an org admin's self-join, C5);
 * every direct registry grant → RegistryMemberRemoved(leftOrganization). Registry owner designations
 * are kept (C9); runs are kept (R80). Evolve replays this order: the team/registry handlers never need
 * the user record.
 */
function removalFromOrg(state: OrgState, user: UserState): AnyDomainEvent[] {
  const userId = user.userId;
  const principal = userPrincipal(userId);
  const out: AnyDomainEvent[] = [event('UserRemovedFromOrganization', { orgId: state.orgId, userId })];
  for (const teamId of user.teams) {
    if (!state.teams.get(teamId)?.members.has(userId)) continue;
    const cause = out.length;
    out.push(event('TeamMemberRemoved', { teamId, userId, reason: 'leftOrganization' }, 0));
    out.push(...teamRemovalCascade(state, teamId, userId, cause, 'leftOrganization'));
  }
  for (const p of state.projects.values()) {
    if (user.teams.has(p.teamId)) continue;
    if (p.restrictedMembers.has(principal)) {
      out.push(
        event(
          'RestrictedProjectMemberRemoved',
          { projectId: p.projectId, principal, reason: 'leftOrganization' },
          0,
        ),
      );
    }
    const override = p.overrides.get(userId);
    if (override !== undefined) {
      out.push(
        event(
          'ProjectRoleOverrideCleared',
          { projectId: p.projectId, userId, previous: override, reason: 'removed' },
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
          { registryId: r.registryId, member: principal, reason: 'leftOrganization' },
          0,
        ),
      );
    }
  }
  return out;
}

/** Every permission id a custom role may name: the §3.8 catalogue, base entries included. */
const KNOWN_PERMISSIONS: ReadonlySet<string> = new Set([
  ...CUSTOM_ROLE_CATALOGUE,
  ...MEMBER_BASE_PERMISSIONS,
  ...VIEWER_BASE_PERMISSIONS,
]);

const basePermissions = (base: CustomRoleBase): ReadonlySet<string> =>
  base === 'member' ? MEMBER_BASE_PERMISSIONS : VIEWER_BASE_PERMISSIONS;

/** 400 for ids outside the catalogue (api.md "Permissions"); returns the list without duplicates. */
function validatePermissionIds(permissions: readonly string[], field: string): string[] {
  const unknown = permissions.filter((p) => !KNOWN_PERMISSIONS.has(p));
  if (unknown.length > 0) {
    throw invalid(
      `${field}: unknown permission(s) ${unknown.join(', ')}; see the custom-role catalogue (§3.8)`,
    );
  }
  return [...new Set(permissions)];
}

/** R9: added permissions come on top of the base; naming one the base already grants is a mistake. */
function refuseInherited(permissions: readonly string[], base: CustomRoleBase): void {
  const inherited = permissions.filter((p) => basePermissions(base).has(p));
  if (inherited.length > 0) {
    throw violation(
      'R9',
      `${inherited.join(', ')} already inherited from base ${base} (R9: effective = base ∪ added)`,
    );
  }
}

function requireCustomRolesFeature(state: OrgState): void {
  if (!state.profile.customRoles) {
    throw violation('A1', `custom roles are not enabled for organization ${state.orgId} (A1)`);
  }
}

function createOrganization(
  state: OrgState,
  { body, actor }: Command<'CreateOrganization'>,
): AnyDomainEvent[] {
  // Admin tooling only: nobody is a member of an org that does not exist yet.
  if (actor !== 'system') throw forbidden('only the system actor may create organizations');
  if (state.revision >= 0) throw alreadyExists(`organization ${body.orgId} already exists`);
  // C4 defaults for everything the request does not say.
  const profile: DeploymentProfile = {
    ...DEFAULT_PROFILE,
    type: body.deployment?.type ?? DEFAULT_PROFILE.type,
    serverVersion: body.deployment?.serverVersion ?? DEFAULT_PROFILE.serverVersion,
    customRoles: body.deployment?.customRoles ?? DEFAULT_PROFILE.customRoles,
  };
  const orgId = body.orgId;
  return [
    event('OrganizationCreated', { orgId, name: body.name, founderUserId: body.founderUserId, profile }),
    event('UserJoinedOrganization', { orgId, userId: body.founderUserId, role: 'admin' }), // R50
    event('CoreRegistryProvisioned', { orgId, registryId: `${orgId}.models`, name: 'Models' }, 0), // R122
    event('CoreRegistryProvisioned', { orgId, registryId: `${orgId}.datasets`, name: 'Datasets' }, 0),
  ];
}

function addUserToOrganization(
  state: OrgState,
  { body, actor }: Command<'AddUserToOrganization'>,
): AnyDomainEvent[] {
  requireOrg(state);
  authorizeManageUsers(state, actor);
  if (state.users.has(body.userId))
    throw alreadyExists(`user ${body.userId} is already in organization ${state.orgId}`);
  const role = storedOrgRole(state, body.role ?? 'member');
  return [event('UserJoinedOrganization', { orgId: state.orgId, userId: body.userId, role })];
}

function changeOrganizationRole(
  state: OrgState,
  { body, actor }: Command<'ChangeOrganizationRole'>,
): AnyDomainEvent[] {
  requireOrg(state);
  authorizeManageUsers(state, actor);
  const user = requireUser(state, body.userId);
  const to = storedOrgRole(state, body.role);
  if (to !== 'admin') guardLastAdmin(state, user, `demote the last admin`);
  const out: AnyDomainEvent[] = [];
  if (to !== user.orgRole) {
    out.push(event('OrgRoleChanged', { orgId: state.orgId, userId: user.userId, from: user.orgRole, to }));
  }
  // A3/R60: the viewer cascade runs in both orgViewerMode settings; it only emits what still differs,
  // so repeating the request is a no-op.
  if (body.role === 'viewer') orgViewerCascade(state, user, out, out.length > 0 ? 0 : undefined);
  return out;
}

function removeUserFromOrganization(
  state: OrgState,
  { body, actor }: Command<'RemoveUserFromOrganization'>,
): AnyDomainEvent[] {
  requireOrg(state);
  authorizeManageUsers(state, actor);
  const user = requireUser(state, body.userId);
  guardLastAdmin(state, user, 'remove the last admin');
  return removalFromOrg(state, user);
}

function deactivateUser(state: OrgState, { body, actor }: Command<'DeactivateUser'>): AnyDomainEvent[] {
  requireOrg(state);
  authorizeManageUsers(state, actor, 'A39');
  const user = requireUser(state, body.userId);
  if (state.profile.type === 'multi-tenant') {
    // R63: on multi-tenant, deactivation removes the user from the org (same cascade as A38).
    guardLastAdmin(state, user, 'deactivate the last admin');
    return removalFromOrg(state, user);
  }
  if (user.status === 'deactivated') return [];
  guardLastAdmin(state, user, 'deactivate the last admin');
  // A39: memberships stay, inert; every check fails while deactivated.
  return [event('UserDeactivated', { orgId: state.orgId, userId: user.userId })];
}

function reactivateUser(state: OrgState, { body, actor }: Command<'ReactivateUser'>): AnyDomainEvent[] {
  requireOrg(state);
  authorizeManageUsers(state, actor, 'A39');
  const user = requireUser(state, body.userId);
  if (state.profile.type === 'multi-tenant') {
    // C3: R63 answers 422 (W&B's SCIM 400), or 404 once the user is gone (requireUser above).
    throw violation(
      'R63',
      'reactivation is not supported on multi-tenant deployments; re-add the user (R63)',
    );
  }
  if (user.status === 'active') return [];
  return [event('UserReactivated', { orgId: state.orgId, userId: user.userId })];
}

function setOrganizationPolicy(
  state: OrgState,
  { body, actor }: Command<'SetOrganizationPolicy'>,
): AnyDomainEvent[] {
  requireOrg(state);
  // R85: org admins enforce privacy policies (an org-admin power like user management, §3.1).
  authorizeManageUsers(state, actor, 'R85');
  if (state.policies[body.policy] === body.enforced) return [];
  const data = { orgId: state.orgId, policy: body.policy };
  return [body.enforced ? event('OrgPrivacyPolicyEnforced', data) : event('OrgPrivacyPolicyReleased', data)];
}

function createCustomRole(state: OrgState, { body, actor }: Command<'CreateCustomRole'>): AnyDomainEvent[] {
  requireOrg(state);
  authorizeManageRoles(state, actor);
  requireCustomRolesFeature(state);
  if (state.customRoles.has(body.roleId) || state.retired.has(`customRole:${body.roleId}`)) {
    throw alreadyExists(`custom role ${body.roleId} already exists or existed`);
  }
  const permissions = validatePermissionIds(body.permissions, 'permissions');
  refuseInherited(permissions, body.base);
  return [
    event('CustomRoleCreated', {
      orgId: state.orgId,
      roleId: body.roleId,
      name: body.name,
      description: body.description ?? '',
      base: body.base,
      permissions,
    }),
  ];
}

/**
 * A32: only added permissions can be removed; removing an inherited one is refused (422 A32).
 * Removing a catalogue permission the role does not hold, or adding one it already holds, is an
 * idempotent no-op for that permission. Naming the same permission in both lists is a 400.
 */
function updateCustomRole(state: OrgState, { body, actor }: Command<'UpdateCustomRole'>): AnyDomainEvent[] {
  requireOrg(state);
  authorizeManageRoles(state, actor);
  const role = requireCustomRole(state, body.roleId);
  const add = validatePermissionIds(body.addPermissions ?? [], 'addPermissions');
  const remove = validatePermissionIds(body.removePermissions ?? [], 'removePermissions');
  const both = add.filter((p) => remove.includes(p));
  if (both.length > 0) throw invalid(`${both.join(', ')} both added and removed`);
  refuseInherited(add, role.base);
  const inherited = remove.filter((p) => basePermissions(role.base).has(p));
  if (inherited.length > 0) {
    throw violation(
      'A32',
      `cannot remove inherited permission(s) ${inherited.join(', ')} of base ${role.base}; change the base instead (A32)`,
    );
  }
  const orgId = state.orgId;
  const roleId = role.roleId;
  const out: AnyDomainEvent[] = [];
  const details: { orgId: string; roleId: string; name?: string; description?: string } = { orgId, roleId };
  if (body.name !== undefined && body.name !== role.name) details.name = body.name;
  if (body.description !== undefined && body.description !== role.description)
    details.description = body.description;
  if (details.name !== undefined || details.description !== undefined)
    out.push(event('CustomRoleDetailsChanged', details));
  const added = add.filter((p) => !role.added.has(p));
  if (added.length > 0) out.push(event('CustomRolePermissionsAdded', { orgId, roleId, permissions: added }));
  const removed = remove.filter((p) => role.added.has(p));
  if (removed.length > 0)
    out.push(event('CustomRolePermissionsRemoved', { orgId, roleId, permissions: removed }));
  return out;
}

/**
 * R69/A31: CustomRoleDeleted (index 0); every team member holding the role gets its base
 * (TeamRoleChanged reason customRoleDeleted) followed by that change's tracking cascade (A4/C7);
 * every project override equal to the role is replaced by the base: cleared when the base equals the
 * user's team role there (A4: overrides are stored only while they differ), else rewritten.
 */
function deleteCustomRole(state: OrgState, { body, actor }: Command<'DeleteCustomRole'>): AnyDomainEvent[] {
  requireOrg(state);
  authorizeManageRoles(state, actor);
  const role = requireCustomRole(state, body.roleId);
  const ref = `custom:${role.roleId}` as const;
  const base = role.base;
  const out: AnyDomainEvent[] = [
    event('CustomRoleDeleted', { orgId: state.orgId, roleId: role.roleId, base }),
  ];
  for (const team of state.teams.values()) {
    for (const [userId, teamRole] of team.members) {
      if (teamRole !== ref) continue;
      const cause = out.length;
      out.push(
        event(
          'TeamRoleChanged',
          { teamId: team.teamId, userId, from: ref, to: base, reason: 'customRoleDeleted' },
          0,
        ),
      );
      out.push(...trackingCascade(state, team.teamId, userId, ref, base, cause));
    }
  }
  for (const p of state.projects.values()) {
    for (const [userId, override] of p.overrides) {
      if (override !== ref) continue;
      // The override differs from the team role, so that team role is not `ref` and did not change above.
      const teamRole = state.teams.get(p.teamId)?.members.get(userId);
      if (teamRole === base) {
        out.push(
          event(
            'ProjectRoleOverrideCleared',
            { projectId: p.projectId, userId, previous: ref, reason: 'customRoleDeleted' },
            0,
          ),
        );
      } else {
        out.push(
          event(
            'ProjectRoleChanged',
            {
              projectId: p.projectId,
              userId,
              from: ref,
              to: base,
              isOverride: true,
              reason: 'customRoleDeleted',
            },
            0,
          ),
        );
      }
    }
  }
  return out;
}

export const orgDeciders: { [K in OrgCommandName]: Decider<K> } = {
  CreateOrganization: createOrganization,
  AddUserToOrganization: addUserToOrganization,
  ChangeOrganizationRole: changeOrganizationRole,
  RemoveUserFromOrganization: removeUserFromOrganization,
  DeactivateUser: deactivateUser,
  ReactivateUser: reactivateUser,
  SetOrganizationPolicy: setOrganizationPolicy,
  CreateCustomRole: createCustomRole,
  UpdateCustomRole: updateCustomRole,
  DeleteCustomRole: deleteCustomRole,
};
