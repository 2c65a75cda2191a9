/**
 * Lookups, explain and history over HTTP (api.md "Queries"; access-model §3.4, §3.7, §4.5 WhoCan /
 * GetUserAccessReport / GetRoleHistory).
 *
 * 1. On a seeded random history (test/support/random-history.ts), both lookups must equal the brute-force
 *    answer — `POST /v1/check/batch` over every principal × resource — for every permission; explain must
 *    agree with check on a sample, and every event it cites must be a real stored event.
 * 2. On a scripted history, explain's steps cite the exact events (positions from the command answers),
 *    a denial after RemoveFromRestrictedProject names that removal, and history has exactly the expected
 *    rows and causes (A4 tracking, override, R32 re-add).
 */
import type { StoredEvent } from '../../src/event-store/port';
import {
  ORG_PERMISSIONS,
  PROJECT_PERMISSIONS,
  REGISTRY_PERMISSIONS,
  TEAM_PERMISSIONS,
} from '../../src/domain/permissions';
import { prng, RandomHistory } from '../support/random-history';
import { http, startTestServer, type HttpAnswer, type TestServer } from '../support/server';

const SEED = 0x10c4;
const TARGET_ACCEPTED = 350;

type Scope = 'project' | 'registry' | 'team' | 'org';
const PERMISSIONS: Record<Scope, readonly string[]> = {
  project: PROJECT_PERMISSIONS,
  registry: REGISTRY_PERMISSIONS,
  team: TEAM_PERMISSIONS,
  org: ORG_PERMISSIONS,
};

interface EventRefJson {
  position: string;
  type: string;
  actor: string;
  occurredAt: string;
}
interface Step {
  fact: string;
  events: EventRefJson[];
}

/** Runs `fn` over `items` with at most `limit` requests in flight. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

async function allEvents(server: TestServer): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let after: string | null = null;
  for (;;) {
    const batch = await server.running.store.readAll({ after, limit: 2000 });
    if (batch.length === 0) return out;
    out.push(...batch);
    after = (batch[batch.length - 1] as StoredEvent).position;
  }
}

const get = (server: TestServer, path: string): Promise<HttpAnswer> => http(server.url, 'GET', path);

// -------------------------------------------------------------------------------------------------
// 1. Randomized data: lookups = brute force, explain agrees with check
// -------------------------------------------------------------------------------------------------

describe('lookups and explain on a seeded random history equal brute-force check', () => {
  let server: TestServer;
  let principals: string[];
  /** Live resources by scope; runs and reports count as project scope. */
  const resources: Record<Scope, string[]> = { project: [], registry: [], team: [], org: [] };
  /** Org of each resource, and the users and SAs of each org. */
  const orgOf = new Map<string, string>();
  const orgPrincipals = new Map<string, string[]>();
  /** `${permission}|${principal}|${resource}` → allowed, from POST /v1/check/batch. */
  const allowed = new Map<string, { allowed: boolean; role?: string }>();
  let stored: Map<string, StoredEvent>;

  beforeAll(async () => {
    server = await startTestServer('memory');
    const live = server.running.projection.readModel;
    const history = new RandomHistory((orgId) => live.org(orgId), {
      seed: SEED,
      orgs: 2,
      usersPerOrg: 6,
      teamsPerOrg: 3,
      projectsPerOrg: 8,
    });
    let accepted = 0;
    const run = async (cmd: {
      name: string;
      body: Record<string, unknown>;
      actor: string;
    }): Promise<void> => {
      const r = await http(server.url, 'POST', `/v1/commands/${cmd.name}`, {
        body: cmd.body,
        actor: cmd.actor,
      });
      if (r.status === 200 && ((r.body.events as unknown[]) ?? []).length > 0) accepted += 1;
    };
    for (const step of history.setup()) {
      const cmd = step();
      if (cmd) await run(cmd);
    }
    for (let attempts = 0; accepted < TARGET_ACCEPTED && attempts < 3000; attempts++)
      await run(history.next());

    // The universe: every user and SA any command named (members or not), one stranger, and every live resource.
    const users = new Set<string>([...history.userIds].map((u) => `user:${u}`));
    const sas = new Set<string>([...history.serviceAccountIds].map((s) => `sa:${s}`));
    for (const org of live.orgs.values()) {
      const own: string[] = [];
      for (const u of org.users.keys()) own.push(`user:${u}`);
      for (const s of org.serviceAccounts.keys()) own.push(`sa:${s}`);
      for (const x of own) (x.startsWith('sa:') ? sas : users).add(x);
      orgPrincipals.set(org.orgId, own.sort());
      const add = (scope: Scope, resource: string): void => {
        resources[scope].push(resource);
        orgOf.set(resource, org.orgId);
      };
      add('org', `org:${org.orgId}`);
      for (const id of org.teams.keys()) add('team', `team:${id}`);
      for (const id of org.projects.keys()) add('project', `project:${id}`);
      for (const id of org.runs.keys()) add('project', `run:${id}`);
      for (const id of org.reports.keys()) add('project', `report:${id}`);
      for (const id of org.registries.keys()) add('registry', `registry:${id}`);
    }
    principals = [...users, ...sas, 'user:stranger'].sort();

    // Brute force: every principal × resource × permission of the resource's scope, in batches of 1000.
    const checks: { principal: string; permission: string; resource: string }[] = [];
    for (const scope of Object.keys(resources) as Scope[]) {
      for (const permission of PERMISSIONS[scope])
        for (const principal of principals)
          for (const resource of resources[scope]) checks.push({ principal, permission, resource });
    }
    const batches: (typeof checks)[] = [];
    for (let i = 0; i < checks.length; i += 1000) batches.push(checks.slice(i, i + 1000));
    await mapLimit(batches, 4, async (batch) => {
      const r = await http(server.url, 'POST', '/v1/check/batch', { body: { checks: batch } });
      if (r.status !== 200) throw new Error(JSON.stringify(r.body).slice(0, 500));
      const results = r.body.results as { allowed: boolean; role?: string }[];
      batch.forEach((c, i) =>
        allowed.set(`${c.permission}|${c.principal}|${c.resource}`, results[i] as never),
      );
    });
    stored = new Map((await allEvents(server)).map((e) => [e.position, e]));
  }, 240_000);

  afterAll(async () => {
    await server?.close();
  });

  it('the data is varied enough to mean something', () => {
    expect(resources.project.filter((r) => r.startsWith('project:')).length).toBeGreaterThanOrEqual(10);
    expect(resources.project.some((r) => r.startsWith('run:'))).toBe(true);
    expect(resources.registry.length).toBeGreaterThanOrEqual(6);
    expect(principals.filter((p) => p.startsWith('sa:')).length).toBeGreaterThanOrEqual(2);
    const yes = [...allowed.values()].filter((v) => v.allowed).length;
    // Neither everything nor nothing is allowed.
    expect(yes).toBeGreaterThan(allowed.size / 20);
    expect(yes).toBeLessThan(allowed.size / 2);
  });

  it('GET /v1/principals/<p>/resources = {r : check(p, permission, r)} for every principal and permission', async () => {
    const cases: { principal: string; permission: string; scope: Scope }[] = [];
    for (const scope of ['project', 'registry', 'team', 'org'] as Scope[])
      for (const permission of PERMISSIONS[scope])
        for (const principal of principals) cases.push({ principal, permission, scope });
    const mismatches: string[] = [];
    let nonEmpty = 0;
    await mapLimit(cases, 8, async ({ principal, permission, scope }) => {
      const type = scope === 'project' || scope === 'registry' ? `&type=${scope}` : '';
      const r = await get(server, `/v1/principals/${principal}/resources?permission=${permission}${type}`);
      expect(r.status).toBe(200);
      const rows = r.body.resources as { resource: string; role?: string; derivation: string[] }[];
      // The lookup lists projects (not their runs and reports) for the project scope.
      const candidates = resources[scope].filter((res) => scope !== 'project' || res.startsWith('project:'));
      const expected = candidates
        .filter((res) => allowed.get(`${permission}|${principal}|${res}`)?.allowed)
        .sort();
      const got = rows.map((x) => x.resource);
      if (JSON.stringify(got) !== JSON.stringify(expected))
        mismatches.push(`${principal} ${permission}: ${got} ≠ ${expected}`);
      for (const row of rows) {
        expect(row.role).toBe(allowed.get(`${permission}|${principal}|${row.resource}`)?.role);
        expect(row.derivation.length).toBeGreaterThan(0);
      }
      if (rows.length > 0) nonEmpty += 1;
    });
    expect(mismatches).toEqual([]);
    expect(nonEmpty).toBeGreaterThan(cases.length / 10);
  }, 120_000);

  it('GET /v1/resources/<r>/principals = {org principals p : check(p, permission, r)}, plus `public` for outsiders', async () => {
    const cases: { resource: string; permission: string }[] = [];
    for (const scope of Object.keys(resources) as Scope[])
      for (const resource of resources[scope])
        for (const permission of PERMISSIONS[scope]) cases.push({ resource, permission });
    const mismatches: string[] = [];
    let publicAnswers = 0;
    await mapLimit(cases, 8, async ({ resource, permission }) => {
      const r = await get(server, `/v1/resources/${resource}/principals?permission=${permission}`);
      expect(r.status).toBe(200);
      const rows = r.body.principals as { principal: string; role?: string }[];
      const orgId = orgOf.get(resource) ?? '';
      const expected = (orgPrincipals.get(orgId) ?? [])
        .filter((p) => allowed.get(`${permission}|${p}|${resource}`)?.allowed)
        .sort();
      const got = rows.map((x) => x.principal);
      if (JSON.stringify(got) !== JSON.stringify(expected))
        mismatches.push(`${resource} ${permission}: ${got} ≠ ${expected}`);
      for (const row of rows)
        expect(row.role).toBe(allowed.get(`${permission}|${row.principal}|${resource}`)?.role);
      // R14/R15: outsiders are summarised, never listed; the stranger's check says whether they may.
      const strangerMay = allowed.get(`${permission}|user:stranger|${resource}`)?.allowed === true;
      expect(typeof r.body.public === 'string').toBe(strangerMay);
      if (strangerMay) publicAnswers += 1;
    });
    expect(mismatches).toEqual([]);
    expect(publicAnswers).toBeGreaterThan(0);
  }, 120_000);

  it('GET /v1/explain agrees with check on a sample, and cites only real stored events', async () => {
    const rnd = prng(SEED + 1);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const sample = Array.from({ length: 400 }, () => {
      const scope = pick(['project', 'project', 'registry', 'team', 'org'] as Scope[]);
      return {
        principal: pick(principals),
        permission: pick(PERMISSIONS[scope]),
        resource: pick(resources[scope]),
      };
    });
    let denialsWithMissing = 0;
    let cited = 0;
    await mapLimit(sample, 8, async ({ principal, permission, resource }) => {
      const r = await get(
        server,
        `/v1/explain?principal=${principal}&permission=${permission}&resource=${resource}`,
      );
      expect(r.status).toBe(200);
      const expected = allowed.get(`${permission}|${principal}|${resource}`);
      expect({ allowed: r.body.allowed, role: r.body.role }).toEqual({
        allowed: expected?.allowed,
        role: expected?.role,
      });
      const steps = r.body.steps as Step[];
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) {
        for (const ev of step.events) {
          const e = stored.get(ev.position);
          expect(e && { type: e.type, actor: e.metadata.actor, occurredAt: e.metadata.occurredAt }).toEqual({
            type: ev.type,
            actor: ev.actor,
            occurredAt: ev.occurredAt,
          });
          cited += 1;
        }
      }
      if (r.body.allowed) expect(r.body.missing).toBeUndefined();
      else {
        expect(typeof r.body.missing).toBe('string');
        denialsWithMissing += 1;
      }
    });
    expect(denialsWithMissing).toBeGreaterThan(20);
    expect(cited).toBeGreaterThan(400);
  }, 120_000);
});

// -------------------------------------------------------------------------------------------------
// 2. A scripted history: concrete positions
// -------------------------------------------------------------------------------------------------

interface Answer {
  position: string;
  events: { type: string }[];
}

describe('explain and history on a scripted history (A4, R32, R110, A7)', () => {
  let server: TestServer;
  /** Position of the n-th event of `type` in a command answer (memory/SQLite positions are dense). */
  const pos = (a: Answer, type: string, nth = 0): string => {
    const idx = a.events.map((e, i) => (e.type === type ? i : -1)).filter((i) => i >= 0)[nth];
    if (idx === undefined) throw new Error(`no ${type} in ${JSON.stringify(a.events)}`);
    return String(BigInt(a.position) - BigInt(a.events.length - 1 - idx));
  };
  const cmd = async (name: string, body: Record<string, unknown>, actor: string): Promise<Answer> => {
    const r = await http(server.url, 'POST', `/v1/commands/${name}`, { body, actor });
    if (r.status !== 200) throw new Error(`${name} → ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as unknown as Answer;
  };
  const explain = (q: string): Promise<HttpAnswer> => get(server, `/v1/explain?${q}`);
  const stepWith = (steps: Step[], text: string): Step => {
    const s = steps.find((x) => x.fact.includes(text));
    if (!s) throw new Error(`no step mentioning "${text}" in ${JSON.stringify(steps.map((x) => x.fact))}`);
    return s;
  };
  const cites = (step: Step): [string, string][] => step.events.map((e) => [e.type, e.position]);

  const alice = 'user:alice';
  const bob = 'user:bob';
  let p: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer('memory');
    await cmd('CreateOrganization', { orgId: 'acme', name: 'Acme', founderUserId: 'alice' }, 'system');
    await cmd('AddUserToOrganization', { orgId: 'acme', userId: 'carol' }, alice);
    await cmd('AddUserToOrganization', { orgId: 'acme', userId: 'bob' }, alice);
    const team = await cmd('CreateTeam', { orgId: 'acme', teamId: 'ml', name: 'ML' }, alice);
    const carolAdded = await cmd('AddTeamMember', { teamId: 'ml', userId: 'carol', role: 'viewer' }, alice);
    await cmd('AddTeamMember', { teamId: 'ml', userId: 'bob', role: 'admin' }, alice);
    const created = await cmd('CreateProject', { projectId: 'pres', teamId: 'ml', name: 'P' }, alice);
    const toMember = await cmd('AssignTeamRole', { teamId: 'ml', userId: 'carol', role: 'member' }, alice);
    const override = await cmd(
      'ChangeProjectRole',
      { projectId: 'pres', userId: 'carol', role: 'admin' },
      alice,
    );
    const restricted = await cmd(
      'ChangeProjectVisibility',
      { projectId: 'pres', visibility: 'restricted', invitees: ['user:carol'] },
      alice,
    );
    const removed = await cmd(
      'RemoveFromRestrictedProject',
      { projectId: 'pres', principal: 'user:carol' },
      bob,
    );
    const readded = await cmd(
      'AddToRestrictedProject',
      { projectId: 'pres', principal: 'user:carol' },
      alice,
    );
    const toAdmin = await cmd('AssignTeamRole', { teamId: 'ml', userId: 'carol', role: 'admin' }, alice);
    const grant = await cmd(
      'AddRegistryMember',
      { registryId: 'acme.models', member: 'team:ml', role: 'member' },
      alice,
    );
    p = {
      teamCreated: pos(team, 'TeamCreated'),
      carolAdded: pos(carolAdded, 'TeamMemberAdded'),
      projectCreated: pos(created, 'ProjectCreated'),
      toMember: pos(toMember, 'TeamRoleChanged'),
      override: pos(override, 'ProjectRoleChanged'),
      overrideCommand: override.position,
      visibility: pos(restricted, 'ProjectVisibilityChanged'),
      carolInvited: pos(restricted, 'RestrictedProjectMemberAdded', 1),
      removed: pos(removed, 'RestrictedProjectMemberRemoved'),
      overrideCleared: pos(removed, 'ProjectRoleOverrideCleared'),
      removeCommand: removed.position,
      readded: pos(readded, 'RestrictedProjectMemberAdded'),
      toAdmin: pos(toAdmin, 'TeamRoleChanged'),
      grant: pos(grant, 'RegistryMemberAdded'),
    };
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it('explain at the override (consistency=at:): allowed by the R110 override, each fact citing its events', async () => {
    const r = await explain(
      `principal=user:carol&permission=run:delete&resource=project:pres&consistency=at:${p.overrideCommand}`,
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ allowed: true, role: 'admin', position: p.overrideCommand });
    const steps = r.body.steps as Step[];
    expect(cites(stepWith(steps, 'has role member in team:ml'))).toEqual([
      ['TeamMemberAdded', p.carolAdded],
      ['TeamRoleChanged', p.toMember],
    ]);
    expect(cites(stepWith(steps, 'project:pres is team'))).toEqual([['ProjectCreated', p.projectCreated]]);
    const override = stepWith(steps, 'project-level role admin on project:pres (override');
    expect(override.events).toEqual([
      { position: p.override, type: 'ProjectRoleChanged', actor: alice, occurredAt: expect.any(String) },
    ]);
    expect(stepWith(steps, 'role admin grants run:delete').events).toEqual([]);
  });

  it('explain after RemoveFromRestrictedProject: denied, and `missing` names the removal position and actor', async () => {
    const r = await explain(
      `principal=user:carol&permission=project:read&resource=project:pres&consistency=at:${p.removeCommand}`,
    );
    expect(r.status).toBe(200);
    expect(r.body.allowed).toBe(false);
    expect(r.body.missing).toBe(
      `user:carol would need to be a restricted member of project:pres (R17); ` +
        `user:carol was removed at position ${p.removed} by user:bob (RestrictedProjectMemberRemoved)`,
    );
    expect(r.body.removal).toMatchObject({
      position: p.removed,
      type: 'RestrictedProjectMemberRemoved',
      actor: bob,
    });
    const steps = r.body.steps as Step[];
    expect(cites(stepWith(steps, 'is not a restricted member of project:pres'))).toEqual([
      ['RestrictedProjectMemberRemoved', p.removed],
    ]);
    expect(cites(stepWith(steps, 'project:pres is restricted'))).toEqual([
      ['ProjectCreated', p.projectCreated],
      ['ProjectVisibilityChanged', p.visibility],
    ]);
  });

  it('explain now: the re-added member inherits the team role (R32), citing the cleared override', async () => {
    const r = await explain('principal=user:carol&permission=run:create&resource=project:pres');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ allowed: true, role: 'admin' });
    const steps = r.body.steps as Step[];
    expect(cites(stepWith(steps, 'has role admin in team:ml'))).toEqual([
      ['TeamMemberAdded', p.carolAdded],
      ['TeamRoleChanged', p.toAdmin],
    ]);
    expect(cites(stepWith(steps, 'is a restricted member of project:pres'))).toEqual([
      ['RestrictedProjectMemberAdded', p.readded],
    ]);
    expect(cites(stepWith(steps, 'inherited from the team role (R28)'))).toEqual([
      ['ProjectRoleOverrideCleared', p.overrideCleared],
    ]);
    expect(cites(stepWith(steps, 'user:carol is a member of org:acme'))[0]?.[0]).toBe(
      'UserJoinedOrganization',
    );
  });

  it('explain on a registry: the team grant contribution cites RegistryMemberAdded and the membership (R132)', async () => {
    const r = await explain(
      'principal=user:carol&permission=registry:artifact.link&resource=registry:acme.models',
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ allowed: true, role: 'member' });
    const steps = r.body.steps as Step[];
    expect(cites(stepWith(steps, 'team:ml is granted registry role member'))).toEqual([
      ['RegistryMemberAdded', p.grant],
      ['TeamMemberAdded', p.carolAdded],
      ['TeamRoleChanged', p.toAdmin],
    ]);
    const denied = await explain(
      'principal=user:carol&permission=registry:members.manage&resource=registry:acme.models',
    );
    expect(denied.body.allowed).toBe(false);
    expect(denied.body.missing).toBe(
      'user:carol would need registry role admin or higher on registry:acme.models (R41)',
    );
  });

  it('history of carol on the project: one row per change, each with its cause (A4, R110, R32)', async () => {
    const r = await get(server, '/v1/history?principal=user:carol&resource=project:pres');
    expect(r.status).toBe(200);
    const rows = (r.body.entries as Record<string, unknown>[]).map((e) => ({
      position: e.position,
      access: e.access,
      role: e.role,
      cause: e.cause,
    }));
    expect(rows).toEqual([
      // Carol is already a (viewer) member of ml when the Team project appears.
      {
        position: p.projectCreated,
        access: 'role',
        role: 'viewer',
        cause: { type: 'ProjectCreated', actor: alice, position: p.projectCreated },
      },
      // A4: no override, so the project role tracks the team role.
      {
        position: p.toMember,
        access: 'role',
        role: 'member',
        cause: { type: 'TeamRoleChanged', actor: alice, position: p.toMember },
      },
      {
        position: p.override,
        access: 'role',
        role: 'admin',
        cause: { type: 'ProjectRoleChanged', actor: alice, position: p.override },
      },
      // Team → Restricted with carol invited (A7) changes nothing for her: no row.
      {
        position: p.removed,
        access: 'none',
        role: undefined,
        cause: { type: 'RestrictedProjectMemberRemoved', actor: bob, position: p.removed },
      },
      // R32: back in, with the inherited team role — the old override is not restored.
      {
        position: p.readded,
        access: 'role',
        role: 'member',
        cause: { type: 'RestrictedProjectMemberAdded', actor: alice, position: p.readded },
      },
      {
        position: p.toAdmin,
        access: 'role',
        role: 'admin',
        cause: { type: 'TeamRoleChanged', actor: alice, position: p.toAdmin },
      },
    ]);
    expect(p.carolInvited).not.toBe(p.removed);
  });

  it('history honours consistency=at: and covers team roles (A4) and org roles', async () => {
    const at = await get(
      server,
      `/v1/history?principal=user:carol&resource=project:pres&consistency=at:${p.overrideCommand}`,
    );
    expect(at.status).toBe(200);
    expect(at.body.position).toBe(p.overrideCommand);
    expect((at.body.entries as { position: string }[]).map((e) => e.position)).toEqual([
      p.projectCreated,
      p.toMember,
      p.override,
    ]);
    const team = await get(server, '/v1/history?principal=user:carol&resource=team:ml');
    expect(
      (team.body.entries as { role: string; cause: { type: string; position: string } }[]).map((e) => [
        e.role,
        e.cause.type,
        e.cause.position,
      ]),
    ).toEqual([
      ['viewer', 'TeamMemberAdded', p.carolAdded],
      ['member', 'TeamRoleChanged', p.toMember],
      ['admin', 'TeamRoleChanged', p.toAdmin],
    ]);
    const org = await get(server, '/v1/history?principal=user:alice&resource=org:acme');
    expect(
      (org.body.entries as { role: string; cause: { type: string } }[]).map((e) => [e.role, e.cause.type]),
    ).toEqual([['admin', 'UserJoinedOrganization']]);
  });

  it('lookups on the scripted data: carol reaches the project, bob administers it, outsiders see nothing', async () => {
    const mine = await get(
      server,
      '/v1/principals/user:carol/resources?type=project&permission=project:read',
    );
    expect(mine.status).toBe(200);
    expect(mine.body.resources).toEqual([
      expect.objectContaining({ resource: 'project:pres', orgId: 'acme', role: 'admin', access: 'role' }),
    ]);
    const who = await get(server, '/v1/resources/project:pres/principals?permission=project:manage-members');
    expect((who.body.principals as { principal: string }[]).map((x) => x.principal)).toEqual([
      alice,
      bob,
      'user:carol',
    ]);
    expect(who.body.public).toBeUndefined();
  });

  describe('bad parameters → 400 VALIDATION_FAILED; unknown resources → 404', () => {
    it.each([
      ['/v1/explain?principal=user:carol&permission=project:read', 'resource'],
      ['/v1/explain?principal=team:ml&permission=project:read&resource=project:pres', 'principal'],
      ['/v1/explain?principal=user:carol&permission=project:fly&resource=project:pres', 'permission'],
      ['/v1/explain?principal=user:carol&permission=project:read&resource=project:pres&verbose=1', 'verbose'],
      [
        '/v1/explain?principal=user:carol&permission=project:read&resource=project:pres&consistency=latest',
        'consistency',
      ],
      ['/v1/history?principal=user:carol&resource=project:pres&permission=run:read', 'permission'],
      ['/v1/history?principal=user:carol&resource=workspace:w', 'resource'],
      ['/v1/principals/team:ml/resources?permission=project:read', 'principal'],
      ['/v1/principals/user:carol/resources?type=team&permission=team:read', 'type'],
      ['/v1/principals/user:carol/resources?type=registry&permission=project:read', 'type'],
      ['/v1/principals/user:carol/resources', 'permission'],
      ['/v1/resources/workspace:w/principals?permission=project:read', 'resource'],
      ['/v1/resources/project:pres/principals?permission=registry:read', 'permission'],
      ['/v1/resources/project:pres/principals?permission=project:read&permission=run:read', 'permission'],
    ])('%s → 400 on %s', async (path, field) => {
      const r = await get(server, path);
      expect(r.status).toBe(400);
      expect(r.contentType).toMatch(/^application\/problem\+json/);
      expect(r.body.code).toBe('VALIDATION_FAILED');
      expect((r.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    });

    it.each([
      '/v1/explain?principal=user:carol&permission=project:read&resource=project:nope',
      '/v1/history?principal=user:carol&resource=registry:nope',
      '/v1/resources/team:nope/principals?permission=team:read',
      `/v1/explain?principal=user:carol&permission=project:read&resource=project:pres&consistency=at:1`,
    ])('%s → 404', async (path) => {
      const r = await get(server, path);
      expect(r.status).toBe(404);
      expect(r.body.code).toBe('NOT_FOUND');
    });
  });
});
