/*
 * A small, strict argv parser: `--name value`, `--name=value` and boolean `--flag`. Anything it does not
 * know is an error (exit code 2), so that a typo never silently changes what a debugging command shows.
 */
import { UsageError } from './errors';

/** One `--option` of a command. */
export interface OptionSpec {
  name: string;
  type: 'string' | 'boolean';
  description: string;
  /** Placeholder in the usage text, e.g. `<position>`. */
  valueName?: string;
  required?: boolean;
}

/** Parsed options: string options by name; boolean options are `true` when given. */
export interface ParsedOptions {
  strings: Map<string, string>;
  flags: Set<string>;
}

/** Options every command accepts (store selection and output). */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'store',
    type: 'string',
    valueName: 'sqlite|esdb|memory',
    description: 'event store to read (default: $EVENT_STORE or sqlite)',
  },
  {
    name: 'data-dir',
    type: 'string',
    valueName: '<dir>',
    description: 'directory of events.sqlite and snapshots (default: $DATA_DIR or ./data)',
  },
  {
    name: 'esdb',
    type: 'string',
    valueName: '<connection string>',
    description: 'EventStoreDB connection string (default: $ESDB_CONNECTION_STRING)',
  },
  { name: 'json', type: 'boolean', description: 'print one JSON document on stdout (for scripts)' },
  { name: 'quiet', type: 'boolean', description: 'nothing on stderr but errors (no progress, no notes)' },
  { name: 'help', type: 'boolean', description: 'show this help' },
];

/**
 * Parses `argv` (the tokens after the command name) against `specs`. Throws {@link UsageError} for an
 * unknown option, a repeated option, a missing value, a value given to a boolean flag, a stray
 * positional argument, or a missing required option (unless `--help` was given).
 */
export function parseOptions(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  usage: string,
): ParsedOptions {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const strings = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '-h') {
      flags.add('help');
      continue;
    }
    if (!token.startsWith('--') || token === '--') {
      throw new UsageError(`unexpected argument ${JSON.stringify(token)}`, usage);
    }
    const eq = token.indexOf('=');
    const name = token.slice(2, eq === -1 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown option --${name}`, usage);
    if (strings.has(name) || flags.has(name)) throw new UsageError(`option --${name} given twice`, usage);
    if (spec.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`option --${name} takes no value`, usage);
      flags.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = token.slice(eq + 1);
    else {
      const next = argv[i + 1];
      // A following option means the value was forgotten; `--to --json` must not read "--json" as a position.
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === '') {
      throw new UsageError(`option --${name} needs a value ${spec.valueName ?? ''}`.trimEnd(), usage);
    }
    strings.set(name, value);
  }
  if (!flags.has('help')) {
    for (const spec of specs) {
      if (spec.required && !strings.has(spec.name)) {
        throw new UsageError(`missing required option --${spec.name}`, usage);
      }
    }
  }
  return { strings, flags };
}

/** Renders the option list of a usage text, aligned. */
export function formatOptions(specs: readonly OptionSpec[]): string {
  const heads = specs.map((s) => `  --${s.name}${s.valueName ? ` ${s.valueName}` : ''}`);
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  return specs
    .map((s, i) => `${(heads[i] as string).padEnd(width)}${s.required ? '(required) ' : ''}${s.description}`)
    .join('\n');
}

/** Splits a comma-separated list (`--add a,b`), dropping empty items and duplicates, keeping order. */
export function commaList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    ),
  ];
}

/** A positive integer option (`--max-diffs 20`). */
export function positiveInt(name: string, value: string | undefined, fallback: number, hint: string): number {
  if (value === undefined) return fallback;
  if (!/^[1-9][0-9]{0,8}$/.test(value)) {
    throw new UsageError(`option --${name} must be a positive integer, got ${JSON.stringify(value)}`, hint);
  }
  return Number(value);
}
