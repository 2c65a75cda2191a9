/*
 * Shared by diff and what-if: the filter options over the access matrix, and how a list of access
 * changes is printed.
 */
import type { OptionSpec, ParsedOptions } from '../args';
import {
  describeEntry,
  diffAccess,
  MATRIX_KINDS,
  type AccessChange,
  type DiffOptions,
  type MatrixFilter,
} from '../access-matrix';
import type { ReadModel } from '../../read-model/read-model';
import { Progress } from '../progress';
import { UsageError } from '../errors';
import { printLines, plural, progressSink, type CommandContext } from '../output';

export const FILTER_OPTIONS: readonly OptionSpec[] = [
  { name: 'principal', type: 'string', valueName: '<user:id|sa:id>', description: 'only this principal' },
  {
    name: 'resource',
    type: 'string',
    valueName: '<kind:id|kind>',
    description: 'only this resource, or every resource of a kind (org, team, project, registry)',
  },
  { name: 'fail-on-diff', type: 'boolean', description: 'exit with code 1 when something changed' },
  {
    name: 'limit',
    type: 'string',
    valueName: '<n>',
    description: 'print at most n changes (human output; default 200)',
  },
];

/** Reads --principal/--resource (and --org when the command has it as a filter). */
export function matrixFilter(opts: ParsedOptions, usage: string, orgId?: string): MatrixFilter {
  const filter: MatrixFilter = {};
  if (orgId !== undefined) filter.orgId = orgId;
  const principal = opts.strings.get('principal');
  if (principal !== undefined) {
    if (!/^(user|sa):[A-Za-z0-9._-]{1,128}$/.test(principal)) {
      throw new UsageError('--principal must be user:<id> or sa:<id>', usage);
    }
    filter.principal = principal;
  }
  const resource = opts.strings.get('resource');
  if (resource !== undefined) {
    const kind = resource.includes(':') ? resource.slice(0, resource.indexOf(':')) : resource;
    if (!(MATRIX_KINDS as readonly string[]).includes(kind) || resource.endsWith(':')) {
      throw new UsageError(
        `--resource must be <kind>:<id> or <kind>, kind one of ${MATRIX_KINDS.join(', ')}`,
        usage,
      );
    }
    filter.resource = resource;
  }
  return filter;
}

/** The human form: one block per change. */
export async function printChanges(
  ctx: CommandContext,
  title: string,
  changes: readonly AccessChange[],
  limit: number,
) {
  const lines = [`${title}: ${plural(changes.length, 'change')}`];
  for (const c of changes.slice(0, limit)) {
    const before = describeEntry(c.before);
    const after = describeEntry(c.after);
    lines.push(
      `${c.principal} on ${c.resource}: ${before === after ? `${after} (same role)` : `${before} -> ${after}`}`,
    );
    if (c.gained.length > 0) lines.push(`  + ${c.gained.join(' ')}`);
    if (c.lost.length > 0) lines.push(`  - ${c.lost.join(' ')}`);
  }
  if (changes.length > limit) lines.push(`… ${changes.length - limit} more (use --json or --limit)`);
  await printLines(ctx, lines);
}

/**
 * {@link diffAccess} with a progress bar on a terminal: on a large org the comparison (principals ×
 * resources × permissions) takes longer than the replay.
 */
export function compareWithProgress(
  ctx: CommandContext,
  before: ReadModel,
  after: ReadModel,
  filter: MatrixFilter,
  options: Omit<DiffOptions, 'onPair'> = {},
): AccessChange[] {
  const sink = progressSink(ctx);
  const progress = new Progress(sink, {
    mode: Progress.modeFor(sink, !ctx.quiet, false),
    total: null,
    label: 'compare',
    unit: 'pairs',
  });
  try {
    return diffAccess(before, after, filter, { ...options, onPair: () => progress.tick('') });
  } finally {
    progress.finish();
  }
}
