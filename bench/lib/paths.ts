import { join, resolve } from 'node:path';

/** Repository root (this file compiles to dist/bench/lib/paths.js). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
/** Generated stores (gitignored): `<seed>-<events>/events.sqlite` plus `meta.json`. */
export const DATA_DIR = join(REPO_ROOT, 'bench', '.data');
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
export const BENCHMARKS_MD = join(REPO_ROOT, 'BENCHMARKS.md');
/** Compiled bench scripts, for child processes. */
export const DIST_BENCH = resolve(__dirname, '..');

export function storeDirOf(seed: number, events: number): string {
  return join(DATA_DIR, `${seed}-${events}`);
}
