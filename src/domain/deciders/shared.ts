/**
 * Helpers shared by the deciders: actor resolution, authority (via the one effective-role module,
 * access.ts), existence look-ups (404s) and the A4/C7 tracking cascade of a team-role change.
 * Pure: reads the state, never mutates it.
 */
import { check } from '../access';
import { forbidden, notFound } from '../errors';
import { event, type AnyDomainEvent } from '../events';
import {
  teamMember,
  userPrincipal,
  type CustomRoleState,
  type OrgState,
  type ProjectState,
  type RegistryState,
  type ReportState,
  type RunState,
  type ServiceAccountState,
  type TeamRole,
  type TeamState,
  type UserState,
} from '../model';

export type ResolvedActor =
  | { kind: 'system' }
  | { kind: 'user'; userId: string; user: UserState }
  | { kind: 'sa'; saId: string; sa: ServiceAccountState };

/**
 * Resolves the command's actor within this org. `system` is the admin-tooling superuser.
 * A user actor must be an active member of the org (A39: a deactivated user can do nothing);
 * a service-account actor must exist in the org. Anything else → 403.
 */
export function requireActor(state: OrgState, actor: string): ResolvedActor {
  if (actor === 'system') return { kind: 'system' };
  const i = actor.indexOf(':');
  const kind = i < 0 ? '' : actor.slice(0, i);
  const id = i < 0 ? '' : actor.slice(i + 1);
  if (kind === 'user' && id !== '') {
    const user = state.users.get(id);
    if (!user) throw forbidden(`${actor} is not a member of organization ${state.orgId}`);
    if (user.status !== 'active') throw forbidden(`${actor} is deactivated and can do nothing (A39)`, 'A39');
    return { kind: 'user', userId: id, user };
  }
  if (kind === 'sa' && id !== '') {
    const sa = state.serviceAccounts.get(id);
    if (!sa) throw forbidden(`${actor} is not a service account of organization ${state.orgId}`);
    return { kind: 'sa', saId: id, sa };
  }
  throw forbidden(`${actor} is not a valid actor`);
}

/**
 * Throws 403 unless the actor holds `permission` on `resource` according to its effective
 * permissions (access.ts `check`); `system` always passes. Returns the resolved actor.
 * `rule` names the rule to cite when the check itself gives none.
 */
export function authorize(
  state: OrgState,
  actor: string,
  permission: string,
  resource: string,
  rule?: string,
): ResolvedActor {
  const resolved = requireActor(state, actor);
  if (resolved.kind === 'system') return resolved;
  const result = check(state, actor, permission, resource);
  if (!result.allowed) {
    const why = result.reason ? `: ${result.reason}` : '';
    // C10: the command's key rule (passed by the decider) wins over the check's own rule id.
    throw forbidden(`${actor} lacks ${permission} on ${resource}${why}`, rule ?? result.rule);
  }
  return resolved;
}

/** True when the actor is `system` or holds the permission (for "either of two authorities" cases). */
export function isAllowed(state: OrgState, actor: string, permission: string, resource: string): boolean {
  if (actor === 'system') return true;
  return check(state, actor, permission, resource).allowed;
}

/** Commands other than CreateOrganization need the organization to exist (404 otherwise). */
export function requireOrg(state: OrgState): void {
  if (state.revision < 0) throw notFound(`organization ${state.orgId} not found`);
}

export function requireUser(state: OrgState, userId: string): UserState {
  const u = state.users.get(userId);
  if (!u) throw notFound(`user ${userId} is not a member of organization ${state.orgId}`);
  return u;
}

export function requireTeam(state: OrgState, teamId: string): TeamState {
  const t = state.teams.get(teamId);
  if (!t) throw notFound(`team ${teamId} not found`);
  return t;
}

export function requireProject(state: OrgState, projectId: string): ProjectState {
  const p = state.projects.get(projectId);
  if (!p) throw notFound(`project ${projectId} not found`);
  return p;
}

export function requireRun(state: OrgState, runId: string): RunState {
  const r = state.runs.get(runId);
  if (!r) throw notFound(`run ${runId} not found`);
  return r;
}

export function requireReport(state: OrgState, reportId: string): ReportState {
  const r = state.reports.get(reportId);
  if (!r) throw notFound(`report ${reportId} not found`);
  return r;
}

export function requireRegistry(state: OrgState, registryId: string): RegistryState {
  const r = state.registries.get(registryId);
  if (!r) throw notFound(`registry ${registryId} not found`);
  return r;
}

export function requireServiceAccount(state: OrgState, serviceAccountId: string): ServiceAccountState {
  const sa = state.serviceAccounts.get(serviceAccountId);
  if (!sa) throw notFound(`service account ${serviceAccountId} not found`);
  return sa;
}

export function requireCustomRole(state: OrgState, roleId: string): CustomRoleState {
  const r = state.customRoles.get(roleId);
  if (!r) throw notFound(`custom role ${roleId} not found`);
  return r;
}

/**
 * The project-level consequences of a team-role change `from` → `to` of `userId` in `teamId`
 * (A4 tracking, C7 informational events, A5/A6/R31 overrides), each with `causedBy` = the index of
 * the TeamRoleChanged event in the decision's output. Only the team's own projects are visited.
 *
 * - No override, and the project's role follows the team role (Team visibility, or Restricted and the
 *   user is a restricted member) → ProjectRoleChanged{isOverride:false, reason trackingTeamRole} (C7).
 * - An override equal to the new team role → ProjectRoleOverrideCleared(converged) (A4: overrides are
 *   stored only while they differ; on Open/Public too, A6: inactive overrides still follow).
 * - Any other override stays (R31; A5: a frozen override stays when the team role drops to viewer).
 */
export function trackingCascade(
  state: OrgState,
  teamId: string,
  userId: string,
  from: TeamRole,
  to: TeamRole,
  causedBy: number,
): AnyDomainEvent[] {
  const team = state.teams.get(teamId);
  if (!team || from === to) return [];
  const out: AnyDomainEvent[] = [];
  const principal = userPrincipal(userId);
  for (const projectId of team.projects) {
    const p = state.projects.get(projectId);
    if (!p) continue;
    const override = p.overrides.get(userId);
    if (override !== undefined) {
      if (override === to) {
        out.push(
          event(
            'ProjectRoleOverrideCleared',
            { projectId, userId, previous: override, reason: 'converged' },
            causedBy,
          ),
        );
      }
      continue;
    }
    const tracks =
      p.visibility === 'team' || (p.visibility === 'restricted' && p.restrictedMembers.has(principal));
    if (tracks) {
      out.push(
        event(
          'ProjectRoleChanged',
          { projectId, userId, from, to, isOverride: false, reason: 'trackingTeamRole' },
          causedBy,
        ),
      );
    }
  }
  return out;
}

/** A44: true when no member of the team other than `exceptUserId` holds the built-in admin role. */
export function teamLeftWithoutAdmin(team: TeamState, exceptUserId: string): boolean {
  for (const [userId, role] of team.members) if (userId !== exceptUserId && role === 'admin') return false;
  return true;
}

/**
 * The consequences of `userId` leaving `teamId` (RemoveTeamMember, and each team of a user leaving the
 * organization, A38), each with `causedBy` = the index of the TeamMemberRemoved event:
 * - RestrictedProjectMemberRemoved for the team's restricted projects the user was invited to (R32, R107);
 * - ProjectRoleOverrideCleared(leftTeam) for every override in the team's projects (R32: not restored);
 * - ProjectOwnerOrphaned for projects the user owns (R140, R24: ownership is kept);
 * - RegistryAccessViaTeamLost for registries granted to the team or owned by it (R81, A28: direct
 *   grants stay);
 * - TeamHasNoAdminWarning when the user was the team's last admin (A44).
 * Runs are untouched (R80).
 */
export function teamRemovalCascade(
  state: OrgState,
  teamId: string,
  userId: string,
  causedBy: number,
  restrictedReason: 'leftTeam' | 'leftOrganization',
): AnyDomainEvent[] {
  const team = state.teams.get(teamId);
  if (!team) return [];
  const out: AnyDomainEvent[] = [];
  const principal = userPrincipal(userId);
  for (const projectId of team.projects) {
    const p = state.projects.get(projectId);
    if (!p) continue;
    if (p.restrictedMembers.has(principal)) {
      out.push(
        event('RestrictedProjectMemberRemoved', { projectId, principal, reason: restrictedReason }, causedBy),
      );
    }
    const override = p.overrides.get(userId);
    if (override !== undefined) {
      out.push(
        event(
          'ProjectRoleOverrideCleared',
          { projectId, userId, previous: override, reason: 'leftTeam' },
          causedBy,
        ),
      );
    }
    if (p.owner === principal) {
      out.push(event('ProjectOwnerOrphaned', { projectId, owner: principal, teamId }, causedBy));
    }
  }
  const viaTeam = teamMember(teamId);
  for (const r of state.registries.values()) {
    if (r.grants.has(viaTeam) || r.owningTeamId === teamId) {
      out.push(event('RegistryAccessViaTeamLost', { registryId: r.registryId, userId, teamId }, causedBy));
    }
  }
  if (team.members.get(userId) === 'admin' && teamLeftWithoutAdmin(team, userId)) {
    out.push(event('TeamHasNoAdminWarning', { teamId }, causedBy));
  }
  return out;
}
