/**
 * Phases run as child processes (a fresh heap each, so one phase's garbage never inflates another's
 * memory or timings). A phase gets `--store <dir> --out <file>` and writes its result there as JSON.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs, type Args } from './args';

export function runPhase<T>(
  name: string,
  body: (args: Args, log: (line: string) => void) => Promise<T>,
): void {
  const args = parseArgs();
  const out = args.get('out');
  const log = (line: string): void => {
    process.stderr.write(`[${name}] ${line}\n`);
  };
  body(args, log)
    .then((result) => {
      const json = `${JSON.stringify(result, null, 2)}\n`;
      if (out) writeFileSync(out, json);
      else process.stdout.write(json);
    })
    .catch((err: unknown) => {
      process.stderr.write(
        `[${name}] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    });
}

/** `global.gc` when node runs with --expose-gc (the memory phase needs it). */
export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}
