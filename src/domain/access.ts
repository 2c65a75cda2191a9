/**
 * The effective-role module (§3.4 project access, §3.7 registry role, matrices §3.2/§3.3/§3.5/§3.8).
 * Shared by the command side (authority) and the query side (checks). Map lookups only: no scans
 * over all memberships on the check path.
 *
 * CONTRACT (signatures are fixed — deciders call them). Implementation split under ./access/:
 * roles.ts (role → permissions, §3.6 defaults), project-access.ts, registry-access.ts, check.ts.
 */
import type { RegistryRole, TeamRole } from './model';

export type ProjectAccessKind = 'none' | 'manage-only' | 'external-viewer' | 'external-contributor' | 'role';

export interface ProjectAccess {
  access: ProjectAccessKind;
  /** Effective role when access = role (for a service account: `member`, A35). */
  role?: TeamRole;
  /** The principal's team role in the project's team, when it has one (org admins: `admin` via A9). */
  teamRole?: TeamRole;
  /** True when the effective role comes from an active project-level override. */
  override: boolean;
  source: 'teamRole' | 'projectOverride' | 'orgAdmin' | 'serviceAccount' | 'external' | 'none';
  /** Ordered human-readable steps, e.g. ["orgMember", "teamRole=member(team:ml)", "visibility=team"]. */
  derivation: string[];
  /** Rule ids behind the decision (e.g. A10 for manage-only, R21 for an SA outside a restricted project). */
  rules: string[];
}

export interface RegistryContribution {
  role: RegistryRole;
  /** `orgAdmin` | `direct` | `teamGrant:<teamId>` | `owningTeam` | `orgVisibility` | `saFloor`. */
  source: string;
}

export interface RegistryAccess {
  role: RegistryRole | null;
  assignedRole?: RegistryRole;
  contributions: RegistryContribution[];
  owner: boolean;
}

export interface CheckResult {
  allowed: boolean;
  /** The effective role the decision used (project/team role, registry role, org role). */
  role?: string;
  reason: string;
  /** Rule id that decided a denial or a notable allow. */
  rule?: string;
}

/** §3.4 effective project access (see access/project-access.ts for the interpretation notes). */
export { projectAccess } from './access/project-access';
/** §3.7 effective registry role; `team:<id>` answers with the team's own grant (members listing). */
export { registryAccess } from './access/registry-access';
/**
 * May `principal` hold `permission` on `resource` (`org:`, `team:`, `project:`, `run:`, `report:`, `registry:`)?
 * The resource must belong to this org (the caller routes by id). Unknown resource → allowed=false.
 */
export { check } from './access/check';
/** Project- and team-scope permissions a role grants (custom: base ∪ added, R9), without own/any qualifiers. */
export {
  permissionsOfRole,
  defaultUserRegistryRole,
  mapTeamRoleToRegistryRole,
  roleGrant,
  baseOfRole,
} from './access/roles';
export type { Grant } from './access/roles';
