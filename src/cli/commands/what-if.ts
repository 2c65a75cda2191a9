import type { EventStore, StoredEvent } from '../../event-store/port';
import type { OrgState } from '../../domain/model';
import { CUSTOM_ROLE_CATALOGUE } from '../../domain/permissions';
import { commaList, positiveInt } from '../args';
import type { Command } from '../command';
import { EXIT, UsageError } from '../errors';
import { printJson, progressSink, type CommandContext } from '../output';
import { Progress } from '../progress';
import { newReadModel, replay, upperBound } from '../store';
import { compareWithProgress, FILTER_OPTIONS, matrixFilter, printChanges } from './changes';

const ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Rewrites the events that set the permissions of one custom role so that, at every point of history,
 * the role holds `add` and lacks `remove`: its creation gets them, later additions never re-add a removed
 * one, later removals never remove an added one.
 */
export function customRoleTransform(
  orgId: string,
  roleId: string,
  add: readonly string[],
  remove: readonly string[],
): (event: StoredEvent) => StoredEvent {
  const stream = `org-${orgId}`;
  const removed = new Set(remove);
  const added = new Set(add);
  return (event) => {
    if (event.stream !== stream || event.data.roleId !== roleId) return event;
    const permissions = Array.isArray(event.data.permissions)
      ? event.data.permissions.filter((p): p is string => typeof p === 'string')
      : [];
    let next: string[];
    switch (event.type) {
      case 'CustomRoleCreated':
        next = [...new Set([...permissions, ...add])].filter((p) => !removed.has(p));
        break;
      case 'CustomRolePermissionsAdded':
        next = permissions.filter((p) => !removed.has(p));
        break;
      case 'CustomRolePermissionsRemoved':
        next = permissions.filter((p) => !added.has(p));
        break;
      default:
        return event;
    }
    return { ...event, data: { ...event.data, permissions: next } };
  };
}

/** Users holding `custom:<roleId>` as a team role or a project-level role. */
export function holdersOf(org: OrgState, roleId: string): Set<string> {
  const role = `custom:${roleId}`;
  const holders = new Set<string>();
  for (const team of org.teams.values()) {
    for (const [userId, r] of team.members) if (r === role) holders.add(`user:${userId}`);
  }
  for (const project of org.projects.values()) {
    for (const [userId, r] of project.overrides) if (r === role) holders.add(`user:${userId}`);
  }
  return holders;
}

export const whatIfCommand: Command = {
  name: 'what-if',
  summary: "whose access would change if a custom role's permissions had been different",
  description: [
    'Replays history twice in one pass — as recorded, and with the custom role holding the --add',
    'permissions and lacking the --remove ones from its creation on (its CustomRoleCreated and',
    'CustomRolePermissionsAdded/Removed events are rewritten) — and lists every principal × resource whose',
    'access differs at --at (default: the head), with the permissions gained and lost (the comparison',
    "of diff, over the role's holders: nobody else can be affected).",
    'Decisions taken in history are NOT re-decided: commands that were accepted or rejected under the',
    'real role stay as they were (a run the role could not delete was not deleted, a cascade still',
    'happened). The answer is "what the holders could do now", not an alternative history.',
  ].join('\n'),
  options: [
    {
      name: 'org',
      type: 'string',
      valueName: '<orgId>',
      required: true,
      description: 'organization of the role',
    },
    {
      name: 'role',
      type: 'string',
      valueName: '<customRoleId>',
      required: true,
      description: 'the custom role',
    },
    { name: 'add', type: 'string', valueName: '<perm,...>', description: 'permissions the role would add' },
    {
      name: 'remove',
      type: 'string',
      valueName: '<perm,...>',
      description: 'permissions the role would not add',
    },
    {
      name: 'at',
      type: 'string',
      valueName: '<position>',
      description: 'compare at this position (default: the head)',
    },
    ...FILTER_OPTIONS,
  ],
  async run(ctx: CommandContext, store: EventStore): Promise<number> {
    const orgId = ctx.opts.strings.get('org') as string;
    const roleId = ctx.opts.strings.get('role') as string;
    if (!ID_RE.test(orgId)) throw new UsageError('--org must be an id ([A-Za-z0-9._-]{1,128})', ctx.hint);
    const role = roleId.startsWith('custom:') ? roleId.slice('custom:'.length) : roleId;
    if (!ID_RE.test(role)) throw new UsageError('--role must be a custom role id', ctx.hint);
    const add = commaList(ctx.opts.strings.get('add'));
    const remove = commaList(ctx.opts.strings.get('remove'));
    if (add.length === 0 && remove.length === 0) {
      throw new UsageError('give --add and/or --remove: otherwise nothing changes', ctx.hint);
    }
    const unknown = [...add, ...remove].filter((p) => !CUSTOM_ROLE_CATALOGUE.has(p));
    if (unknown.length > 0) {
      throw new UsageError(
        `not a custom-role permission (§3.8 catalogue): ${unknown.join(', ')}; ` +
          `one of: ${[...CUSTOM_ROLE_CATALOGUE].sort().join(', ')}`,
        ctx.hint,
      );
    }
    const both = add.filter((p) => remove.includes(p));
    if (both.length > 0) throw new UsageError(`both added and removed: ${both.join(', ')}`, ctx.hint);
    const limit = positiveInt('limit', ctx.opts.strings.get('limit'), 200, ctx.hint);
    const filter = matrixFilter(ctx.opts, ctx.hint, orgId);
    const at = ctx.opts.strings.get('at');
    const bound = await upperBound(
      store,
      at === undefined ? undefined : { option: 'at', value: at },
      ctx.hint,
    );

    const actual = newReadModel(store);
    const modified = newReadModel(store);
    const sink = progressSink(ctx);
    await replay(
      store,
      [
        { readModel: actual, until: bound },
        { readModel: modified, until: bound, transform: customRoleTransform(orgId, role, add, remove) },
      ],
      { progress: { sink, mode: Progress.modeFor(sink, !ctx.quiet, false), label: 'replay' } },
    );
    const org = actual.org(orgId);
    if (!org || org.revision < 0)
      throw new UsageError(`organization ${orgId} does not exist at ${bound}`, ctx.hint);
    const current = org.customRoles.get(role);
    if (!current)
      throw new UsageError(`custom role ${role} does not exist in ${orgId} at ${bound}`, ctx.hint);
    // Only holders of the role can be affected: the permissions of every other role are untouched, and the
    // rewritten events change nothing but this role's permission set (its base stays, so registry
    // mappings, A19, do not move either).
    const changes = compareWithProgress(ctx, actual, modified, filter, { principals: holdersOf(org, role) });
    const answer = {
      orgId,
      roleId: role,
      position: actual.position ?? '0',
      base: current.base,
      permissions: {
        actual: [...current.added].sort(),
        whatIf: [...(modified.org(orgId)?.customRoles.get(role)?.added ?? [])].sort(),
      },
      changes,
    };
    if (ctx.json) await printJson(ctx, answer);
    else {
      const delta = [...add.map((p) => `+${p}`), ...remove.map((p) => `-${p}`)].join(' ');
      await printChanges(
        ctx,
        `what-if custom:${role} (${delta}) in ${orgId} at ${answer.position}`,
        changes,
        limit,
      );
    }
    return changes.length > 0 && ctx.opts.flags.has('fail-on-diff') ? EXIT.findings : EXIT.ok;
  },
};
