import Database from 'better-sqlite3';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  closeSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createEventStore } from '../../src/event-store/create-event-store';
import { verifyHashChain } from '../../src/event-store/hash-chain';
import {
  ConcurrencyError,
  DuplicateEventIdError,
  StoreCorruptError,
  type AppendResult,
  type NewEvent,
  type StoredEvent,
} from '../../src/event-store/port';
import { SQLITE_APPLICATION_ID, SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { runEventStoreContract, waitFor } from './event-store.contract';

const REPO_ROOT = resolve(__dirname, '..', '..');
const CHILD_SCRIPT = join(__dirname, 'fixtures', 'sqlite-child.ts');
/**
 * Loads a .ts entry point in a plain `node` child: a require hook transpiles each TypeScript module on the
 * fly (typescript.transpileModule), so the child runs the adapter's real source without a build.
 */
const CHILD_BOOTSTRAP = `
const fs = require('node:fs');
const ts = require('typescript');
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
require(process.argv[1]);
`;

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-es-'));
  tempDirs.push(dir);
  return dir;
}
function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

runEventStoreContract(
  'sqlite',
  async () => SqliteEventStore.open({ dataDir: tempDir() }),
  async () => removeTempDirs(),
  {
    hashChain: true,
    sequencePositions: true,
  },
);

function newEvent(type: string, data: Record<string, unknown> = {}, eventId?: string): NewEvent {
  return {
    ...(eventId ? { eventId } : {}),
    type,
    data,
    metadata: {
      actor: 'system',
      correlationId: randomUUID(),
      occurredAt: '2024-01-01T00:00:00.000Z',
      schemaVersion: 1,
    },
  };
}

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Line-oriented access to a child's stdout. */
class ChildLines {
  private readonly iterator: AsyncIterator<string>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    this.iterator = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  async next(what: string, timeoutMs = 15_000): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`child ${this.child.pid}: timed out waiting for ${what}`)),
        timeoutMs,
      );
    });
    try {
      const line = await Promise.race([this.iterator.next(), timeout]);
      if (line.done) throw new Error(`child ${this.child.pid} ended before ${what}`);
      return line.value;
    } finally {
      clearTimeout(timer);
    }
  }
}

function spawnChild(mode: string, dataDir: string, stream: string): ChildLines {
  const child = spawn(process.execPath, ['-e', CHILD_BOOTSTRAP, CHILD_SCRIPT, mode, dataDir, stream], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('exit', (code) => {
    if (code !== 0 && code !== null)
      process.stderr.write(`[sqlite child ${mode}] exited ${code}: ${stderr}\n`);
  });
  return new ChildLines(child);
}

function exited(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => child.once('exit', () => resolvePromise()));
}

describe('SqliteEventStore specifics', () => {
  const stores: SqliteEventStore[] = [];
  const open = (
    dataDir: string,
    options: Partial<Parameters<typeof SqliteEventStore.open>[0]> = {},
  ): SqliteEventStore => {
    const store = SqliteEventStore.open({ dataDir, ...options });
    stores.push(store);
    return store;
  };

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    removeTempDirs();
  });

  it('creates a missing data directory, uses WAL and writes the format marker', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const store = open(dataDir);
    await store.append('s', [newEvent('A')], 'no_stream');
    expect(store.file).toBe(join(dataDir, 'events.sqlite'));
    const raw = new Database(store.file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('application_id', { simple: true })).toBe(SQLITE_APPLICATION_ID);
      expect(raw.prepare('SELECT key, value FROM meta ORDER BY key').all()).toEqual([
        { key: 'format', value: 'wandb-permissions-events' },
        { key: 'version', value: '1' },
      ]);
    } finally {
      raw.close();
    }
  });

  it('applies the synchronous setting (default FULL) and rejects unknown values', () => {
    const dataDir = tempDir();
    // The pragma is per connection, so it can only be read through the adapter's own handle.
    const synchronousOf = (store: SqliteEventStore): unknown =>
      (store as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true });
    expect(synchronousOf(open(dataDir))).toBe(2);
    expect(synchronousOf(open(dataDir, { synchronous: 'NORMAL' }))).toBe(1);
    expect(synchronousOf(open(dataDir, { synchronous: 'OFF' }))).toBe(0);
    expect(() => open(dataDir, { synchronous: 'EXTRA' as 'FULL' })).toThrow(RangeError);
  });

  it('initialises an existing empty file', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'events.sqlite'), '');
    const store = open(dataDir);
    expect(await store.headPosition()).toBeNull();
    await store.append('s', [newEvent('A')], 'no_stream');
    expect(await store.readStream('s')).toHaveLength(1);
  });

  it('keeps events across close and reopen, and continues positions, revisions and the hash chain', async () => {
    const dataDir = tempDir();
    const first = SqliteEventStore.open({ dataDir });
    const written = [
      ...(await first.append('a', [newEvent('A1', { x: 1 }), newEvent('A2', { x: 2 })], 'no_stream')).events,
      ...(await first.append('b', [newEvent('B1', { y: 'ü' })], 'no_stream')).events,
    ];
    await first.close();

    const reopened = open(dataDir);
    expect(await reopened.readAll()).toEqual(written);
    const next = await reopened.append('a', [newEvent('A3')], 1);
    expect(next.events[0]).toMatchObject({ revision: 2, position: '4' });
    expect(verifyHashChain(await reopened.readAll())).toEqual({ ok: true });
  });

  it('refuses a text file named events.sqlite with a clear StoreCorruptError and leaves it alone', () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'events.sqlite');
    writeFileSync(file, 'these are my notes, not a database\n');
    expect(() => open(dataDir)).toThrow(StoreCorruptError);
    expect(() => open(dataDir)).toThrow(`Event store file ${file} is not a SQLite database`);
    expect(readFileSync(file, 'utf8')).toBe('these are my notes, not a database\n');
  });

  it('refuses a SQLite database with unrelated tables and does not modify it', () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'events.sqlite');
    const foreign = new Database(file);
    foreign.exec(
      `CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('alice');`,
    );
    foreign.close();
    const before = sha256File(file);

    let error: unknown;
    try {
      open(dataDir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/does not belong to this application.*tables: users/);
    expect(sha256File(file)).toBe(before);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  /** A closed store of 400 events; `damage` overwrites a few B-tree pages in the middle with garbage. */
  async function filledStore(damage: boolean): Promise<{ dataDir: string; file: string }> {
    const dataDir = tempDir();
    const store = SqliteEventStore.open({ dataDir });
    for (let batch = 0; batch < 20; batch += 1) {
      const events = Array.from({ length: 20 }, (_, index) =>
        newEvent('Filler', { batch, index, text: 'x'.repeat(300) }),
      );
      await store.append(`s${batch}`, events, 'no_stream');
    }
    await store.close();
    const file = join(dataDir, 'events.sqlite');
    expect(existsSync(`${file}-wal`)).toBe(false);
    if (damage) {
      // Page size 4096: pages 5-7, past the schema page the cheap checks read.
      const fd = openSync(file, 'r+');
      try {
        writeSync(fd, Buffer.alloc(4096 * 3, 0xa5), 0, 4096 * 3, 4096 * 4);
      } finally {
        closeSync(fd);
      }
    }
    return { dataDir, file };
  }

  it('refuses a damaged database file (quick_check)', async () => {
    const { dataDir, file } = await filledStore(true);
    expect(() => open(dataDir)).toThrow(StoreCorruptError);
    expect(() => open(dataDir)).toThrow(file);
  });

  it('integrityCheck background: a damaged file opens, then the check fails it and every append is refused', async () => {
    const { dataDir, file } = await filledStore(true);
    const before = sha256File(file);
    const store = SqliteEventStore.open({ dataDir, integrityCheck: 'background' });
    try {
      expect(store.integrityState).toBe('checking');
      // Issued while the check runs: it waits for the verdict instead of writing into the damaged file.
      const early = store.append('new', [newEvent('A')], 'no_stream');
      await expect(store.integrity).rejects.toThrow(StoreCorruptError);
      await expect(store.integrity).rejects.toThrow(/events\.sqlite is damaged/);
      await expect(early).rejects.toThrow(StoreCorruptError);
      await expect(store.append('new', [newEvent('B')], 'no_stream')).rejects.toThrow(file);
      expect(store.integrityState).toBe('failed');
    } finally {
      await store.close();
    }
    expect(sha256File(file)).toBe(before);
  });

  it('integrityCheck background: a sound file passes, and an append made during the check lands after it', async () => {
    const { dataDir } = await filledStore(false);
    const store = SqliteEventStore.open({ dataDir, integrityCheck: 'background' });
    try {
      expect(store.integrityState).toBe('checking');
      const appended = store.append('s0', [newEvent('A')], 19);
      await expect(store.integrity).resolves.toBeUndefined();
      expect(store.integrityState).toBe('ok');
      await expect(appended).resolves.toMatchObject({ nextExpectedRevision: 20 });
      expect((await store.readStream('s0', 20)).map((e) => e.type)).toEqual(['A']);
    } finally {
      await store.close();
    }
  });

  it('integrityCheck background: a new file needs no check', async () => {
    const store = SqliteEventStore.open({ dataDir: tempDir(), integrityCheck: 'background' });
    try {
      expect(store.integrityState).toBe('ok');
      await store.append('s', [newEvent('A')], 'no_stream');
    } finally {
      await store.close();
    }
  });

  it('the UNIQUE(stream, revision) constraint is in the schema itself', async () => {
    const dataDir = tempDir();
    const store = open(dataDir);
    await store.append('s', [newEvent('A')], 'no_stream');
    const raw = new Database(store.file);
    try {
      expect(() =>
        raw
          .prepare(
            `INSERT INTO events (stream, revision, event_id, type, data, metadata) VALUES ('s', 0, ?, 'X', '{}', '{}')`,
          )
          .run(randomUUID()),
      ).toThrow(/UNIQUE constraint failed: events.stream, events.revision/);
    } finally {
      raw.close();
    }
  });

  it('maps a UNIQUE(stream, revision) violation to ConcurrencyError even if the revision read was stale', async () => {
    const store = open(tempDir());
    await store.append('s', [newEvent('A')], 'no_stream');
    // White-box: make the in-transaction read report "no stream" once, as a racing reader would see it.
    type LastOfStream = { get(stream: string): unknown };
    const statements = (store as unknown as { statements: { lastOfStream: LastOfStream } }).statements;
    const real = statements.lastOfStream;
    let stale = true;
    statements.lastOfStream = {
      get: (stream: string) => {
        if (!stale) return real.get(stream);
        stale = false;
        return undefined;
      },
    };
    const error = await store.append('s', [newEvent('B')], 'no_stream').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ stream: 's', expected: 'no_stream', actual: 0 });
    expect((await store.readStream('s')).map((event) => event.type)).toEqual(['A']);
  });

  it('two store instances on one file: exactly one of 50 concurrent appends wins, and each sees the other', async () => {
    const dataDir = tempDir();
    const a = open(dataDir);
    const b = open(dataDir);
    await a.append('shared', [newEvent('Created')], 'no_stream');
    const seenByB: StoredEvent[] = [];
    b.subscribeAll(null, { onEvent: (event) => void seenByB.push(event) });

    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) =>
        (index % 2 === 0 ? a : b).append('shared', [newEvent('Raced', { index })], 0),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected')
        expect(outcome.reason).toMatchObject({ name: 'ConcurrencyError', actual: 1 });
    }
    expect((await a.readStream('shared')).map((event) => event.revision)).toEqual([0, 1]);
    expect(await b.readStream('shared')).toEqual(await a.readStream('shared'));
    await waitFor(() => seenByB.length === 2, 'B to see both events');
  });

  it('two processes racing on one stream: the database lets exactly one append per revision through', async () => {
    const dataDir = tempDir();
    const setup = open(dataDir);
    await setup.append('contended', [newEvent('Created')], 'no_stream');
    const children = [spawnChild('race', dataDir, 'contended'), spawnChild('race', dataDir, 'contended')];
    try {
      const rounds = 8;
      for (let round = 0; round < rounds; round += 1) {
        // Both children have read the same last revision before either may append.
        const reads = await Promise.all(children.map((child) => child.next(`read (round ${round})`)));
        expect(reads).toEqual([`read ${round}`, `read ${round}`]);
        for (const child of children) child.child.stdin.write('go\n');
        const results = await Promise.all(children.map((child) => child.next(`result (round ${round})`)));
        expect([...results].sort()).toEqual(['conflict', 'win']);
      }
      await Promise.all(children.map((child) => child.next('final read')));
    } finally {
      for (const child of children) child.child.stdin.end();
      await Promise.all(children.map((child) => exited(child.child)));
    }
    const events = await setup.readStream('contended');
    expect(events.map((event) => event.revision)).toEqual(Array.from({ length: 9 }, (_, index) => index));
    expect(verifyHashChain(events)).toEqual({ ok: true });
  }, 30_000);

  it('an append acknowledged by a process that is then SIGKILLed is not lost (and live subscribers see it)', async () => {
    const dataDir = tempDir();
    const observer = open(dataDir);
    const seen: StoredEvent[] = [];
    observer.subscribeAll(null, { onEvent: (event) => void seen.push(event) });

    const child = spawnChild('append-and-wait', dataDir, 'crash');
    const acknowledged = JSON.parse(await child.next('the AppendResult')) as AppendResult;
    child.child.kill('SIGKILL');
    await exited(child.child);
    expect(child.child.signalCode).toBe('SIGKILL');

    // Another process's append reaches this process's subscription through the poll timer.
    await waitFor(() => seen.length === 1, 'the observer subscription to see the child append');
    expect(seen[0]).toEqual(acknowledged.events[0]);
    await observer.close();

    const reopened = open(dataDir);
    const events = await reopened.readStream('crash');
    expect(events).toEqual(acknowledged.events);
    expect(events[0]?.eventId).toBe(acknowledged.events[0]?.eventId);
  }, 30_000);

  it('verifyHashChain detects a data column altered directly in the file', async () => {
    const dataDir = tempDir();
    const store = SqliteEventStore.open({ dataDir });
    await store.append(
      'acct',
      [newEvent('Opened', { owner: 'alice' }), newEvent('Granted', { role: 'viewer' })],
      'no_stream',
    );
    await store.append('other', [newEvent('Noise')], 'no_stream');
    await store.append('acct', [newEvent('Granted', { role: 'admin' })], 1);
    expect(verifyHashChain(await store.readAll())).toEqual({ ok: true });
    await store.close();

    const raw = new Database(join(dataDir, 'events.sqlite'));
    raw.prepare(`UPDATE events SET data = ? WHERE position = 2`).run(JSON.stringify({ role: 'admin' }));
    raw.close();

    const reopened = open(dataDir);
    const result = verifyHashChain(await reopened.readAll());
    expect(result).toEqual({
      ok: false,
      position: '2',
      stream: 'acct',
      revision: 1,
      reason: expect.stringContaining('hash mismatch'),
    });
  });

  it('a duplicate event id is rejected with a clear error and the whole batch is discarded', async () => {
    const store = open(tempDir());
    const id = randomUUID();
    await store.append('s1', [newEvent('A', {}, id)], 'any');
    const error = await store
      .append('s2', [newEvent('B'), newEvent('C', {}, id)], 'any')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DuplicateEventIdError);
    expect((error as Error).message).toContain(id);
    expect(await store.readStream('s2')).toEqual([]);
    const twice = randomUUID();
    await expect(
      store.append('s3', [newEvent('D', {}, twice), newEvent('E', {}, twice)], 'any'),
    ).rejects.toThrow(DuplicateEventIdError);
    expect((await store.readAll()).map((event) => event.type)).toEqual(['A']);
    await expect(store.append('s1', [newEvent('F')], 5)).rejects.toBeInstanceOf(ConcurrencyError);
  });

  describe('group commit', () => {
    it('appends made in one turn share one transaction, and each keeps its own expected revision and failure', async () => {
      const store = open(tempDir());
      await store.append('a', [newEvent('A0')], 'no_stream');
      await store.append('b', [newEvent('B0')], 'no_stream');
      // White-box: count the group transactions (BEGIN IMMEDIATE … COMMIT).
      type Group = { immediate: (...args: unknown[]) => unknown };
      const appender = (store as unknown as { appender: { appendGroup: Group } }).appender;
      const real = appender.appendGroup;
      let transactions = 0;
      appender.appendGroup = {
        immediate: (...args: unknown[]) => {
          transactions += 1;
          return real.immediate(...args);
        },
      };
      {
        // Issued together: one group. The middle one names a wrong revision and fails alone.
        const outcomes = await Promise.allSettled([
          store.append('a', [newEvent('A1'), newEvent('A2')], 0),
          store.append('b', [newEvent('B1')], 7),
          store.append('c', [newEvent('C0')], 'no_stream'),
          // A second append to a stream in the same group sees the first one's revision.
          store.append('a', [newEvent('A3')], 2),
          store.append('a', [newEvent('stale')], 0),
        ]);
        expect(transactions).toBe(1);
        expect(outcomes.map((outcome) => outcome.status)).toEqual([
          'fulfilled',
          'rejected',
          'fulfilled',
          'fulfilled',
          'rejected',
        ]);
        expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({
          name: 'ConcurrencyError',
          expected: 7,
          actual: 0,
        });
        expect((outcomes[4] as PromiseRejectedResult).reason).toMatchObject({
          name: 'ConcurrencyError',
          expected: 0,
          actual: 3,
        });
        const results = outcomes
          .filter(
            (outcome): outcome is PromiseFulfilledResult<AppendResult> => outcome.status === 'fulfilled',
          )
          .map((outcome) => outcome.value);
        // Positions follow the order of the calls, and each result names the event just before it.
        expect(results.map((result) => [result.precedingPosition, result.position])).toEqual([
          ['2', '4'],
          ['4', '5'],
          ['5', '6'],
        ]);
        expect((await store.readStream('a')).map((event) => event.type)).toEqual(['A0', 'A1', 'A2', 'A3']);
        expect((await store.readStream('b')).map((event) => event.type)).toEqual(['B0']);
        expect(verifyHashChain(await store.readAll())).toEqual({ ok: true });
        // Appends in separate turns are separate transactions.
        await store.append('b', [newEvent('B1')], 0);
        await store.append('c', [newEvent('C1')], 0);
        expect(transactions).toBe(3);
      }
    });

    it('an append is acknowledged only once committed: another connection already reads it', async () => {
      const store = open(tempDir());
      const raw = new Database(store.file, { readonly: true });
      try {
        const count = (): number =>
          (raw.prepare(`SELECT COUNT(*) AS n FROM events`).get() as { n: number }).n;
        const pending = Promise.all([
          store.append('x', [newEvent('X')], 'no_stream'),
          store.append('y', [newEvent('Y')], 'no_stream'),
        ]);
        // Queued, not yet written: the transaction runs after this turn's I/O callbacks.
        expect(count()).toBe(0);
        await pending;
        expect(count()).toBe(2);
      } finally {
        raw.close();
      }
    });

    it('a duplicate event id fails its own append only; the rest of the group commits', async () => {
      const store = open(tempDir());
      const id = randomUUID();
      await store.append('s1', [newEvent('A', {}, id)], 'any');
      const [dup, fine] = await Promise.allSettled([
        store.append('s2', [newEvent('B'), newEvent('C', {}, id)], 'any'),
        store.append('s3', [newEvent('D')], 'any'),
      ]);
      expect(dup.status).toBe('rejected');
      expect((dup as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventIdError);
      expect(fine.status).toBe('fulfilled');
      expect((await store.readAll()).map((event) => event.type)).toEqual(['A', 'D']);
      // The failed stream is still writable from where it really stands.
      await store.append('s2', [newEvent('E')], 'no_stream');
    });

    it('when the transaction itself cannot run, every append of the group fails and nothing is stored', async () => {
      const dataDir = tempDir();
      const store = open(dataDir, { busyTimeoutMs: 50 });
      await store.append('s', [newEvent('A')], 'no_stream');
      const locker = new Database(store.file);
      try {
        locker.prepare('BEGIN IMMEDIATE').run();
        const outcomes = await Promise.allSettled([
          store.append('s', [newEvent('B')], 0),
          store.append('t', [newEvent('C')], 'no_stream'),
        ]);
        expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
        for (const outcome of outcomes)
          expect((outcome as PromiseRejectedResult).reason).toMatchObject({ name: 'StoreUnavailableError' });
        locker.prepare('ROLLBACK').run();
      } finally {
        locker.close();
      }
      expect((await store.readAll()).map((event) => event.type)).toEqual(['A']);
      await store.append('s', [newEvent('B')], 0);
    });

    it('close writes the appends still queued before it closes the file', async () => {
      const dataDir = tempDir();
      const store = SqliteEventStore.open({ dataDir });
      const appended = store.append('s', [newEvent('Queued')], 'no_stream');
      await store.close();
      await expect(appended).resolves.toMatchObject({ nextExpectedRevision: 0 });
      const reopened = open(dataDir);
      expect((await reopened.readStream('s')).map((event) => event.type)).toEqual(['Queued']);
    });
  });

  describe('cached stream tips', () => {
    it('a tip made stale behind the cache is still caught by UNIQUE(stream, revision): ConcurrencyError', async () => {
      const store = open(tempDir());
      await store.append('s', [newEvent('A')], 'no_stream');
      await store.append('s', [newEvent('B')], 0);
      // White-box: the cache claims the stream ends at revision 0 (it is at 1).
      type Tips = Map<string, { revision: number; hash: string }>;
      const tips = (store as unknown as { appender: { tips: Tips } }).appender.tips;
      const cached = tips.get('s');
      expect(cached?.revision).toBe(1);
      tips.set('s', { revision: 0, hash: cached?.hash ?? '' });
      const error = await store.append('s', [newEvent('C')], 0).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ stream: 's', expected: 0, actual: 1 });
      // The stale entry is gone: the next append reads the stream's real tip and links to it.
      await store.append('s', [newEvent('C')], 1);
      const events = await store.readStream('s');
      expect(events.map((event) => event.type)).toEqual(['A', 'B', 'C']);
      expect(verifyHashChain(events)).toEqual({ ok: true });
    });

    it('a commit by another connection drops the cache: revisions and the hash chain continue from it', async () => {
      const dataDir = tempDir();
      const a = open(dataDir);
      const b = open(dataDir);
      await a.append('s', [newEvent('A')], 'no_stream');
      await b.append('s', [newEvent('B')], 0);
      await expect(a.append('s', [newEvent('stale')], 0)).rejects.toMatchObject({
        name: 'ConcurrencyError',
        actual: 1,
      });
      await a.append('s', [newEvent('C')], 1);
      const events = await b.readStream('s');
      expect(events.map((event) => [event.type, event.revision])).toEqual([
        ['A', 0],
        ['B', 1],
        ['C', 2],
      ]);
      expect(verifyHashChain(events)).toEqual({ ok: true });
    });
  });

  describe("live subscriptions and this instance's own appends", () => {
    it('delivers its own appends in order, and reads the table for what another connection wrote in between', async () => {
      const dataDir = tempDir();
      const store = open(dataDir, { pollIntervalMs: 20 });
      const other = open(dataDir);
      await store.append('s', [newEvent('A')], 'no_stream');
      const seen: StoredEvent[] = [];
      store.subscribeAll(null, { onEvent: (event) => void seen.push(event) });
      await waitFor(() => seen.length === 1, 'the first event');
      await store.append('s', [newEvent('B')], 0);
      await other.append('t', [newEvent('Other')], 'no_stream');
      await store.append('s', [newEvent('C'), newEvent('D')], 1);
      await waitFor(() => seen.length === 5, 'all five events');
      expect(seen.map((event) => [event.position, event.type])).toEqual([
        ['1', 'A'],
        ['2', 'B'],
        ['3', 'Other'],
        ['4', 'C'],
        ['5', 'D'],
      ]);
      // What was handed over equals what the table holds.
      expect(seen).toEqual(await store.readAll());
    });
  });

  it('is what createEventStore returns for kind sqlite', async () => {
    const dataDir = tempDir();
    const store = await createEventStore({ kind: 'sqlite', dataDir, sqliteSynchronous: 'NORMAL' });
    try {
      expect(store).toBeInstanceOf(SqliteEventStore);
      expect(store.kind).toBe('sqlite');
    } finally {
      await store.close();
    }
    await expect(createEventStore({ kind: 'sqlite' })).rejects.toThrow(/dataDir/);
  });
});
