import type { EventStore } from '../../event-store/port';
import type { ReadModel } from '../../read-model/read-model';
import type { Command } from '../command';
import { EXIT, UsageError } from '../errors';
import {
  note,
  plural,
  printJson,
  printLines,
  progressSink,
  rate,
  roundSeconds,
  type CommandContext,
} from '../output';
import { Progress } from '../progress';
import { newReadModel, replay, upperBound, type SkippedEvent } from '../store';
import { SNAPSHOT_DIR_OPTION, snapshotSupport } from '../snapshots';

/** Entity counts of a read model, summed over its orgs. */
export function totalsOf(rm: ReadModel): Record<string, number> {
  const t = {
    users: 0,
    teams: 0,
    projects: 0,
    runs: 0,
    reports: 0,
    registries: 0,
    customRoles: 0,
    serviceAccounts: 0,
  };
  for (const s of rm.orgs.values()) {
    t.users += s.users.size;
    t.teams += s.teams.size;
    t.projects += s.projects.size;
    t.runs += s.runs.size;
    t.reports += s.reports.size;
    t.registries += s.registries.size;
    t.customRoles += s.customRoles.size;
    t.serviceAccounts += s.serviceAccounts.size;
  }
  return t;
}

export const rebuildCommand: Command = {
  name: 'rebuild',
  summary: 'replay the whole store into a fresh read model and report counts and speed',
  description: [
    'Replays every event (or up to --to) into a fresh read model, as the server does at start-up, and',
    'prints how many events and organizations it folded, how long it took and the events/s rate.',
    'Progress goes to stderr: a bar on a terminal, a line every 2 s otherwise (--quiet: none).',
    'With --write-snapshot the result is saved as a snapshot in the snapshot directory, so that the next',
    'server start (and verify) can use it.',
  ].join('\n'),
  options: [
    {
      name: 'to',
      type: 'string',
      valueName: '<position>',
      description: 'stop after this position (inclusive)',
    },
    { name: 'write-snapshot', type: 'boolean', description: 'save the rebuilt read model as a snapshot' },
    SNAPSHOT_DIR_OPTION,
  ],
  async run(ctx: CommandContext, store: EventStore): Promise<number> {
    const to = ctx.opts.strings.get('to');
    const bound = await upperBound(
      store,
      to === undefined ? undefined : { option: 'to', value: to },
      ctx.hint,
    );
    const writeSnapshot = ctx.opts.flags.has('write-snapshot');
    const snapshots = writeSnapshot ? snapshotSupport(ctx) : null;
    if (snapshots && !snapshots.available)
      throw new UsageError(`--write-snapshot: ${snapshots.reason}`, ctx.hint);
    const skipped: SkippedEvent[] = [];
    const rm = newReadModel(store, skipped);
    const sink = progressSink(ctx);
    const result = await replay(store, [{ readModel: rm, until: bound }], {
      progress: { sink, mode: Progress.modeFor(sink, !ctx.quiet, true), label: 'rebuild' },
    });
    let snapshot: { file: string; position: string } | undefined;
    if (snapshots?.available) snapshot = await snapshots.write(rm, store);
    const summary = {
      position: rm.position,
      events: result.events,
      orgs: rm.orgs.size,
      seconds: roundSeconds(result.seconds),
      eventsPerSecond: rate(result.events, result.seconds),
      totals: totalsOf(rm),
      skipped: skipped.length,
      ...(skipped.length > 0 ? { skippedEvents: skipped.slice(0, 20) } : {}),
      ...(snapshot ? { snapshot } : {}),
    };
    if (ctx.json) {
      await printJson(ctx, summary);
      return EXIT.ok;
    }
    const totals = Object.entries(summary.totals)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const lines = [
      `rebuilt ${plural(summary.events, 'event')}, ${plural(summary.orgs, 'org')} in ${summary.seconds.toFixed(3)} s ` +
        `(${summary.eventsPerSecond} events/s), position ${summary.position ?? '0 (empty store)'}`,
      `  ${totals}`,
    ];
    if (skipped.length > 0) {
      lines.push(`  ${plural(skipped.length, 'event')} skipped by the projection:`);
      for (const s of skipped.slice(0, 20)) lines.push(`    ${s.position} ${s.type}: ${s.why}`);
    }
    if (snapshot) lines.push(`  snapshot written: ${snapshot.file}`);
    await printLines(ctx, lines);
    if (skipped.length > 0) note(ctx, 'warning: some events were skipped (see above)');
    return EXIT.ok;
  },
};
