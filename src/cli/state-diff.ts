/*
 * Structural comparison of two read models (verify: a rebuild against a snapshot). Maps are compared
 * key by key, Sets element by element, so that insertion order — which a snapshot round trip may not
 * keep — never counts as drift.
 */
import type { ReadModel } from '../read-model/read-model';

/** One difference: where, and the two values (rendered short). */
export interface StateDifference {
  path: string;
  expected: string;
  actual: string;
}

/** Result of {@link diffReadModels}: the first `max` differences and how many there are in all. */
export interface StateDiffResult {
  total: number;
  differences: StateDifference[];
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  if (value instanceof Map) return `Map(${value.size})`;
  if (value instanceof Set) return `Set(${value.size})`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function keyPath(path: string, key: unknown): string {
  const k = String(key);
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
}

/**
 * Compares `expected` (a fresh rebuild) with `actual` (e.g. a loaded snapshot): orgs, the id index, the
 * idempotency answers, the provenance index, position and event count.
 */
export function diffReadModels(expected: ReadModel, actual: ReadModel, max = 20): StateDiffResult {
  const out: StateDiffResult = { total: 0, differences: [] };
  const record = (path: string, expectedText: string, actualText: string): void => {
    out.total += 1;
    if (out.differences.length < max)
      out.differences.push({ path, expected: expectedText, actual: actualText });
  };
  const walk = (path: string, e: unknown, a: unknown): void => {
    if (Object.is(e, a)) return;
    if (e instanceof Map && a instanceof Map) {
      const keys = new Set<unknown>([...e.keys(), ...a.keys()]);
      for (const k of [...keys].sort((x, y) => String(x).localeCompare(String(y)))) {
        walk(keyPath(path, k), e.get(k), a.get(k));
      }
      return;
    }
    if (e instanceof Set && a instanceof Set) {
      for (const v of [...e].filter((x) => !a.has(x)).sort())
        record(`${path} ∋ ${show(v)}`, 'present', 'absent');
      for (const v of [...a].filter((x) => !e.has(x)).sort())
        record(`${path} ∋ ${show(v)}`, 'absent', 'present');
      return;
    }
    if (Array.isArray(e) && Array.isArray(a)) {
      const n = Math.max(e.length, a.length);
      for (let i = 0; i < n; i++) walk(`${path}[${i}]`, e[i], a[i]);
      return;
    }
    const plain = (v: unknown): v is Record<string, unknown> =>
      v !== null && typeof v === 'object' && !(v instanceof Map) && !(v instanceof Set) && !Array.isArray(v);
    if (plain(e) && plain(a)) {
      const keys = new Set([...Object.keys(e), ...Object.keys(a)]);
      for (const k of [...keys].sort()) walk(keyPath(path, k), e[k], a[k]);
      return;
    }
    record(path, show(e), show(a));
  };
  walk('position', expected.position, actual.position);
  walk('eventCount', expected.eventCount, actual.eventCount);
  walk('orgs', expected.orgs, actual.orgs);
  walk('index', expected.index, actual.index);
  walk('idempotency', expected.idempotency, actual.idempotency);
  // Explain's citations are part of what a snapshot restores (provenance.ts): compared in their JSON form.
  walk('provenance', expected.provenance.toJSON(), actual.provenance.toJSON());
  return out;
}
