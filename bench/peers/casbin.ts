/**
 * node-casbin, RBAC with domains, fed the flattened grants (flatten.ts):
 *   p, <profile>, *, <scope>, <permission>     — what a profile allows, per scope
 *   g, <principal>, <profile>, <domain>         — who holds which profile on which project/registry
 * The matcher compares the cheap request fields first so that casbin's per-policy scan
 * short-circuits before the role lookup (the fastest ordering for its linear policy scan).
 */
import { newEnforcer, newModelFromString, type Enforcer } from 'casbin';
import type { ReadModel } from '../../src/read-model/read-model';
import type { CheckQuery } from '../queries';
import { SCOPES, type Flattened } from './flatten';

export const CASBIN_MODEL = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.obj == p.obj && r.act == p.act && g(r.sub, p.sub, r.dom) && keyMatch(r.dom, p.dom)
`;

export interface CasbinEngine {
  enforcer: Enforcer;
  loadMs: number;
  policies: number;
  groupings: number;
}

export async function buildCasbin(flat: Flattened): Promise<CasbinEngine> {
  const t0 = process.hrtime.bigint();
  const enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL));
  const p: string[][] = [];
  for (const profile of flat.profiles)
    for (const scope of SCOPES)
      for (const perm of profile.scopes[scope]) p.push([profile.id, '*', scope, perm]);
  const g: string[][] = [];
  for (const [domain, holders] of flat.grants)
    for (const [principal, profile] of holders) g.push([principal, profile, domain]);
  await enforcer.addPolicies(p);
  await enforcer.addGroupingPolicies(g);
  return {
    enforcer,
    loadMs: Number(process.hrtime.bigint() - t0) / 1e6,
    policies: p.length,
    groupings: g.length,
  };
}

/**
 * The request adapter a casbin integration needs: a run check becomes a check on the run's project, in
 * scope `run.own` when the principal created the run (R5/R93 "own"), `run.any` otherwise. The run
 * lookup uses our read model's maps, as an application would use its own directory; it is timed.
 */
export function casbinCheck(engine: CasbinEngine, rm: ReadModel, q: CheckQuery): boolean {
  if (q.kind === 'run') {
    const runId = q.resource.slice(4);
    const orgId = rm.index.get(q.resource);
    const run = orgId === undefined ? undefined : rm.orgs.get(orgId)?.runs.get(runId);
    if (!run) return false;
    const scope = run.creator === q.principal ? 'run.own' : 'run.any';
    return engine.enforcer.enforceSync(q.principal, `project:${run.projectId}`, scope, q.permission);
  }
  return engine.enforcer.enforceSync(q.principal, q.resource, q.kind, q.permission);
}
