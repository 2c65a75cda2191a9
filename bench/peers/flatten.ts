/**
 * Flattens the read model's effective grants into what a generic policy engine can hold: for every
 * principal of an organization and every domain (`project:<id>`, `registry:<id>`), the exact set of
 * permissions our effective-role module allows there — on the project itself, on a run of someone else,
 * on one's own run (the R5/R93 "own" qualifier) and on a registry. Identical sets are shared as one
 * "profile" (a role, for the engines), so a peer holds |profiles| × |permissions| policies plus one
 * role assignment per (principal, domain) with any access.
 *
 * This is the best case for the peers: every rule of the access model (A4 overrides, A9 virtual admins,
 * A10 manage-only, A35 service accounts, R14/R15 outsiders' rows, A19/A21 registry contributions, R37
 * owners…) is evaluated here, by us, before the peer sees anything. What a peer then evaluates is the
 * lookup "which profile does this principal hold on this domain, and does it include the permission".
 * Keeping that flattening current on every change is the peer's real cost and is not measured.
 */
import { check } from '../../src/domain/access';
import type { OrgState, RunState } from '../../src/domain/model';
import { PROJECT_PERMISSIONS, REGISTRY_PERMISSIONS } from '../../src/domain/permissions';
import type { ReadModel } from '../../src/read-model/read-model';

export type Scope = 'project' | 'run.any' | 'run.own' | 'registry';
export const SCOPES: readonly Scope[] = ['project', 'run.any', 'run.own', 'registry'];

export interface Profile {
  id: string;
  /** Allowed permissions per scope; `run.own` is the full set on one's own runs (a superset of run.any). */
  scopes: Record<Scope, string[]>;
}

export interface Flattened {
  profiles: Profile[];
  /** domain → principal → profile id. Principals without any access on the domain are absent. */
  grants: Map<string, Map<string, string>>;
  stats: {
    domains: number;
    principalPairs: number;
    grants: number;
    profiles: number;
    policyLines: number;
    checksEvaluated: number;
    ms: number;
  };
}

/** Run id used for the probe run: outside the generator's id space, never stored. */
const PROBE_RUN = '__bench_probe_run__';
const NOBODY = 'user:__bench_nobody__';

/**
 * A read-only view of `state` with one extra run of `projectId` created by `creator`: lets `check`
 * answer "on a run of this project created by X" without touching the real state.
 */
function withProbeRun(state: OrgState, projectId: string, creator: string): OrgState {
  const runs = new Map<string, RunState>();
  runs.set(PROBE_RUN, { runId: PROBE_RUN, projectId, creator, loggedBy: creator, stopped: false });
  return { ...state, runs };
}

export function flatten(rm: ReadModel, domains: readonly { orgId: string; domain: string }[]): Flattened {
  const t0 = process.hrtime.bigint();
  const profileIds = new Map<string, Profile>();
  const grants = new Map<string, Map<string, string>>();
  let pairs = 0;
  let checks = 0;
  const allowedOn = (
    state: OrgState,
    principal: string,
    perms: readonly string[],
    resource: string,
  ): string[] => {
    checks += perms.length;
    return perms.filter((p) => check(state, principal, p, resource).allowed);
  };
  for (const { orgId, domain } of domains) {
    const org = rm.org(orgId);
    if (!org) continue;
    const principals = [
      ...[...org.users.keys()].map((id) => `user:${id}`),
      ...[...org.serviceAccounts.keys()].map((id) => `sa:${id}`),
    ];
    const byPrincipal = new Map<string, string>();
    const isProject = domain.startsWith('project:');
    const otherRun = isProject ? withProbeRun(org, domain.slice('project:'.length), NOBODY) : org;
    for (const principal of principals) {
      pairs += 1;
      const scopes: Record<Scope, string[]> = { project: [], 'run.any': [], 'run.own': [], registry: [] };
      if (isProject) {
        scopes.project = allowedOn(org, principal, PROJECT_PERMISSIONS, domain);
        // Content on runs is a subset of what the project grants (own-only items included), so a principal
        // with nothing on the project has nothing on its runs either.
        if (scopes.project.length > 0) {
          scopes['run.any'] = allowedOn(otherRun, principal, PROJECT_PERMISSIONS, `run:${PROBE_RUN}`);
          const ownRun = withProbeRun(org, domain.slice('project:'.length), principal);
          scopes['run.own'] = allowedOn(ownRun, principal, PROJECT_PERMISSIONS, `run:${PROBE_RUN}`);
        }
      } else {
        scopes.registry = allowedOn(org, principal, REGISTRY_PERMISSIONS, domain);
      }
      if (SCOPES.every((s) => scopes[s].length === 0)) continue;
      const key = SCOPES.map((s) => `${s}=${scopes[s].join(',')}`).join('|');
      let profile = profileIds.get(key);
      if (!profile) {
        profile = { id: `k${profileIds.size}`, scopes };
        profileIds.set(key, profile);
      }
      byPrincipal.set(principal, profile.id);
    }
    grants.set(domain, byPrincipal);
  }
  const profiles = [...profileIds.values()];
  let grantCount = 0;
  for (const m of grants.values()) grantCount += m.size;
  let policyLines = 0;
  for (const p of profiles) for (const s of SCOPES) policyLines += p.scopes[s].length;
  return {
    profiles,
    grants,
    stats: {
      domains: grants.size,
      principalPairs: pairs,
      grants: grantCount,
      profiles: profiles.length,
      policyLines,
      checksEvaluated: checks,
      ms: Math.round(Number(process.hrtime.bigint() - t0) / 1e6),
    },
  };
}
