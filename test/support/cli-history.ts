/**
 * The scripted history the CLI e2e tests replay, recorded through the real app on SQLite:
 * org acme (alice admin; bob, carol, dave, erin members), custom role `runner` (Member base + project:update),
 * team ml (alice admin by A49, bob and carol members, dave custom:runner), project vision (team visibility,
 * owner alice), runs by bob and dave, a report whose name needs CSV quoting, registry models-ml owned by ml,
 * then carol member → admin of ml.
 */
import { http, startTestServer, type TestServer } from './server';

export interface CliHistory {
  /** Head after the registry was created, before carol's promotion. */
  beforePromotion: string;
  /** Head after AssignTeamRole carol → admin (the last command). */
  head: string;
  /** Position of the TeamMemberAdded event of dave. */
  daveAdded: string;
  /** Number of events in the store. */
  events: number;
}

async function command(server: TestServer, actor: string, name: string, body: Record<string, unknown>) {
  const r = await http(server.url, 'POST', `/v1/commands/${name}`, { actor, body });
  if (r.status !== 200) throw new Error(`${name} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { position: string; events: { type: string }[] };
}

/** Records the history into `server`'s store; the server stays up (its checks are the reference). */
export async function recordHistory(server: TestServer): Promise<CliHistory> {
  let events = 0;
  const run = async (actor: string, name: string, body: Record<string, unknown>) => {
    const r = await command(server, actor, name, body);
    events += r.events.length;
    return r.position;
  };
  await run('system', 'CreateOrganization', { orgId: 'acme', name: 'Acme, Inc.', founderUserId: 'alice' });
  for (const userId of ['bob', 'carol', 'dave', 'erin']) {
    await run('user:alice', 'AddUserToOrganization', { orgId: 'acme', userId });
  }
  await run('user:alice', 'CreateCustomRole', {
    orgId: 'acme',
    roleId: 'runner',
    name: 'Runner',
    base: 'member',
    permissions: ['project:update'],
  });
  await run('user:alice', 'CreateTeam', { orgId: 'acme', teamId: 'ml', name: 'ML' });
  await run('user:alice', 'AddTeamMember', { teamId: 'ml', userId: 'bob', role: 'member' });
  await run('user:alice', 'AddTeamMember', { teamId: 'ml', userId: 'carol', role: 'member' });
  const daveAdded = await run('user:alice', 'AddTeamMember', {
    teamId: 'ml',
    userId: 'dave',
    role: 'custom:runner',
  });
  await run('user:alice', 'CreateProject', {
    projectId: 'vision',
    teamId: 'ml',
    name: 'Vision',
    visibility: 'team',
  });
  await run('user:bob', 'LogRun', { runId: 'run-bob-1', projectId: 'vision' });
  await run('user:dave', 'LogRun', { runId: 'run-dave-1', projectId: 'vision' });
  await run('user:bob', 'CreateReport', { reportId: 'rep-1', projectId: 'vision', name: 'Q3 "final", v2' });
  const beforePromotion = await run('user:alice', 'CreateRegistry', {
    orgId: 'acme',
    registryId: 'models-ml',
    name: 'ML models',
    visibility: 'restricted',
    owningTeamId: 'ml',
  });
  const head = await run('user:alice', 'AssignTeamRole', { teamId: 'ml', userId: 'carol', role: 'admin' });
  return { beforePromotion, head, daveAdded, events };
}

export { startTestServer };
