import { projectAccess, registryAccess } from '../domain/access';
import { parseRef } from '../domain/access/project-access';
import { INFORMATIONAL_EVENTS, type EventType } from '../domain/events';
import { evolve } from '../domain/evolve';
import { emptyOrgState, orgStream, type OrgState, type Principal } from '../domain/model';
import { registryRoleRank } from '../domain/permissions';
import type { EventStore, StoredEvent } from '../event-store/port';

/** The principal's effective access to the resource at one point of history. */
export interface AccessValue {
  /** project: none | manage-only | external-viewer | external-contributor | role; others: none | role (org: also service-account). */
  access: string;
  role?: string;
  /** Where the role comes from (teamRole, projectOverride, orgAdmin, serviceAccount, direct, teamGrant:<id>, …). */
  source?: string;
}

/** One row of `GET /v1/history` (api.md). */
export interface HistoryEntry extends AccessValue {
  position: string;
  occurredAt: string;
  cause: { type: string; actor: string; position: string };
}

const NONE: AccessValue = { access: 'none' };

/**
 * The effective access of `principal` to `resource` in `state`, from the same effective-role module as
 * check (§3.4 projects — runs and reports through their project; §3.7 registries; the team role, with
 * A9's org-admin powers, for teams; the org role for orgs).
 */
export function accessValue(state: OrgState, principal: Principal, resource: string): AccessValue {
  const ref = parseRef(resource);
  if (!ref) return NONE;
  switch (ref.kind) {
    case 'project':
      return projectValue(state, principal, ref.id);
    case 'run': {
      const run = state.runs.get(ref.id);
      return run ? projectValue(state, principal, run.projectId) : NONE;
    }
    case 'report': {
      const report = state.reports.get(ref.id);
      return report ? projectValue(state, principal, report.projectId) : NONE;
    }
    case 'registry': {
      if (!state.registries.has(ref.id)) return NONE;
      const ra = registryAccess(state, principal, ref.id);
      if (ra.role === null) return NONE;
      const top = ra.contributions.filter(
        (c) => registryRoleRank(c.role) === registryRoleRank(ra.role ?? c.role),
      );
      return { access: 'role', role: ra.role, source: top.map((c) => c.source).join(',') };
    }
    case 'team':
      return teamValue(state, principal, ref.id);
    case 'org':
      return orgValue(state, principal, ref.id);
    default:
      return NONE;
  }
}

function projectValue(state: OrgState, principal: Principal, projectId: string): AccessValue {
  if (!state.projects.has(projectId)) return NONE;
  const pa = projectAccess(state, principal, projectId);
  if (pa.access === 'none') return NONE;
  return { access: pa.access, ...(pa.role !== undefined ? { role: pa.role } : {}), source: pa.source };
}

function teamValue(state: OrgState, principal: Principal, teamId: string): AccessValue {
  const team = state.teams.get(teamId);
  const p = parseRef(principal);
  if (!team || !p) return NONE;
  if (p.kind === 'sa') {
    const sa = state.serviceAccounts.get(p.id);
    // A35/R117/R118: member-equivalent in its scope.
    return sa && (sa.scope === 'org' || sa.teamId === teamId)
      ? { access: 'role', role: 'member', source: 'serviceAccount' }
      : NONE;
  }
  const user = p.kind === 'user' ? state.users.get(p.id) : undefined;
  if (!user || user.status !== 'active') return NONE; // A39
  const memberRole = team.members.get(p.id);
  // A9/R77: org admins hold team-admin powers in every team (check.ts checkTeam).
  if (user.orgRole === 'admin' && memberRole !== 'admin')
    return { access: 'role', role: 'admin', source: 'orgAdmin' };
  return memberRole === undefined ? NONE : { access: 'role', role: memberRole, source: 'teamRole' };
}

function orgValue(state: OrgState, principal: Principal, orgId: string): AccessValue {
  const p = parseRef(principal);
  if (orgId !== state.orgId || !p) return NONE;
  if (p.kind === 'sa') return state.serviceAccounts.has(p.id) ? { access: 'service-account' } : NONE;
  const user = p.kind === 'user' ? state.users.get(p.id) : undefined;
  if (!user || user.status !== 'active') return NONE;
  return { access: 'role', role: user.orgRole, source: 'orgRole' };
}

/** A change is a change of access kind or role; a new source for the same role is not (api.md). */
function same(a: AccessValue, b: AccessValue): boolean {
  return a.access === b.access && a.role === b.role;
}

/** Runs and reports are the bulk of a stream and move nobody's access, except to themselves. */
const CONTENT: ReadonlySet<string> = new Set<EventType>([
  'RunCreated',
  'RunStopped',
  'RunDeleted',
  'RunMoved',
  'ReportCreated',
  'ReportDeleted',
]);

function couldChange(type: string, resourceKind: string): boolean {
  if (INFORMATIONAL_EVENTS.has(type as EventType)) return false;
  if (!CONTENT.has(type)) return true;
  if (resourceKind === 'run') return type === 'RunCreated' || type === 'RunDeleted' || type === 'RunMoved';
  if (resourceKind === 'report') return type === 'ReportCreated' || type === 'ReportDeleted';
  return false;
}

/** Events of one command share a commandId and are contiguous in the org stream (one append). */
function commandOf(e: StoredEvent): string {
  return typeof e.metadata.commandId === 'string' ? e.metadata.commandId : e.eventId;
}

/**
 * `GET /v1/history`: one entry per change of `principal`'s effective access to `resource`, oldest first,
 * found by replaying the org's stream (O(events of that org)) up to and including position `until`.
 *
 * Access is compared per command, not per event: the events of one command are appended atomically, so
 * the half-applied states between them (e.g. a project already Restricted but its invitees not yet
 * added, A7) were never a decision anyone saw through the command path. The cause of a change is the
 * event after which the access took its new value and kept it until the end of that command
 * (RemoveFromRestrictedProject → RestrictedProjectMemberRemoved, not the ProjectRoleOverrideCleared that
 * follows it).
 */
export async function accessHistory(
  store: EventStore,
  orgId: string,
  principal: Principal,
  resource: string,
  until: string,
): Promise<{ principal: string; resource: string; entries: HistoryEntry[] }> {
  const kind = parseRef(resource)?.kind ?? '';
  const events = await store.readStream(orgStream(orgId));
  const state = emptyOrgState(orgId);
  const entries: HistoryEntry[] = [];
  let current = NONE;
  let i = 0;
  while (i < events.length) {
    const first = events[i] as StoredEvent;
    if (store.comparePositions(first.position, until) > 0) break;
    const command = commandOf(first);
    let value = current;
    let settled: StoredEvent | null = null;
    for (; i < events.length; i++) {
      const e = events[i] as StoredEvent;
      if (e !== first && commandOf(e) !== command) break;
      if (store.comparePositions(e.position, until) > 0) break;
      try {
        evolve(state, e.type, e.data);
      } catch {
        continue; // as the projection: a malformed recorded event changes nothing
      }
      if (!couldChange(e.type, kind)) continue;
      const now = accessValue(state, principal, resource);
      if (!same(now, value)) {
        value = now;
        settled = e;
      }
    }
    if (settled && !same(value, current)) {
      current = value;
      entries.push({
        position: settled.position,
        occurredAt: settled.metadata.occurredAt,
        ...value,
        cause: { type: settled.type, actor: settled.metadata.actor, position: settled.position },
      });
    }
  }
  return { principal, resource, entries };
}
