/**
 * Cedar (@cedar-policy/cedar-wasm, `statefulIsAuthorized` on a pre-parsed policy set), fed the flattened
 * grants (flatten.ts) in Cedar's own idiom, "principal in resource.<acl group>":
 *
 * - one policy per (profile, scope), e.g.
 *     permit (principal, action in [Action::"run:read", …], resource is Project)
 *       when { resource has k3 && principal in resource.k3 };
 *   runs check the run's project; "own" permissions add `resource.creator == principal` (R5/R93);
 * - entities, sliced per request as Cedar expects: the principal (parent: its Grant group on the domain,
 *   if any), the Project/Registry (one attribute per profile present there, pointing at that domain's
 *   Grant group) and, for run checks, the Run (attributes project and creator).
 *
 * The domain entities are built once and cached (an application would cache them too); the principal and
 * run entities are built per call, inside the timed region, as is the wasm call.
 */
import {
  getCedarVersion,
  preparsePolicySet,
  statefulIsAuthorized,
  type EntityJson,
  type EntityUidJson,
  type TypeAndId,
} from '@cedar-policy/cedar-wasm/nodejs';
import type { ReadModel } from '../../src/read-model/read-model';
import type { CheckQuery } from '../queries';
import { SCOPES, type Flattened, type Scope } from './flatten';

const POLICY_SET_ID = 'bench';

export interface CedarEngine {
  version: string;
  policies: number;
  loadMs: number;
  /** domain → its cached entity (Project or Registry with its ACL attributes). */
  domainEntities: Map<string, EntityJson>;
  grants: Flattened['grants'];
}

function uidOf(principal: string): TypeAndId {
  const i = principal.indexOf(':');
  return { type: principal.slice(0, i) === 'sa' ? 'ServiceAccount' : 'User', id: principal.slice(i + 1) };
}

function domainUid(domain: string): EntityUidJson {
  return domain.startsWith('project:')
    ? { type: 'Project', id: domain.slice('project:'.length) }
    : { type: 'Registry', id: domain.slice('registry:'.length) };
}

const actionList = (perms: readonly string[]): string => perms.map((p) => `Action::${JSON.stringify(p)}`).join(', ');

function policiesOf(flat: Flattened): string[] {
  const out: string[] = [];
  const where: Record<Scope, (k: string) => { type: string; cond: string }> = {
    project: (k) => ({ type: 'Project', cond: `resource has ${k} && principal in resource.${k}` }),
    'run.any': (k) => ({ type: 'Run', cond: `resource.project has ${k} && principal in resource.project.${k}` }),
    'run.own': (k) => ({
      type: 'Run',
      cond: `resource.creator == principal && resource.project has ${k} && principal in resource.project.${k}`,
    }),
    registry: (k) => ({ type: 'Registry', cond: `resource has ${k} && principal in resource.${k}` }),
  };
  for (const profile of flat.profiles) {
    for (const scope of SCOPES) {
      let perms = profile.scopes[scope];
      // Own runs: only what the owner gets beyond the run.any policy needs its own rule.
      if (scope === 'run.own') perms = perms.filter((p) => !profile.scopes['run.any'].includes(p));
      if (perms.length === 0) continue;
      const { type, cond } = where[scope](profile.id);
      out.push(`permit (principal, action in [${actionList(perms)}], resource is ${type}) when { ${cond} };`);
    }
  }
  return out;
}

export function buildCedar(flat: Flattened): CedarEngine {
  const t0 = process.hrtime.bigint();
  const policies = policiesOf(flat);
  const parsed = preparsePolicySet(POLICY_SET_ID, { staticPolicies: policies.join('\n') });
  if (parsed.type !== 'success')
    throw new Error(`cedar: policy set rejected: ${parsed.errors.map((e) => e.message).join('; ')}`);
  const domainEntities = new Map<string, EntityJson>();
  for (const [domain, holders] of flat.grants) {
    const attrs: Record<string, { __entity: { type: string; id: string } }> = {};
    for (const profile of new Set(holders.values()))
      attrs[profile] = { __entity: { type: 'Grant', id: `${domain}#${profile}` } };
    domainEntities.set(domain, { uid: domainUid(domain), attrs, parents: [] });
  }
  return {
    version: getCedarVersion(),
    policies: policies.length,
    loadMs: Number(process.hrtime.bigint() - t0) / 1e6,
    domainEntities,
    grants: flat.grants,
  };
}

function principalEntity(engine: CedarEngine, principal: string, domain: string): EntityJson {
  const profile = engine.grants.get(domain)?.get(principal);
  return {
    uid: uidOf(principal),
    attrs: {},
    parents: profile === undefined ? [] : [{ type: 'Grant', id: `${domain}#${profile}` }],
  };
}

export function cedarCheck(engine: CedarEngine, rm: ReadModel, q: CheckQuery): boolean {
  let domain = q.resource;
  let resource: EntityUidJson;
  const entities: EntityJson[] = [];
  if (q.kind === 'run') {
    const runId = q.resource.slice(4);
    const orgId = rm.index.get(q.resource);
    const run = orgId === undefined ? undefined : rm.orgs.get(orgId)?.runs.get(runId);
    if (!run) return false;
    domain = `project:${run.projectId}`;
    resource = { type: 'Run', id: runId };
    entities.push({
      uid: resource,
      attrs: { project: { __entity: { type: 'Project', id: run.projectId } }, creator: { __entity: uidOf(run.creator) } },
      parents: [],
    });
  } else resource = domainUid(domain);
  const domainEntity = engine.domainEntities.get(domain);
  if (domainEntity) entities.push(domainEntity);
  entities.push(principalEntity(engine, q.principal, domain));
  const answer = statefulIsAuthorized({
    principal: uidOf(q.principal),
    action: { type: 'Action', id: q.permission },
    resource,
    context: {},
    preparsedPolicySetId: POLICY_SET_ID,
    entities,
  });
  if (answer.type !== 'success') throw new Error(`cedar: ${answer.errors.map((e) => e.message).join('; ')}`);
  return answer.response.decision === 'allow';
}
