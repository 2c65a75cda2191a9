import { GENESIS_HASH, hashOf, verifyHashChain } from '../../event-store/hash-chain';
import type { EventStore, StoredEvent } from '../../event-store/port';
import type { ReadModel } from '../../read-model/read-model';
import { positiveInt } from '../args';
import type { Command } from '../command';
import { EXIT } from '../errors';
import {
  plural,
  printJson,
  printLines,
  progressSink,
  rate,
  roundSeconds,
  type CommandContext,
} from '../output';
import { Progress } from '../progress';
import { SNAPSHOT_DIR_OPTION, snapshotSupport, type LoadedSnapshot } from '../snapshots';
import { diffReadModels, type StateDiffResult } from '../state-diff';
import { newReadModel, replay, upperBound, type SkippedEvent } from '../store';

/** A link of the per-stream hash chain that does not hold. */
export interface BrokenLink {
  position: string;
  stream: string;
  revision: number;
  reason: string;
}

/**
 * Checks the hash chain event by event during the one pass over the store, keeping only the last
 * `{revision, hash}` of each stream: each event's own digest through verifyHashChain, then its link to
 * the previous event of its stream. A broken event is reported once; the chain continues from what is
 * stored, so one altered event does not flag every later event of its stream.
 */
class ChainChecker {
  private readonly last = new Map<string, { revision: number; hash: string | null }>();
  readonly broken: BrokenLink[] = [];
  brokenCount = 0;
  events = 0;

  constructor(private readonly max: number) {}

  get streams(): number {
    return this.last.size;
  }

  add(e: StoredEvent): void {
    this.events += 1;
    const previous = this.last.get(e.stream);
    this.last.set(e.stream, { revision: e.revision, hash: hashOf(e.metadata) });
    const fail = (reason: string): void => {
      this.brokenCount += 1;
      if (this.broken.length < this.max) {
        this.broken.push({ position: e.position, stream: e.stream, revision: e.revision, reason });
      }
    };
    if (previous === undefined && e.revision !== 0) {
      return fail(`the stream starts at revision ${e.revision}: earlier events are missing`);
    }
    const own = verifyHashChain([e]);
    if (!own.ok) return fail(own.reason);
    if (previous === undefined) return;
    if (e.revision !== previous.revision + 1) {
      return fail(`revision ${e.revision} does not follow revision ${previous.revision}`);
    }
    if (e.metadata.prevHash !== (previous.hash ?? GENESIS_HASH)) {
      return fail('prevHash does not match the hash of the previous event');
    }
  }
}

type SnapshotCheck =
  | { checked: false; reason: string }
  | {
      checked: true;
      file: string;
      position: string;
      ok: boolean;
      reason?: string;
      differenceCount: number;
      differences: StateDiffResult['differences'];
    };

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check the hash chain of every stream and compare a rebuild with the latest snapshot',
  description: [
    '1. Hash chain: every event of every stream is re-hashed and linked to the previous event of its',
    '   stream (SQLite and memory stores; EventStoreDB events carry no chain). The first broken link is',
    '   reported with its position, stream, revision and reason.',
    '2. Rebuild: the whole store is replayed into a fresh read model. When the snapshot directory holds',
    '   a usable snapshot (the newest one the server would start from), the rebuild at its position is',
    '   compared with it and the first differences are printed; without one there is nothing to compare',
    '   with and verify says so.',
    'Exit code 1 when a link is broken or the snapshot has drifted.',
  ].join('\n'),
  options: [
    {
      name: 'max-diffs',
      type: 'string',
      valueName: '<n>',
      description: 'differences / broken links to list (default 20)',
    },
    SNAPSHOT_DIR_OPTION,
  ],
  async run(ctx: CommandContext, store: EventStore): Promise<number> {
    const max = positiveInt('max-diffs', ctx.opts.strings.get('max-diffs'), 20, ctx.hint);
    const head = await upperBound(store, undefined, ctx.hint);
    const chainApplies = store.kind !== 'esdb';
    const chain = new ChainChecker(max);

    const snapshots = snapshotSupport(ctx);
    let snapshot: LoadedSnapshot | null = null;
    let snapshotCheck: SnapshotCheck;
    if (!snapshots.available) snapshotCheck = { checked: false, reason: snapshots.reason };
    else {
      const latest = await snapshots.latest(store);
      if ('unusable' in latest) snapshotCheck = { checked: false, reason: latest.unusable };
      else {
        snapshot = latest;
        snapshotCheck = { checked: false, reason: 'snapshot position not reached' };
      }
    }

    const skipped: SkippedEvent[] = [];
    const rm = newReadModel(store, skipped);
    let compareSeconds = 0;
    const compareAt = (rebuilt: ReadModel, s: LoadedSnapshot): SnapshotCheck => {
      const started = performance.now();
      const d = diffReadModels(rebuilt, s.readModel, max);
      compareSeconds = (performance.now() - started) / 1000;
      return {
        checked: true,
        file: s.file,
        position: s.position,
        ok: d.total === 0,
        differenceCount: d.total,
        differences: d.differences,
      };
    };
    const sink = progressSink(ctx);
    const result = await replay(store, [{ readModel: rm, until: head }], {
      progress: { sink, mode: Progress.modeFor(sink, !ctx.quiet, true), label: 'verify' },
      onEvent: (e) => {
        if (chainApplies) chain.add(e);
        // Compared the moment the rebuild reaches the snapshot's position: one pass, one read model.
        if (snapshot && e.position === snapshot.position) snapshotCheck = compareAt(rm, snapshot);
      },
    });
    if (snapshot && !snapshotCheck.checked) {
      snapshotCheck = {
        checked: true,
        file: snapshot.file,
        position: snapshot.position,
        ok: false,
        reason: `the store holds no event at the snapshot position ${snapshot.position}`,
        differenceCount: 1,
        differences: [],
      };
    }

    const chainReport = chainApplies
      ? {
          checked: true as const,
          ok: chain.brokenCount === 0,
          streams: chain.streams,
          events: chain.events,
          brokenCount: chain.brokenCount,
          ...(chain.broken[0] ? { firstBroken: chain.broken[0] } : {}),
          broken: chain.broken,
        }
      : {
          checked: false as const,
          reason: 'EventStoreDB events carry no hash chain (see esdb-event-store.ts)',
        };
    const ok = (!chainReport.checked || chainReport.ok) && (!snapshotCheck.checked || snapshotCheck.ok);
    const report = {
      ok,
      position: rm.position ?? '0',
      hashChain: chainReport,
      rebuild: {
        events: result.events,
        orgs: rm.orgs.size,
        // The snapshot comparison ran inside the replay: it is not replay time.
        seconds: roundSeconds(result.seconds - compareSeconds),
        eventsPerSecond: rate(result.events, result.seconds - compareSeconds),
        skipped: skipped.length,
        ...(skipped.length > 0 ? { skippedEvents: skipped.slice(0, max) } : {}),
      },
      snapshot: snapshotCheck,
    };
    if (ctx.json) await printJson(ctx, report);
    else
      await printLines(
        ctx,
        humanReport(report.position, chainReport, report.rebuild, snapshotCheck, skipped, max),
      );
    return ok ? EXIT.ok : EXIT.findings;
  },
};

function humanReport(
  position: string,
  chain:
    | {
        checked: true;
        ok: boolean;
        streams: number;
        events: number;
        brokenCount: number;
        broken: BrokenLink[];
      }
    | { checked: false; reason: string },
  rebuild: { events: number; orgs: number; seconds: number; eventsPerSecond: number; skipped: number },
  snapshot: SnapshotCheck,
  skipped: SkippedEvent[],
  max: number,
): string[] {
  const lines: string[] = [];
  if (!chain.checked) lines.push(`hash chain: not checked (${chain.reason})`);
  else if (chain.ok) {
    lines.push(`hash chain: ok (${plural(chain.events, 'event')} in ${plural(chain.streams, 'stream')})`);
  } else {
    lines.push(`hash chain: BROKEN (${plural(chain.brokenCount, 'broken link')})`);
    for (const b of chain.broken) {
      lines.push(`  position ${b.position}, stream ${b.stream}, revision ${b.revision}: ${b.reason}`);
    }
  }
  lines.push(
    `rebuild: ${plural(rebuild.events, 'event')}, ${plural(rebuild.orgs, 'org')} up to position ${position} ` +
      `in ${rebuild.seconds.toFixed(3)} s (${rebuild.eventsPerSecond} events/s)` +
      (rebuild.skipped > 0 ? `, ${plural(rebuild.skipped, 'event')} skipped` : ''),
  );
  for (const s of skipped.slice(0, max)) lines.push(`  skipped ${s.position} ${s.type}: ${s.why}`);
  if (!snapshot.checked) lines.push(`snapshot: not compared (${snapshot.reason})`);
  else if (snapshot.ok)
    lines.push(`snapshot: ok (${snapshot.file} at position ${snapshot.position} matches the rebuild)`);
  else {
    lines.push(
      `snapshot: DRIFT (${snapshot.file} at position ${snapshot.position}: ` +
        `${snapshot.reason ?? plural(snapshot.differenceCount, 'difference')})`,
    );
    for (const d of snapshot.differences)
      lines.push(`  ${d.path}: rebuild ${d.expected}, snapshot ${d.actual}`);
    if (snapshot.differenceCount > snapshot.differences.length) {
      lines.push(`  … ${snapshot.differenceCount - snapshot.differences.length} more`);
    }
  }
  lines.push(
    chain.checked && !chain.ok
      ? 'verify: FAILED'
      : snapshot.checked && !snapshot.ok
        ? 'verify: FAILED'
        : 'verify: ok',
  );
  return lines;
}
