/**
 * Turns a run's results into its section of BENCHMARKS.md: targets, then one table per measurement,
 * then the profiles of missed targets. Sections are keyed by date and machine; a rerun on the same
 * day and machine replaces its section, other runs and the hand-written parts stay as they are.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BenchResults } from '../run';
import type { LoadResult } from './http';
import type { ChecksResult } from '../phases/checks';
import { BENCHMARKS_MD } from './paths';
import type { ProfileSummary } from './profile';
import { fmtInt, fmtMB, fmtMs, fmtUs } from './stats';

const START = '<!-- bench-runs:start -->';
const END = '<!-- bench-runs:end -->';

export interface TargetRow {
  id: string;
  what: string;
  goal: string;
  measured: string;
  /** null when not measured in this run. */
  met: boolean | null;
  /** How far off, when missed ("3.1× over", "needs 2.4× more"). */
  miss?: string;
}

function over(value: number, limit: number): string {
  return `${(value / limit).toFixed(1)}× over`;
}

function under(value: number, goal: number): string {
  return `${(goal / value).toFixed(1)}× short`;
}

/** Evaluates every target of issue 5 against the results. */
export function targets(r: BenchResults): TargetRow[] {
  const rows: TargetRow[] = [];
  const at = r.store.meta.events ? `${fmtInt(r.store.meta.events)} events` : '';
  const ours = r.phases.checks?.ours?.latency;
  const casbin = r.phases.checks?.casbin?.latency;
  const cedar = r.phases.checks?.cedar?.latency;
  const le = (
    id: string,
    what: string,
    goal: string,
    value: number | undefined,
    limit: number,
    fmt: (x: number) => string,
  ): void => {
    if (value === undefined || !Number.isFinite(value))
      rows.push({ id, what, goal, measured: 'not measured', met: null });
    else {
      const met = value <= limit;
      rows.push({ id, what, goal, measured: fmt(value), met, ...(met ? {} : { miss: over(value, limit) }) });
    }
  };
  const ge = (
    id: string,
    what: string,
    goal: string,
    value: number | undefined,
    limit: number,
    fmt: (x: number) => string,
  ): void => {
    if (value === undefined || !Number.isFinite(value))
      rows.push({ id, what, goal, measured: 'not measured', met: null });
    else {
      const met = value >= limit;
      rows.push({ id, what, goal, measured: fmt(value), met, ...(met ? {} : { miss: under(value, limit) }) });
    }
  };
  le('check-p50', 'In-process check p50', '≤ 1 µs', ours?.perCallUs.p50, 1, fmtUs);
  le('check-p99', 'In-process check p99', '≤ 10 µs', ours?.perCallUs.p99, 10, fmtUs);
  const ratio = (peer: typeof ours): number | undefined =>
    peer && ours ? peer.batchMeanUs / ours.batchMeanUs : undefined;
  ge(
    'vs-casbin',
    'Faster than node-casbin (mean per check)',
    '≥ 50×',
    ratio(casbin),
    50,
    (x) => `${fmtInt(x)}×`,
  );
  ge('vs-cedar', 'Faster than Cedar (mean per check)', '≥ 10×', ratio(cedar), 10, (x) => `${fmtInt(x)}×`);
  const h = r.phases.http;
  // Both HTTP targets at one concurrency: the highest of the sweep where both hold, else 64 connections.
  const http = h ? (httpTargetPoint(h.sweep ?? [h.load]) ?? h.load) : undefined;
  const at64 =
    h && http && http !== h.load
      ? ` (64 connections: ${fmtInt(h.load.requestsPerSec)} req/s, p99 ${h.load.latencyMs.p99} ms)`
      : '';
  ge(
    'http-rps',
    `HTTP check throughput (${http?.connections ?? 64} connections)`,
    '≥ 10,000 req/s',
    http?.requestsPerSec,
    10_000,
    (x) => `${fmtInt(x)} req/s`,
  );
  le(
    'http-p99',
    `HTTP check p99 (${http?.connections ?? 64} connections)`,
    '≤ 5 ms',
    http?.latencyMs.p99,
    5,
    (x) => `${x} ms${at64}`,
  );
  const cmd = r.phases.commands?.load;
  ge(
    'commands',
    'Durable commands over HTTP (32 connections)',
    '≥ 1,000/s',
    cmd?.requestsPerSec,
    1000,
    (x) => `${fmtInt(x)}/s`,
  );
  ge(
    'rebuild',
    `Rebuild from SQLite${at ? ` (${at})` : ''}`,
    '≥ 300,000 events/s',
    r.phases.readModel?.rebuild.eventsPerSecond,
    300_000,
    (x) => `${fmtInt(x)} events/s`,
  );
  le('ready', 'Ready from snapshot', '≤ 1 s', r.phases.snapshots?.ready?.readyMs, 1000, fmtMs);
  le(
    'historical',
    'Historical (`at:`) check p95, cold',
    '≤ 50 ms',
    r.phases.snapshots?.historical?.withSnapshots.ms.p95,
    50,
    fmtMs,
  );
  const mem = r.phases.readModel?.memory;
  const readyRss = r.phases.snapshots?.ready?.rssAfterFullDecode;
  le(
    'memory',
    'Read models resident (process RSS after the replay)',
    '≤ 500 MB',
    mem?.rssAfter,
    500 * 1048576,
    (x) =>
      `${fmtMB(x)} RSS (read-model heap +${fmtMB(mem?.readModelHeapBytes ?? NaN)}` +
      `${readyRss !== undefined ? `; ${fmtMB(readyRss)} RSS when loaded from a snapshot and fully decoded` : ''})`,
  );
  return rows;
}

/** The sweep point with the most connections at which both HTTP check targets hold, if any. */
export function httpTargetPoint(sweep: readonly LoadResult[]): LoadResult | undefined {
  return [...sweep]
    .sort((a, b) => b.connections - a.connections)
    .find((l) => l.requestsPerSec >= 10_000 && l.latencyMs.p99 <= 5);
}

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]): string => `| ${cells.map(String).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function checksTable(c: NonNullable<BenchResults['phases']['checks']>): string {
  const ours = c.ours?.latency;
  const rows: (string | number)[][] = [];
  for (const [name, r] of [
    ['ours (read model)', c.ours],
    ['node-casbin', c.casbin],
    ['Cedar (wasm)', c.cedar],
  ] as [string, ChecksResult | undefined][]) {
    if (!r) continue;
    const l = r.latency;
    const ratio =
      ours && r.engine !== 'ours'
        ? `${fmtInt(l.batchMeanUs / ours.batchMeanUs)}× / ${fmtInt(l.perCallUs.p50 / ours.perCallUs.p50)}×`
        : '—';
    const agree = r.agreement ? `${fmtInt(r.agreement.agree)}/${fmtInt(r.agreement.sample)}` : '—';
    rows.push([
      name,
      fmtUs(l.perCallUs.p50),
      fmtUs(l.perCallUs.p90),
      fmtUs(l.perCallUs.p99),
      fmtUs(l.batchMeanUs),
      fmtInt(l.throughputPerSec),
      agree,
      ratio,
    ]);
  }
  return table(
    [
      'engine',
      'p50',
      'p90',
      'p99',
      'mean (batches)',
      'checks/s (1 thread)',
      'same answers as ours',
      'slower than ours (mean / p50)',
    ],
    rows,
  );
}

function kindsTable(c: NonNullable<BenchResults['phases']['checks']>): string {
  const kinds = ['project', 'run', 'registry'];
  const rows = kinds.map((k) => {
    const o = c.ours?.latency.byKindUs[k];
    const cb = c.casbin?.latency.byKindUs[k];
    const cd = c.cedar?.latency.byKindUs[k];
    const ratio = (x: number | undefined): string => (x !== undefined && o ? `${fmtInt(x / o.p50)}×` : '—');
    return [
      k,
      o ? `${fmtUs(o.p50)} / ${fmtUs(o.p99)}` : '—',
      cb ? `${fmtUs(cb.p50)} / ${fmtUs(cb.p99)}` : '—',
      cd ? `${fmtUs(cd.p50)} / ${fmtUs(cd.p99)}` : '—',
      ratio(cb?.p50),
      ratio(cd?.p50),
    ];
  });
  return table(
    [
      'check on',
      'ours p50 / p99',
      'casbin p50 / p99',
      'Cedar p50 / p99',
      'casbin ÷ ours (p50)',
      'Cedar ÷ ours (p50)',
    ],
    rows,
  );
}

function profileBlock(name: string, p: ProfileSummary): string {
  const self = p.topSelf.slice(0, 12).map((f) => `    ${f.selfPct.toFixed(1).padStart(5)}%  ${f.frame}`);
  const incl = p.topTotal.slice(0, 12).map((f) => `    ${f.totalPct.toFixed(1).padStart(5)}%  ${f.frame}`);
  return [
    `**${name}** (${fmtInt(p.samples)} samples over ${fmtMs(p.durationMs)}; \`${p.file}\`)`,
    '',
    '```',
    'self time:',
    ...self,
    'inclusive:',
    ...incl,
    '```',
  ].join('\n');
}

/**
 * `<date>-<machine>` for the full size (1,000,000 events); other sizes get `-<events>` appended so that a
 * quick run never replaces the full run of the same day.
 */
export function runKey(r: Pick<BenchResults, 'date' | 'machine' | 'options'>): string {
  const base = `${r.date.slice(0, 10)}-${r.machine.slug}`;
  return r.options.events === 1_000_000 ? base : `${base}-${r.options.events}`;
}

export function renderRun(r: BenchResults): { key: string; body: string } {
  const day = r.date.slice(0, 10);
  const key = runKey(r);
  const m = r.machine;
  const meta = r.store.meta;
  const out: string[] = [];
  out.push(
    `## ${day} — ${fmtInt(r.store.meta.events)} events — ${m.cpuModel}, ${m.cores} cores, ${fmtMB(m.memoryBytes)} RAM`,
  );
  out.push('');
  const loads = Object.entries(r.load).map(([k, v]) => `${k} ${v.before}→${v.after}`);
  const src = r.source ?? { commit: 'unknown', dirtySrc: [] };
  const reruns = (r.reruns ?? []).map((x) => {
    const code = x.source ? `${x.source.commit}${x.source.dirtySrc.length > 0 ? '+wip' : ''}` : '?';
    return `${x.phases.join(',')} at ${x.date.slice(11, 16)} (${code})`;
  });
  out.push(
    `Code: \`${src.commit}\`${src.dirtySrc.length > 0 ? ` plus uncommitted work in ${src.dirtySrc.length} src files (${src.dirtySrc.slice(0, 6).join(', ')}${src.dirtySrc.length > 6 ? ', …' : ''})` : ''}` +
      `${reruns.length > 0 ? `; rerun later: ${reruns.join('; ')}` : ''}.`,
  );
  out.push('');
  out.push(
    `Node ${m.node} on ${m.platform} (host \`${m.hostname}\`), ${r.options.quick ? 'quick run' : 'full run'}, ` +
      `seed ${r.options.seed}, ${fmtInt(meta.events)} events, total ${fmtMs(r.durationMs)}. ` +
      `The machine is shared with other work: 1-minute load average before→after each phase: ${loads.join(', ')}.`,
  );
  out.push('');
  out.push(
    `Data: ${meta.orgs} organizations, ${fmtInt(meta.counts.users ?? 0)} users, ${fmtInt(meta.counts.teams ?? 0)} teams ` +
      `(${fmtInt(meta.counts.teamMemberships ?? 0)} memberships), ${fmtInt(meta.counts.customRoles ?? 0)} custom roles, ` +
      `${fmtInt(meta.counts.serviceAccounts ?? 0)} service accounts, ${fmtInt(meta.counts.projects ?? 0)} projects ` +
      `(open ${fmtInt(meta.counts.projectsOpen ?? 0)}, public ${fmtInt(meta.counts.projectsPublic ?? 0)}, team ${fmtInt(meta.counts.projectsTeam ?? 0)}, ` +
      `restricted ${fmtInt(meta.counts.projectsRestricted ?? 0)}; ${fmtInt(meta.counts.restrictedMembers ?? 0)} restricted members, ` +
      `${fmtInt(meta.counts.projectRoleOverrides ?? 0)} project-role overrides), ${fmtInt(meta.counts.runs ?? 0)} runs, ` +
      `${fmtInt(meta.counts.registries ?? 0)} registries (${fmtInt(meta.counts.registryGrants ?? 0)} grants). ` +
      `Generated from ${fmtInt(meta.commands)} commands through the deciders in ${fmtMs(meta.generationMs)} ` +
      `(${fmtInt(meta.eventsPerSecond)} events/s, ${fmtMB(meta.fileBytes)} SQLite file${r.store.cached ? '; cached from an earlier run' : ''}).`,
  );
  out.push('');
  out.push('### Targets');
  out.push('');
  out.push(
    table(
      ['target', 'goal', 'measured', 'status'],
      targets(r).map((t) => [
        t.what,
        t.goal,
        t.measured,
        t.met === null ? '—' : t.met ? 'met' : `**missed** (${t.miss})`,
      ]),
    ),
  );
  const c = r.phases.checks;
  if (c) {
    out.push('');
    out.push('### In-process checks');
    out.push('');
    const mix = c.ours?.mix ?? c.casbin?.mix;
    if (mix)
      out.push(
        `${fmtInt(mix.queries)} checks over ${mix.domains} sampled projects and registries ` +
          `(project ${fmtInt(mix.counts.project)}, run ${fmtInt(mix.counts.run)}, registry ${fmtInt(mix.counts.registry)}), ` +
          `same seed for every engine. Per-call latency: each call timed with \`process.hrtime.bigint()\` ` +
          `minus the timer's own median cost (${c.ours?.latency.timerOverheadNs ?? '?'} ns); mean from batches timed as a whole.`,
      );
    out.push('');
    out.push(checksTable(c));
    out.push('');
    out.push(kindsTable(c));
    const loc = c.ours?.locality;
    if (loc && loc.length > 0) {
      out.push('');
      out.push(
        'Ours by working set — the same loop over the first N checks of the mix (hot caches for small N; ' +
          'the full mix reaches data spread over the whole heap):',
      );
      out.push('');
      out.push(
        table(
          ['distinct checks', 'p50', 'p99', 'mean (batches)'],
          loc.map((l) => [fmtInt(l.distinct), fmtUs(l.p50), fmtUs(l.p99), fmtUs(l.meanUs)]),
        ),
      );
    }
    const f = c.casbin?.flatten ?? c.cedar?.flatten;
    if (f) {
      out.push('');
      out.push(
        `Peers' input: ${fmtInt(f.domains)} domains × every principal of their org = ${fmtInt(f.principalPairs)} pairs, ` +
          `flattened in ${fmtMs(f.ms)} (${fmtInt(f.checksEvaluated)} of our checks) into ${f.profiles} permission profiles ` +
          `and ${fmtInt(f.grants)} (principal, domain) grants. casbin: ${fmtInt(Number(c.casbin?.setup?.policies ?? NaN))} policies + ` +
          `${fmtInt(Number(c.casbin?.setup?.groupings ?? 0))} role links, loaded in ${fmtMs(Number(c.casbin?.setup?.loadMs ?? NaN))}. ` +
          `Cedar ${c.cedar?.setup?.version ?? '?'}: ${c.cedar?.setup?.policies ?? '?'} policies, ${f.profiles}×4 role groups.`,
      );
    }
    for (const [name, res] of [
      ['casbin', c.casbin],
      ['Cedar', c.cedar],
    ] as const) {
      const d = res?.agreement?.disagreements ?? [];
      if (d.length > 0) {
        out.push('');
        out.push(
          `**${name} disagrees with ours** on ${d.length}+ checks, e.g. ${JSON.stringify(d.slice(0, 3))}`,
        );
      }
    }
  }
  const h = r.phases.http;
  const cmd = r.phases.commands;
  if (h || cmd) {
    out.push('');
    out.push('### Over HTTP (autocannon in the same machine, server in a child process)');
    out.push('');
    const rows: (string | number)[][] = [];
    const row = (
      name: string,
      l: {
        requestsPerSec: number;
        latencyMs: { p50: number; p90: number; p99: number; max: number };
        requests: number;
        non2xx: number;
        errors: number;
        connections: number;
      },
    ): void => {
      rows.push([
        name,
        l.connections,
        fmtInt(l.requestsPerSec),
        `${l.latencyMs.p50} ms`,
        `${l.latencyMs.p90} ms`,
        `${l.latencyMs.p99} ms`,
        `${l.latencyMs.max} ms`,
        fmtInt(l.requests),
        `${l.non2xx} / ${l.errors}`,
      ]);
    };
    if (h) {
      if (h.sweep) for (const l of h.sweep) row('GET /v1/check (the service)', l);
      else {
        row('GET /v1/check (the service)', h.load);
        if (h.load16) row('GET /v1/check, fewer connections', h.load16);
      }
      if (h.floors.fastify16) row('floor: bare fastify route, fixed body', h.floors.fastify16);
      if (h.floors.fastify) row('floor: bare fastify route, fixed body', h.floors.fastify);
      if (h.floors.nodeHttp) row('floor: bare node:http, fixed body', h.floors.nodeHttp);
    }
    if (cmd)
      row(
        `POST /v1/commands (${fmtInt(cmd.mix.logRun)} LogRun, ${fmtInt(cmd.mix.assignTeamRole)} AssignTeamRole)`,
        cmd.load,
      );
    if (cmd?.notDurable) row('diagnostic: same commands, synchronous=NORMAL (not durable)', cmd.notDurable);
    out.push(
      table(
        ['workload', 'connections', 'req/s', 'p50', 'p90', 'p99', 'max', 'requests', 'non-2xx / errors'],
        rows,
      ),
    );
    out.push('');
    if (h)
      out.push(
        `Check server: started from the head snapshot in ${fmtMs(h.server.startAppMs)} (audit-index backfill ${fmtMs(h.server.backfillMs)} before load), ` +
          `RSS ${fmtMB(h.server.rssBytes)} with every read model, the audit index and Nest loaded; ` +
          `${h.verified.agree}/${h.verified.sample} HTTP answers identical to the in-process answers.`,
      );
    if (h?.sweep) {
      const point = httpTargetPoint(h.sweep);
      out.push('');
      out.push(
        `One event loop serves the checks, so the requests in flight queue in front of it: mean latency ≈ connections ÷ throughput ` +
          `(Little's law; at 64 connections ${fmtInt(h.load.requestsPerSec)} req/s gives a mean of ${(64_000 / h.load.requestsPerSec).toFixed(1)} ms ` +
          `before any jitter). ` +
          (point
            ? `Both HTTP targets (≥ 10,000 req/s and p99 ≤ 5 ms) hold together up to ${point.connections} connections.`
            : `No concurrency of the sweep meets both HTTP targets together.`) +
          (h.floors.fastify
            ? ` A bare fastify route with a fixed body reaches p99 ${h.floors.fastify.latencyMs.p99} ms at 64 connections on this machine.`
            : ''),
      );
    }
    if (cmd)
      out.push(
        `Commands: synchronous=FULL (acknowledged = fsynced), ${fmtInt(cmd.eventsAppended)} events appended. ` +
          `This disk's ceiling without group commit: ${fmtInt(cmd.fsyncFloor.commitsPerSec)} durable commits/s ` +
          `(${cmd.fsyncFloor.msPerCommit.toFixed(2)} ms each, WAL, one row per transaction).`,
      );
  }
  const rm = r.phases.readModel;
  const s = r.phases.snapshots;
  if (rm || s) {
    out.push('');
    out.push('### Rebuild, start-up, history, memory');
    out.push('');
    const rows: string[][] = [];
    if (rm) {
      rows.push([
        `Rebuild (ProjectionRunner catch-up: readAll ${fmtInt(rm.rebuild.batchSize)}/page + ReadModel.apply)`,
        `${fmtInt(rm.rebuild.eventsPerSecond)} events/s (${fmtMs(rm.rebuild.totalMs)}: read ${fmtMs(rm.rebuild.readMs)}, apply ${fmtMs(rm.rebuild.applyMs)})`,
      ]);
      if (rm.floor)
        rows.push([
          'Floor: scan of the same SQLite table',
          `${fmtInt(rm.floor.rawRowsPerSec)} rows/s raw; ${fmtInt(rm.floor.parseDataPerSec)}/s with JSON.parse(data); ${fmtInt(rm.floor.parseBothPerSec)}/s parsing data and metadata`,
        ]);
      rows.push([
        'Read models in memory',
        `RSS ${fmtMB(rm.memory.rssAfter)} (was ${fmtMB(rm.memory.rssBefore)}); heap ${fmtMB(rm.memory.heapUsedAfter)} (+${fmtMB(rm.memory.readModelHeapBytes)}) for ${fmtInt(rm.memory.runs)} runs, ${fmtInt(rm.memory.projects)} projects, ${fmtInt(rm.memory.indexEntries)} index entries${rm.memory.gcExposed ? '' : ' (no --expose-gc)'}`,
      ]);
    }
    if (s?.prepare && s.prepare.snapshots.length > 0) {
      const last = s.prepare.snapshots[s.prepare.snapshots.length - 1];
      if (last)
        rows.push([
          'Snapshot at the head',
          `${fmtMB(last.bytes)}${Number.isFinite(last.writeMs) ? `, encoded and written in ${fmtMs(last.writeMs)}` : ' (cached)'}; ${s.prepare.snapshots.length} snapshots spread over the history`,
        ]);
      const cps = s.prepare.checkpoints ?? [];
      const lastCp = cps[cps.length - 1];
      if (lastCp)
        rows.push([
          'Time-travel checkpoints (runless)',
          `${cps.length} spread over the history; the newest ${fmtMB(lastCp.bytes)}${Number.isFinite(lastCp.writeMs) ? `, encoded and written in ${fmtMs(lastCp.writeMs)}` : ' (cached)'}`,
        ]);
    }
    if (s?.ready)
      rows.push([
        'Ready from snapshot (cold process)',
        `${fmtMs(s.ready.readyMs)}: open store ${fmtMs(s.ready.openMs)}, read + decode ${fmtMs(s.ready.loadMs)}, catch up ${fmtInt(s.ready.catchUpEvents)} events ${fmtMs(s.ready.catchUpMs)}; RSS ${fmtMB(s.ready.rssAfter)}` +
          (s.ready.integrityMs !== undefined
            ? `. The store's \`PRAGMA quick_check\` ran beside it in a worker and passed ${fmtMs(s.ready.integrityMs)} after opening (commands wait for it; reads do not)`
            : '') +
          (s.ready.fullDecodeMs !== undefined
            ? `. Organizations left encoded until first use then take ${fmtMs(s.ready.fullDecodeMs)} to decode all; RSS once all are decoded ${fmtMB(s.ready.rssAfterFullDecode)} (heap ${fmtMB(s.ready.heapUsedAfterFullDecode)})`
            : ''),
      ]);
    if (h) rows.push(['Service start-up from the head snapshot (startApp)', `${fmtMs(h.server.startAppMs)}`]);
    if (s?.historical) {
      const w = s.historical.withSnapshots;
      const wo = s.historical.withoutSnapshots;
      rows.push([
        `Historical \`at:\` check, cold, ${w.ms.count} random positions`,
        `p50 ${fmtMs(w.ms.p50)}, p95 ${fmtMs(w.ms.p95)}, max ${fmtMs(w.ms.max)} (from the nearest of ${s.historical.snapshotsAvailable} snapshots${s.historical.checkpointsAvailable ? ` and ${s.historical.checkpointsAvailable} checkpoints` : ''}); without snapshots: ${wo.samples.map((x) => `${fmtMs(x.ms)} at ${fmtInt(Number(x.position))}`).join(', ')}`,
      ]);
    }
    if (s?.error) rows.push(['Snapshots', `not measured: ${s.error}`]);
    out.push(table(['measurement', 'result'], rows));
  }
  const profiles = Object.entries(r.profiles);
  if (profiles.length > 0) {
    out.push('');
    out.push('### Profiles of the missed targets');
    out.push('');
    out.push(
      'CPU profiles (node:inspector, 200 µs sampling) of the measured region only, taken in a separate pass; ' +
        'the profile files stay in `bench/.data/profiles/` (not committed).',
    );
    for (const [name, p] of profiles) {
      out.push('');
      out.push(profileBlock(name, p));
    }
  }
  const errors = Object.entries(r.errors);
  if (errors.length > 0) {
    out.push('');
    out.push(`Phases that failed: ${errors.map(([k, v]) => `${k}: ${v}`).join('; ')}`);
  }
  return { key, body: out.join('\n') };
}

const SKELETON = `# Benchmarks

\`npm run bench\` (1,000,000 events) or \`npm run bench -- --events 100000\` (quick data). Results:
\`bench/results/<date>-<machine>.json\` and a section per run below.

${START}
${END}
`;

export function writeReport(r: BenchResults, file = BENCHMARKS_MD): void {
  const { key, body } = renderRun(r);
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : SKELETON;
  if (!doc.includes(START) || !doc.includes(END)) doc = `${doc.trimEnd()}\n\n${START}\n${END}\n`;
  const open = `<!-- run:${key} -->`;
  const close = `<!-- /run:${key} -->`;
  const block = `${open}\n${body}\n${close}`;
  const i = doc.indexOf(open);
  const j = doc.indexOf(close);
  if (i >= 0 && j > i) doc = doc.slice(0, i) + block + doc.slice(j + close.length);
  else {
    // Newest run first.
    const at = doc.indexOf(START) + START.length;
    doc = `${doc.slice(0, at)}\n${block}\n${doc.slice(at)}`;
  }
  writeFileSync(file, doc);
}
