/**
 * Summarises a V8 `.cpuprofile` (node --cpu-prof) into its top frames by self time, and by inclusive
 * time, so that BENCHMARKS.md can show where a missed target spends its time.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { REPO_ROOT } from './paths';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface FrameShare {
  frame: string;
  selfPct: number;
  totalPct: number;
}

export interface ProfileSummary {
  file: string;
  durationMs: number;
  samples: number;
  topSelf: FrameShare[];
  topTotal: FrameShare[];
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const fn = functionName || '(anonymous)';
  if (!url) return fn;
  let where = url.replace(/^file:\/\//, '');
  if (where.startsWith('/')) where = relative(REPO_ROOT, where);
  where = where.replace(/^node_modules\//, '~');
  return `${fn} ${where}:${lineNumber + 1}`;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfHits = new Map<number, number>();
  for (const id of profile.samples ?? []) selfHits.set(id, (selfHits.get(id) ?? 0) + 1);
  let total = 0;
  for (const n of profile.nodes) {
    const hits = selfHits.get(n.id) ?? n.hitCount ?? 0;
    selfHits.set(n.id, hits);
    total += hits;
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = selfHits.get(n.id) ?? 0;
    if (hits === 0) continue;
    const name = frameName(n);
    self.set(name, (self.get(name) ?? 0) + hits);
    // Inclusive: credit each distinct frame on the stack once (recursion counted once).
    const seen = new Set<string>();
    for (let cur: number | undefined = n.id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (!node) break;
      const f = frameName(node);
      if (seen.has(f)) continue;
      seen.add(f);
      inclusive.set(f, (inclusive.get(f) ?? 0) + hits);
    }
  }
  const pct = (x: number): number => Math.round((1000 * x) / Math.max(1, total)) / 10;
  const rows = (m: Map<string, number>, skip: (f: string) => boolean): FrameShare[] =>
    [...m.entries()]
      .filter(([f]) => !skip(f))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame]) => ({
        frame,
        selfPct: pct(self.get(frame) ?? 0),
        totalPct: pct(inclusive.get(frame) ?? 0),
      }));
  const structural = (f: string): boolean =>
    f.startsWith('(root)') || f.startsWith('(program)') || f.startsWith('(idle)');
  return {
    file: relative(REPO_ROOT, file),
    durationMs: Math.round((profile.endTime - profile.startTime) / 1000),
    samples: total,
    topSelf: rows(self, () => false),
    topTotal: rows(inclusive, structural),
  };
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node dist/bench/lib/profile.js <file.cpuprofile> [top]');
  const s = summarizeProfile(file, Number(process.argv[3] ?? 20));
  process.stdout.write(`${s.file}: ${s.durationMs} ms, ${s.samples} samples\nself:\n`);
  for (const r of s.topSelf) process.stdout.write(`  ${r.selfPct.toFixed(1).padStart(5)}%  ${r.frame}\n`);
  process.stdout.write('inclusive:\n');
  for (const r of s.topTotal) process.stdout.write(`  ${r.totalPct.toFixed(1).padStart(5)}%  ${r.frame}\n`);
}
