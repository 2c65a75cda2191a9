import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';

export const SYSTEM_TOKEN = 'test-system-secret';
export const PLAIN_TOKEN = 'test-plain-secret';

export interface TestServer {
  running: RunningApp;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 with its own fresh store (SQLite in a temp dir by default). */
export async function startTestServer(
  store: 'sqlite' | 'memory' = 'sqlite',
  dataDir?: string,
  env: Record<string, string> = {},
): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'perm-e2e-'));
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dir,
    EVENT_STORE: store,
    LOG_LEVEL: 'error',
    PERMISSIONS_API_TOKENS: `ci:${SYSTEM_TOKEN}:system,svc:${PLAIN_TOKEN}`,
    ...env,
  });
  const running = await startApp(config);
  return {
    running,
    url: running.url,
    dataDir: dir,
    async close() {
      await running.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

export async function http(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  options: {
    body?: unknown;
    rawBody?: string;
    actor?: string;
    token?: string | null;
    headers?: Record<string, string>;
  } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? SYSTEM_TOKEN}`;
  if (options.actor) headers['x-actor'] = options.actor;
  let payload: string | undefined;
  if (options.rawBody !== undefined) payload = options.rawBody;
  else if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(base + path, { method, headers, body: payload });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { raw: text };
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body };
}
