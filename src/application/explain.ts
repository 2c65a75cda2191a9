import { explainDecision, type FactCitation } from '../domain/access/explain-facts';
import type { EventRef, ProvenanceLookup } from '../read-model/provenance';
import type { ReadModel } from '../read-model/read-model';
import type { CheckInput } from './query.service';
import { requireLiveResource } from './resource-org';

export interface ExplainStep {
  fact: string;
  /** The events that established the fact (or, for a fact that does not hold, the one that removed it). */
  events: EventRef[];
}

/** `GET /v1/explain` (api.md), without the `position` the query bus adds. */
export interface ExplainAnswer {
  allowed: boolean;
  role?: string;
  reason: string;
  rule?: string;
  steps: ExplainStep[];
  /** For a denial: what would be needed, citing the latest relevant removal if there was one. */
  missing?: string;
  /** That removal, as data. */
  removal?: EventRef;
}

/** Removal events that take a principal out of something ("user:carol was removed …"). */
const REMOVALS: ReadonlySet<string> = new Set([
  'UserRemovedFromOrganization',
  'TeamMemberRemoved',
  'RestrictedProjectMemberRemoved',
  'RestrictedMembershipDissolved',
  'RegistryMemberRemoved',
  'ServiceAccountDeleted',
]);

function eventsOf(provenance: ProvenanceLookup, cite: readonly FactCitation[]): EventRef[] {
  const out: EventRef[] = [];
  const seen = new Set<string>();
  for (const c of cite) {
    const p = provenance.lookup(c.key);
    const refs = c.absent ? (p.removed ? [p.removed] : []) : p.established;
    for (const r of refs) {
      if (seen.has(r.position)) continue;
      seen.add(r.position);
      out.push(r);
    }
  }
  return out;
}

/**
 * Explains a check as of the read model `rm` (live, or rebuilt for `at:`, whose provenance is replayed
 * with it): the decision comes from `check` itself (explain-facts.ts), every step cites the events behind
 * its fact, and a denial names what is missing. 404 when the resource does not exist.
 */
export function explainCheck(rm: ReadModel, input: CheckInput): ExplainAnswer {
  const { org } = requireLiveResource(rm, input.resource);
  const plan = explainDecision(org, input.principal, input.permission, input.resource);
  const answer: ExplainAnswer = {
    allowed: plan.result.allowed,
    ...(plan.result.role !== undefined ? { role: plan.result.role } : {}),
    reason: plan.result.reason,
    ...(plan.result.rule !== undefined ? { rule: plan.result.rule } : {}),
    steps: plan.facts.map((f) => ({ fact: f.fact, events: eventsOf(rm.provenance, f.cite) })),
  };
  if (plan.missing) {
    const removal = rm.provenance.latestRemoval(plan.missing.removalKeys);
    let missing = plan.missing.need;
    if (removal) {
      missing += REMOVALS.has(removal.type)
        ? `; ${input.principal} was removed at position ${removal.position} by ${removal.actor} (${removal.type})`
        : `; ${removal.type} at position ${removal.position} by ${removal.actor} took it away`;
      answer.removal = removal;
    }
    answer.missing = missing;
  }
  return answer;
}
