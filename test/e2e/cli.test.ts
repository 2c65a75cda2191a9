/**
 * The replay CLI (dist/src/cli/main.js) against a SQLite store recorded through the real app: every
 * command is run as a child process and its --json answer checked against what the server said.
 */
import Database from 'better-sqlite3';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSnapshot, encodeSnapshot } from '../../src/read-model/snapshot';
import { FileSnapshotStore } from '../../src/read-model/snapshot-store';
import { recordHistory, type CliHistory } from '../support/cli-history';
import { ensureBuilt, jsonOf, parseCsv, runCli } from '../support/cli-run';
import { http, startTestServer, type TestServer } from '../support/server';

let dataDir: string;
let history: CliHistory;
/** HTTP answers of the server for the checks the explain tests repeat offline. */
const httpChecks = new Map<string, { allowed: boolean; role?: string }>();

const CHECKS: [string, string, string, string | null][] = [
  ['user:dave', 'run:delete', 'run:run-bob-1', null],
  ['user:dave', 'run:delete', 'run:run-dave-1', null],
  ['user:dave', 'project:update', 'project:vision', null],
  ['user:carol', 'project:delete', 'project:vision', null],
  ['user:bob', 'project:delete', 'project:vision', null],
  ['user:erin', 'project:read', 'project:vision', null],
  ['user:carol', 'registry:members.manage', 'registry:models-ml', null],
  ['user:alice', 'org:manage-users', 'org:acme', null],
  // As of before carol's promotion (consistency at:).
  ['user:carol', 'project:delete', 'project:vision', 'beforePromotion'],
];
const checkKey = (c: (typeof CHECKS)[number]) => c.join(' ');

const cli = (...args: string[]) => runCli([...args, '--data-dir', dataDir, '--quiet']);

beforeAll(async () => {
  ensureBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'perm-cli-'));
  const server: TestServer = await startTestServer('sqlite', dataDir);
  try {
    history = await recordHistory(server);
    for (const c of CHECKS) {
      const [principal, permission, resource, at] = c;
      const consistency = at === null ? '' : `&consistency=at:${history.beforePromotion}`;
      const r = await http(
        server.url,
        'GET',
        `/v1/check?principal=${principal}&permission=${permission}&resource=${resource}${consistency}`,
      );
      expect(r.status).toBe(200);
      httpChecks.set(checkKey(c), r.body as { allowed: boolean; role?: string });
    }
  } finally {
    await server.close();
  }
}, 240_000);

afterAll(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('rebuild', () => {
  it('replays every event and reports counts, time and rate', async () => {
    const r = await cli('rebuild', '--json');
    expect(r.code).toBe(0);
    const out = jsonOf(r);
    expect(out).toMatchObject({
      position: history.head,
      events: history.events,
      orgs: 1,
      totals: { users: 5, teams: 1, projects: 1, runs: 2, reports: 1, registries: 3, customRoles: 1 },
      skipped: 0,
    });
    expect(typeof out.seconds).toBe('number');
    expect(typeof out.eventsPerSecond).toBe('number');
  });

  it('--to stops at a position', async () => {
    const out = jsonOf(await cli('rebuild', '--json', '--to', history.beforePromotion));
    expect(out).toMatchObject({ position: history.beforePromotion, events: Number(history.beforePromotion) });
  });

  it('prints a human summary and periodic progress lines on a non-terminal stderr', async () => {
    const r = await runCli(['rebuild', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^rebuilt ${history.events} events, 1 org in [0-9.]+ s \\(\\d+ events/s\\)`),
    );
    // Lines, never a carriage-return bar, when stderr is a pipe.
    expect(r.stderr).not.toContain('\r');
  });
});

describe('explain', () => {
  it.each(CHECKS)('%s %s %s (at %s) answers as the HTTP check did', async (...c) => {
    const [principal, permission, resource, at] = c;
    const args = [
      'explain',
      '--json',
      '--principal',
      principal,
      '--permission',
      permission,
      '--resource',
      resource,
    ];
    if (at !== null) args.push('--at', history.beforePromotion);
    const r = await cli(...args);
    expect(r.code).toBe(0);
    const out = jsonOf<{ allowed: boolean; role?: string; position: string; steps: unknown[] }>(r);
    const expected = httpChecks.get(checkKey(c));
    expect(out.allowed).toBe(expected?.allowed);
    expect(out.role).toBe(expected?.role);
    expect(out.position).toBe(at === null ? history.head : history.beforePromotion);
    expect(out.steps.length).toBeGreaterThan(0);
  });

  it('R5: the human answer names the rule and the derivation', async () => {
    const r = await cli(
      'explain',
      '--principal',
      'user:dave',
      '--permission',
      'run:delete',
      '--resource',
      'run:run-bob-1',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^DENIED: user:dave run:delete on run:run-bob-1 \(role custom:runner\)/);
    expect(r.stdout).toContain('R5');
    expect(r.stdout).toContain('user:dave has role custom:runner in team:ml');
    expect(r.stdout).toContain(`<- TeamMemberAdded@${history.daveAdded} by user:alice`);
    expect(r.stdout).toMatch(/^missing: .*creator of run:run-bob-1/m);
  });

  it('cites the events behind each fact: carol is team admin since the TeamRoleChanged of her promotion', async () => {
    const out = jsonOf<{
      steps: { fact: string; events: { type: string; position: string; actor: string }[] }[];
    }>(
      await cli(
        'explain',
        '--json',
        '--principal',
        'user:carol',
        '--permission',
        'project:delete',
        '--resource',
        'project:vision',
      ),
    );
    const step = out.steps.find((s) => s.fact === 'user:carol has role admin in team:ml');
    expect(step?.events.map((e) => e.type)).toEqual(['TeamMemberAdded', 'TeamRoleChanged']);
    expect(step?.events[1]?.actor).toBe('user:alice');
    expect(Number(step?.events[1]?.position)).toBeGreaterThan(Number(history.beforePromotion));
  });

  it('a resource that does not exist at the position is a denial, not an error', async () => {
    const r = await cli(
      'explain',
      '--json',
      '--principal',
      'user:carol',
      '--permission',
      'run:read',
      '--resource',
      'run:nope',
    );
    expect(r.code).toBe(0);
    expect(jsonOf(r)).toMatchObject({
      allowed: false,
      reason: `run:nope does not exist at position ${history.head}`,
    });
  });
});

describe('diff', () => {
  it('A4: carol member → admin of ml lists exactly her changes, gaining project:delete on vision', async () => {
    const r = await cli('diff', '--json', '--from', history.beforePromotion, '--to', history.head);
    expect(r.code).toBe(0);
    const out = jsonOf<{
      changes: {
        principal: string;
        resource: string;
        gained: string[];
        lost: string[];
        before: { role?: string };
        after: { role?: string };
      }[];
    }>(r);
    expect(out.changes.map((c) => `${c.principal} ${c.resource}`)).toEqual([
      'user:carol team:ml',
      'user:carol project:vision',
      // A19: the owning team's admin is registry admin.
      'user:carol registry:models-ml',
    ]);
    const vision = out.changes[1];
    expect(vision?.before.role).toBe('member');
    expect(vision?.after.role).toBe('admin');
    expect(vision?.gained).toEqual(
      expect.arrayContaining(['project:delete', 'project:manage-members', 'run:delete']),
    );
    expect(vision?.lost).toEqual(expect.arrayContaining(['run:delete(own)']));
  });

  it('finds nothing between a position and itself; --fail-on-diff exits 1 only when something changed', async () => {
    const same = await cli('diff', '--json', '--from', history.head, '--fail-on-diff');
    expect(same.code).toBe(0);
    expect(jsonOf(same).changes).toEqual([]);
    const changed = await cli('diff', '--from', history.beforePromotion, '--fail-on-diff');
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/^access changes from \d+ to \d+: 3 changes/);
  });

  it('--principal and --resource narrow the comparison', async () => {
    const out = jsonOf<{ changes: { resource: string }[] }>(
      await cli(
        'diff',
        '--json',
        '--from',
        history.beforePromotion,
        '--principal',
        'user:carol',
        '--resource',
        'project',
      ),
    );
    expect(out.changes.map((c) => c.resource)).toEqual(['project:vision']);
  });
});

describe('what-if', () => {
  it('A46: adding run:delete to runner lets dave delete other people’s runs in vision', async () => {
    const r = await cli('what-if', '--json', '--org', 'acme', '--role', 'runner', '--add', 'run:delete');
    expect(r.code).toBe(0);
    const out = jsonOf<{ permissions: { actual: string[]; whatIf: string[] }; changes: unknown[] }>(r);
    expect(out.permissions).toEqual({ actual: ['project:update'], whatIf: ['project:update', 'run:delete'] });
    expect(out.changes).toEqual([
      expect.objectContaining({
        principal: 'user:dave',
        resource: 'project:vision',
        gained: ['run:delete'],
        lost: ['run:delete(own)'],
      }),
    ]);
  });

  it('removing project:update takes it from dave', async () => {
    const out = jsonOf<{ changes: { principal: string; resource: string; lost: string[] }[] }>(
      await cli(
        'what-if',
        '--json',
        '--org',
        'acme',
        '--role',
        'custom:runner',
        '--remove',
        'project:update',
      ),
    );
    expect(out.changes).toEqual([
      expect.objectContaining({
        principal: 'user:dave',
        resource: 'project:vision',
        lost: ['project:update'],
      }),
    ]);
  });

  it('rejects an unknown role and a permission outside the §3.8 catalogue', async () => {
    const noRole = await cli('what-if', '--org', 'acme', '--role', 'ghost', '--add', 'run:delete');
    expect(noRole.code).toBe(2);
    expect(noRole.stderr).toContain('custom role ghost does not exist');
    const badPerm = await cli(
      'what-if',
      '--org',
      'acme',
      '--role',
      'runner',
      '--add',
      'project:manage-members',
    );
    expect(badPerm.code).toBe(2);
    expect(badPerm.stderr).toContain('not a custom-role permission');
  });
});

describe('verify', () => {
  it('passes on the intact store, the live snapshot the server took at shutdown matching a rebuild', async () => {
    const r = await cli('verify', '--json');
    expect(r.code).toBe(0);
    expect(jsonOf(r)).toMatchObject({
      ok: true,
      hashChain: { checked: true, ok: true, events: history.events, streams: 1, brokenCount: 0 },
      rebuild: { events: history.events, skipped: 0 },
      snapshot: {
        checked: true,
        file: join(dataDir, 'snapshots', `snapshot-${history.head}.bin`),
        position: history.head,
        ok: true,
        differenceCount: 0,
      },
    });
  });

  it('detects an event altered in the SQLite file and reports its position', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'perm-cli-tampered-'));
    try {
      cpSync(dataDir, copy, { recursive: true });
      const db = new Database(join(copy, 'events.sqlite'));
      const changed = db
        .prepare(`UPDATE events SET data = json_set(data, '$.role', 'admin') WHERE position = ?`)
        .run(Number(history.daveAdded));
      db.close();
      expect(changed.changes).toBe(1);

      const r = await runCli(['verify', '--json', '--data-dir', copy, '--quiet']);
      expect(r.code).toBe(1);
      const out = jsonOf<{
        ok: boolean;
        hashChain: { firstBroken: Record<string, unknown>; brokenCount: number };
      }>(r);
      expect(out.ok).toBe(false);
      expect(out.hashChain.firstBroken).toEqual({
        position: history.daveAdded,
        stream: 'org-acme',
        revision: Number(history.daveAdded) - 1,
        reason: expect.stringContaining('hash mismatch'),
      });
      // Only the altered event: the links after it still match what is stored.
      expect(out.hashChain.brokenCount).toBe(1);
      const human = await runCli(['verify', '--data-dir', copy, '--quiet']);
      expect(human.code).toBe(1);
      expect(human.stdout).toContain(`hash chain: BROKEN`);
      expect(human.stdout).toContain(`position ${history.daveAdded}, stream org-acme`);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('snapshots: rebuild --write-snapshot, verify compares', () => {
  let copy: string;
  beforeEach(() => {
    copy = mkdtempSync(join(tmpdir(), 'perm-cli-snap-'));
    cpSync(dataDir, copy, { recursive: true });
    // Without the snapshot the server took at shutdown: each test writes its own.
    rmSync(join(copy, 'snapshots'), { recursive: true, force: true });
  });
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  it('verify without a snapshot says there is nothing to compare with', async () => {
    const out = jsonOf<{ ok: boolean; snapshot: { checked: boolean; reason: string } }>(
      await runCli(['verify', '--json', '--quiet', '--data-dir', copy]),
    );
    expect(out.ok).toBe(true);
    expect(out.snapshot).toEqual({ checked: false, reason: `no snapshot in ${join(copy, 'snapshots')}` });
  });

  it('a snapshot written by rebuild matches a rebuild from scratch', async () => {
    const written = await runCli([
      'rebuild',
      '--json',
      '--quiet',
      '--write-snapshot',
      '--to',
      history.beforePromotion,
      '--data-dir',
      copy,
    ]);
    expect(written.code).toBe(0);
    const file = join(copy, 'snapshots', `snapshot-${history.beforePromotion}.bin`);
    expect(jsonOf(written).snapshot).toEqual({ file, position: history.beforePromotion });
    const r = await runCli(['verify', '--json', '--quiet', '--data-dir', copy]);
    expect(r.code).toBe(0);
    expect(jsonOf(r).snapshot).toEqual({
      checked: true,
      file,
      position: history.beforePromotion,
      ok: true,
      differenceCount: 0,
      differences: [],
    });
  });

  it('drift: a snapshot whose state differs from the rebuild fails verify and names the difference', async () => {
    expect((await runCli(['rebuild', '--quiet', '--write-snapshot', '--data-dir', copy])).code).toBe(0);
    // Re-encode the snapshot with carol still a member: a valid file (hash and header) holding other state.
    const files = new FileSnapshotStore(join(copy, 'snapshots'));
    const name = `snapshot-${history.head}.bin`;
    const { readModel } = await decodeSnapshot(await files.read(name), {
      comparePositions: (a, b) => Number(a) - Number(b),
    });
    readModel.org('acme')?.teams.get('ml')?.members.set('carol', 'member');
    await files.write(await encodeSnapshot(readModel, { storeKind: 'sqlite' }));

    const r = await runCli(['verify', '--json', '--quiet', '--data-dir', copy]);
    expect(r.code).toBe(1);
    const out = jsonOf<{
      ok: boolean;
      snapshot: { ok: boolean; differenceCount: number; differences: unknown[] };
    }>(r);
    expect(out.ok).toBe(false);
    expect(out.snapshot.ok).toBe(false);
    expect(out.snapshot.differences).toEqual([
      { path: 'orgs.acme.teams.ml.members.carol', expected: '"admin"', actual: '"member"' },
    ]);
    const human = await runCli(['verify', '--quiet', '--data-dir', copy]);
    expect(human.stdout).toContain('snapshot: DRIFT');
    expect(human.stdout).toContain('orgs.acme.teams.ml.members.carol: rebuild "admin", snapshot "member"');
  });
});

describe('audit export', () => {
  it('jsonl: one entry per event, in position order', async () => {
    const r = await cli('audit', 'export', '--format', 'jsonl');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(history.events);
    const entries = lines.map((l) => JSON.parse(l) as { position: string; type: string });
    expect(entries.map((e) => Number(e.position))).toEqual(entries.map((_e, i) => i + 1));
    expect(entries[0]?.type).toBe('OrganizationCreated');
  });

  it('filters like GET /v1/audit (type, subject, resource, position bounds)', async () => {
    const count = async (...args: string[]) => {
      const r = await cli('audit', 'export', ...args);
      expect(r.code).toBe(0);
      return r.stdout.trimEnd().split('\n').filter(Boolean).length;
    };
    // A49 alice, then bob, carol, dave.
    expect(await count('--org', 'acme', '--type', 'TeamMemberAdded')).toBe(4);
    expect(await count('--subject', 'user:carol')).toBe(4); // joined, added to ml, TeamRoleChanged, ProjectRoleChanged
    expect(await count('--resource', 'run:run-bob-1')).toBe(1);
    expect(await count('--from', history.beforePromotion, '--to', history.beforePromotion)).toBe(1);
    expect(await count('--org', 'nope')).toBe(0);
  });

  it('csv: header row, RFC 4180 quoting, data as JSON; --out writes a file', async () => {
    const file = join(dataDir, 'audit.csv');
    const r = await cli('audit', 'export', '--format', 'csv', '--out', file, '--json');
    expect(r.code).toBe(0);
    expect(jsonOf(r)).toEqual({ format: 'csv', entries: history.events, out: file });
    const text = readFileSync(file, 'utf8');
    const rows = parseCsv(text);
    expect(rows).toHaveLength(history.events + 1);
    const header = rows[0] as string[];
    expect(header).toEqual([
      'position',
      'occurredAt',
      'type',
      'stream',
      'revision',
      'actor',
      'correlationId',
      'causationId',
      'causedBy',
      'eventId',
      'commandName',
      'wandbAction',
      'data',
    ]);
    const report = rows.find((row) => row[2] === 'ReportCreated') as string[];
    expect(JSON.parse(report[12] as string)).toMatchObject({ reportId: 'rep-1', name: 'Q3 "final", v2' });
    // The data field is quoted and its quotes doubled.
    expect(text).toContain('"{""reportId"":""rep-1""');
    const org = rows.find((row) => row[2] === 'OrganizationCreated') as string[];
    expect(JSON.parse(org[12] as string).name).toBe('Acme, Inc.');
    // C7/A4: the project-role tracking is a cascade of carol's TeamRoleChanged, one position before it.
    const tracking = rows.find((row) => row[2] === 'ProjectRoleChanged') as string[];
    expect(tracking[0]).toBe(history.head);
    expect(tracking[8]).toBe(String(Number(history.head) - 1));
  });
});

describe('usage and store errors', () => {
  it.each([
    [['rebuild', '--bogus'], 'unknown option --bogus'],
    [['explain', '--principal', 'user:dave'], 'missing required option --permission'],
    [['diff', '--from'], 'option --from needs a value'],
    [['diff', '--from', '999999'], 'beyond the head of the store'],
    [['diff', '--from', 'abc'], 'Invalid event-store position'],
    [['audit', 'export', '--format', 'xml'], '--format must be jsonl or csv'],
    [['audit'], 'audit needs a subcommand: audit export'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['rebuild', '--store', 'mongo'], '--store must be sqlite, esdb or memory'],
    [['rebuild', '--store', 'esdb'], '--store esdb needs --esdb'],
  ])('%j → exit 2 with a message', async (args, message) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('no arguments → usage on stderr, exit 2; --help → usage on stdout, exit 0', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: npm run cli -- <command>');
    const help = await runCli(['what-if', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('NOT re-decided');
  });

  it('a missing DATA_DIR/events.sqlite is a store error (exit 3) and no empty store is created', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'perm-cli-empty-'));
    try {
      const r = await runCli(['rebuild'], { DATA_DIR: join(empty, 'data') });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`no event store at ${join(empty, 'data', 'events.sqlite')}`);
      expect(existsSync(join(empty, 'data'))).toBe(false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
