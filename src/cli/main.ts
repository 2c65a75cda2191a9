/*
 * Replay-based debugging against any store: `npm run cli -- <command> [options]` (after `npm run build`).
 * See the README, "Replay CLI". Exit codes: 0 ok, 1 findings (broken chain, drift, --fail-on-diff), 2 usage error,
 * 3 store error, 70 internal error.
 */
import { formatOptions, GLOBAL_OPTIONS, parseOptions } from './args';
import type { Command } from './command';
import { auditExportCommand } from './commands/audit-export';
import { diffCommand } from './commands/diff';
import { explainCommand } from './commands/explain';
import { rebuildCommand } from './commands/rebuild';
import { verifyCommand } from './commands/verify';
import { whatIfCommand } from './commands/what-if';
import { CliStoreError, EXIT, UsageError } from './errors';
import { OutputClosedError, type CliIo, type CommandContext } from './output';
import { messageOf, openStore, storeSelection } from './store';

export const COMMANDS: readonly Command[] = [
  rebuildCommand,
  explainCommand,
  diffCommand,
  verifyCommand,
  auditExportCommand,
  whatIfCommand,
];

const PROGRAM = 'npm run cli --';

/** The top-level help: commands, store options, exit codes. */
export function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${PROGRAM} <command> [options]      (run \`npm run build\` first: the CLI runs from dist/)`,
    '',
    'Replay-based debugging of the permissions event store. Reads only; never appends.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options of every command:',
    formatOptions(GLOBAL_OPTIONS),
    '',
    `\`${PROGRAM} <command> --help\` describes a command.`,
    'Exit codes: 0 ok, 1 findings (broken chain, drift, changes with --fail-on-diff), 2 usage error,',
    '3 store error (missing or unreadable store), 70 internal error.',
  ].join('\n');
}

function commandUsage(c: Command): string {
  return [
    `Usage: ${PROGRAM} ${c.name} [options]`,
    '',
    c.description,
    '',
    'Options:',
    formatOptions(c.options),
    '',
    'Store and output:',
    formatOptions(GLOBAL_OPTIONS),
  ].join('\n');
}

/** Finds the command named by the first one or two tokens (`audit export`). */
function findCommand(argv: readonly string[]): { command: Command; rest: readonly string[] } | null {
  for (const c of COMMANDS) {
    const words = c.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command: c, rest: argv.slice(words.length) };
  }
  return null;
}

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    io.stderr.write(`${mainUsage()}\n`);
    return EXIT.usage;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(`${mainUsage()}\n`);
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (!found) {
    const prefix = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name);
    const message =
      prefix.length > 0
        ? `${first} needs a subcommand: ${prefix.join(', ')}`
        : `unknown command ${JSON.stringify(first)}`;
    io.stderr.write(`error: ${message}\n\n${mainUsage()}\n`);
    return EXIT.usage;
  }
  const { command, rest } = found;
  const usage = commandUsage(command);
  const hint = `Run \`${PROGRAM} ${command.name} --help\` for its options.`;
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    const opts = parseOptions(rest, [...command.options, ...GLOBAL_OPTIONS], usage);
    if (opts.flags.has('help')) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const selection = storeSelection(opts, io.env, hint);
    const ctx: CommandContext = {
      io,
      opts,
      hint,
      json: opts.flags.has('json'),
      quiet: opts.flags.has('quiet'),
      selection,
    };
    if (selection.kind === 'memory' && !ctx.quiet) {
      io.stderr.write('note: --store memory starts empty in a new process (useful for tests only)\n');
    }
    store = await openStore(selection);
    return await command.run(ctx, store);
  } catch (error) {
    if (error instanceof UsageError) {
      // A parse error shows the whole usage; a bad value after parsing only points at --help.
      const more = error.usage ?? mainUsage();
      io.stderr.write(`error: ${error.message}\n${more.startsWith('Usage:') ? '\n' : ''}${more}\n`);
      return EXIT.usage;
    }
    // `cli ... | head`: the reader has what it wanted.
    if (error instanceof OutputClosedError) return EXIT.ok;
    if (error instanceof CliStoreError) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT.store;
    }
    io.stderr.write(
      `internal error: ${error instanceof Error ? (error.stack ?? error.message) : messageOf(error)}\n`,
    );
    return EXIT.internal;
  } finally {
    if (store) await store.close().catch(() => undefined);
  }
}

if (require.main === module) {
  // An EPIPE may also arrive as an 'error' event after the write returned; unhandled, it would crash.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  void runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  }).then((code) => {
    // Let stdout drain instead of process.exit(): a large export piped elsewhere must not be cut short.
    process.exitCode = code;
  });
}
