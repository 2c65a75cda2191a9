/**
 * Replay equivalence (DESIGN.md "Store facts, derive roles"; access-model.md §6.3: "Replaying the
 * stream must reproduce identical effective roles").
 *
 * A long, seeded, randomized history of commands over several orgs goes through the real command path
 * (HTTP → CommandBus → decide → SQLite append → projection) of an in-process server. Then a fresh
 * ReadModel is rebuilt from the store alone (readAll) and every answer the read side gives — `check`
 * for all principals × all resources × every permission of the resource's scope, `projectAccess` for
 * every principal × project, `registryAccess` for every member × registry — must be deep-equal to the
 * live read model's, as must each org's state and revision.
 */
import { isDeepStrictEqual } from 'node:util';
import { Queries } from '../../src/application/query.service';
import { foldEvents } from '../../src/domain/evolve';
import {
  ORG_PERMISSIONS,
  PROJECT_PERMISSIONS,
  REGISTRY_PERMISSIONS,
  TEAM_CHECKABLE_PERMISSIONS,
} from '../../src/domain/permissions';
import type { StoredEvent } from '../../src/event-store/port';
import { ReadModel } from '../../src/read-model/read-model';
import { RandomHistory } from '../support/random-history';
import { http, startTestServer, type TestServer } from '../support/server';

const SEED = 20240611;
/** Accepted commands that appended events; the brief asks for at least ~2,000. */
const TARGET_ACCEPTED = 2200;
const MAX_ATTEMPTS = 9000;

/** Permission ids checked per resource kind, plus one id of a foreign scope (an always-denied answer). */
const PERMISSIONS_BY_KIND: Record<string, readonly string[]> = {
  org: [...ORG_PERMISSIONS, 'project:read'],
  team: [...TEAM_CHECKABLE_PERMISSIONS, 'registry:read'],
  project: [...PROJECT_PERMISSIONS, 'team:read'],
  run: [...PROJECT_PERMISSIONS, 'org:manage-users'],
  report: [...PROJECT_PERMISSIONS, 'registry:read'],
  registry: [...REGISTRY_PERMISSIONS, 'run:read'],
};

interface Tally {
  attempted: number;
  accepted: number;
  noOps: number;
  byStatus: Map<number, number>;
  acceptedByCommand: Map<string, number>;
  rejectedByCommand: Map<string, number>;
}

/** Either the answer or the error a read-side call threw (deleted projects and registries → 404). */
function answer<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

async function readAllEvents(server: TestServer): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let after: string | null = null;
  for (;;) {
    const batch = await server.running.store.readAll({ after, limit: 2000 });
    if (batch.length === 0) return out;
    out.push(...batch);
    after = (batch[batch.length - 1] as StoredEvent).position;
  }
}

describe('replay equivalence of a long randomized history (SQLite, real command path)', () => {
  let server: TestServer;
  let history: RandomHistory;
  let live: ReadModel;
  let replayed: ReadModel;
  let events: StoredEvent[];
  const tally: Tally = {
    attempted: 0,
    accepted: 0,
    noOps: 0,
    byStatus: new Map(),
    acceptedByCommand: new Map(),
    rejectedByCommand: new Map(),
  };

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    live = server.running.projection.readModel;
    history = new RandomHistory((orgId) => live.org(orgId), {
      seed: SEED,
      orgs: 4,
      usersPerOrg: 14,
      teamsPerOrg: 4,
      projectsPerOrg: 10,
    });

    const run = async (name: string, body: Record<string, unknown>, actor: string): Promise<void> => {
      tally.attempted += 1;
      const res = await http(server.url, 'POST', `/v1/commands/${name}`, { body, actor });
      tally.byStatus.set(res.status, (tally.byStatus.get(res.status) ?? 0) + 1);
      if (res.status !== 200) {
        tally.rejectedByCommand.set(name, (tally.rejectedByCommand.get(name) ?? 0) + 1);
        return;
      }
      const appended = (res.body.events as unknown[] | undefined)?.length ?? 0;
      if (appended === 0) {
        tally.noOps += 1;
        return;
      }
      tally.accepted += 1;
      tally.acceptedByCommand.set(name, (tally.acceptedByCommand.get(name) ?? 0) + 1);
    };

    for (const step of history.setup()) {
      const cmd = step();
      if (cmd) await run(cmd.name, cmd.body, cmd.actor);
    }
    while (tally.accepted < TARGET_ACCEPTED && tally.attempted < MAX_ATTEMPTS) {
      const cmd = history.next();
      await run(cmd.name, cmd.body, cmd.actor);
    }

    // The replay: a fresh read model fed only by the store's global log, in position order.
    events = await readAllEvents(server);
    replayed = new ReadModel((a, b) => server.running.store.comparePositions(a, b));
    for (const e of events) replayed.apply(e);
  }, 180_000);

  afterAll(async () => {
    await server?.close();
  });

  it('the history is long, varied and meaningful: ≥2,000 accepted commands, rejections of every kind, no 400/5xx', () => {
    expect(tally.accepted).toBeGreaterThanOrEqual(2000);
    // Every answer is a success or a domain/authority refusal: the generator sends only valid bodies.
    expect([...tally.byStatus.keys()].filter((s) => ![200, 403, 404, 409, 422].includes(s))).toEqual([]);
    expect(tally.byStatus.get(403) ?? 0).toBeGreaterThan(50);
    expect(tally.byStatus.get(422) ?? 0).toBeGreaterThan(50);
    // Role churn the brief names was really exercised, not only attempted.
    const neverAccepted = [
      'AssignTeamRole',
      'ChangeProjectRole',
      'ChangeOrganizationRole',
      'RemoveTeamMember',
      'DeleteCustomRole',
      'ChangeProjectVisibility',
      'RemoveUserFromOrganization',
      'DeactivateUser',
      'AddToRestrictedProject',
      'AddRegistryMember',
      'SetRegistryOwningTeam',
      'MoveRun',
      'LogRun',
      'CreateReport',
    ].filter((name) => (tally.acceptedByCommand.get(name) ?? 0) === 0);
    expect(neverAccepted).toEqual([]);
  });

  it('the end state has the facts the access model turns on: overrides, restricted members, grants, custom roles', () => {
    let overrides = 0;
    let restrictedMembers = 0;
    let customTeamRoles = 0;
    let teamGrants = 0;
    let saGrants = 0;
    let owningTeams = 0;
    const visibilities = new Set<string>();
    const scopes = new Set<string>();
    for (const org of live.orgs.values()) {
      for (const p of org.projects.values()) {
        overrides += p.overrides.size;
        restrictedMembers += p.restrictedMembers.size;
        visibilities.add(p.visibility);
      }
      for (const t of org.teams.values())
        for (const role of t.members.values()) if (role.startsWith('custom:')) customTeamRoles += 1;
      for (const r of org.registries.values()) {
        if (r.owningTeamId !== null) owningTeams += 1;
        for (const m of r.grants.keys()) {
          if (m.startsWith('team:')) teamGrants += 1;
          if (m.startsWith('sa:')) saGrants += 1;
        }
      }
      for (const sa of org.serviceAccounts.values()) scopes.add(sa.scope);
    }
    // The cascades of the role churn happened (A3/R60 →viewer, R69/A31, A4/C7, R32, A8, A38, A39).
    const seen = new Set(
      events.map((e) => {
        const d = e.data as { reason?: unknown; to?: unknown };
        if (e.type === 'OrgRoleChanged') return `${e.type}/${String(d.to)}`;
        return typeof d.reason === 'string' ? `${e.type}/${d.reason}` : e.type;
      }),
    );
    const missing = [
      'OrgRoleChanged/viewer',
      'TeamRoleChanged/orgViewer',
      'TeamRoleChanged/customRoleDeleted',
      'ProjectRoleChanged/trackingTeamRole',
      'ProjectRoleChanged/customRoleDeleted',
      'ProjectRoleOverrideCleared/converged',
      'ProjectRoleOverrideCleared/orgViewer',
      'ProjectRoleOverrideCleared/leftTeam',
      'ProjectRoleOverrideCleared/notInvited',
      'ProjectRoleOverrideCleared/removed',
      'RestrictedMembershipDissolved',
      'RegistryMemberRemoved/leftOrganization',
      'RegistryAccessViaTeamLost',
      'ProjectOwnerOrphaned',
      'UserDeactivated',
      'UserReactivated',
      'RunMoved',
    ].filter((k) => !seen.has(k));
    expect(missing).toEqual([]);
    expect(overrides).toBeGreaterThanOrEqual(5);
    expect(restrictedMembers).toBeGreaterThanOrEqual(10);
    expect(customTeamRoles).toBeGreaterThanOrEqual(3);
    expect(teamGrants).toBeGreaterThanOrEqual(2);
    expect(saGrants).toBeGreaterThanOrEqual(1);
    expect(owningTeams).toBeGreaterThanOrEqual(2);
    expect([...visibilities].sort()).toEqual(['open', 'public', 'restricted', 'team']);
    expect([...scopes].sort()).toEqual(['org', 'team']);
  });

  it('the replayed read model reached the same position, with the same org revisions and states', () => {
    expect(events.length).toBe(live.eventCount);
    expect(replayed.position).toBe(live.position);
    expect([...replayed.orgs.keys()].sort()).toEqual([...live.orgs.keys()].sort());
    for (const [orgId, state] of live.orgs) {
      expect([orgId, replayed.org(orgId)?.revision]).toEqual([orgId, state.revision]);
      expect(replayed.org(orgId)).toEqual(state);
    }
    expect(replayed.index).toEqual(live.index);
  });

  it('each org stream folded on its own (the command side’s view) gives the same state and revision', async () => {
    for (const [orgId, state] of live.orgs) {
      const stream = await server.running.store.readStream(`org-${orgId}`);
      const folded = foldEvents(
        orgId,
        stream.map((e) => ({ type: e.type, data: e.data }) as Parameters<typeof foldEvents>[1][number]),
      );
      folded.revision = stream[stream.length - 1]?.revision ?? -1;
      expect(folded.revision).toBe(state.revision);
      expect(folded).toEqual(state);
    }
  });

  it('check, projectAccess and registryAccess answer identically on the live and the replayed read model', () => {
    const a = new Queries(live);
    const b = new Queries(replayed);
    const principals = [
      ...[...history.userIds].sort().map((u) => `user:${u}`),
      ...[...history.serviceAccountIds].sort().map((s) => `sa:${s}`),
      'user:never-seen',
    ];
    const resources = [
      ...history.orgIds.map((o) => `org:${o}`),
      'org:no-such-org',
      ...[...live.index.keys()].filter((k) => !k.startsWith('sa:')).sort(),
    ];
    const mismatches: string[] = [];
    let checks = 0;
    let allowed = 0;
    const note = (what: string, x: unknown, y: unknown): void => {
      if (mismatches.length < 10)
        mismatches.push(`${what}: live ${JSON.stringify(x)} ≠ replay ${JSON.stringify(y)}`);
    };

    for (const resource of resources) {
      const kind = resource.slice(0, resource.indexOf(':'));
      const permissions = PERMISSIONS_BY_KIND[kind] ?? [];
      for (const principal of principals) {
        for (const permission of permissions) {
          const input = { principal, permission, resource };
          const x = a.check(input);
          const y = b.check(input);
          checks += 1;
          if (x.allowed) allowed += 1;
          if (!isDeepStrictEqual(x, y)) note(`check ${principal} ${permission} ${resource}`, x, y);
        }
      }
    }

    let projectPairs = 0;
    let projectRoles = 0;
    let registryPairs = 0;
    let registryRoles = 0;
    const projects = [...live.index.keys()].filter((k) => k.startsWith('project:')).map((k) => k.slice(8));
    const registries = [...live.index.keys()].filter((k) => k.startsWith('registry:')).map((k) => k.slice(9));
    const teams = [...live.index.keys()].filter((k) => k.startsWith('team:'));
    for (const principal of principals) {
      for (const projectId of projects) {
        const x = answer(() => a.projectAccess(projectId, principal));
        const y = answer(() => b.projectAccess(projectId, principal));
        projectPairs += 1;
        if ('access' in x && x.access === 'role') projectRoles += 1;
        if (!isDeepStrictEqual(x, y)) note(`projectAccess ${principal} ${projectId}`, x, y);
      }
    }
    // Registry members include teams (`team:<id>` answers with the team's own grant).
    for (const member of [...principals, ...teams]) {
      for (const registryId of registries) {
        const x = answer(() => a.registryAccess(registryId, member));
        const y = answer(() => b.registryAccess(registryId, member));
        registryPairs += 1;
        if ('role' in x && x.role !== null) registryRoles += 1;
        if (!isDeepStrictEqual(x, y)) note(`registryAccess ${member} ${registryId}`, x, y);
      }
    }

    expect(mismatches).toEqual([]);
    // Meaningful: the sample is large and both answers occur, for every kind of question.
    expect(checks).toBeGreaterThanOrEqual(50_000);
    expect(allowed).toBeGreaterThan(checks / 100);
    expect(allowed).toBeLessThan(checks);
    expect(projectRoles).toBeGreaterThan(0);
    expect(projectRoles).toBeLessThan(projectPairs);
    expect(registryRoles).toBeGreaterThan(0);
    expect(registryRoles).toBeLessThan(registryPairs);
  });
});
