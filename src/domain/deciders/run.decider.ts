/**
 * Run and report commands (api.md: LogRun … DeleteReport). What a principal may do with runs and
 * reports is the §3.2/§3.3 matrix, read through the effective-role module (`check`): own-only for
 * members (R5, R92, R93, R95), any for admins (R3) and for custom *added* permissions (A46), service
 * accounts in scope only (R21, R117–R119, A35, A36). A denial is a 403 (C2).
 */
import type { Command } from '../commands';
import type { DeciderTable } from '../decide';
import { alreadyExists, forbidden, violation } from '../errors';
import { event, type AnyDomainEvent } from '../events';
import {
  userPrincipal,
  type OrgState,
  type Principal,
  type ProjectState,
  type ServiceAccountState,
} from '../model';
import {
  authorize,
  requireActor,
  requireProject,
  requireReport,
  requireRun,
  type ResolvedActor,
} from './shared';

type RunCommand = 'LogRun' | 'StopRun' | 'DeleteRun' | 'MoveRun' | 'CreateReport' | 'DeleteReport';

/** Content that records its creator (R95, R92) needs a principal: `system` is not one. */
function requirePrincipalActor(
  state: OrgState,
  actor: string,
  what: string,
): Exclude<ResolvedActor, { kind: 'system' }> {
  const resolved = requireActor(state, actor);
  if (resolved.kind === 'system') {
    throw forbidden(
      `the system actor cannot ${what}: the creator is recorded and must be a user or service account (R95, R120)`,
    );
  }
  return resolved;
}

/**
 * R120: a run logged by a service account may be attributed to a user only if that user is a member
 * of the SA's team — its parent team for a team SA, the team it logs to (the project's) for an org SA.
 * Otherwise the attribution is ignored and the SA itself is the creator (T42).
 */
function attributedCreator(
  state: OrgState,
  sa: ServiceAccountState,
  project: ProjectState,
  userId: string,
): Principal | null {
  const teamId = sa.scope === 'team' ? sa.teamId : project.teamId;
  const inTeam = state.users.has(userId) && state.teams.get(teamId)?.members.has(userId) === true;
  return inTeam ? userPrincipal(userId) : null;
}

function logRun(state: OrgState, { body, actor }: Command<'LogRun'>): AnyDomainEvent[] {
  const resolved = requirePrincipalActor(state, actor, 'log a run');
  const project = requireProject(state, body.projectId);
  // §3.2/§3.3: members and admins, external contributors on Open (R14), SAs in scope (R21, R117–R119, A36).
  authorize(state, actor, 'run:create', `project:${project.projectId}`);
  if (state.runs.has(body.runId) || state.retired.has(`run:${body.runId}`)) {
    throw alreadyExists(`run ${body.runId} already exists (ids are never reused)`);
  }
  let creator: Principal = actor;
  if (body.attributedUserId !== undefined) {
    if (resolved.kind === 'user') {
      // R120 attribution is a service-account feature; a user logging for someone else would forge ownership (R95).
      if (body.attributedUserId !== resolved.userId) {
        throw violation(
          'R120',
          'only a service account may attribute a run to a user (R120); a user logs runs as themselves',
        );
      }
    } else {
      creator = attributedCreator(state, resolved.sa, project, body.attributedUserId) ?? actor;
    }
  }
  return [event('RunCreated', { runId: body.runId, projectId: project.projectId, creator, loggedBy: actor })];
}

function stopRun(state: OrgState, { body, actor }: Command<'StopRun'>): AnyDomainEvent[] {
  const run = requireRun(state, body.runId);
  // R93: members stop their own runs, admins any (R3), a custom added run:stop any (A46).
  authorize(state, actor, 'run:stop', `run:${run.runId}`, 'R93');
  if (run.stopped) return [];
  return [event('RunStopped', { runId: run.runId, projectId: run.projectId })];
}

function deleteRun(state: OrgState, { body, actor }: Command<'DeleteRun'>): AnyDomainEvent[] {
  const run = requireRun(state, body.runId);
  // R5/R95: the creator decides "own", not the project owner; admins delete any run (R3); A46.
  authorize(state, actor, 'run:delete', `run:${run.runId}`, 'R5');
  return [event('RunDeleted', { runId: run.runId, projectId: run.projectId })];
}

function moveRun(state: OrgState, { body, actor }: Command<'MoveRun'>): AnyDomainEvent[] {
  const run = requireRun(state, body.runId);
  const source = requireProject(state, run.projectId);
  const target = requireProject(state, body.toProjectId); // another org's project is not in this state: 404
  // R113: without access to the run where it is, the actor has no business with it at all (403).
  const resolved = authorize(state, actor, 'run:read', `run:${run.runId}`, 'R113');
  if (target.projectId === source.projectId) return [];
  if (source.visibility === 'restricted') {
    // R22: "whatever the actor's role" — any role that can see the run, an org admin who joined
    // included (T20), gets the rule rather than a role-specific 403.
    throw violation('R22', `runs cannot be moved out of restricted project ${source.projectId} (R22, A17)`);
  }
  // A17(2): run:move on the run in the source equals run:delete on it (own for members, any for admins).
  authorize(state, actor, 'run:delete', `run:${run.runId}`, 'A17');
  // A17(3)/R113: the actor must also be able to log runs at the destination; A18 allows other teams.
  authorize(state, actor, 'run:create', `project:${target.projectId}`, 'R113');
  if (resolved.kind === 'sa' && resolved.sa.scope === 'team' && target.teamId !== resolved.sa.teamId) {
    // A18: a team SA moves runs only within its own team, even into another team's Open project (R119).
    throw forbidden(
      `service account ${resolved.saId} may move runs only within team ${resolved.sa.teamId} (A18)`,
      'A18',
    );
  }
  // R95/A17: the run keeps its creator, so deletion rights do not move to the destination's owner.
  return [event('RunMoved', { runId: run.runId, from: source.projectId, to: target.projectId })];
}

function createReport(state: OrgState, { body, actor }: Command<'CreateReport'>): AnyDomainEvent[] {
  requirePrincipalActor(state, actor, 'create a report');
  const project = requireProject(state, body.projectId);
  // R92/R6: members and admins (View-Only cannot), external contributors on Open (R14).
  authorize(state, actor, 'report:create', `project:${project.projectId}`, 'R92');
  if (state.reports.has(body.reportId) || state.retired.has(`report:${body.reportId}`)) {
    throw alreadyExists(`report ${body.reportId} already exists (ids are never reused)`);
  }
  const data = { reportId: body.reportId, projectId: project.projectId, creator: actor };
  return [event('ReportCreated', body.name === undefined ? data : { ...data, name: body.name })];
}

function deleteReport(state: OrgState, { body, actor }: Command<'DeleteReport'>): AnyDomainEvent[] {
  const report = requireReport(state, body.reportId);
  // R92: members delete only their own reports, admins any.
  authorize(state, actor, 'report:delete', `report:${report.reportId}`, 'R92');
  return [event('ReportDeleted', { reportId: report.reportId, projectId: report.projectId })];
}

export const runDeciders: DeciderTable<RunCommand> = {
  LogRun: logRun,
  StopRun: stopRun,
  DeleteRun: deleteRun,
  MoveRun: moveRun,
  CreateReport: createReport,
  DeleteReport: deleteReport,
};
