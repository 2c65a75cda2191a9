/**
 * GET /v1/audit on a real server over a scripted history (api.md "Queries"; access-model.md R137 and
 * §4.1): every filter, both orders, limits, pagination without gaps or repeats (also while commands
 * are being written), the cascade → cause link, `at:` consistency, bad parameters, and 503 while the
 * index is still being rebuilt after a start from a snapshot.
 */
import { AuditIndex, type AuditEntry } from '../../src/read-model/audit-index';
import { http, startTestServer, type TestServer } from '../support/server';

let server: TestServer;
/** Every entry, oldest first, as of the end of the scripted history. */
let all: AuditEntry[];

async function command(actor: string, name: string, body: Record<string, unknown>): Promise<string> {
  const r = await http(server.url, 'POST', `/v1/commands/${name}`, { actor, body });
  if (r.status !== 200) throw new Error(`${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.position as string;
}

async function audit(query: string): Promise<{ entries: AuditEntry[]; next?: string; position: string }> {
  const r = await http(server.url, 'GET', `/v1/audit?${query}`);
  if (r.status !== 200) throw new Error(`audit ${query}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as unknown as { entries: AuditEntry[]; next?: string; position: string };
}

/** Follows `next` to the end; fails on a repeated entry. */
async function walk(
  query: string,
): Promise<{ positions: string[]; pages: { after?: string; positions: string[] }[] }> {
  const pages: { after?: string; positions: string[] }[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await audit(`${query}${after ? `&after=${after}` : ''}`);
    pages.push({ ...(after ? { after } : {}), positions: page.entries.map((e) => e.position) });
    if (!page.next) break;
    after = page.next;
  }
  const positions = pages.flatMap((p) => p.positions);
  expect(new Set(positions).size).toBe(positions.length);
  return { positions, pages };
}

const positionsOf = (entries: AuditEntry[]): string[] => entries.map((e) => e.position);
const reversed = <T>(xs: T[]): T[] => [...xs].reverse();

beforeAll(async () => {
  server = await startTestServer('sqlite');
  await command('system', 'CreateOrganization', { orgId: 'acme', name: 'Acme', founderUserId: 'alice' });
  for (const userId of ['bob', 'carol', 'dave']) {
    await command('user:alice', 'AddUserToOrganization', { orgId: 'acme', userId });
  }
  await command('user:alice', 'CreateTeam', { orgId: 'acme', teamId: 'ml', name: 'ML' });
  await command('user:alice', 'AddTeamMember', { teamId: 'ml', userId: 'bob', role: 'member' });
  await command('user:alice', 'AddTeamMember', { teamId: 'ml', userId: 'carol', role: 'member' });
  await command('user:bob', 'CreateProject', {
    projectId: 'P1',
    teamId: 'ml',
    name: 'P1',
    visibility: 'team',
  });
  await command('user:bob', 'CreateProject', {
    projectId: 'P2',
    teamId: 'ml',
    name: 'P2',
    visibility: 'restricted',
  });
  await command('user:bob', 'CreateProject', {
    projectId: 'P3',
    teamId: 'ml',
    name: 'P3',
    visibility: 'team',
  });
  // A4/C7: carol's team role change is tracked on P1 and P3 by cascaded ProjectRoleChanged events.
  await command('user:alice', 'AssignTeamRole', { teamId: 'ml', userId: 'carol', role: 'admin' });
  await command('user:bob', 'LogRun', { runId: 'r1', projectId: 'P1' });
  await command('user:bob', 'MoveRun', { runId: 'r1', toProjectId: 'P3' });
  await command('system', 'CreateOrganization', { orgId: 'beta', name: 'Beta', founderUserId: 'zed' });
  await command('user:zed', 'AddUserToOrganization', { orgId: 'beta', userId: 'carol' });
  await command('user:alice', 'ChangeOrganizationRole', { orgId: 'acme', userId: 'dave', role: 'admin' });
  all = (await audit('order=asc&limit=1000')).entries;
}, 60_000);

afterAll(async () => {
  await server.close();
});

describe('entries (api.md: position, type, stream, occurredAt, actor, causationId?, correlationId, data)', () => {
  it('hold every event once, oldest first in asc, with the envelope and the W&B action (R137)', async () => {
    expect(positionsOf(all)).toEqual(
      Array.from({ length: Number(await server.running.store.headPosition()) }, (_, i) => String(i + 1)),
    );
    const teamCreated = all.find((e) => e.type === 'TeamCreated') as AuditEntry;
    expect(teamCreated).toMatchObject({
      stream: 'org-acme',
      actor: 'user:alice',
      wandbAction: 'team:create',
      commandName: 'CreateTeam',
      data: { orgId: 'acme', teamId: 'ml', name: 'ML' },
    });
    expect(teamCreated.occurredAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(typeof teamCreated.correlationId).toBe('string');
    expect(typeof teamCreated.eventId).toBe('string');
    const changed = all.find((e) => e.type === 'OrgRoleChanged');
    expect(changed?.wandbAction).toBe('organization:update_member');
  });

  it('desc (the default) is the same list newest first, and limit cuts it', async () => {
    expect(positionsOf((await audit('limit=1000')).entries)).toEqual(reversed(positionsOf(all)));
    const page = await audit('order=desc&limit=3');
    expect(positionsOf(page.entries)).toEqual(reversed(positionsOf(all)).slice(0, 3));
    expect(page.next).toBe(page.entries[2]?.position);
    const asc = await audit('order=asc&limit=4');
    expect(positionsOf(asc.entries)).toEqual(positionsOf(all).slice(0, 4));
    // The default page is 100 entries: this history is shorter, so no `next`.
    expect((await audit('')).next).toBeUndefined();
  });

  it('a cascade names its cause: ProjectRoleChanged(trackingTeamRole) ← TeamRoleChanged (§4.1, A4)', () => {
    const cause = all.find((e) => e.type === 'TeamRoleChanged') as AuditEntry;
    const tracked = all.filter(
      (e) => e.type === 'ProjectRoleChanged' && e.data.reason === 'trackingTeamRole',
    );
    expect(tracked.map((e) => e.data.projectId).sort()).toEqual(['P1', 'P3']);
    for (const e of tracked) {
      expect(e.causationId).toBe(cause.eventId);
      expect(e.causedBy).toEqual({
        position: cause.position,
        type: 'TeamRoleChanged',
        eventId: cause.eventId,
      });
      expect(e.correlationId).toBe(cause.correlationId);
    }
    // The cause itself is a direct effect of the command: its causation is the command, no event.
    expect(cause.causedBy).toBeUndefined();
    // R122: the core registries are cascades of OrganizationCreated.
    const org = all.find((e) => e.type === 'OrganizationCreated' && e.stream === 'org-acme') as AuditEntry;
    const core = all.filter((e) => e.type === 'CoreRegistryProvisioned' && e.stream === 'org-acme');
    expect(core.map((e) => e.causedBy?.position)).toEqual([org.position, org.position]);
  });
});

describe('filters', () => {
  const cases: [string, string, (e: AuditEntry) => boolean][] = [
    ['orgId', 'orgId=beta', (e) => e.stream === 'org-beta'],
    ['type', 'type=TeamMemberAdded', (e) => e.type === 'TeamMemberAdded'],
    [
      'orgId + type (T44)',
      'orgId=acme&type=ProjectRoleChanged',
      (e) => e.stream === 'org-acme' && e.type === 'ProjectRoleChanged',
    ],
    ['actor', 'actor=user:bob', (e) => e.actor === 'user:bob'],
    ['actor system', 'actor=system', (e) => e.actor === 'system'],
    [
      'subject',
      'subject=user:carol',
      (e) => e.data.userId === 'carol' || e.data.principal === 'user:carol' || e.data.member === 'user:carol',
    ],
    [
      'resource (a project, incl. the run moved out of and into it)',
      'resource=project:P3',
      (e) =>
        e.data.projectId === 'P3' || (e.type === 'RunMoved' && (e.data.from === 'P3' || e.data.to === 'P3')),
    ],
    ['resource (a team)', 'resource=team:ml', (e) => e.data.teamId === 'ml'],
    ['resource (a run)', 'resource=run:r1', (e) => e.data.runId === 'r1'],
    [
      'all at once',
      'orgId=acme&actor=user:alice&subject=user:carol&resource=team:ml&type=TeamRoleChanged',
      (e) => e.type === 'TeamRoleChanged' && e.data.userId === 'carol',
    ],
  ];

  it.each(cases)(
    '%s: both orders and every page size give the matching entries, without gaps or repeats',
    async (_label, q, match) => {
      const expected = positionsOf(all.filter(match));
      expect(expected.length).toBeGreaterThan(0);
      for (const limit of [1, 2, 1000]) {
        expect((await walk(`${q}&order=asc&limit=${limit}`)).positions).toEqual(expected);
        expect((await walk(`${q}&order=desc&limit=${limit}`)).positions).toEqual(reversed(expected));
      }
    },
  );

  it('values no event has match nothing', async () => {
    expect((await audit('orgId=nope')).entries).toEqual([]);
    expect((await audit('actor=user:nobody&type=TeamCreated')).entries).toEqual([]);
    expect((await audit('orgId=beta&resource=project:P1')).entries).toEqual([]);
  });

  it('from/to bound occurredAt inclusively, alone and with other filters', async () => {
    const first = all.find((e) => e.type === 'ProjectCreated') as AuditEntry;
    const last = all.find((e) => e.type === 'RunCreated') as AuditEntry;
    const inRange = (e: AuditEntry): boolean =>
      e.occurredAt >= first.occurredAt && e.occurredAt <= last.occurredAt;
    const range = `from=${first.occurredAt}&to=${last.occurredAt}`;
    expect((await walk(`${range}&order=asc&limit=2`)).positions).toEqual(positionsOf(all.filter(inRange)));
    expect((await walk(`${range}&actor=user:bob&order=desc&limit=1`)).positions).toEqual(
      reversed(positionsOf(all.filter((e) => inRange(e) && e.actor === 'user:bob'))),
    );
    expect(positionsOf((await audit(`from=${last.occurredAt}&order=asc&limit=1000`)).entries)).toEqual(
      positionsOf(all.filter((e) => e.occurredAt >= last.occurredAt)),
    );
    expect(positionsOf((await audit(`to=${first.occurredAt}&order=asc&limit=1000`)).entries)).toEqual(
      positionsOf(all.filter((e) => e.occurredAt <= first.occurredAt)),
    );
    // RFC 3339 with an offset names the same instant.
    const shifted = new Date(Date.parse(first.occurredAt)).toISOString().replace('Z', '+00:00');
    expect(
      positionsOf((await audit(`from=${encodeURIComponent(shifted)}&order=asc&limit=1000`)).entries),
    ).toEqual(positionsOf(all.filter((e) => e.occurredAt >= first.occurredAt)));
    expect((await audit('from=2999-01-01T00:00:00Z')).entries).toEqual([]);
  });

  it('consistency=at:<position>: the entries up to that position, and that position', async () => {
    const at = (all[9] as AuditEntry).position;
    const page = await audit(`consistency=at:${at}&order=asc&limit=1000`);
    expect(page.position).toBe(at);
    expect(positionsOf(page.entries)).toEqual(positionsOf(all.slice(0, 10)));
    const desc = await audit(`consistency=at:${at}&orgId=acme&limit=2`);
    expect(positionsOf(desc.entries)).toEqual(reversed(positionsOf(all.slice(0, 10))).slice(0, 2));
    const head = await audit('limit=1');
    expect(head.position).toBe(all[all.length - 1]?.position);
  });
});

describe('pagination under concurrent writes', () => {
  it('pages already seen do not change and no entry repeats, in both orders', async () => {
    const descSeen: string[][] = [];
    const ascSeen: string[][] = [];
    const before = positionsOf((await audit('order=asc&limit=1000')).entries);
    let descAfter: string | undefined;
    let ascAfter: string | undefined;
    let descDone = false;
    let ascDone = false;
    for (let i = 0; !(descDone && ascDone); i++) {
      // A write between every two page reads (each adds events at the head).
      await command('user:alice', 'AddUserToOrganization', { orgId: 'acme', userId: `late${i}` });
      if (!descDone) {
        const page = await audit(`orgId=acme&order=desc&limit=4${descAfter ? `&after=${descAfter}` : ''}`);
        descSeen.push(positionsOf(page.entries));
        descAfter = page.next;
        descDone = !page.next;
      }
      if (!ascDone) {
        const page = await audit(`orgId=acme&order=asc&limit=4${ascAfter ? `&after=${ascAfter}` : ''}`);
        ascSeen.push(positionsOf(page.entries));
        ascAfter = page.next;
        ascDone = !page.next;
      }
      expect(i).toBeLessThan(100);
    }
    const acmeBefore = before.filter((p) => all.find((e) => e.position === p)?.stream === 'org-acme');
    const desc = descSeen.flat();
    const asc = ascSeen.flat();
    expect(new Set(desc).size).toBe(desc.length);
    expect(new Set(asc).size).toBe(asc.length);
    const now = positionsOf((await audit('orgId=acme&order=asc&limit=1000')).entries);
    // Newest first: the walk is the list as of its first page; later writes land above the cursor.
    const newestAtStart = Number(descSeen[0]?.[0]);
    expect(desc).toEqual(reversed(now.filter((p) => Number(p) <= newestAtStart)));
    expect(desc.slice(-acmeBefore.length)).toEqual(reversed(acmeBefore));
    // Oldest first: the walk runs into the writes made meanwhile and sees them in order.
    expect(asc).toEqual(now.slice(0, asc.length));
    expect(asc.slice(0, acmeBefore.length)).toEqual(acmeBefore);
    // Re-reading each page by its cursor gives it unchanged.
    let after: string | undefined;
    for (const seen of ascSeen) {
      const again = await audit(`orgId=acme&order=asc&limit=4${after ? `&after=${after}` : ''}`);
      expect(positionsOf(again.entries)).toEqual(seen);
      after = seen[seen.length - 1];
    }
    for (const [i, seen] of descSeen.entries()) {
      if (i === 0) continue; // the first desc page starts at the head, which has moved on
      const cursor = descSeen[i - 1]?.at(-1) ?? '';
      const again = await audit(`orgId=acme&order=desc&limit=4&after=${cursor}`);
      expect(positionsOf(again.entries)).toEqual(seen);
    }
  });
});

describe('bad parameters → 400 VALIDATION_FAILED problem+json', () => {
  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=ten', 'limit'],
    ['order=up', 'order'],
    ['from=yesterday', 'from'],
    ['to=2024-13-01T00:00:00Z', 'to'],
    ['type=team%20role', 'type'],
    ['resource=bogus:x', 'resource'],
    ['actor=bob', 'actor'],
    ['subject=project:P1', 'subject'],
    ['orgId=a%20b', 'orgId'],
    ['after=abc', 'after'],
    ['after=1:2', 'after'],
    ['consistency=at:0', 'consistency'],
    ['consistency=soon', 'consistency'],
    ['colour=red', 'colour'],
  ])('%s', async (q, field) => {
    const r = await http(server.url, 'GET', `/v1/audit?${q}`);
    expect(r.status).toBe(400);
    expect(r.contentType).toMatch(/^application\/problem\+json/);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    expect((r.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
  });
});

describe('while the audit index is rebuilt after a start from a snapshot', () => {
  it('answers 503 NOT_CAUGHT_UP problem+json, then the whole log once the older events are back', async () => {
    const index = server.running.audit;
    // What startApp does when it seeds the read models from a snapshot at position 1: the index
    // knows it lacks the events up to there until the background rebuild hands them over.
    index.expectBackfill('1');
    const r = await http(server.url, 'GET', '/v1/audit?orgId=acme');
    expect(r.status).toBe(503);
    expect(r.contentType).toMatch(/^application\/problem\+json/);
    expect(r.body.code).toBe('NOT_CAUGHT_UP');
    index.prepend(new AuditIndex((a, b) => server.running.store.comparePositions(a, b)));
    const back = await http(server.url, 'GET', '/v1/audit?order=asc&limit=1000');
    expect(back.status).toBe(200);
    expect(positionsOf(back.body.entries as AuditEntry[]).slice(0, all.length)).toEqual(positionsOf(all));
  });
});
