/*
 * Which principal × resource pairs a range of events can have changed, so that `diff` over a short
 * range compares those pairs instead of the whole matrix.
 *
 * A check on (p, r) reads the org-wide facts (deployment profile, policies, custom roles), p's own
 * records (user, service account, its team memberships and project overrides, grants naming it) and r's
 * record (the team, project or registry itself, its settings, grants and restricted members). Every
 * event that changes p's records names p (userId/principal/member/serviceAccountId), every event that
 * changes r's record names r (teamId/projectId/registryId) — the audit index extracts exactly those
 * names. Events that change org-wide facts, and event types this build does not know, make every pair
 * of their org a candidate.
 */
import type { StoredEvent } from '../event-store/port';
import { isKnownEventType } from '../domain/evolve';
import { resourcesOf, subjectsOf } from '../read-model/audit-index';

/** Event types whose effect is not limited to the entities they name. */
const ORG_WIDE_TYPES: ReadonlySet<string> = new Set([
  'OrganizationCreated', // deployment profile (C4 flags, registry defaults §3.6)
  'OrgPrivacyPolicyEnforced', // invitationControl: every team:invite (R85)
  'OrgPrivacyPolicyReleased',
  'CustomRoleCreated', // every holder of the role (R9, A32)
  'CustomRoleDetailsChanged',
  'CustomRolePermissionsAdded',
  'CustomRolePermissionsRemoved',
  'CustomRoleDeleted',
]);

/** Collects what a range of events touched, org by org. */
export class TouchedEntities {
  private readonly touched = new Map<string, Set<string>>();
  private readonly everything = new Set<string>();

  /** Records one event of the range. */
  add(event: StoredEvent): void {
    if (!event.stream.startsWith('org-')) return;
    const orgId = event.stream.slice(4);
    if (ORG_WIDE_TYPES.has(event.type) || !isKnownEventType(event.type)) {
      this.everything.add(orgId);
      return;
    }
    let names = this.touched.get(orgId);
    if (!names) this.touched.set(orgId, (names = new Set()));
    for (const s of subjectsOf(event.type, event.data)) names.add(s);
    for (const r of resourcesOf(event.type, event.data)) names.add(r);
  }

  /**
   * For one org: a predicate telling which pairs may have changed, `null` when every pair may have,
   * or `'none'` when the range holds no event of the org.
   */
  scopeOf(orgId: string): ((principal: string, resource: string) => boolean) | null | 'none' {
    if (this.everything.has(orgId)) return null;
    const names = this.touched.get(orgId);
    if (!names) return 'none';
    return (principal, resource) => names.has(principal) || names.has(resource);
  }
}
