/**
 * The state of one organization: the facts folded from its event stream (`org-<orgId>`).
 * The same structure serves the command side (deciders read it) and the read side (checks read it),
 * so that every authorization decision uses the one effective-role module (access.ts).
 *
 * Mutability: `evolve` updates a state in place for speed (a million events must replay in seconds);
 * deciders never mutate the state they are given.
 */

export type OrgRole = 'admin' | 'member' | 'viewer';
export type BuiltinRole = 'admin' | 'member' | 'viewer';
/** Team and project roles: a built-in role or `custom:<roleId>`. `viewer` is the View-Only role (A14). */
export type TeamRole = BuiltinRole | `custom:${string}`;
export type CustomRoleBase = 'member' | 'viewer';
export type RegistryRole = 'restricted-viewer' | 'viewer' | 'member' | 'admin';
export type ProjectVisibility = 'open' | 'public' | 'team' | 'restricted';
export type RegistryVisibility = 'organization' | 'restricted';
export type DeploymentType = 'multi-tenant' | 'dedicated' | 'self-managed';
export type OrgPolicy = 'futureProjectPrivacy' | 'invitationControl';

/** `user:<id>` or `sa:<id>`. */
export type Principal = string;
/** `user:<id>`, `sa:<id>` or `team:<id>` (registry grants). */
export type RegistryMember = string;
/** `user:<id>`, `sa:<id>` or `system`. */
export type Actor = string;

export const REGISTRY_ROLE_ORDER: readonly RegistryRole[] = [
  'restricted-viewer',
  'viewer',
  'member',
  'admin',
];

export interface DeploymentProfile {
  type: DeploymentType;
  serverVersion: string;
  customRoles: boolean;
  /** C4 defaults; kept explicit so that history records the profile a decision used. */
  orgViewerMode: 'legacy' | 'scimMapping';
  clampOverridesOnViewOnly: boolean;
  allowRestrictedToOrganization: boolean;
  viewOnlyCanDownloadArtifacts: boolean;
}

export interface UserState {
  userId: string;
  orgRole: OrgRole;
  status: 'active' | 'deactivated';
  /** Teams of this org the user belongs to (index kept by evolve). */
  teams: Set<string>;
}

export interface CustomRoleState {
  roleId: string;
  name: string;
  description: string;
  base: CustomRoleBase;
  /** Permissions added on top of the base (R9, R68). */
  added: Set<string>;
}

export interface TeamState {
  teamId: string;
  name: string;
  members: Map<string, TeamRole>;
  futureProjectsPrivate: boolean;
  membersCanInvite: boolean;
  /** Team-scoped service accounts of this team. */
  serviceAccounts: Set<string>;
  projects: Set<string>;
}

export interface ServiceAccountState {
  serviceAccountId: string;
  scope: 'org' | 'team';
  /** The parent team (team scope) or the default team (org scope, R117). */
  teamId: string;
}

export interface ProjectState {
  projectId: string;
  teamId: string;
  name: string;
  visibility: ProjectVisibility;
  /** The owner principal (`user:<id>`, or `sa:<id>` for a project a service account created by logging, A15). */
  owner: Principal;
  /** Principals (`user:`/`sa:`) invited to the project while it is Restricted. */
  restrictedMembers: Set<Principal>;
  /** Project-level roles that differ from the team role (A4: stored only while they differ). user id → role. */
  overrides: Map<string, TeamRole>;
  runs: Set<string>;
  reports: Set<string>;
}

export interface RunState {
  runId: string;
  projectId: string;
  /** The principal the run is attributed to (R95, R120): decides "own" rights. */
  creator: Principal;
  loggedBy: Principal;
  stopped: boolean;
}

export interface ReportState {
  reportId: string;
  projectId: string;
  creator: Principal;
}

export interface RegistryState {
  registryId: string;
  name: string;
  type: 'core' | 'custom';
  visibility: RegistryVisibility;
  /** Owner designation (R36, R37): a principal, grants nothing. */
  owner: Principal | null;
  owningTeamId: string | null;
  createdBy: Principal | null;
  grants: Map<RegistryMember, RegistryRole>;
}

export interface OrgState {
  orgId: string;
  name: string;
  /** Revision of the last event folded in; -1 before the first. */
  revision: number;
  profile: DeploymentProfile;
  policies: Record<OrgPolicy, boolean>;
  users: Map<string, UserState>;
  customRoles: Map<string, CustomRoleState>;
  teams: Map<string, TeamState>;
  serviceAccounts: Map<string, ServiceAccountState>;
  projects: Map<string, ProjectState>;
  runs: Map<string, RunState>;
  reports: Map<string, ReportState>;
  registries: Map<string, RegistryState>;
  /** Ids that existed and were deleted, as `<kind>:<id>`: never reused, so history stays unambiguous. */
  retired: Set<string>;
}

export const DEFAULT_PROFILE: DeploymentProfile = {
  type: 'dedicated',
  serverVersion: '0.75.0',
  customRoles: true,
  orgViewerMode: 'legacy',
  clampOverridesOnViewOnly: false,
  allowRestrictedToOrganization: true,
  viewOnlyCanDownloadArtifacts: true,
};

export function emptyOrgState(orgId: string): OrgState {
  return {
    orgId,
    name: '',
    revision: -1,
    profile: { ...DEFAULT_PROFILE },
    policies: { futureProjectPrivacy: false, invitationControl: false },
    users: new Map(),
    customRoles: new Map(),
    teams: new Map(),
    serviceAccounts: new Map(),
    projects: new Map(),
    runs: new Map(),
    reports: new Map(),
    registries: new Map(),
    retired: new Set(),
  };
}

export function orgStream(orgId: string): string {
  return `org-${orgId}`;
}

export function principalKind(p: string): { kind: 'user' | 'sa' | 'team' | 'system'; id: string } {
  if (p === 'system') return { kind: 'system', id: 'system' };
  const i = p.indexOf(':');
  const kind = p.slice(0, i);
  const id = p.slice(i + 1);
  if (kind === 'user' || kind === 'sa' || kind === 'team') return { kind, id };
  throw new Error(`not a principal: ${p}`);
}

export const userPrincipal = (userId: string): Principal => `user:${userId}`;
export const saPrincipal = (saId: string): Principal => `sa:${saId}`;
export const teamMember = (teamId: string): RegistryMember => `team:${teamId}`;

export function isCustomRole(role: string): role is `custom:${string}` {
  return role.startsWith('custom:');
}

export function customRoleId(role: `custom:${string}`): string {
  return role.slice('custom:'.length);
}

/** Semver-ish comparison of `a.b.c` server versions. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
