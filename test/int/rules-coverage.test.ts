/**
 * CI guard for docs/rules.md: the rule-coverage table must match the tests as they are, and every
 * in-scope rule of the access model must keep at least one test whose title names it.
 * Regenerate the table with `npm run rules:coverage` (scripts/rules-coverage.js).
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  LEFT_OUT,
  RULES_DOC,
  SPEC_FILE,
  computeCoverage,
  parseCatalogue,
  renderRulesDoc,
  ruleIdsIn,
  testsInSource,
  type Coverage,
} from '../support/rules-coverage';

/**
 * Where two renderings differ, readably: per differing line its first cell (the rule id, for table rows)
 * and the test entries only one side has.
 */
function differences(actual: string, expected: string, max = 8): string[] {
  const a = actual.split('\n');
  const b = expected.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < max; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x === y) continue;
    const entries = (line: string): Set<string> => new Set(line.split(/<br>| \| /));
    const [ex, ey] = [entries(x), entries(y)];
    const gone = [...ex].filter((e) => !ey.has(e));
    const added = [...ey].filter((e) => !ex.has(e));
    const head = /^\| (\S+) \|/.exec(y || x)?.[1] ?? `line ${i + 1}`;
    out.push(`${head}:${gone.map((e) => `\n  - ${e}`).join('')}${added.map((e) => `\n  + ${e}`).join('')}`);
  }
  return out;
}

describe('rule coverage (docs/rules.md)', () => {
  let coverage: Coverage;

  beforeAll(() => {
    if (!existsSync(SPEC_FILE)) throw new Error(`the access-model spec is missing: ${SPEC_FILE}`);
    coverage = computeCoverage();
  });

  it('the catalogue has every rule of the spec: 140 R-rules, 49 A-items and 11 C-items', () => {
    const ids = coverage.catalogue.map((r) => r.id);
    const expected = [
      ...Array.from({ length: 140 }, (_, i) => `R${i + 1}`),
      ...Array.from({ length: 49 }, (_, i) => `A${i + 1}`),
      ...Array.from({ length: 11 }, (_, i) => `C${i + 1}`),
    ];
    expect(ids).toEqual(expected);
    expect(coverage.catalogue.filter((r) => r.summary.length === 0)).toEqual([]);
  });

  it('the left-out table names only rules of the catalogue, each with a reason', () => {
    expect(coverage.unknownLeftOut).toEqual([]);
    expect(Object.entries(LEFT_OUT).filter(([, why]) => why.trim().length < 20)).toEqual([]);
    expect(coverage.leftOut.length + coverage.inScope.length).toBe(coverage.catalogue.length);
  });

  it('every in-scope rule is named by at least one running test', () => {
    // Fails with the ids of the rules whose last test went away (or was renamed, skipped or made todo).
    expect(coverage.uncovered).toEqual([]);
  });

  it('docs/rules.md is up to date with the tests (regenerate with `npm run rules:coverage`)', () => {
    const expected = renderRulesDoc(coverage);
    const actual = existsSync(RULES_DOC) ? readFileSync(RULES_DOC, 'utf8') : '';
    if (actual !== expected) {
      throw new Error(
        `docs/rules.md is stale: run \`npm run rules:coverage\`\n${differences(actual, expected).join('\n')}`,
      );
    }
  });
});

describe('rule-coverage title scanner', () => {
  const known = new Set(parseCatalogue(readFileSync(SPEC_FILE, 'utf8')).map((r) => r.id));

  it('reads rule ids from test and describe titles as jest prints them, and from nowhere else', () => {
    const source = [
      "import { x } from './x';",
      "describe('R30 tracking', () => {",
      "  it('A4 converges', () => { expect('R31 in a body').toBeTruthy(); });",
      '  // R32 in a comment',
      "  describe('nested', () => { test('C7 cascade', () => undefined); });",
      "  it.each([['R33']])('%s R34 from a table', () => undefined);",
      '  it(`R35 template ${x} and R36`, () => undefined);',
      "  it('R37 ' + 'R38 concatenated', () => undefined);",
      "  it.skip('R39 skipped', () => undefined);",
      "  it.todo('R40 todo');",
      "  xit('R41 x-skipped', () => undefined);",
      "  it('R999 A0 unknown ids and R8x words', () => undefined);",
      "  it.only('R42 only', () => undefined);",
      '});',
      "describe.skip('R43 skipped suite', () => { it('R44 inside', () => undefined); });",
      "describe.each([[1]])('R45 each suite %s', () => { it('plain', () => undefined); });",
    ].join('\n');
    const tests = testsInSource('x.spec.ts', source, known);
    expect(tests.map((t) => [t.title, t.rules])).toEqual([
      ['R30 tracking › A4 converges', ['R30', 'A4']],
      ['R30 tracking › nested › C7 cascade', ['R30', 'C7']],
      ['R30 tracking › %s R34 from a table', ['R30', 'R34']],
      ['R30 tracking › R35 template ${…} and R36', ['R30', 'R35', 'R36']],
      ['R30 tracking › R37 R38 concatenated', ['R30', 'R37', 'R38']],
      ['R30 tracking › R999 A0 unknown ids and R8x words', ['R30']],
      ['R30 tracking › R42 only', ['R30', 'R42']],
      ['R45 each suite %s › plain', ['R45']],
    ]);
  });

  it('normalises ids and ignores ids the catalogue does not have', () => {
    expect(ruleIdsIn('R08, A4/R30 and R30 again; C12 P26 T4', known)).toEqual(['R8', 'A4', 'R30']);
  });
});
