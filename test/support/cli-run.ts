/** Runs the built CLI (dist/src/cli/main.js) as a child process, as `npm run cli --` does. */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const CLI = join(ROOT, 'dist/src/cli/main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: ROOT,
        // No inherited EVENT_STORE/DATA_DIR: each test says which store it reads.
        env: { PATH: process.env.PATH ?? '', ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolvePromise({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** Parses the one JSON document a `--json` run prints, with the run's stderr in the message if it is not JSON. */
export function jsonOf<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/** True when some source file is newer than the CLI build (a stale dist would test old code). */
function buildIsStale(): boolean {
  if (!existsSync(CLI)) return true;
  const built = statSync(CLI).mtimeMs;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((d) =>
      d.isDirectory()
        ? newer(join(dir, d.name))
        : d.name.endsWith('.ts') &&
          !d.name.endsWith('.spec.ts') &&
          statSync(join(dir, d.name)).mtimeMs > built,
    );
  return newer(join(ROOT, 'src'));
}

/** Builds dist/ when the sources changed since the last build (beforeAll of CLI tests). */
export function ensureBuilt(): void {
  if (!buildIsStale()) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  } catch (error) {
    // tsc still emits when some file elsewhere has a type error (typecheck reports those); only a missing
    // CLI build is fatal here.
    if (!existsSync(CLI)) throw error;
  }
}

/** Minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF records) to check the export independently. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
    i += 1;
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}
