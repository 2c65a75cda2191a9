/** Minimal `--name value` / `--flag` parsing for the bench scripts (no dependency for a dozen flags). */
export interface Args {
  get(name: string): string | undefined;
  num(name: string, dflt: number): number;
  flag(name: string): boolean;
}

export function parseArgs(argv: readonly string[] = process.argv.slice(2)): Args {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) {
      values.set(a.slice(2, eq), a.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      values.set(a.slice(2), next);
      i++;
    } else flags.add(a.slice(2));
  }
  return {
    get: (name) => values.get(name),
    num(name, dflt) {
      const raw = values.get(name);
      if (raw === undefined) return dflt;
      // Accept 1e6 and 1_000_000 as well as 1000000.
      const n = Number(raw.replace(/_/g, ''));
      if (!Number.isFinite(n) || n <= 0)
        throw new RangeError(`--${name} must be a positive number, got ${raw}`);
      return n;
    },
    flag: (name) => flags.has(name) || values.get(name) === 'true',
  };
}
