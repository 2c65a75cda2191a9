import {
  check,
  projectAccess,
  registryAccess,
  type CheckResult,
  type RegistryContribution,
} from '../domain/access';
import { parseRef } from '../domain/access/project-access';
import type { OrgState, Principal } from '../domain/model';
import {
  ORG_CHECKABLE_PERMISSIONS,
  PROJECT_CHECKABLE_PERMISSIONS,
  REGISTRY_CHECKABLE_PERMISSIONS,
  TEAM_CHECKABLE_PERMISSIONS,
} from '../domain/permissions';
import type { ReadModel } from '../read-model/read-model';
import { requireLiveResource, type ResourceKind } from './resource-org';

export type PermissionScope = 'project' | 'team' | 'org' | 'registry';

/** The kind of resource a permission is checked on (api.md "Permissions"). */
export function permissionScope(permission: string): PermissionScope | undefined {
  if (PROJECT_CHECKABLE_PERMISSIONS.has(permission)) return 'project';
  if (REGISTRY_CHECKABLE_PERMISSIONS.has(permission)) return 'registry';
  if (TEAM_CHECKABLE_PERMISSIONS.has(permission)) return 'team';
  if (ORG_CHECKABLE_PERMISSIONS.has(permission)) return 'org';
  return undefined;
}

/** Which scope a resource kind answers to: runs and reports are checked with project permissions. */
export function scopeOfResourceKind(kind: ResourceKind): PermissionScope {
  return kind === 'run' || kind === 'report' ? 'project' : kind;
}

/** One allowed (principal, resource) pair with its effective role and derivation (§3.4, §3.7). */
export interface Holding {
  role?: string;
  /** Project access kind (§3.4): role, external-viewer, external-contributor. */
  access?: string;
  reason: string;
  rule?: string;
  /** §3.4 derivation steps, or `<source>=<role>` for each §3.7 contribution. */
  derivation: string[];
  contributions?: RegistryContribution[];
}

export interface ResourceHolding extends Holding {
  resource: string;
  orgId: string;
}

export interface PrincipalHolding extends Holding {
  principal: Principal;
}

function holding(org: OrgState, principal: Principal, resource: string, r: CheckResult): Holding {
  const h: Holding = {
    ...(r.role !== undefined ? { role: r.role } : {}),
    reason: r.reason,
    ...(r.rule !== undefined ? { rule: r.rule } : {}),
    derivation: [],
  };
  const ref = parseRef(resource);
  let projectId: string | undefined;
  if (ref?.kind === 'project') projectId = ref.id;
  else if (ref?.kind === 'run') projectId = org.runs.get(ref.id)?.projectId;
  else if (ref?.kind === 'report') projectId = org.reports.get(ref.id)?.projectId;
  if (projectId !== undefined) {
    const pa = projectAccess(org, principal, projectId);
    h.access = pa.access;
    h.derivation = pa.derivation;
  } else if (ref?.kind === 'registry') {
    const ra = registryAccess(org, principal, ref.id);
    h.contributions = ra.contributions;
    h.derivation = ra.contributions.map((c) => `${c.source}=${c.role}`);
  } else {
    h.derivation = [r.reason];
  }
  return h;
}

function byResource(a: { resource: string }, b: { resource: string }): number {
  return a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0;
}

/**
 * `GET /v1/principals/<principal>/resources`: every `scope` resource (project, registry, team or org)
 * on which `principal` holds `permission` — exactly the resources for which `check` allows it.
 *
 * A user can hold access in several orgs (user ids are global) and, as an outsider, to the Open and
 * Public projects of every org (§3.3, R14, R15), so every org is visited; inside an org where the user
 * is a stranger only Open/Public projects can answer yes, and only they are checked. A service account
 * lives in one org (R117, R118).
 */
export function resourcesOfPrincipal(
  rm: ReadModel,
  principal: Principal,
  permission: string,
  scope: PermissionScope,
): { principal: string; permission: string; type: PermissionScope; resources: ResourceHolding[] } {
  const ref = parseRef(principal);
  let orgs: OrgState[];
  if (ref?.kind === 'sa') {
    const orgId = rm.orgOf('sa', ref.id);
    const org = orgId === undefined ? undefined : rm.org(orgId);
    orgs = org ? [org] : [];
  } else {
    orgs = [...rm.orgs.values()];
  }
  const resources: ResourceHolding[] = [];
  const consider = (org: OrgState, resource: string): void => {
    const r = check(org, principal, permission, resource);
    if (r.allowed) resources.push({ resource, orgId: org.orgId, ...holding(org, principal, resource, r) });
  };
  for (const org of orgs) {
    if (org.revision < 0) continue;
    const stranger = ref?.kind === 'user' && !org.users.has(ref.id);
    switch (scope) {
      case 'project':
        for (const p of org.projects.values()) {
          if (stranger && p.visibility !== 'open' && p.visibility !== 'public') continue;
          consider(org, `project:${p.projectId}`);
        }
        break;
      case 'registry':
        // §3.7 first line: registries answer only to members of their org.
        if (!stranger) for (const id of org.registries.keys()) consider(org, `registry:${id}`);
        break;
      case 'team':
        if (!stranger) for (const id of org.teams.keys()) consider(org, `team:${id}`);
        break;
      case 'org':
        if (!stranger) consider(org, `org:${org.orgId}`);
        break;
    }
  }
  resources.sort(byResource);
  return { principal, permission, type: scope, resources };
}

/** A principal no user id can be (ids are `[A-Za-z0-9._-]`): anybody outside the org, even anonymous. */
const ANYONE: Principal = 'user:*';

/**
 * `GET /v1/resources/<resource>/principals`: the org's users and service accounts that hold `permission`
 * on `resource` — exactly those for which `check` allows it. Open and Public projects are also open to
 * people outside the org (§3.3, R14, R15); rather than invent principals, `public` says so. 404 when the
 * resource does not exist.
 */
export function principalsOfResource(
  rm: ReadModel,
  resource: string,
  permission: string,
): { resource: string; permission: string; principals: PrincipalHolding[]; public?: string } {
  const { org } = requireLiveResource(rm, resource);
  const principals: PrincipalHolding[] = [];
  const consider = (principal: Principal): void => {
    const r = check(org, principal, permission, resource);
    if (r.allowed) principals.push({ principal, ...holding(org, principal, resource, r) });
  };
  for (const userId of org.users.keys()) consider(`user:${userId}`);
  for (const saId of org.serviceAccounts.keys()) consider(`sa:${saId}`);
  principals.sort((a, b) => (a.principal < b.principal ? -1 : a.principal > b.principal ? 1 : 0));
  const out: { resource: string; permission: string; principals: PrincipalHolding[]; public?: string } = {
    resource,
    permission,
    principals,
  };
  const outsider = check(org, ANYONE, permission, resource);
  if (outsider.allowed) {
    out.public = `anyone, including people outside org:${org.orgId}, holds ${permission} here (${outsider.reason})`;
  }
  return out;
}
