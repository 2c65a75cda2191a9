/**
 * What a team/project role grants (§3.2, §3.8, R9, A46) and the registry-side role mappings (§3.6, A19).
 * Custom roles are read from the state on every call (base ∪ added is two Set lookups), so that an
 * edit of a custom role takes effect immediately for every holder (A32) without a cache to invalidate.
 */
import {
  compareVersions,
  customRoleId,
  isCustomRole,
  type CustomRoleBase,
  type OrgState,
  type RegistryRole,
  type TeamRole,
} from '../model';
import {
  ADMIN_PERMISSIONS,
  CUSTOM_ROLE_CATALOGUE,
  MEMBER_BASE_PERMISSIONS,
  MEMBER_OWN_ONLY_PERMISSIONS,
  VIEWER_BASE_PERMISSIONS,
} from '../permissions';

/** `any`: on every resource in scope; `own`: only on resources the principal created (R5, R92, R95). */
export type Grant = 'any' | 'own';

/** §3.2 note 2 / A33: the legacy matrix took artifact download away from View-Only. */
function viewerBaseHas(state: OrgState, permission: string): boolean {
  if (permission === 'artifact:download' && !state.profile.viewOnlyCanDownloadArtifacts) return false;
  return VIEWER_BASE_PERMISSIONS.has(permission);
}

function baseGrant(state: OrgState, base: CustomRoleBase, permission: string): Grant | null {
  if (base === 'viewer') return viewerBaseHas(state, permission) ? 'any' : null;
  if (!MEMBER_BASE_PERMISSIONS.has(permission)) return null;
  return MEMBER_OWN_ONLY_PERMISSIONS.has(permission) ? 'own' : 'any';
}

/**
 * Does `role` grant `permission`, and with which qualifier? Constant time.
 * A custom role that no longer exists grants nothing (fail closed; R69/A31 cascades normally replace it).
 */
export function roleGrant(state: OrgState, role: TeamRole, permission: string): Grant | null {
  if (role === 'admin') return ADMIN_PERMISSIONS.has(permission) ? 'any' : null;
  if (role === 'member' || role === 'viewer') return baseGrant(state, role, permission);
  const custom = state.customRoles.get(customRoleId(role));
  if (!custom) return null;
  // A46: an *added* permission applies to any resource, even where the base would qualify it "own".
  // Only catalogue ids count (§3.8): management ids can never be smuggled in through a custom role.
  if (custom.added.has(permission) && CUSTOM_ROLE_CATALOGUE.has(permission)) return 'any';
  return baseGrant(state, custom.base, permission);
}

/** The built-in role a role behaves like for "is it Member-like" questions (R83/A43) and registry mapping (A19). */
export function baseOfRole(state: OrgState, role: TeamRole): 'admin' | CustomRoleBase | null {
  if (!isCustomRole(role)) return role;
  return state.customRoles.get(customRoleId(role))?.base ?? null;
}

/** Project- and team-scope permissions of a role (custom: base ∪ added, R9), without qualifiers. */
export function permissionsOfRole(state: OrgState, role: TeamRole): ReadonlySet<string> {
  if (role === 'admin') return ADMIN_PERMISSIONS;
  const out = new Set<string>();
  const base = baseOfRole(state, role);
  if (base === null || base === 'admin') return out;
  if (base === 'member') for (const p of MEMBER_BASE_PERMISSIONS) out.add(p);
  else for (const p of VIEWER_BASE_PERMISSIONS) if (viewerBaseHas(state, p)) out.add(p);
  if (isCustomRole(role)) {
    const custom = state.customRoles.get(customRoleId(role));
    for (const p of custom?.added ?? []) if (CUSTOM_ROLE_CATALOGUE.has(p)) out.add(p);
  }
  return out;
}

/**
 * §3.6 default role of a user (non-admin) or a team when added to a registry, and the A21 baseline of
 * Organization-visibility registries: Restricted Viewer on Multi-tenant and on Server ≥ 0.75.0,
 * Viewer on Dedicated/Self-Managed ≤ 0.74.x (R135).
 */
export function defaultUserRegistryRole(state: OrgState): RegistryRole {
  if (state.profile.type === 'multi-tenant') return 'restricted-viewer';
  return compareVersions(state.profile.serverVersion, '0.75.0') >= 0 ? 'restricted-viewer' : 'viewer';
}

/**
 * Owning-team contribution (A19, R43–R46): Admin→Admin, Member→Member, ViewOnly→Viewer,
 * Custom→its base. A custom role that no longer exists maps to the lowest role (fail closed).
 */
export function mapTeamRoleToRegistryRole(state: OrgState, role: TeamRole): RegistryRole {
  const base = baseOfRole(state, role);
  if (base === null) return 'restricted-viewer';
  return base;
}
