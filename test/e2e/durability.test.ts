/**
 * The real server process (dist/src/main.js) on the embedded SQLite store: an acknowledged command
 * survives kill -9; a foreign or damaged DATA_DIR gives a clear start-up error, not an empty store;
 * damage that only the background integrity check reads stops the service once it is found.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { http } from '../support/server';

const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'dist/src/main.js');
const TOKEN = 'durability-secret';

function startServer(
  dataDir: string,
  port: number,
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let out = '';
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      PERMISSIONS_API_TOKENS: `ops:${TOKEN}:system`,
      LOG_LEVEL: 'log',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, output: () => out, exited };
}

async function waitHealthy(url: string, exited: Promise<number | null>): Promise<void> {
  const deadline = Date.now() + 30_000;
  let done = false;
  void exited.then(() => (done = true));
  while (Date.now() < deadline && !done) {
    try {
      const r = await fetch(`${url}/health`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become healthy');
}

const port = 38000 + (process.pid % 1000);
const url = `http://127.0.0.1:${port}`;
let dataDir: string;

/** True when some source file is newer than the build (a stale dist would test old code). */
function buildIsStale(): boolean {
  if (!existsSync(MAIN)) return true;
  const built = statSync(MAIN).mtimeMs;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((d) =>
      d.isDirectory()
        ? newer(join(dir, d.name))
        : d.name.endsWith('.ts') && statSync(join(dir, d.name)).mtimeMs > built,
    );
  return newer(join(ROOT, 'src'));
}

beforeAll(() => {
  if (buildIsStale())
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  dataDir = mkdtempSync(join(tmpdir(), 'perm-durable-'));
}, 180_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('an acknowledged command survives kill -9 of the server', async () => {
  const first = startServer(dataDir, port);
  try {
    await waitHealthy(url, first.exited);
    const r = await http(url, 'POST', '/v1/commands/CreateOrganization', {
      token: TOKEN,
      actor: 'system',
      body: { orgId: 'durable', name: 'Durable', founderUserId: 'alice' },
    });
    expect(r.status).toBe(200);
  } finally {
    first.child.kill('SIGKILL');
    await first.exited;
  }
  const second = startServer(dataDir, port);
  try {
    await waitHealthy(url, second.exited);
    const q = await http(
      url,
      'GET',
      '/v1/check?principal=user:alice&permission=org:manage-users&resource=org:durable',
      {
        token: TOKEN,
      },
    );
    expect(q.status).toBe(200);
    expect(q.body.allowed).toBe(true);
  } finally {
    second.child.kill('SIGKILL');
    await second.exited;
  }
}, 90_000);

it('SIGTERM shuts down gracefully: a snapshot at the head, and the next start is seeded from it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perm-graceful-'));
  try {
    const first = startServer(dir, port);
    let position = '';
    try {
      await waitHealthy(url, first.exited);
      const r = await http(url, 'POST', '/v1/commands/CreateOrganization', {
        token: TOKEN,
        actor: 'system',
        body: { orgId: 'graceful', name: 'Graceful', founderUserId: 'alice' },
      });
      expect(r.status).toBe(200);
      position = r.body.position as string;
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);
    expect(readdirSync(join(dir, 'snapshots'))).toEqual([`snapshot-${position}.bin`]);
    const second = startServer(dir, port);
    try {
      await waitHealthy(url, second.exited);
      expect(second.output()).toContain(
        `read models seeded from snapshot ${join(dir, 'snapshots', `snapshot-${position}.bin`)}`,
      );
      const q = await http(
        url,
        'GET',
        '/v1/check?principal=user:alice&permission=org:manage-users&resource=org:graceful',
        {
          token: TOKEN,
        },
      );
      expect(q.body.allowed).toBe(true);
    } finally {
      second.child.kill('SIGKILL');
      await second.exited;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);

it('a file damaged where start-up does not read: served from the snapshot, then the background quick_check stops the service (exit 3)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perm-damaged-'));
  try {
    const first = startServer(dir, port);
    try {
      await waitHealthy(url, first.exited);
      // A few hundred events, so that the early pages hold only old rows.
      for (let i = 0; i < 120; i += 1) {
        const r = await http(url, 'POST', '/v1/commands/CreateOrganization', {
          token: TOKEN,
          actor: 'system',
          body: { orgId: `org-${i}`, name: `Organization number ${i}`, founderUserId: `founder-${i}` },
        });
        expect(r.status).toBe(200);
      }
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);
    // Pages 5-7 (of 4096 bytes): early events and index entries; the snapshot covers them all.
    const fd = openSync(join(dir, 'events.sqlite'), 'r+');
    try {
      writeSync(fd, Buffer.alloc(4096 * 3, 0xa5), 0, 4096 * 3, 4096 * 4);
    } finally {
      closeSync(fd);
    }
    const second = startServer(dir, port);
    expect(await second.exited).toBe(3);
    expect(second.output()).toContain('read models seeded from snapshot');
    expect(second.output()).toMatch(/cannot continue: Event store file .*events\.sqlite is damaged/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);

it.each([
  ['a text file', (f: string) => writeFileSync(f, 'this is not a database\n'.repeat(100))],
  ['random bytes', (f: string) => writeFileSync(f, Buffer.alloc(8192, 7))],
])(
  'a foreign events.sqlite (%s) stops start-up with a clear error',
  async (_label, corrupt) => {
    const dir = mkdtempSync(join(tmpdir(), 'perm-corrupt-'));
    try {
      corrupt(join(dir, 'events.sqlite'));
      const s = startServer(dir, port + 1);
      const code = await s.exited;
      expect(code).not.toBe(0);
      expect(s.output()).toMatch(/cannot start: .*events\.sqlite/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  60_000,
);
