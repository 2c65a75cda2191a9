import { explainCheck, type ExplainStep } from '../../application/explain';
import { orgOfResource } from '../../application/resource-org';
import type { EventStore } from '../../event-store/port';
import type { EventRef } from '../../read-model/provenance';
import type { Command } from '../command';
import { EXIT, UsageError } from '../errors';
import { printJson, printLines, progressSink, type CommandContext } from '../output';
import { Progress } from '../progress';
import { newReadModel, replay, upperBound } from '../store';

const PRINCIPAL_RE = /^(user|sa):[A-Za-z0-9._-]{1,128}$/;
const RESOURCE_RE = /^(org|team|project|run|report|registry):[A-Za-z0-9._-]{1,128}$/;

/** The answer of `explain`: GET /v1/explain's, plus the question. */
export interface CliExplainAnswer {
  principal: string;
  permission: string;
  resource: string;
  allowed: boolean;
  role?: string;
  reason: string;
  rule?: string;
  /** Each fact of the derivation with the events that established it (application/explain.ts). */
  steps: ExplainStep[];
  missing?: string;
  removal?: EventRef;
  position: string;
}

function cite(e: EventRef): string {
  return `${e.type}@${e.position} by ${e.actor} ${e.occurredAt}`;
}

export const explainCommand: Command = {
  name: 'explain',
  summary: 'why a principal holds (or not) a permission on a resource, at any position',
  description: [
    'Replays the store up to --at (default: the head) and answers the check as GET /v1/explain does: the',
    'decision, its rule, every fact of the derivation with the events that established it, and for a',
    'denial what is missing (and the removal that took it away, if one did).',
  ].join('\n'),
  options: [
    { name: 'principal', type: 'string', valueName: '<user:id|sa:id>', required: true, description: 'who' },
    {
      name: 'permission',
      type: 'string',
      valueName: '<permission>',
      required: true,
      description: 'e.g. run:delete',
    },
    {
      name: 'resource',
      type: 'string',
      valueName: '<kind:id>',
      required: true,
      description: 'org:, team:, project:, run:, report: or registry:<id>',
    },
    {
      name: 'at',
      type: 'string',
      valueName: '<position>',
      description: 'answer as of this position (inclusive)',
    },
  ],
  async run(ctx: CommandContext, store: EventStore): Promise<number> {
    const principal = ctx.opts.strings.get('principal') as string;
    const permission = ctx.opts.strings.get('permission') as string;
    const resource = ctx.opts.strings.get('resource') as string;
    if (!PRINCIPAL_RE.test(principal))
      throw new UsageError(`--principal must be user:<id> or sa:<id>`, ctx.hint);
    if (!RESOURCE_RE.test(resource)) {
      throw new UsageError(
        `--resource must be org:, team:, project:, run:, report: or registry:<id>`,
        ctx.hint,
      );
    }
    const at = ctx.opts.strings.get('at');
    const bound = await upperBound(
      store,
      at === undefined ? undefined : { option: 'at', value: at },
      ctx.hint,
    );
    const rm = newReadModel(store);
    const sink = progressSink(ctx);
    await replay(store, [{ readModel: rm, until: bound }], {
      progress: { sink, mode: Progress.modeFor(sink, !ctx.quiet, false), label: 'replay' },
    });
    const position = rm.position ?? '0';
    // A resource that does not exist (yet, or any more) is a denial, as GET /v1/check answers it.
    const answer: CliExplainAnswer = orgOfResource(rm, resource, true)
      ? {
          principal,
          permission,
          resource,
          ...explainCheck(rm, { principal, permission, resource }),
          position,
        }
      : {
          principal,
          permission,
          resource,
          allowed: false,
          reason: `${resource} does not exist at position ${position}`,
          steps: [],
          position,
        };
    if (ctx.json) await printJson(ctx, answer);
    else {
      await printLines(ctx, [
        `${answer.allowed ? 'ALLOWED' : 'DENIED'}: ${principal} ${permission} on ${resource}` +
          `${answer.role ? ` (role ${answer.role})` : ''} at position ${answer.position}`,
        `reason: ${answer.reason}${answer.rule && !answer.reason.includes(answer.rule) ? ` [${answer.rule}]` : ''}`,
        ...(answer.steps.length > 0 ? ['because:'] : []),
        ...answer.steps.flatMap((step) => [
          `  ${step.fact}`,
          ...step.events.map((e) => `      <- ${cite(e)}`),
        ]),
        ...(answer.missing !== undefined ? [`missing: ${answer.missing}`] : []),
      ]);
    }
    return EXIT.ok;
  },
};
