/**
 * The HTTP workloads, drawn from the read model so that every request is meaningful: check queries
 * (with the answer our engine gives in process, to verify the server answers the same), LogRun
 * commands by principals that may log in that project, and AssignTeamRole flips by the org's admin.
 */
import { check } from '../src/domain/access';
import type { ReadModel } from '../src/read-model/read-model';
import { Rng } from './lib/prng';
import type { CheckQuery } from './queries';

export interface Workload {
  checks: { principal: string; permission: string; resource: string; allowed: boolean }[];
  logRuns: { actor: string; projectId: string }[];
  flips: { actor: string; teamId: string; userId: string }[];
}

export function buildWorkload(
  rm: ReadModel,
  queries: readonly CheckQuery[],
  allowed: (q: CheckQuery) => boolean,
  seed: number,
): Workload {
  const rng = new Rng(seed + 5);
  const checks = queries.slice(0, 20_000).map((q) => ({ ...q.input, allowed: allowed(q) }));
  const logRuns: Workload['logRuns'] = [];
  const flips: Workload['flips'] = [];
  const orgs = [...rm.orgs.values()].filter((o) => o.revision >= 0);
  for (let tries = 0; tries < 200_000 && (logRuns.length < 2000 || flips.length < 300); tries++) {
    const org = rng.pick(orgs);
    const founder = `${org.orgId}-u0`;
    const admin = org.users.get(founder);
    const projects = [...org.projects.values()];
    if (projects.length === 0) continue;
    const p = rng.pick(projects);
    const team = org.teams.get(p.teamId);
    if (!team || team.members.size === 0) continue;
    const [userId, role] = rng.pick([...team.members]);
    const actor = `user:${userId}`;
    if (logRuns.length < 2000 && check(org, actor, 'run:create', `project:${p.projectId}`).allowed)
      logRuns.push({ actor, projectId: p.projectId });
    // Flips member ↔ admin of an org member, by the org's founding admin (R77).
    if (
      flips.length < 300 &&
      role === 'member' &&
      admin?.orgRole === 'admin' &&
      admin.status === 'active' &&
      org.users.get(userId)?.orgRole === 'member' &&
      org.users.get(userId)?.status === 'active' &&
      !flips.some((f) => f.teamId === team.teamId && f.userId === userId)
    )
      flips.push({ actor: `user:${founder}`, teamId: team.teamId, userId });
  }
  return { checks, logRuns, flips };
}
