/*
 * The access matrix of a read model: for every principal × resource of an organization, the effective
 * access/role and the set of permissions `check` allows. Two matrices are compared pair by pair (diff,
 * what-if) without materialising either, so memory stays flat however large the org is.
 *
 * Everything is derived through the one effective-role module (src/domain/access.ts): this file adds no
 * rule of its own, it only asks `check` every permission id of the resource's scope.
 */
import { check, projectAccess, registryAccess } from '../domain/access';
import { emptyOrgState, type OrgState } from '../domain/model';
import {
  ORG_PERMISSIONS,
  OWN_ONLY_RULES,
  PROJECT_PERMISSIONS,
  REGISTRY_PERMISSIONS,
  TEAM_PERMISSIONS,
  TEAM_SCOPE_EXTRA_PERMISSIONS,
} from '../domain/permissions';
import type { ReadModel } from '../read-model/read-model';

/** Resource kinds the matrix covers; runs and reports are covered through their project (see OWN_SUFFIX). */
export const MATRIX_KINDS = ['org', 'team', 'project', 'registry'] as const;
export type MatrixKind = (typeof MATRIX_KINDS)[number];

/**
 * Suffix of a project permission a role holds on the principal's own runs/reports only (R5, R92, R93,
 * R95). `run:delete` without it means "on anyone's run". This keeps runs and reports out of the matrix
 * (they are the bulk of a store) while still showing a change such as A46 "an added permission applies
 * to any resource": `run:delete(own)` → `run:delete`.
 */
export const OWN_SUFFIX = '(own)';

/** What one principal holds on one resource. */
export interface AccessEntry {
  /**
   * How the principal reaches the resource. Projects: the §3.4 kinds (`role`, `manage-only`,
   * `external-viewer`, `external-contributor`, `none`). Org: `active`/`deactivated`/`service-account`.
   * Teams: `role`, `org-admin` (A9), `service-account`, `deactivated`. Registries: `role`.
   */
  access: string;
  /** Org role, team role, effective project role or effective registry role. */
  role?: string;
  /** Allowed permission ids, sorted; own-only ones carry {@link OWN_SUFFIX}. */
  permissions: string[];
}

/** One principal × resource pair whose entry differs between two read models. */
export interface AccessChange {
  orgId: string;
  principal: string;
  resource: string;
  before: AccessEntry;
  after: AccessEntry;
  gained: string[];
  lost: string[];
}

/** Narrows a matrix or a comparison. */
export interface MatrixFilter {
  orgId?: string;
  /** Only this principal; it is evaluated even when it is not a member of the org (outsiders, R14/R15). */
  principal?: string;
  /** `kind:id` for one resource, or a bare kind (`project`) for every resource of that kind. */
  resource?: string;
}

const NONE: AccessEntry = { access: 'none', permissions: [] };

const SCOPE_PERMISSIONS: Readonly<Record<MatrixKind, readonly string[]>> = {
  org: ORG_PERMISSIONS,
  team: [...TEAM_PERMISSIONS, ...TEAM_SCOPE_EXTRA_PERMISSIONS],
  project: PROJECT_PERMISSIONS,
  registry: REGISTRY_PERMISSIONS,
};

/** Users (any status) and service accounts of the org, as principals, sorted. */
export function principalsOf(state: OrgState): string[] {
  return [
    ...[...state.users.keys()].map((id) => `user:${id}`),
    ...[...state.serviceAccounts.keys()].map((id) => `sa:${id}`),
  ].sort();
}

/** The org itself, its teams, projects and registries, as resource refs, kind by kind. */
export function matrixResourcesOf(state: OrgState): string[] {
  if (state.revision < 0) return [];
  return [
    `org:${state.orgId}`,
    ...[...state.teams.keys()].sort().map((id) => `team:${id}`),
    ...[...state.projects.keys()].sort().map((id) => `project:${id}`),
    ...[...state.registries.keys()].sort().map((id) => `registry:${id}`),
  ];
}

function kindOf(resource: string): MatrixKind | null {
  const kind = resource.slice(0, resource.indexOf(':'));
  return (MATRIX_KINDS as readonly string[]).includes(kind) ? (kind as MatrixKind) : null;
}

/** The permissions `check` allows `principal` on `resource`, own-only ones suffixed. */
export function allowedPermissions(state: OrgState, principal: string, resource: string): string[] {
  const kind = kindOf(resource);
  if (kind === null) return [];
  const out: string[] = [];
  for (const permission of SCOPE_PERMISSIONS[kind]) {
    const result = check(state, principal, permission, resource);
    if (!result.allowed) continue;
    // On the project itself `check` answers an own-only grant with the qualifier's rule (R5/R92/R93);
    // an unqualified grant carries no such rule.
    const ownOnly =
      kind === 'project' && result.rule !== undefined && result.rule === OWN_ONLY_RULES[permission];
    out.push(ownOnly ? `${permission}${OWN_SUFFIX}` : permission);
  }
  return out.sort();
}

/** What `principal` holds on `resource` (org, team, project or registry of this org). */
export function accessEntry(state: OrgState, principal: string, resource: string): AccessEntry {
  const kind = kindOf(resource);
  if (kind === null) return NONE;
  const id = resource.slice(kind.length + 1);
  const permissions = allowedPermissions(state, principal, resource);
  const how = reach(state, principal, kind, id);
  if (how.access === 'none' && how.role === undefined && permissions.length === 0) return NONE;
  return how.role === undefined ? { access: how.access, permissions } : { ...how, permissions };
}

/** The access/role part of an entry, by resource kind. */
function reach(
  state: OrgState,
  principal: string,
  kind: MatrixKind,
  id: string,
): { access: string; role?: string } {
  const isUser = principal.startsWith('user:');
  const isSa = principal.startsWith('sa:');
  const subject = principal.slice(principal.indexOf(':') + 1);
  const user = isUser ? state.users.get(subject) : undefined;
  const sa = isSa ? state.serviceAccounts.get(subject) : undefined;
  switch (kind) {
    case 'org':
      if (user) return { access: user.status === 'active' ? 'active' : 'deactivated', role: user.orgRole };
      return sa ? { access: 'service-account' } : { access: 'none' };
    case 'team': {
      const team = state.teams.get(id);
      if (!team) return { access: 'none' };
      if (sa) {
        return sa.scope === 'org' || sa.teamId === id
          ? { access: 'service-account', role: 'member' }
          : { access: 'none' };
      }
      if (!user) return { access: 'none' };
      const teamRole = team.members.get(subject);
      if (user.status !== 'active')
        return teamRole ? { access: 'deactivated', role: teamRole } : { access: 'none' };
      if (teamRole !== undefined) return { access: 'role', role: teamRole };
      // A9: org admins act as admins of every team.
      return user.orgRole === 'admin' ? { access: 'org-admin', role: 'admin' } : { access: 'none' };
    }
    case 'project': {
      if (!state.projects.has(id)) return { access: 'none' };
      const pa = projectAccess(state, principal, id);
      return pa.access === 'role' && pa.role !== undefined
        ? { access: 'role', role: pa.role }
        : { access: pa.access };
    }
    case 'registry': {
      if (!state.registries.has(id)) return { access: 'none' };
      const role = registryAccess(state, principal, id).role;
      return role === null ? { access: 'none' } : { access: 'role', role };
    }
  }
}

function matchesResource(filter: MatrixFilter, resource: string): boolean {
  if (filter.resource === undefined) return true;
  return filter.resource.includes(':')
    ? resource === filter.resource
    : resource.startsWith(`${filter.resource}:`);
}

function orgIdsOf(models: readonly ReadModel[], filter: MatrixFilter): string[] {
  const ids = new Set<string>();
  for (const rm of models) for (const id of rm.orgs.keys()) ids.add(id);
  return [...ids].filter((id) => filter.orgId === undefined || id === filter.orgId).sort();
}

/** Principals and resources of an org across several states (a user removed in one still counts). */
function universe(
  states: readonly OrgState[],
  filter: MatrixFilter,
): { principals: string[]; resources: string[] } {
  const principals = new Set<string>();
  const resources = new Set<string>();
  for (const s of states) {
    for (const p of principalsOf(s)) principals.add(p);
    for (const r of matrixResourcesOf(s)) resources.add(r);
  }
  const order = (r: string): number => MATRIX_KINDS.indexOf(kindOf(r) ?? 'org');
  return {
    principals: filter.principal !== undefined ? [filter.principal] : [...principals].sort(),
    resources: [...resources]
      .filter((r) => matchesResource(filter, r))
      .sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0)),
  };
}

/** One row of {@link accessMatrix}. */
export interface MatrixRow {
  orgId: string;
  principal: string;
  resource: string;
  entry: AccessEntry;
}

/** Every pair with some access (pairs with none are left out), org by org, principal by principal. */
export function accessMatrix(rm: ReadModel, filter: MatrixFilter = {}): MatrixRow[] {
  const rows: MatrixRow[] = [];
  for (const orgId of orgIdsOf([rm], filter)) {
    const state = rm.org(orgId) ?? emptyOrgState(orgId);
    const { principals, resources } = universe([state], filter);
    for (const principal of principals) {
      for (const resource of resources) {
        const entry = accessEntry(state, principal, resource);
        if (entry !== NONE) rows.push({ orgId, principal, resource, entry });
      }
    }
  }
  return rows;
}

/** Compares two entries; null when equal. */
export function compareEntries(
  before: AccessEntry,
  after: AccessEntry,
): { gained: string[]; lost: string[] } | null {
  const b = new Set(before.permissions);
  const a = new Set(after.permissions);
  const gained = after.permissions.filter((p) => !b.has(p));
  const lost = before.permissions.filter((p) => !a.has(p));
  if (
    gained.length === 0 &&
    lost.length === 0 &&
    before.access === after.access &&
    before.role === after.role
  ) {
    return null;
  }
  return { gained, lost };
}

/** Narrowing a comparison to the pairs that can have changed (see touched.ts), and progress. */
export interface DiffOptions {
  /**
   * Per org: which pairs may differ (`null`: all of them; `'none'`: none, the org is skipped). Pairs
   * outside it are not compared at all.
   */
  scope?: (orgId: string) => ((principal: string, resource: string) => boolean) | null | 'none';
  /** Only these principals may differ (what-if: the holders of the role). */
  principals?: ReadonlySet<string>;
  /** Called once per principal × resource pair compared (progress of a long comparison). */
  onPair?: () => void;
}

/**
 * Every principal × resource whose entry differs between `before` and `after`: effective project and
 * registry roles, team and org roles, and allowed permissions. Principals and resources are taken from
 * both sides, so a user removed from the org or a project deleted in between shows up as a loss.
 */
export function diffAccess(
  before: ReadModel,
  after: ReadModel,
  filter: MatrixFilter = {},
  options: DiffOptions = {},
): AccessChange[] {
  const changes: AccessChange[] = [];
  for (const orgId of orgIdsOf([before, after], filter)) {
    const scope = options.scope ? options.scope(orgId) : null;
    if (scope === 'none') continue;
    const sb = before.org(orgId) ?? emptyOrgState(orgId);
    const sa = after.org(orgId) ?? emptyOrgState(orgId);
    const { principals, resources } = universe([sb, sa], filter);
    for (const principal of principals) {
      if (options.principals && !options.principals.has(principal)) continue;
      for (const resource of resources) {
        if (scope && !scope(principal, resource)) continue;
        const eb = accessEntry(sb, principal, resource);
        const ea = accessEntry(sa, principal, resource);
        const delta = compareEntries(eb, ea);
        if (delta) changes.push({ orgId, principal, resource, before: eb, after: ea, ...delta });
        options.onPair?.();
      }
    }
  }
  return changes;
}

/** `admin`, `role custom:x`, `external-viewer`… for human output. */
export function describeEntry(entry: AccessEntry): string {
  if (entry.access === 'none' && entry.role === undefined) return 'none';
  if (entry.access === 'role') return entry.role ?? 'role';
  return entry.role === undefined ? entry.access : `${entry.access} (${entry.role})`;
}
