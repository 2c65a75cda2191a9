import { isIP } from 'node:net';
import { join, resolve } from 'node:path';

export interface ClientToken {
  name: string;
  secret: string;
  system: boolean;
}

export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  eventStore: 'sqlite' | 'esdb' | 'memory';
  esdbConnectionString?: string;
  sqliteSynchronous: 'FULL' | 'NORMAL' | 'OFF';
  /** SQLITE_INTEGRITY_CHECK: `PRAGMA quick_check` in the background (commands wait for it) or before start-up. */
  sqliteIntegrityCheck: 'background' | 'startup';
  tokens: ClientToken[];
  /** True when no tokens were configured and the development token is in use. */
  devToken: boolean;
  commandRetries: number;
  consistencyTimeoutMs: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** SNAPSHOT_EVERY: snapshot the read models each time the event count reaches a multiple; 0 = off. */
  snapshotEvery: number;
  /** SNAPSHOT_KEEP: snapshots retained, spread over the history (time travel starts from them). */
  snapshotKeep: number;
  /** SNAPSHOT_DIR: where snapshot files live (default DATA_DIR/snapshots; unused by the memory store). */
  snapshotDir: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const DEV_TOKEN = 'dev-token';

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function int(env: NodeJS.ProcessEnv, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Parses `name:secret[:system],...` (api.md "Client tokens"). */
export function parseTokens(raw: string): ClientToken[] {
  const tokens: ClientToken[] = [];
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const bits = part.split(':');
    const [name, secret, flag] = bits;
    if (bits.length < 2 || bits.length > 3 || !name || !secret || (flag !== undefined && flag !== 'system')) {
      throw new ConfigError(
        `PERMISSIONS_API_TOKENS entry "${part.replace(/:.*/, ':***')}" must be name:secret or name:secret:system`,
      );
    }
    if (tokens.some((t) => t.secret === secret))
      throw new ConfigError(`PERMISSIONS_API_TOKENS has a duplicate secret`);
    tokens.push({ name, secret, system: flag === 'system' });
  }
  return tokens;
}

/** Reads and validates the environment; throws ConfigError with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const host = env.HOST ?? '127.0.0.1';
  const store = env.EVENT_STORE ?? 'sqlite';
  if (store !== 'sqlite' && store !== 'esdb' && store !== 'memory') {
    throw new ConfigError(`EVENT_STORE must be sqlite, esdb or memory, got "${store}"`);
  }
  if (store === 'esdb' && !env.ESDB_CONNECTION_STRING) {
    throw new ConfigError(
      'EVENT_STORE=esdb needs ESDB_CONNECTION_STRING (e.g. esdb://localhost:2113?tls=false)',
    );
  }
  const sync = (env.SQLITE_SYNCHRONOUS ?? 'FULL').toUpperCase();
  if (sync !== 'FULL' && sync !== 'NORMAL' && sync !== 'OFF') {
    throw new ConfigError(`SQLITE_SYNCHRONOUS must be FULL, NORMAL or OFF, got "${sync}"`);
  }
  const integrity = (env.SQLITE_INTEGRITY_CHECK ?? 'background').toLowerCase();
  if (integrity !== 'background' && integrity !== 'startup') {
    throw new ConfigError(`SQLITE_INTEGRITY_CHECK must be background or startup, got "${integrity}"`);
  }
  const logLevel = env.LOG_LEVEL ?? 'log';
  if (logLevel !== 'error' && logLevel !== 'warn' && logLevel !== 'log' && logLevel !== 'debug') {
    throw new ConfigError(`LOG_LEVEL must be error, warn, log or debug, got "${logLevel}"`);
  }
  let tokens = env.PERMISSIONS_API_TOKENS ? parseTokens(env.PERMISSIONS_API_TOKENS) : [];
  let devToken = false;
  if (tokens.length === 0) {
    if (!isLoopback(host)) {
      throw new ConfigError(
        `PERMISSIONS_API_TOKENS is not set and HOST=${host} is not a loopback address: ` +
          'the development token is only accepted on a loopback bind (api.md). Set PERMISSIONS_API_TOKENS.',
      );
    }
    tokens = [{ name: 'dev', secret: DEV_TOKEN, system: true }];
    devToken = true;
  }
  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    host,
    dataDir: resolve(env.DATA_DIR ?? './data'),
    eventStore: store,
    esdbConnectionString: env.ESDB_CONNECTION_STRING,
    sqliteSynchronous: sync,
    sqliteIntegrityCheck: integrity,
    tokens,
    devToken,
    commandRetries: int(env, 'COMMAND_RETRIES', 5, 0, 100),
    consistencyTimeoutMs: int(env, 'CONSISTENCY_TIMEOUT_MS', 5000, 1, 600000),
    logLevel,
    snapshotEvery: int(env, 'SNAPSHOT_EVERY', 50_000, 0, 100_000_000),
    snapshotKeep: int(env, 'SNAPSHOT_KEEP', 10, 1, 1000),
    snapshotDir: resolve(env.SNAPSHOT_DIR || join(env.DATA_DIR ?? './data', 'snapshots')),
  };
}
