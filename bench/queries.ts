/**
 * The check mix every engine answers: project, run and registry checks drawn from a sample of the
 * generated resources, asked by principals of the resource's own organization (team members mostly,
 * then restricted members and owners, other org users, service accounts), with read-heavy permissions.
 */
import type { CheckInput } from '../src/application/query.service';
import type { OrgState, ProjectState } from '../src/domain/model';
import type { ReadModel } from '../src/read-model/read-model';
import { Rng } from './lib/prng';

export type QueryKind = 'project' | 'run' | 'registry';

export interface CheckQuery {
  kind: QueryKind;
  principal: string;
  permission: string;
  resource: string;
  /** The same fields as one object, built once, as the HTTP layer hands it to `Queries.check`. */
  input: CheckInput;
}

export interface QueryMix {
  queries: CheckQuery[];
  /** `project:<id>` / `registry:<id>` domains the queries touch (what the peers are fed). */
  domains: { orgId: string; domain: string }[];
  counts: Record<QueryKind, number>;
}

const KIND_WEIGHTS = { project: 45, run: 35, registry: 20 } as const;

const PROJECT_PERMISSION_WEIGHTS = {
  'project:read': 24,
  'run:read': 14,
  'run:create': 14,
  'artifact:read': 9,
  'artifact:download': 5,
  'artifact:create': 5,
  'report:read': 5,
  'report:create': 4,
  'run:update': 4,
  'project:update': 3,
  'workspace:update': 3,
  'project:manage-members': 3,
  'project:change-visibility': 2,
  'project:delete': 2,
  'sweep:create': 3,
} as const;

const RUN_PERMISSION_WEIGHTS = {
  'run:read': 40,
  'run:update': 18,
  'run:stop': 14,
  'run:delete': 14,
  'artifact:read': 8,
  'sweep:delete': 6,
} as const;

const REGISTRY_PERMISSION_WEIGHTS = {
  'registry:read': 35,
  'registry:artifact.download': 20,
  'registry:artifact.use': 10,
  'registry:artifact.link': 10,
  'registry:collection.create': 5,
  'registry:collection.update': 4,
  'registry:members.manage': 5,
  'registry:alias.protected': 4,
  'registry:visibility.update': 3,
  'registry:delete': 4,
} as const;

/** True when `principal` is a current user or service account of the org (the peers know only those). */
function isOrgPrincipal(org: OrgState, principal: string): boolean {
  if (principal.startsWith('user:')) return org.users.has(principal.slice(5));
  if (principal.startsWith('sa:')) return org.serviceAccounts.has(principal.slice(3));
  return false;
}

class Picker {
  private readonly userLists = new Map<string, string[]>();
  private readonly saLists = new Map<string, string[]>();
  private readonly teamLists = new Map<string, string[]>();

  constructor(private readonly rng: Rng) {}

  private users(org: OrgState): string[] {
    let l = this.userLists.get(org.orgId);
    if (!l) this.userLists.set(org.orgId, (l = [...org.users.keys()].map((id) => `user:${id}`)));
    return l;
  }

  private sas(org: OrgState): string[] {
    let l = this.saLists.get(org.orgId);
    if (!l) this.saLists.set(org.orgId, (l = [...org.serviceAccounts.keys()].map((id) => `sa:${id}`)));
    return l;
  }

  private teamMembers(org: OrgState, teamId: string): string[] {
    const key = `${org.orgId}/${teamId}`;
    let l = this.teamLists.get(key);
    if (!l)
      this.teamLists.set(
        key,
        (l = [...(org.teams.get(teamId)?.members.keys() ?? [])].map((id) => `user:${id}`)),
      );
    return l;
  }

  anyUser(org: OrgState): string {
    return this.rng.pick(this.users(org));
  }

  /** Team members most of the time: that is who asks about a project in practice. */
  forProject(org: OrgState, p: ProjectState): string {
    const r = this.rng.float();
    const members = this.teamMembers(org, p.teamId);
    if (r < 0.55 && members.length > 0) return this.rng.pick(members);
    if (r < 0.65) {
      const inner = [...p.restrictedMembers, p.owner].filter((x) => isOrgPrincipal(org, x));
      if (inner.length > 0) return this.rng.pick(inner);
    }
    const sas = this.sas(org);
    if (r >= 0.88 && sas.length > 0) return this.rng.pick(sas);
    return this.anyUser(org);
  }

  forRegistry(org: OrgState, registryId: string): string {
    const r = this.rng.float();
    const reg = org.registries.get(registryId);
    if (reg && r < 0.3) {
      const holders = [...reg.grants.keys()].filter((m) => isOrgPrincipal(org, m));
      if (holders.length > 0) return this.rng.pick(holders);
    }
    if (reg && r < 0.55) {
      const teams = [...reg.grants.keys()].filter((m) => m.startsWith('team:')).map((m) => m.slice(5));
      if (reg.owningTeamId !== null) teams.push(reg.owningTeamId);
      const members = teams.length > 0 ? this.teamMembers(org, this.rng.pick(teams)) : [];
      if (members.length > 0) return this.rng.pick(members);
    }
    const sas = this.sas(org);
    if (r >= 0.88 && sas.length > 0) return this.rng.pick(sas);
    return this.anyUser(org);
  }
}

/**
 * Samples up to `projects` projects (those with runs preferred for run checks) and `registries`
 * registries over all organizations, then draws `count` checks against them.
 */
export function buildQueryMix(
  rm: ReadModel,
  options: { seed: number; count: number; projects: number; registries: number },
): QueryMix {
  const rng = new Rng(options.seed);
  const allProjects: { org: OrgState; p: ProjectState }[] = [];
  const allRegistries: { org: OrgState; id: string }[] = [];
  for (const org of rm.orgs.values()) {
    if (org.revision < 0 || org.users.size === 0) continue;
    for (const p of org.projects.values()) allProjects.push({ org, p });
    for (const id of org.registries.keys()) allRegistries.push({ org, id });
  }
  const projects = rng.sample(allProjects, options.projects);
  const registries = rng.sample(allRegistries, options.registries);
  const withRuns = projects.filter(({ p }) => p.runs.size > 0);
  const runLists = new Map<string, string[]>();
  const picker = new Picker(rng);
  const queries: CheckQuery[] = [];
  const counts: Record<QueryKind, number> = { project: 0, run: 0, registry: 0 };
  const push = (kind: QueryKind, principal: string, permission: string, resource: string): void => {
    queries.push({ kind, principal, permission, resource, input: { principal, permission, resource } });
    counts[kind] += 1;
  };
  while (queries.length < options.count) {
    let kind: QueryKind = rng.weighted(KIND_WEIGHTS);
    if (kind === 'run' && withRuns.length === 0) kind = 'project';
    if (kind === 'registry' && registries.length === 0) kind = 'project';
    if (kind === 'project') {
      const { org, p } = rng.pick(projects);
      push(
        kind,
        picker.forProject(org, p),
        rng.weighted(PROJECT_PERMISSION_WEIGHTS),
        `project:${p.projectId}`,
      );
    } else if (kind === 'run') {
      const { org, p } = rng.pick(withRuns);
      let runs = runLists.get(p.projectId);
      if (!runs) runLists.set(p.projectId, (runs = [...p.runs]));
      const runId = rng.pick(runs);
      const creator = org.runs.get(runId)?.creator;
      // Four in ten run checks come from the run's creator: "own" decides run:update/stop/delete (R5, R93).
      const principal =
        creator !== undefined && isOrgPrincipal(org, creator) && rng.chance(0.4)
          ? creator
          : picker.forProject(org, p);
      push(kind, principal, rng.weighted(RUN_PERMISSION_WEIGHTS), `run:${runId}`);
    } else {
      const { org, id } = rng.pick(registries);
      push(kind, picker.forRegistry(org, id), rng.weighted(REGISTRY_PERMISSION_WEIGHTS), `registry:${id}`);
    }
  }
  const domains = [
    ...projects.map(({ org, p }) => ({ orgId: org.orgId, domain: `project:${p.projectId}` })),
    ...registries.map(({ org, id }) => ({ orgId: org.orgId, domain: `registry:${id}` })),
  ];
  return { queries, domains, counts };
}
