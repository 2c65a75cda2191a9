/**
 * Registry commands (api.md: CreateRegistry … SetRegistryOwningTeam): creation (A27, R125), deletion
 * (A26, R128), visibility (R122, A24, A25), membership and roles (R33–R40, §3.6, A23), the owner
 * designation (R36, R37, A48, C9) and the owning team (A19).
 *
 * Authority comes from the effective registry role (§3.7) through `check`; a registry owner holds
 * nothing more than its role (R37). Rule violations are 422 with the rule id (C2).
 */
import type { Command } from '../commands';
import type { DeciderTable } from '../decide';
import { alreadyExists, forbidden, invalid, notFound, violation } from '../errors';
import { event, type AnyDomainEvent } from '../events';
import { defaultUserRegistryRole, registryAccess } from '../access';
import type { OrgState, RegistryMember, RegistryRole, RegistryState, RegistryVisibility } from '../model';
import {
  authorize,
  isAllowed,
  requireActor,
  requireRegistry,
  requireTeam,
  type ResolvedActor,
} from './shared';

type RegistryCommand =
  | 'CreateRegistry'
  | 'DeleteRegistry'
  | 'ChangeRegistryVisibility'
  | 'AddRegistryMember'
  | 'ChangeRegistryRole'
  | 'RemoveRegistryMember'
  | 'ChangeRegistryOwner'
  | 'SetRegistryOwningTeam';

const REGISTRY_ROLES: ReadonlySet<string> = new Set<RegistryRole>([
  'restricted-viewer',
  'viewer',
  'member',
  'admin',
]);
const REGISTRY_VISIBILITIES: ReadonlySet<string> = new Set<RegistryVisibility>([
  'organization',
  'restricted',
]);

interface ParsedMember {
  kind: 'user' | 'sa' | 'team';
  id: string;
  member: RegistryMember;
}

function parseMember(ref: string): ParsedMember {
  const i = ref.indexOf(':');
  const kind = i < 0 ? '' : ref.slice(0, i);
  const id = i < 0 ? '' : ref.slice(i + 1);
  if ((kind === 'user' || kind === 'sa' || kind === 'team') && id !== '') return { kind, id, member: ref };
  throw invalid(`registry member must be user:<id>, sa:<id> or team:<id>, got "${ref}"`);
}

/** R34: users, teams and service accounts of this org can be registry members; anything else is a 404. */
function requireMemberExists(state: OrgState, m: ParsedMember): void {
  if (m.kind === 'user' && !state.users.has(m.id))
    throw notFound(`user ${m.id} is not a member of organization ${state.orgId}`);
  if (m.kind === 'sa' && !state.serviceAccounts.has(m.id))
    throw notFound(`service account ${m.id} not found`);
  if (m.kind === 'team' && !state.teams.has(m.id)) throw notFound(`team ${m.id} not found`);
}

function requireRole(role: string): RegistryRole {
  if (!REGISTRY_ROLES.has(role))
    throw invalid(`registry role must be restricted-viewer, viewer, member or admin, got "${role}"`);
  return role as RegistryRole;
}

function requireVisibility(v: string): RegistryVisibility {
  if (!REGISTRY_VISIBILITIES.has(v))
    throw invalid(`registry visibility must be organization or restricted, got "${v}"`);
  return v as RegistryVisibility;
}

/** R40: a service account can never be Viewer or Restricted Viewer in a registry. */
function assertServiceAccountRole(m: ParsedMember, role: RegistryRole): void {
  if (m.kind === 'sa' && (role === 'viewer' || role === 'restricted-viewer')) {
    throw violation(
      'R40',
      `service account ${m.id} cannot hold the ${role} registry role; use member or admin (R40)`,
    );
  }
}

function isOrgAdmin(actor: ResolvedActor): boolean {
  return actor.kind === 'user' && actor.user.orgRole === 'admin';
}

/**
 * Core registries (R122) are fixed: visibility, deletion and owning team never change. Whoever would
 * otherwise hold the authority — org admins (effective Admin everywhere, A20) and effective registry
 * admins — gets the rule (422); anyone else still gets the 403 first (C2).
 */
function refuseCore(
  state: OrgState,
  actor: string,
  registry: RegistryState,
  permission: string,
  rule: string,
  what: string,
): void {
  if (registry.type !== 'core') return;
  const resolved = requireActor(state, actor);
  if (isOrgAdmin(resolved) || isAllowed(state, actor, permission, `registry:${registry.registryId}`)) {
    throw violation(rule, `${registry.registryId} is a core registry: ${what} (R122)`);
  }
}

function createRegistry(state: OrgState, { body, actor }: Command<'CreateRegistry'>): AnyDomainEvent[] {
  if (state.revision < 0 || body.orgId !== state.orgId)
    throw notFound(`organization ${body.orgId} not found`);
  const resolved = requireActor(state, actor);
  // A27: org admins and org members create custom registries; legacy org viewers do not; neither do
  // service accounts, and `system` cannot become the creator-admin and owner (R125).
  if (resolved.kind !== 'user') {
    throw forbidden(
      `${actor} cannot create a registry: the creator becomes its admin and owner, so it must be an org admin or member (A27, R125)`,
      'A27',
    );
  }
  if (resolved.user.orgRole === 'viewer') {
    throw forbidden(`${actor} is an org viewer; only org admins and members create registries (A27)`, 'A27');
  }
  const visibility = requireVisibility(body.visibility);
  const owningTeamId = body.owningTeamId ?? null;
  if (owningTeamId !== null) requireTeam(state, owningTeamId);
  if (state.registries.has(body.registryId) || state.retired.has(`registry:${body.registryId}`)) {
    throw alreadyExists(`registry ${body.registryId} already exists (ids are never reused)`);
  }
  // §4.3 "name unique": registry names identify registries in the UI and in artifact paths.
  const name = body.name.trim().toLowerCase();
  for (const r of state.registries.values()) {
    if (r.name.trim().toLowerCase() === name)
      throw alreadyExists(`a registry named "${body.name}" already exists (${r.registryId})`);
  }
  const registryId = body.registryId;
  return [
    event('RegistryCreated', {
      orgId: state.orgId,
      registryId,
      name: body.name,
      visibility,
      owningTeamId,
      createdBy: actor,
    }),
    // R125/A27: the creator becomes registry admin and owner, whatever the visibility.
    event('RegistryMemberAdded', { registryId, member: actor, role: 'admin', defaulted: false }, 0),
    event('RegistryOwnerChanged', { registryId, from: null, to: actor }, 0),
  ];
}

function deleteRegistry(state: OrgState, { body, actor }: Command<'DeleteRegistry'>): AnyDomainEvent[] {
  const registry = requireRegistry(state, body.registryId);
  refuseCore(state, actor, registry, 'registry:delete', 'A26', 'core registries cannot be deleted (A26)');
  // A26/R128: org admins delete any custom registry; an effective registry admin only one they created (P29).
  authorize(state, actor, 'registry:delete', `registry:${registry.registryId}`, 'A26');
  // R128: collections go with it; linked artifacts stay in their source projects (nothing to emit here).
  return [event('RegistryDeleted', { registryId: registry.registryId })];
}

function changeRegistryVisibility(
  state: OrgState,
  { body, actor }: Command<'ChangeRegistryVisibility'>,
): AnyDomainEvent[] {
  const registry = requireRegistry(state, body.registryId);
  refuseCore(
    state,
    actor,
    registry,
    'registry:visibility.update',
    'R122',
    'its visibility is always organization',
  );
  // A25: org admin or effective registry admin (owning-team admins reach it through A19).
  authorize(state, actor, 'registry:visibility.update', `registry:${registry.registryId}`, 'A25');
  const to = requireVisibility(body.visibility);
  const from = registry.visibility;
  if (from === to) return [];
  if (from === 'restricted' && to === 'organization' && !state.profile.allowRestrictedToOrganization) {
    throw violation(
      'A24',
      `this deployment does not allow restricted → organization registry visibility changes (A24, R127)`,
    );
  }
  return [event('RegistryVisibilityChanged', { registryId: registry.registryId, from, to })];
}

/** §3.6 / R39 / R135 / A23: the role given when none is named. */
function defaultRole(state: OrgState, m: ParsedMember): RegistryRole {
  if (m.kind === 'sa') return 'member'; // R40, A23
  if (m.kind === 'user' && state.users.get(m.id)?.orgRole === 'admin') return 'admin';
  return defaultUserRegistryRole(state); // non-admin users and teams
}

function addRegistryMember(state: OrgState, { body, actor }: Command<'AddRegistryMember'>): AnyDomainEvent[] {
  const registry = requireRegistry(state, body.registryId);
  // R33/R34 (P26): effective registry admin; the owner designation adds nothing (R37, T28).
  authorize(state, actor, 'registry:members.manage', `registry:${registry.registryId}`, 'R33');
  const m = parseMember(body.member);
  requireMemberExists(state, m);
  if (registry.grants.has(m.member)) {
    throw alreadyExists(
      `${m.member} is already a member of registry ${registry.registryId}; use ChangeRegistryRole (R38)`,
    );
  }
  const role = body.role === undefined ? defaultRole(state, m) : requireRole(body.role);
  assertServiceAccountRole(m, role);
  return [
    event('RegistryMemberAdded', {
      registryId: registry.registryId,
      member: m.member,
      role,
      defaulted: body.role === undefined,
    }),
  ];
}

function requireGrant(registry: RegistryState, m: ParsedMember): RegistryRole {
  const role = registry.grants.get(m.member);
  if (role === undefined) throw notFound(`${m.member} is not a member of registry ${registry.registryId}`);
  return role;
}

function changeRegistryRole(
  state: OrgState,
  { body, actor }: Command<'ChangeRegistryRole'>,
): AnyDomainEvent[] {
  const registry = requireRegistry(state, body.registryId);
  // R38 (P27): effective registry admin.
  authorize(state, actor, 'registry:members.manage', `registry:${registry.registryId}`, 'R38');
  const m = parseMember(body.member);
  const from = requireGrant(registry, m);
  const to = requireRole(body.role);
  assertServiceAccountRole(m, to);
  if (from === to) return [];
  return [
    event('RegistryRoleChanged', {
      registryId: registry.registryId,
      member: m.member,
      from,
      to,
      reason: 'assigned',
    }),
  ];
}

function removeRegistryMember(
  state: OrgState,
  { body, actor }: Command<'RemoveRegistryMember'>,
): AnyDomainEvent[] {
  const registry = requireRegistry(state, body.registryId);
  // R35 (P26): effective registry admin.
  authorize(state, actor, 'registry:members.manage', `registry:${registry.registryId}`, 'R35');
  const m = parseMember(body.member);
  requireGrant(registry, m);
  // C9/A48: the owner designation is kept even when the owner loses the grant (it is then flagged).
  return [
    event('RegistryMemberRemoved', { registryId: registry.registryId, member: m.member, reason: 'removed' }),
  ];
}

function changeRegistryOwner(
  state: OrgState,
  { body, actor }: Command<'ChangeRegistryOwner'>,
): AnyDomainEvent[] {
  const registry = requireRegistry(state, body.registryId);
  // R36 (P28): effective registry admin; being the owner gives no such right (R37).
  authorize(state, actor, 'registry:members.manage', `registry:${registry.registryId}`, 'R36');
  const m = parseMember(body.principal);
  if (m.kind === 'team') {
    throw violation(
      'A48',
      `a team cannot own a registry: the owner is a user or a service account (A48, R36)`,
    );
  }
  requireMemberExists(state, m);
  // A48: the new owner must already hold some access to the registry (grant, team grant, baseline…).
  if (registryAccess(state, m.member, registry.registryId).role === null) {
    throw violation(
      'A48',
      `${m.member} has no access to registry ${registry.registryId}; add them first (A48, R36)`,
    );
  }
  if (registry.owner === m.member) return [];
  // R37: the designation changes no role.
  return [
    event('RegistryOwnerChanged', { registryId: registry.registryId, from: registry.owner, to: m.member }),
  ];
}

function setRegistryOwningTeam(
  state: OrgState,
  { body, actor }: Command<'SetRegistryOwningTeam'>,
): AnyDomainEvent[] {
  const registry = requireRegistry(state, body.registryId);
  const resolved = requireActor(state, actor);
  // A19: the owning team is set by an org admin only (registry admins cannot widen access through it).
  if (resolved.kind !== 'system' && !isOrgAdmin(resolved)) {
    throw forbidden(
      `${actor} may not set the owning team of ${registry.registryId}: org admins only (A19)`,
      'A19',
    );
  }
  if (registry.type === 'core')
    throw violation('R122', `${registry.registryId} is a core registry and has no owning team (A19, R122)`);
  const to = body.teamId;
  if (to !== null) requireTeam(state, to);
  if (registry.owningTeamId === to) return [];
  return [
    event('RegistryOwningTeamChanged', { registryId: registry.registryId, from: registry.owningTeamId, to }),
  ];
}

export const registryDeciders: DeciderTable<RegistryCommand> = {
  CreateRegistry: createRegistry,
  DeleteRegistry: deleteRegistry,
  ChangeRegistryVisibility: changeRegistryVisibility,
  AddRegistryMember: addRegistryMember,
  ChangeRegistryRole: changeRegistryRole,
  RemoveRegistryMember: removeRegistryMember,
  ChangeRegistryOwner: changeRegistryOwner,
  SetRegistryOwningTeam: setRegistryOwningTeam,
};
