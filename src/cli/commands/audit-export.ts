import { createWriteStream } from 'node:fs';
import type { EventStore, StoredEvent } from '../../event-store/port';
import { AuditIndex, type AuditEntry, type AuditFilter } from '../../read-model/audit-index';
import type { Command } from '../command';
import { CliStoreError, EXIT, UsageError } from '../errors';
import {
  csvRecord,
  note,
  plural,
  printJson,
  printLines,
  progressSink,
  writeOut,
  type CommandContext,
  type OutStream,
} from '../output';
import { Progress } from '../progress';
import { comparePositions, checkPosition, messageOf, replay, START, upperBound } from '../store';

/** Columns of the CSV export, in order; `data` is the event's data as JSON. */
export const CSV_COLUMNS = [
  'position',
  'occurredAt',
  'type',
  'stream',
  'revision',
  'actor',
  'correlationId',
  'causationId',
  'causedBy',
  'eventId',
  'commandName',
  'wandbAction',
  'data',
] as const;

const RFC3339_RE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const ACTOR_RE = /^(user:[A-Za-z0-9._-]{1,128}|sa:[A-Za-z0-9._-]{1,128}|system)$/;
const REF_RE = /^(org|team|project|run|report|registry|sa|customRole|user):[A-Za-z0-9._-]{1,128}$/;

function csvRow(e: AuditEntry): string {
  return csvRecord(
    CSV_COLUMNS.map((c) => {
      if (c === 'data') return JSON.stringify(e.data);
      if (c === 'causedBy') return e.causedBy?.position ?? '';
      const v = e[c];
      return v === undefined ? '' : String(v);
    }),
  );
}

/** A `--from/--to` bound: an RFC 3339 date-time (on occurredAt) or a position (inclusive). */
type Bound = { kind: 'time'; value: string } | { kind: 'position'; value: string };

function bound(
  store: EventStore,
  option: string,
  value: string | undefined,
  usage: string,
): Bound | undefined {
  if (value === undefined) return undefined;
  if (RFC3339_RE.test(value)) {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new UsageError(`--${option}: ${value} is not a valid date-time`, usage);
    return { kind: 'time', value: new Date(ms).toISOString() };
  }
  return { kind: 'position', value: checkPosition(store, option, value, usage) };
}

export const auditExportCommand: Command = {
  name: 'audit export',
  summary: 'export audit entries as JSON Lines or CSV, with the filters of GET /v1/audit',
  description: [
    'Reads the store in position order and writes every matching audit entry, as GET /v1/audit has it:',
    'position, occurredAt, type, stream, revision, actor, correlationId, causationId, causedBy (the',
    "position of a cascade's cause), eventId, commandName, wandbAction, data. The filters are the audit",
    "index's: --subject matches the user/principal an event affects, --resource any resource it names.",
    '--from/--to take an RFC 3339 date-time (bounds on occurredAt) or a position (bounds on the',
    'position); both inclusive. CSV follows RFC 4180 (header row, CRLF, quoted fields), the data column',
    'holding the event data as JSON.',
  ].join('\n'),
  options: [
    { name: 'format', type: 'string', valueName: 'jsonl|csv', description: 'output format (default jsonl)' },
    { name: 'org', type: 'string', valueName: '<orgId>', description: 'only events of this organization' },
    { name: 'type', type: 'string', valueName: '<EventType>', description: 'only this event type' },
    {
      name: 'actor',
      type: 'string',
      valueName: '<user:id|sa:id|system>',
      description: 'only events by this actor',
    },
    {
      name: 'subject',
      type: 'string',
      valueName: '<user:id|sa:id>',
      description: 'only events affecting this principal',
    },
    {
      name: 'resource',
      type: 'string',
      valueName: '<kind:id>',
      description: 'only events naming this resource',
    },
    {
      name: 'from',
      type: 'string',
      valueName: '<date-time|position>',
      description: 'lower bound (inclusive)',
    },
    { name: 'to', type: 'string', valueName: '<date-time|position>', description: 'upper bound (inclusive)' },
    { name: 'out', type: 'string', valueName: '<file>', description: 'write to this file instead of stdout' },
  ],
  async run(ctx: CommandContext, store: EventStore): Promise<number> {
    const format = ctx.opts.strings.get('format') ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'csv') {
      throw new UsageError(`--format must be jsonl or csv, got ${JSON.stringify(format)}`, ctx.hint);
    }
    const s = (name: string): string | undefined => ctx.opts.strings.get(name);
    const actor = s('actor');
    if (actor !== undefined && !ACTOR_RE.test(actor)) {
      throw new UsageError('--actor must be user:<id>, sa:<id> or system', ctx.hint);
    }
    for (const name of ['subject', 'resource']) {
      const v = s(name);
      if (v !== undefined && !REF_RE.test(v)) throw new UsageError(`--${name} must be <kind>:<id>`, ctx.hint);
    }
    const from = bound(store, 'from', s('from'), ctx.hint);
    const to = bound(store, 'to', s('to'), ctx.hint);
    const head = await upperBound(store, undefined, ctx.hint);
    const until = to?.kind === 'position' && comparePositions(store, to.value, head) < 0 ? to.value : head;
    const filter: Omit<AuditFilter, 'limit' | 'order'> = {
      ...(s('org') !== undefined ? { orgId: s('org') } : {}),
      ...(s('type') !== undefined ? { type: s('type') } : {}),
      ...(actor !== undefined ? { actor } : {}),
      ...(s('subject') !== undefined ? { subject: s('subject') } : {}),
      ...(s('resource') !== undefined ? { resource: s('resource') } : {}),
      ...(from?.kind === 'time' ? { from: from.value } : {}),
      ...(to?.kind === 'time' ? { to: to.value } : {}),
    };
    const outFile = s('out');
    const out: OutStream = outFile === undefined ? ctx.io.stdout : await openFile(outFile);
    let written = 0;
    try {
      if (format === 'csv') await writeOut(out, csvRecord(CSV_COLUMNS));
      // The audit index is rebuilt per batch of events and dropped after it: the same entries and filter
      // semantics as GET /v1/audit, with memory bounded by the batch instead of the store. A batch ends
      // only between two commands, so a cascade's cause (same command, same append) is always in its
      // batch and `causedBy` is filled as the server fills it.
      let batch: StoredEvent[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const index = new AuditIndex((a, b) => store.comparePositions(a, b));
        for (const e of batch) index.add(e);
        batch = [];
        const page = index.query({ ...filter, limit: Number.MAX_SAFE_INTEGER, order: 'asc' });
        const text = page.entries
          .map((e) => (format === 'csv' ? csvRow(e) : `${JSON.stringify(e)}\n`))
          .join('');
        written += page.entries.length;
        await writeOut(out, text);
      };
      const sink = progressSink(ctx);
      const lower = from?.kind === 'position' ? from.value : START;
      await replay(store, [], {
        until,
        progress: { sink, mode: Progress.modeFor(sink, !ctx.quiet, false), label: 'export' },
        onEvent: (e) => {
          if (comparePositions(store, e.position, lower) < 0) return;
          const last = batch[batch.length - 1];
          const full =
            batch.length >= 2000 &&
            last !== undefined &&
            last.metadata.correlationId !== e.metadata.correlationId;
          const flushed = full ? flush() : undefined;
          batch.push(e);
          return flushed;
        },
      });
      await flush();
    } finally {
      if (outFile !== undefined) await closeFile(out as ReturnType<typeof createWriteStream>);
    }
    const summary = { format, entries: written, ...(outFile !== undefined ? { out: outFile } : {}) };
    if (outFile === undefined) note(ctx, `exported ${plural(written, 'audit entry', 'audit entries')}`);
    else if (ctx.json) await printJson(ctx, summary);
    else
      await printLines(ctx, [
        `exported ${plural(written, 'audit entry', 'audit entries')} to ${outFile} (${format})`,
      ]);
    return EXIT.ok;
  },
};

async function openFile(path: string): Promise<ReturnType<typeof createWriteStream>> {
  const stream = createWriteStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(new CliStoreError(`cannot write ${path}: ${messageOf(error)}`)));
  });
  return stream;
}

function closeFile(stream: ReturnType<typeof createWriteStream>): Promise<void> {
  return new Promise((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}
