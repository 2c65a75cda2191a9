/**
 * Permission catalogue (api.md "Permissions") and the role matrices of the access model:
 * team/project roles (§3.2, §3.8), service accounts (§3.2 "SA in scope", A35), outsiders (§3.3, R14/R15),
 * registry roles (§3.5). Pure data, precomputed as Sets so that every check is a constant number of
 * Set lookups (DESIGN.md: "a check is a handful of map lookups").
 */
import type { RegistryRole } from './model';

// ---------------------------------------------------------------------------------------------
// Permission ids by scope (api.md). Names are part of the public contract: keep them stable.
// ---------------------------------------------------------------------------------------------

/** Checkable on `project:<id>`, and on `run:<id>` / `report:<id>` inside a project (own-only qualifiers apply there). */
export const PROJECT_PERMISSION_IDS = [
  'project:read',
  'project:update',
  'project:delete',
  'project:manage-members',
  'project:change-visibility',
  'run:read',
  'run:create',
  'run:update',
  'run:stop',
  'run:delete',
  'sweep:create',
  'sweep:delete',
  'workspace:update',
  'report:read',
  'report:comment',
  'report:create',
  'report:update',
  'report:delete',
  'artifact:read',
  'artifact:download',
  'artifact:create',
  'artifact:update',
  'artifact:delete',
] as const;
export const PROJECT_PERMISSIONS: readonly string[] = PROJECT_PERMISSION_IDS;

/** Checkable on `team:<id>`. */
export const TEAM_PERMISSION_IDS = [
  'team:read',
  'team:manage-members',
  'team:manage-settings',
  'team:invite',
  'launchqueue:create',
  'launchqueue:update',
] as const;
export const TEAM_PERMISSIONS: readonly string[] = TEAM_PERMISSION_IDS;

/** Checkable on `org:<id>`: org admins only (§3.1, R51, R53, R70). */
export const ORG_PERMISSION_IDS = [
  'org:manage-users',
  'org:manage-roles',
  'org:create-team',
  'org:read-audit',
] as const;
export const ORG_PERMISSIONS: readonly string[] = ORG_PERMISSION_IDS;

/** Checkable on `registry:<id>`; the comment gives the §3.5 rows each id stands for. */
export const REGISTRY_PERMISSION_IDS = [
  'registry:read', // P1, P2, P6, P7
  'registry:artifact.use', // P3
  'registry:artifact.download', // P4, P5
  'registry:automation.create', // P8, P9
  'registry:collection.create', // P10
  'registry:collection.update', // P12, P14
  'registry:artifact.update', // P13, P15
  'registry:alias.protected', // P16, P17
  'registry:artifact.link', // P18
  'registry:types.update', // P19, P24
  'registry:rename', // P20
  'registry:collection.delete', // P21
  'registry:automation.delete', // P22
  'registry:artifact.unlink', // P23
  'registry:visibility.update', // P25
  'registry:members.manage', // P26–P28
  'registry:delete', // P29
] as const;
export const REGISTRY_PERMISSIONS: readonly string[] = REGISTRY_PERMISSION_IDS;

/**
 * Team-scope ids of the §3.8 catalogue that api.md does not list under "Team scope" but that only make
 * sense against a team: creating a project in it (A15) and viewing its Launch agents (R74).
 */
export const TEAM_SCOPE_EXTRA_PERMISSION_IDS = ['project:create', 'launchagent:read'] as const;
export const TEAM_SCOPE_EXTRA_PERMISSIONS: readonly string[] = TEAM_SCOPE_EXTRA_PERMISSION_IDS;

/** Everything a `team:<id>` check accepts. */
export const TEAM_CHECKABLE_PERMISSIONS: ReadonlySet<string> = new Set([
  ...TEAM_PERMISSIONS,
  ...TEAM_SCOPE_EXTRA_PERMISSIONS,
]);
export const PROJECT_CHECKABLE_PERMISSIONS: ReadonlySet<string> = new Set(PROJECT_PERMISSIONS);
export const ORG_CHECKABLE_PERMISSIONS: ReadonlySet<string> = new Set(ORG_PERMISSIONS);
export const REGISTRY_CHECKABLE_PERMISSIONS: ReadonlySet<string> = new Set(REGISTRY_PERMISSIONS);

// ---------------------------------------------------------------------------------------------
// Built-in team / project roles (§3.2, §3.8). The same sets serve project-level roles (A41).
// ---------------------------------------------------------------------------------------------

/**
 * View-Only base (§3.8 "In Viewer base", R6, R74). `artifact:download` is in it per the current matrix
 * (R94, A33: the seat gate is out of scope, C4); the legacy flag `viewOnlyCanDownloadArtifacts=false`
 * removes it at check time (§3.2 note 2).
 */
export const VIEWER_BASE_PERMISSIONS: ReadonlySet<string> = new Set([
  'project:read',
  'run:read',
  'artifact:read',
  'artifact:download',
  'report:read',
  'report:comment',
  'launchagent:read',
  'team:read',
]);

/** Member base = Viewer base ∪ the §3.8 "In Member base" column (A15, R92–R94). */
export const MEMBER_BASE_PERMISSIONS: ReadonlySet<string> = new Set([
  ...VIEWER_BASE_PERMISSIONS,
  'project:create',
  'run:create',
  'run:update',
  'run:stop',
  'run:delete',
  'workspace:update',
  'sweep:create',
  'sweep:delete',
  'report:create',
  'report:update',
  'report:delete',
  'artifact:create',
  'artifact:update',
  'artifact:delete',
]);

/**
 * The "own" cells of the Member column (§3.2, §3.8): R5/R93/R95 runs, S000 sweep runs, R92 reports.
 * Artifacts carry no qualifier (§3.2 note 1). A custom role keeps these qualifiers on its *base*
 * permissions; the same id *added* to a custom role applies to any resource (A46).
 */
export const MEMBER_OWN_ONLY_PERMISSIONS: ReadonlySet<string> = new Set([
  'run:update',
  'run:stop',
  'run:delete',
  'sweep:delete',
  'report:update',
  'report:delete',
]);

/** Team Admin: everything of project and team scope (R2, R3, R91, R101–R105), on any resource. */
export const ADMIN_PERMISSIONS: ReadonlySet<string> = new Set([
  ...PROJECT_PERMISSIONS,
  ...TEAM_PERMISSIONS,
  ...TEAM_SCOPE_EXTRA_PERMISSIONS,
]);

/**
 * Ids a custom role may add (§3.8, A30): the whole §3.8 table plus `artifact:download`, which api.md
 * lists as a project permission and §3.8 folds into `artifact:read`. Management ids
 * (`project:manage-members`, `project:change-visibility`, `team:manage-*`) are not in it: §3.2 gives them
 * to no custom column. Ids already in the chosen base are the decider's concern ("not already in base").
 */
export const CUSTOM_ROLE_CATALOGUE: ReadonlySet<string> = new Set([
  'project:read',
  'run:read',
  'artifact:read',
  'artifact:download',
  'report:read',
  'report:comment',
  'launchagent:read',
  'team:read',
  'project:create',
  'run:create',
  'run:update',
  'run:stop',
  'run:delete',
  'workspace:update',
  'sweep:create',
  'sweep:delete',
  'report:create',
  'report:update',
  'report:delete',
  'artifact:create',
  'artifact:update',
  'artifact:delete',
  'project:update',
  'project:delete',
  'launchqueue:create',
  'launchqueue:update',
  'team:invite',
]);

// ---------------------------------------------------------------------------------------------
// Service accounts (§3.2 "SA in scope", A35) and outsiders (§3.3).
// ---------------------------------------------------------------------------------------------

/**
 * Member-equivalent read/write (A35) as the §3.2 SA column has it: logs runs and artifacts, creates
 * projects by logging, reads everything; reports are view-only and it edits no workspace; no team or
 * project management.
 */
export const SERVICE_ACCOUNT_PERMISSIONS: ReadonlySet<string> = new Set([
  'team:read',
  'project:create',
  'project:read',
  'run:read',
  'run:create',
  'run:update',
  'run:stop',
  'run:delete',
  'sweep:create',
  'sweep:delete',
  'report:read',
  'artifact:read',
  'artifact:download',
  'artifact:create',
  'artifact:update',
  'artifact:delete',
]);

/** A35: "It can delete only the runs it created" (and, like Member, stop/update/sweep-delete only its own). */
export const SERVICE_ACCOUNT_OWN_ONLY_PERMISSIONS: ReadonlySet<string> = new Set([
  'run:update',
  'run:stop',
  'run:delete',
  'sweep:delete',
]);

/** "view only" (R15, A36): the read ids of the project matrix. */
export const EXTERNAL_VIEWER_PERMISSIONS: ReadonlySet<string> = new Set([
  'project:read',
  'run:read',
  'report:read',
  'artifact:read',
]);

/** R14: "view it and submit runs or reports". */
export const EXTERNAL_CONTRIBUTOR_PERMISSIONS: ReadonlySet<string> = new Set([
  ...EXTERNAL_VIEWER_PERMISSIONS,
  'run:create',
  'report:create',
]);

/** R119 + §3.2 SA column: a team SA in another team's Open project logs runs and reads; it creates no reports. */
export const SERVICE_ACCOUNT_EXTERNAL_CONTRIBUTOR_PERMISSIONS: ReadonlySet<string> = new Set([
  ...EXTERNAL_VIEWER_PERMISSIONS,
  'run:create',
]);

/** C1: decided by management authority (org/team admin, owner, project-role admin), not by content access. */
export const PROJECT_MANAGEMENT_PERMISSIONS: ReadonlySet<string> = new Set([
  'project:manage-members',
  'project:change-visibility',
  'project:delete',
]);

/** Rule ids behind the own-only qualifiers, for reasons. */
export const OWN_ONLY_RULES: Readonly<Record<string, string>> = {
  'run:update': 'R93',
  'run:stop': 'R93',
  'run:delete': 'R5',
  'sweep:delete': 'R5',
  'report:update': 'R92',
  'report:delete': 'R92',
};

// ---------------------------------------------------------------------------------------------
// Registry roles (§3.5, R41, R134).
// ---------------------------------------------------------------------------------------------

const REGISTRY_RESTRICTED_VIEWER: readonly string[] = ['registry:read'];
const REGISTRY_VIEWER: readonly string[] = [
  ...REGISTRY_RESTRICTED_VIEWER,
  'registry:artifact.use',
  'registry:artifact.download',
];
const REGISTRY_MEMBER: readonly string[] = [
  ...REGISTRY_VIEWER,
  'registry:automation.create',
  'registry:collection.create',
  'registry:collection.update',
  'registry:artifact.update',
  'registry:artifact.link',
  'registry:types.update',
  'registry:rename',
  'registry:collection.delete',
  'registry:automation.delete',
  'registry:artifact.unlink',
];
/** `registry:delete` is listed for Admin but is further limited to the creator (P29, A26) by `check`. */
const REGISTRY_ADMIN: readonly string[] = [
  ...REGISTRY_MEMBER,
  'registry:alias.protected',
  'registry:visibility.update',
  'registry:members.manage',
  'registry:delete',
];

export const REGISTRY_ROLE_PERMISSIONS: Readonly<Record<RegistryRole, ReadonlySet<string>>> = {
  'restricted-viewer': new Set(REGISTRY_RESTRICTED_VIEWER),
  viewer: new Set(REGISTRY_VIEWER),
  member: new Set(REGISTRY_MEMBER),
  admin: new Set(REGISTRY_ADMIN),
};

const REGISTRY_RANK: Readonly<Record<RegistryRole, number>> = {
  'restricted-viewer': 0,
  viewer: 1,
  member: 2,
  admin: 3,
};

/** Ordering of §0.3 / R43: RestrictedViewer < Viewer < Member < Admin. */
export function registryRoleRank(role: RegistryRole): number {
  return REGISTRY_RANK[role];
}

export function maxRegistryRole(a: RegistryRole, b: RegistryRole): RegistryRole {
  return REGISTRY_RANK[a] >= REGISTRY_RANK[b] ? a : b;
}
