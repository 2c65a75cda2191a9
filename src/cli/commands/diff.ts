import type { EventStore } from '../../event-store/port';
import { positiveInt } from '../args';
import type { Command } from '../command';
import { EXIT, UsageError } from '../errors';
import { printJson, progressSink, type CommandContext } from '../output';
import { Progress } from '../progress';
import { comparePositions, newReadModel, replay, upperBound } from '../store';
import { TouchedEntities } from '../touched';
import { compareWithProgress, FILTER_OPTIONS, matrixFilter, printChanges } from './changes';

export const diffCommand: Command = {
  name: 'diff',
  summary: 'every principal × resource whose access changed between two positions',
  description: [
    'Builds the read model at --from and at --to (one replay) and compares, for every principal (users',
    'and service accounts of the org at either position) and every org, team, project and registry:',
    'the access kind, the org/team/project/registry role, and the permissions check allows (every',
    'permission id of the resource scope). Project permissions held on own runs/reports only are shown',
    'as e.g. run:delete(own). --from 0 compares with the empty history.',
    'Only the pairs whose principal or resource an event between the two positions names are compared;',
    'an event that changes the whole org (custom roles, policies) makes every pair of the org a candidate.',
  ].join('\n'),
  options: [
    {
      name: 'from',
      type: 'string',
      valueName: '<position>',
      required: true,
      description: 'before (inclusive)',
    },
    {
      name: 'to',
      type: 'string',
      valueName: '<position>',
      description: 'after (inclusive; default: the head)',
    },
    { name: 'org', type: 'string', valueName: '<orgId>', description: 'only this organization' },
    ...FILTER_OPTIONS,
  ],
  async run(ctx: CommandContext, store: EventStore): Promise<number> {
    const from = ctx.opts.strings.get('from') as string;
    const to = ctx.opts.strings.get('to');
    const limit = positiveInt('limit', ctx.opts.strings.get('limit'), 200, ctx.hint);
    const filter = matrixFilter(ctx.opts, ctx.hint, ctx.opts.strings.get('org'));
    const toBound = await upperBound(
      store,
      to === undefined ? undefined : { option: 'to', value: to },
      ctx.hint,
    );
    const fromBound = await upperBound(store, { option: 'from', value: from }, ctx.hint);
    if (comparePositions(store, fromBound, toBound) > 0) {
      throw new UsageError(`--from ${fromBound} is after --to ${toBound}`, ctx.hint);
    }
    const before = newReadModel(store);
    const after = newReadModel(store);
    // Only the pairs the events between the two positions can have changed are compared (touched.ts).
    const touched = new TouchedEntities();
    const sink = progressSink(ctx);
    await replay(
      store,
      [
        { readModel: before, until: fromBound },
        { readModel: after, until: toBound },
      ],
      {
        progress: { sink, mode: Progress.modeFor(sink, !ctx.quiet, false), label: 'replay' },
        onEvent: (e) => {
          if (comparePositions(store, e.position, fromBound) > 0) touched.add(e);
        },
      },
    );
    const changes = compareWithProgress(ctx, before, after, filter, {
      scope: (orgId) => touched.scopeOf(orgId),
    });
    if (ctx.json) await printJson(ctx, { from: fromBound, to: toBound, changes });
    else await printChanges(ctx, `access changes from ${fromBound} to ${toBound}`, changes, limit);
    return changes.length > 0 && ctx.opts.flags.has('fail-on-diff') ? EXIT.findings : EXIT.ok;
  },
};
