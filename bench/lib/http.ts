/**
 * Starts bench/server.ts as a child process and drives it with autocannon.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ServerMessage } from '../server';
import { DIST_BENCH } from './paths';

export const BENCH_TOKEN = 'bench-secret-token';

export interface RunningServer {
  url: string;
  ready: Extract<ServerMessage, { type: 'ready' }>;
  child: ChildProcess;
  memory(): Promise<NodeJS.MemoryUsage>;
  /** Starts the server's CPU profiler (node:inspector inside the server process). */
  profileStart(): Promise<void>;
  /** Stops it and writes the `.cpuprofile` to `file`. */
  profileStop(file: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startServer(
  env: Record<string, string>,
  options: { timeoutMs?: number; log?: (line: string) => void } = {},
): Promise<RunningServer> {
  const execArgv: string[] = [];
  const child = fork(join(DIST_BENCH, 'server.js'), [], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      EVENT_STORE: 'sqlite',
      LOG_LEVEL: 'warn',
      PERMISSIONS_API_TOKENS: `bench:${BENCH_TOKEN}:system`,
      ...env,
    },
    execArgv,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  child.stderr?.on('data', (d: Buffer) => options.log?.(d.toString().trimEnd()));
  const ready = await new Promise<Extract<ServerMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('server did not become ready in time')),
      options.timeoutMs ?? 600_000,
    );
    child.on('message', (m: ServerMessage) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m);
      } else if (m.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`server failed: ${m.message}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}`));
    });
  });
  const ask = <T extends ServerMessage['type']>(
    request: object,
    reply: T,
  ): Promise<Extract<ServerMessage, { type: T }>> =>
    new Promise((resolve) => {
      const on = (m: ServerMessage): void => {
        if (m.type === reply) {
          child.off('message', on);
          resolve(m as Extract<ServerMessage, { type: T }>);
        }
      };
      child.on('message', on);
      child.send(request);
    });
  return {
    url: ready.url,
    ready,
    child,
    memory: async () => (await ask({ type: 'memory' }, 'memory')).memory,
    profileStart: async () => {
      await ask({ type: 'profile-start' }, 'profiling');
    },
    profileStop: async (file) => {
      await ask({ type: 'profile-stop', file }, 'profiled');
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'stop' });
      }),
  };
}

export interface LoadResult {
  connections: number;
  durationSec: number;
  requests: number;
  requestsPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** Builds each request: autocannon passes the previous one (its headers included) and sends what this returns. */
export type SetupRequest = (req: autocannon.Request) => autocannon.Request;

/** Runs autocannon against `url` with a request generator; resolves with the summary. */
export async function load(
  url: string,
  options: { connections: number; durationSec: number; next: SetupRequest },
): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationSec,
    headers: { authorization: `Bearer ${BENCH_TOKEN}` },
    requests: [{ setupRequest: options.next }],
  });
  return {
    connections: options.connections,
    durationSec: options.durationSec,
    requests: result.requests.total,
    requestsPerSec: result.requests.average,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.average,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
