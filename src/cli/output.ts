/*
 * Output helpers: the command context (streams, options, store selection), JSON and text printing with
 * backpressure (an export piped into `head` or a slow disk must not buffer the whole store in memory),
 * and RFC 4180 CSV.
 */
import type { ParsedOptions } from './args';
import type { ProgressSink } from './progress';
import type { StoreSelection } from './store';

/** A writable the CLI prints to (process.stdout/stderr, a file stream, a buffer in tests). */
export interface OutStream {
  write(chunk: string, callback?: (error?: Error | null) => void): boolean;
  once(event: 'drain' | 'error', listener: (...args: unknown[]) => void): unknown;
  off(event: 'drain' | 'error', listener: (...args: unknown[]) => void): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** The process's streams and environment. */
export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env: NodeJS.ProcessEnv;
}

/** What a command runs with. */
export interface CommandContext {
  io: CliIo;
  opts: ParsedOptions;
  /** Printed after a usage error found once the options parsed (bad value): points at `--help`. */
  hint: string;
  json: boolean;
  quiet: boolean;
  selection: StoreSelection;
}

/** The reader of stdout went away (`| head`): stop writing, like any Unix filter. */
export class OutputClosedError extends Error {
  constructor() {
    super('output closed by its reader');
    this.name = 'OutputClosedError';
  }
}

function isEpipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

/** Writes and waits for `drain` when the stream's buffer is full. */
export async function writeOut(stream: OutStream, text: string): Promise<void> {
  let flowing: boolean;
  try {
    flowing = stream.write(text);
  } catch (error) {
    throw isEpipe(error) ? new OutputClosedError() : error;
  }
  if (flowing) return;
  await new Promise<void>((resolve, reject) => {
    // Each wait removes what it added: a long export waits thousands of times on the same stream.
    const onDrain = (): void => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (error: unknown): void => {
      stream.off('drain', onDrain);
      reject(
        isEpipe(error) ? new OutputClosedError() : error instanceof Error ? error : new Error(String(error)),
      );
    };
    stream.once('drain', onDrain);
    stream.once('error', onError);
  });
}

/** One JSON document on stdout (`--json`). */
export function printJson(ctx: CommandContext, value: unknown): Promise<void> {
  return writeOut(ctx.io.stdout, `${JSON.stringify(value, null, 2)}\n`);
}

/** Lines of human output on stdout. */
export function printLines(ctx: CommandContext, lines: readonly string[]): Promise<void> {
  return writeOut(ctx.io.stdout, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
}

/** A note on stderr (never mixed into the answer on stdout). */
export function note(ctx: CommandContext, text: string): void {
  if (!ctx.quiet) ctx.io.stderr.write(`${text}\n`);
}

/** Progress sink on stderr. */
export function progressSink(ctx: CommandContext): ProgressSink {
  const stderr = ctx.io.stderr;
  return {
    ...(stderr.isTTY !== undefined ? { isTTY: stderr.isTTY } : {}),
    ...(stderr.columns !== undefined ? { columns: stderr.columns } : {}),
    write: (text: string) => stderr.write(text),
  };
}

/** RFC 4180 field: quoted when it holds a comma, a quote, CR or LF; quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** RFC 4180 record, CRLF-terminated. */
export function csvRecord(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** Rounds a duration for display and JSON (milliseconds are noise here). */
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

export function rate(events: number, seconds: number): number {
  return seconds > 0 ? Math.round(events / seconds) : events;
}

/** `1 org` / `3 orgs`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
