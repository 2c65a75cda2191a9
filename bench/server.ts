/**
 * The real service (startApp from src/app.ts) in a child process for the HTTP benchmarks, configured
 * through the same environment variables as production. Reports over IPC when it is ready (and once
 * the audit index backfill after a snapshot start is done, so that no background work overlaps the
 * load), answers memory probes, and shuts down gracefully on request (so --cpu-prof gets written).
 */
import { performance } from 'node:perf_hooks';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { startProfiling, stopProfiling } from './lib/cpuprofile';

export type ServerMessage =
  | {
      type: 'ready';
      url: string;
      startAppMs: number;
      sinceProcessStartMs: number;
      backfillMs: number;
      memory: NodeJS.MemoryUsage;
    }
  | { type: 'memory'; memory: NodeJS.MemoryUsage }
  | { type: 'profiling' }
  | { type: 'profiled'; file: string }
  | { type: 'error'; message: string };

function send(message: ServerMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const t0 = performance.now();
  const running = await startApp(config);
  const t1 = performance.now();
  // Present once the snapshot work is wired in: the audit index backfills in the background after a
  // snapshot start; load must not overlap it.
  const backfill = (running as { auditBackfill?: Promise<unknown> }).auditBackfill;
  if (backfill) await backfill;
  const t2 = performance.now();
  process.on('message', (m: { type: string; file?: string }) => {
    if (m.type === 'memory') send({ type: 'memory', memory: process.memoryUsage() });
    if (m.type === 'profile-start') void startProfiling().then(() => send({ type: 'profiling' }));
    if (m.type === 'profile-stop' && m.file) {
      const file = m.file;
      void stopProfiling(file).then(() => send({ type: 'profiled', file }));
    }
    if (m.type === 'stop') {
      running
        .close()
        .catch((err: unknown) => process.stderr.write(`close failed: ${String(err)}\n`))
        .finally(() => process.exit(0));
    }
  });
  send({
    type: 'ready',
    url: running.url,
    startAppMs: t1 - t0,
    sinceProcessStartMs: t1,
    backfillMs: t2 - t1,
    memory: process.memoryUsage(),
  });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
