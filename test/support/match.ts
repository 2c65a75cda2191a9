/**
 * The scenario matcher of ../shared/spec/scenarios/README.md: subset match for objects (nested too),
 * arrays element by element in order (same length), `null` matches a missing key or null, and
 * `"$len": n` inside an object matches an array's length.
 * Returns the list of mismatches (empty = match) so failures say exactly where.
 */
export function match(expected: unknown, actual: unknown, path = '$'): string[] {
  if (expected === null)
    return actual === null || actual === undefined
      ? []
      : [`${path}: expected null/missing, got ${JSON.stringify(actual)}`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
    if (expected.length !== actual.length) {
      return [
        `${path}: expected ${expected.length} elements, got ${actual.length}: ${JSON.stringify(actual)}`,
      ];
    }
    return expected.flatMap((e, i) => match(e, actual[i], `${path}[${i}]`));
  }
  if (typeof expected === 'object') {
    const exp = expected as Record<string, unknown>;
    if ('$len' in exp && Object.keys(exp).length === 1) {
      return Array.isArray(actual) && actual.length === exp.$len
        ? []
        : [`${path}: expected an array of length ${String(exp.$len)}, got ${JSON.stringify(actual)}`];
    }
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    }
    const act = actual as Record<string, unknown>;
    return Object.keys(exp).flatMap((k) => {
      if (k === '$len') {
        return [`${path}: "$len" must be the only key of its object`];
      }
      if (exp[k] === null) return match(null, act[k], `${path}.${k}`);
      if (!(k in act)) return [`${path}.${k}: missing (expected ${JSON.stringify(exp[k])})`];
      return match(exp[k], act[k], `${path}.${k}`);
    });
  }
  return Object.is(expected, actual)
    ? []
    : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}
