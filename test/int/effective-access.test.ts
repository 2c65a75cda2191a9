/**
 * The effective-access read model (src/read-model/effective-access.ts) against the effective-role
 * module it stands for: a seeded random history goes through the deciders into a ReadModel one command
 * at a time, and between commands random checks — drawn mostly from a small set asked again and again,
 * so that entries built earlier are answered from after the events that followed — must be deep-equal
 * to the effective-role module's answer computed directly from the org state (`check` in
 * domain/access/check.ts, routed as `Queries.check` routes without the model).
 */
import { isDeepStrictEqual } from 'node:util';
import { CREATES, ROUTE } from '../../src/application/command-routing';
import { Queries } from '../../src/application/query.service';
import { check, type CheckResult } from '../../src/domain/access';
import type { AnyCommand, CommandName } from '../../src/domain/commands';
import { decide } from '../../src/domain/decide';
import { DomainError } from '../../src/domain/errors';
import { emptyOrgState, orgStream } from '../../src/domain/model';
import {
  ORG_PERMISSIONS,
  PROJECT_PERMISSIONS,
  REGISTRY_PERMISSIONS,
  TEAM_CHECKABLE_PERMISSIONS,
} from '../../src/domain/permissions';
import { EffectiveAccess } from '../../src/read-model/effective-access';
import { ReadModel } from '../../src/read-model/read-model';
import { prng, RandomHistory, type HistoryCommand } from '../support/random-history';

/** Permissions of a resource's own scope (most checks), else any. */
const IN_SCOPE: Record<string, readonly string[]> = {
  project: PROJECT_PERMISSIONS,
  run: PROJECT_PERMISSIONS,
  report: PROJECT_PERMISSIONS,
  registry: REGISTRY_PERMISSIONS,
};

const PERMISSIONS = [
  ...PROJECT_PERMISSIONS,
  ...REGISTRY_PERMISSIONS,
  ...TEAM_CHECKABLE_PERMISSIONS,
  ...ORG_PERMISSIONS,
  'no:such-permission',
];

/** The answer without the effective-access model: Queries.check as it routes, then the module. */
function direct(rm: ReadModel, principal: string, permission: string, resource: string): CheckResult {
  const orgId = rm.orgOfRef(resource);
  const org = orgId === undefined ? undefined : rm.org(orgId);
  if (!org) return { allowed: false, reason: `${resource} does not exist` };
  return check(org, principal, permission, resource);
}

interface Decided {
  orgId: string;
  events: { type: string; data: Record<string, unknown> }[];
}

interface Driver {
  rm: ReadModel;
  /** Other models told of every event, as the read model tells its own. */
  also: EffectiveAccess[];
  /** The events the deciders answer a command with (null: refused, or nothing to do). */
  decide(cmd: HistoryCommand): Decided | null;
  /** Applies them to the read model (and tells {@link also}). */
  apply(d: Decided, actor: string): void;
  /** Both at once; true when events were appended. */
  run(cmd: HistoryCommand): boolean;
}

function driver(): Driver {
  const rm = new ReadModel((a, b) => Number(a) - Number(b));
  let position = 0;
  const also: EffectiveAccess[] = [];
  const self: Driver = {
    rm,
    also,
    decide(cmd) {
      const route = ROUTE[cmd.name as CommandName];
      const routeId = String(cmd.body[route.field]);
      const orgId = cmd.name === 'CreateOrganization' ? routeId : rm.orgOf(route.kind, routeId);
      if (orgId === undefined) return null;
      const creates = CREATES[cmd.name as CommandName];
      if (creates && rm.orgOf(creates.kind, String(cmd.body[creates.field])) !== undefined) return null;
      const state = rm.org(orgId) ?? emptyOrgState(orgId);
      try {
        const events = decide(state, {
          name: cmd.name,
          body: cmd.body,
          actor: cmd.actor,
        } as unknown as AnyCommand);
        return events.length === 0
          ? null
          : {
              orgId,
              events: events.map((e) => ({
                type: e.type,
                data: e.data as unknown as Record<string, unknown>,
              })),
            };
      } catch (err) {
        if (err instanceof DomainError) return null;
        throw err;
      }
    },
    apply({ orgId, events }, actor) {
      const first = (rm.org(orgId)?.revision ?? -1) + 1;
      events.forEach((e, i) => {
        position += 1;
        rm.apply({
          eventId: `e${position}`,
          stream: orgStream(orgId),
          revision: first + i,
          position: String(position),
          type: e.type,
          data: e.data,
          metadata: {
            actor,
            correlationId: `c${position}`,
            occurredAt: new Date(0).toISOString(),
            schemaVersion: 1,
          },
        });
        for (const model of also) model.applied(orgId, e.type, e.data);
      });
    },
    run(cmd) {
      const d = self.decide(cmd);
      if (d) self.apply(d, cmd.actor);
      return d !== null;
    },
  };
  return self;
}

/** The principals an event names (user ids, SA ids, principal-valued fields). */
function principalsNamed(data: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string') continue;
    if (k === 'userId') out.push(`user:${v}`);
    else if (k === 'serviceAccountId') out.push(`sa:${v}`);
    else if (/^(user|sa):/.test(v)) out.push(v);
  }
  return out;
}

describe('effective-access read model: the same answers as the effective-role module, through every event', () => {
  it('answers every check of a long random history exactly as check() on the current state', () => {
    const d = driver();
    const { rm } = d;
    const history = new RandomHistory((orgId) => rm.org(orgId), {
      seed: 7_011,
      orgs: 3,
      usersPerOrg: 10,
      teamsPerOrg: 3,
      projectsPerOrg: 8,
    });
    const queries = new Queries(rm);
    // Models over the same read model with small bounds: they start over often.
    const tiny = new EffectiveAccess(rm, { entries: 40 });
    const few = new EffectiveAccess(rm, { answers: 25 });
    d.also.push(tiny, few);
    const rnd = prng(99);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const permissionFor = (resource: string): string =>
      pick(rnd() < 0.8 ? (IN_SCOPE[resource.slice(0, resource.indexOf(':'))] ?? PERMISSIONS) : PERMISSIONS);

    const mismatches: string[] = [];
    let checks = 0;
    let fromModel = 0;
    const hot: { principal: string; permission: string; resource: string }[] = [];
    const ask = (principal: string, permission: string, resource: string): void => {
      const want = direct(rm, principal, permission, resource);
      const got = queries.check({ principal, permission, resource });
      const alt = tiny.check(principal, permission, resource);
      const alt2 = few.check(principal, permission, resource);
      if (rm.effectiveAccess.check(principal, permission, resource) !== undefined) fromModel += 1;
      checks += 1;
      if (
        !isDeepStrictEqual(got, want) ||
        (alt !== undefined && !isDeepStrictEqual(alt, want)) ||
        (alt2 !== undefined && !isDeepStrictEqual(alt2, want))
      ) {
        if (mismatches.length < 10)
          mismatches.push(
            `${principal} ${permission} ${resource}: ${JSON.stringify({ want, got, alt, alt2 })}`,
          );
      }
    };
    const principals = (): string[] => [
      ...[...history.userIds].map((u) => `user:${u}`),
      ...[...history.serviceAccountIds].map((s) => `sa:${s}`),
      'user:nobody',
      'sa:nobody',
      'team:x',
      'garbage',
    ];
    const resources = (): string[] => [
      ...[...rm.index.keys()].filter((k) => !k.startsWith('sa:')),
      'project:nope',
      'run:nope',
      'registry:nope',
    ];
    const round = (n: number): void => {
      const ps = principals();
      const rs = resources();
      // Refresh a part of the hot set, keep the rest: old entries must answer after new events.
      for (let i = 0; i < 8; i++) {
        const resource = pick(rs);
        const q = { principal: pick(ps), permission: permissionFor(resource), resource };
        if (hot.length < 300) hot.push(q);
        else hot[Math.floor(rnd() * hot.length)] = q;
      }
      for (let i = 0; i < n; i++) {
        if (rnd() < 0.8 && hot.length > 0) {
          const q = pick(hot);
          // Same principal and resource, any permission: one entry, many answers.
          ask(q.principal, rnd() < 0.5 ? q.permission : permissionFor(q.resource), q.resource);
        } else {
          const resource = pick(rs);
          ask(pick(ps), permissionFor(resource), resource);
        }
      }
    };

    for (const step of history.setup()) {
      const cmd = step();
      if (cmd && d.run(cmd)) round(20);
    }
    // Each command: the checks its events could change are asked before (building entries) and after.
    const around = (decided: Decided): { principal: string; permission: string; resource: string }[] => {
      const state = rm.org(decided.orgId);
      if (!state) return [];
      const projects = [...state.projects.keys()].map((id) => `project:${id}`);
      const registries = [...state.registries.keys()].map((id) => `registry:${id}`);
      const targets = new Set<string>();
      const who = new Set<string>();
      const named = new Set<string>();
      for (const { data } of decided.events) {
        if (typeof data.projectId === 'string') {
          targets.add(`project:${data.projectId}`);
          const p = state.projects.get(data.projectId);
          for (const run of [...(p?.runs ?? [])].slice(0, 3)) targets.add(`run:${run}`);
          for (const report of [...(p?.reports ?? [])].slice(0, 2)) targets.add(`report:${report}`);
        }
        if (typeof data.registryId === 'string') targets.add(`registry:${data.registryId}`);
        for (const p of principalsNamed(data)) who.add(p);
        // A custom role's edit: its holders, asked about the permissions it names.
        if (typeof data.roleId === 'string') {
          const role = `custom:${data.roleId}`;
          for (const team of state.teams.values())
            for (const [userId, r] of team.members) if (r === role) who.add(`user:${userId}`);
          for (const p of state.projects.values())
            for (const [userId, r] of p.overrides) if (r === role) who.add(`user:${userId}`);
        }
        if (Array.isArray(data.permissions)) for (const x of data.permissions) named.add(String(x));
      }
      for (let i = 0; i < 4; i++) if (projects.length > 0) targets.add(pick(projects));
      for (let i = 0; i < 2; i++) if (registries.length > 0) targets.add(pick(registries));
      const orgPrincipals = [
        ...[...state.users.keys()].map((u) => `user:${u}`),
        ...[...state.serviceAccounts.keys()].map((s) => `sa:${s}`),
      ];
      for (let i = 0; i < 6; i++) if (orgPrincipals.length > 0) who.add(pick(orgPrincipals));
      const qs = [];
      for (const resource of targets)
        for (const principal of who) {
          qs.push({ principal, permission: permissionFor(resource), resource });
          for (const permission of named) qs.push({ principal, permission, resource });
        }
      return qs;
    };
    let accepted = 0;
    for (let attempts = 0; accepted < 1500 && attempts < 8000; attempts++) {
      const cmd = history.next();
      const decided = d.decide(cmd);
      if (!decided) continue;
      const qs = around(decided);
      for (const q of qs) ask(q.principal, q.permission, q.resource);
      d.apply(decided, cmd.actor);
      for (const q of qs) ask(q.principal, q.permission, q.resource);
      accepted += 1;
      round(40);
    }

    expect(mismatches).toEqual([]);
    expect(accepted).toBeGreaterThanOrEqual(1500);
    expect(checks).toBeGreaterThan(150_000);
    // The model really answered (most checks are on projects, runs, reports and registries).
    expect(fromModel).toBeGreaterThan(checks / 2);
    expect(rm.effectiveAccess.size.entries).toBeGreaterThan(0);
  });

  it('keeps at most its bound of entries, and answers the same across a start-over', () => {
    const d = driver();
    const history = new RandomHistory((orgId) => d.rm.org(orgId), {
      seed: 5,
      orgs: 1,
      usersPerOrg: 12,
      teamsPerOrg: 2,
      projectsPerOrg: 6,
    });
    for (const step of history.setup()) {
      const cmd = step();
      if (cmd) d.run(cmd);
    }
    const model = new EffectiveAccess(d.rm, { entries: 10 });
    const projects = [...d.rm.index.keys()].filter((k) => k.startsWith('project:'));
    const users = [...history.userIds].map((u) => `user:${u}`);
    expect(projects.length * users.length).toBeGreaterThan(30);
    for (let pass = 0; pass < 2; pass++) {
      for (const resource of projects) {
        for (const principal of users) {
          const got = model.check(principal, 'project:read', resource);
          expect(got).toEqual(direct(d.rm, principal, 'project:read', resource));
          expect(model.size.entries).toBeLessThanOrEqual(10);
        }
      }
    }
  });

  it('notices an org state replaced as a whole (snapshot decoding, read-side merges)', () => {
    const d = driver();
    const history = new RandomHistory((orgId) => d.rm.org(orgId), {
      seed: 11,
      orgs: 1,
      usersPerOrg: 6,
      teamsPerOrg: 2,
      projectsPerOrg: 4,
    });
    for (const step of history.setup()) {
      const cmd = step();
      if (cmd) d.run(cmd);
    }
    const rm = d.rm;
    const orgId = history.orgIds[0] as string;
    const resource = [...rm.index.keys()].find((k) => k.startsWith('project:')) as string;
    const projectId = resource.slice('project:'.length);
    const principal = `user:${orgId}-u0`;
    const before = rm.effectiveAccess.check(principal, 'project:read', resource);
    expect(before).toEqual(direct(rm, principal, 'project:read', resource));
    // A copy of the state in which the founder is deactivated, put in place without an event.
    const copy = structuredClone(rm.org(orgId)) as NonNullable<ReturnType<ReadModel['org']>>;
    const founder = copy.users.get(`${orgId}-u0`);
    if (founder) founder.status = 'deactivated';
    expect(copy.projects.has(projectId)).toBe(true);
    rm.restoreOrg(orgId, { state: copy, provenance: null });
    const after = rm.effectiveAccess.check(principal, 'project:read', resource);
    expect(after).toEqual(direct(rm, principal, 'project:read', resource));
    expect(after?.rule).toBe('A39');
  });
});
