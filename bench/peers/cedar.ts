/**
 * Cedar (@cedar-policy/cedar-wasm, `statefulIsAuthorized` on a pre-parsed policy set), fed the flattened
 * grants (flatten.ts) as Cedar RBAC data:
 *
 * - roles are action groups: profile k's permissions per scope are the members of `Action::"k/<scope>"`
 *   (the requested action entity is passed with its memberships in the principal's groups);
 * - a grant is an entity tag on the principal, keyed by the domain (`project:<id>` / `registry:<id>`),
 *   whose value names the principal's role groups there;
 * - four policies, one per scope, e.g.
 *     permit (principal, action, resource is Project)
 *       when { principal.hasTag(resource.key) && action in principal.getTag(resource.key).project };
 *   runs check the run's project; "own" permissions add `resource.creator == principal` (R5/R93).
 *
 * The model is sound whatever the entity slice (tags are keyed by domain); per request the adapter passes
 * the slice Cedar needs: the principal with its tag for this domain, the Project/Registry, the Run for run
 * checks, and the action. A first version with one policy per (profile, scope) (~100 policies) cost
 * ~1 ms a call: cedar-wasm evaluates every policy, ~10 µs each, so the compact form is Cedar's best case.
 * Slice construction and the wasm call are both inside the timed region.
 */
import {
  getCedarVersion,
  preparsePolicySet,
  statefulIsAuthorized,
  type CedarValueJson,
  type EntityJson,
  type EntityUidJson,
  type TypeAndId,
} from '@cedar-policy/cedar-wasm/nodejs';
import type { ReadModel } from '../../src/read-model/read-model';
import type { CheckQuery } from '../queries';
import { SCOPES, type Flattened } from './flatten';

const POLICY_SET_ID = 'bench';

export interface CedarEngine {
  version: string;
  policies: number;
  loadMs: number;
  /** profile → permission → the profile's role groups that include it (the action's parents we pass). */
  groupsOf: Map<string, Map<string, TypeAndId[]>>;
  grants: Flattened['grants'];
}

const POLICIES = [
  'permit (principal, action, resource is Project) when { principal.hasTag(resource.key) && action in principal.getTag(resource.key).project };',
  'permit (principal, action, resource is Run) when { principal.hasTag(resource.project.key) && action in principal.getTag(resource.project.key).anyRun };',
  'permit (principal, action, resource is Run) when { resource.creator == principal && principal.hasTag(resource.project.key) && action in principal.getTag(resource.project.key).ownRun };',
  'permit (principal, action, resource is Registry) when { principal.hasTag(resource.key) && action in principal.getTag(resource.key).registry };',
];

function uidOf(principal: string): TypeAndId {
  const i = principal.indexOf(':');
  return { type: principal.slice(0, i) === 'sa' ? 'ServiceAccount' : 'User', id: principal.slice(i + 1) };
}

function domainEntity(domain: string): EntityJson {
  const uid = domain.startsWith('project:')
    ? { type: 'Project', id: domain.slice('project:'.length) }
    : { type: 'Registry', id: domain.slice('registry:'.length) };
  return { uid, attrs: { key: domain }, parents: [] };
}

const group = (profile: string, scope: string): { __entity: TypeAndId } => ({
  __entity: { type: 'Action', id: `${profile}/${scope}` },
});

export function buildCedar(flat: Flattened): CedarEngine {
  const t0 = process.hrtime.bigint();
  const parsed = preparsePolicySet(POLICY_SET_ID, { staticPolicies: POLICIES.join('\n') });
  if (parsed.type !== 'success')
    throw new Error(`cedar: policy set rejected: ${parsed.errors.map((e) => e.message).join('; ')}`);
  const groupsOf = new Map<string, Map<string, TypeAndId[]>>();
  for (const profile of flat.profiles) {
    const byPerm = new Map<string, TypeAndId[]>();
    for (const scope of SCOPES) {
      for (const perm of profile.scopes[scope]) {
        let list = byPerm.get(perm);
        if (!list) byPerm.set(perm, (list = []));
        list.push(group(profile.id, scope).__entity);
      }
    }
    groupsOf.set(profile.id, byPerm);
  }
  return {
    version: getCedarVersion(),
    policies: POLICIES.length,
    loadMs: Number(process.hrtime.bigint() - t0) / 1e6,
    groupsOf,
    grants: flat.grants,
  };
}

/** The principal with its grant on `domain` as a tag (the role groups it holds there), if any. */
function principalEntity(principal: string, domain: string, profile: string | undefined): EntityJson {
  const entity: EntityJson = { uid: uidOf(principal), attrs: {}, parents: [] };
  if (profile !== undefined) {
    const value: Record<string, CedarValueJson> = domain.startsWith('project:')
      ? {
          project: group(profile, 'project'),
          anyRun: group(profile, 'run.any'),
          ownRun: group(profile, 'run.own'),
        }
      : { registry: group(profile, 'registry') };
    entity.tags = { [domain]: value };
  }
  return entity;
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
    const run_: TypeAndId = { type: 'Run', id: runId };
    resource = run_;
    entities.push({
      uid: run_,
      attrs: {
        project: { __entity: { type: 'Project', id: run.projectId } },
        creator: { __entity: uidOf(run.creator) },
      },
      parents: [],
    });
  } else resource = domainEntity(domain).uid;
  entities.push(domainEntity(domain));
  const profile = engine.grants.get(domain)?.get(q.principal);
  entities.push(principalEntity(q.principal, domain, profile));
  // The action's memberships, sliced to the role groups this principal holds here: Cedar recomputes the
  // hierarchy's transitive closure on every request, and memberships in groups nobody in the request
  // references cannot change the decision.
  const parents = profile === undefined ? undefined : engine.groupsOf.get(profile)?.get(q.permission);
  entities.push({ uid: { type: 'Action', id: q.permission }, attrs: {}, parents: parents ?? [] });
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
