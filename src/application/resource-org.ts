import { notFound } from '../domain/errors';
import type { OrgState } from '../domain/model';
import type { ReadModel } from '../read-model/read-model';

export type ResourceKind = 'org' | 'team' | 'project' | 'run' | 'report' | 'registry';

export interface ResolvedResource {
  kind: ResourceKind;
  id: string;
  org: OrgState;
}

function split(resource: string): { kind: string; id: string } {
  const i = resource.indexOf(':');
  return { kind: resource.slice(0, i), id: resource.slice(i + 1) };
}

/** True when `<kind>:<id>` exists in `org` now (deleted ids stay in the read model's index, A38/R140). */
function isLive(org: OrgState, kind: string, id: string): boolean {
  switch (kind) {
    case 'org':
      return org.orgId === id && org.revision >= 0;
    case 'team':
      return org.teams.has(id);
    case 'project':
      return org.projects.has(id);
    case 'run':
      return org.runs.has(id);
    case 'report':
      return org.reports.has(id);
    case 'registry':
      return org.registries.has(id);
    default:
      return false;
  }
}

/**
 * The org that owns `resource` (`<kind>:<id>`, already validated), or undefined. With `live`, only a
 * resource that exists now counts; without, a deleted one still names its org (history of a deleted
 * project is worth asking for, and ids are never reused).
 */
export function orgOfResource(rm: ReadModel, resource: string, live: boolean): ResolvedResource | undefined {
  const { kind, id } = split(resource);
  const orgId = rm.orgOf(kind, id);
  const org = orgId === undefined ? undefined : rm.org(orgId);
  if (!org || (live && !isLive(org, kind, id))) return undefined;
  return { kind: kind as ResourceKind, id, org };
}

/** {@link orgOfResource} for a resource that must exist now; 404 otherwise. */
export function requireLiveResource(rm: ReadModel, resource: string): ResolvedResource {
  const r = orgOfResource(rm, resource, true);
  if (!r) throw notFound(`${resource} does not exist`);
  return r;
}
