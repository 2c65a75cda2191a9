/**
 * Rule coverage: which tests name which rule of the access model (access-model.md R…, A…, C…), and
 * which rules are deliberately left out of v1 (api.md "Out of scope for v1"). Renders docs/rules.md.
 *
 * A rule counts as covered only when a test title names it: the `it`/`test` title itself or the title
 * of an enclosing `describe`, as jest prints it. Conformance scenarios (../shared/spec/scenarios and
 * test/e2e/scenarios) count with the title test/e2e/conformance.test.ts gives them (`<name> [<rules>]`). Skipped and todo tests do not count.
 *
 * Used by scripts/rules-coverage.js (`npm run rules:coverage`) and by the CI guard
 * test/int/rules-coverage.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

export const REPO_ROOT = resolve(__dirname, '../..');
export const SPEC_FILE = resolve(REPO_ROOT, '../shared/spec/access-model.md');
export const SCENARIOS_DIR = resolve(REPO_ROOT, '../shared/spec/scenarios');
export const CONFORMANCE_TEST = 'test/e2e/conformance.test.ts';
export const RULES_DOC = resolve(REPO_ROOT, 'docs/rules.md');

/**
 * Rules of access-model.md that v1 does not implement, each with the reason. Everything else in the
 * catalogue is in scope and must be named by at least one test. Grounds: api.md "Out of scope for v1"
 * (seats and SCIM mapping except R69, invitations with acceptance, report sharing and magic links, TTL,
 * automations, secrets, Launch queues, registry collections/links/protected aliases as commands, team
 * deletion, hidden teams), rules that only describe documentation, and readings another rule replaces.
 */
export const LEFT_OUT: Readonly<Record<string, string>> = {
  R55: 'SSO auto-provisioning is not a v1 command (api.md has AddUserToOrganization only, whose default role member is tested under R51).',
  R56: 'Invitations with acceptance are out of scope (api.md); users join by AddUserToOrganization.',
  R57: 'Domain capture and default teams are multi-tenant sign-up features with no v1 command.',
  R58: 'Seats are out of scope (api.md; C4: every user has a full Models seat).',
  R59: 'Seat gate on artifact download: seats are out of scope (C4).',
  R61: 'Seats and SCIM mapping are out of scope (api.md).',
  R64: 'SCIM user deletion is out of scope; interactive removal is A38 (tested).',
  R65: 'SCIM groups and teams created through SCIM are out of scope.',
  R66: 'SCIM registry-role operations are out of scope; registry grants are AddRegistryMember/RemoveRegistryMember (R34, R35).',
  R67: 'The SCIM API and its authentication are out of scope.',
  R87: 'Hidden teams are out of scope (api.md).',
  R88: 'The domain-join team setting is multi-tenant sign-up, not part of v1 team settings (api.md: futureProjectsPrivate, membersCanInvite).',
  R89: 'Advice, not a rule; the enforced part (a team may be left without admin, with a warning) is A44.',
  R90: 'Team deletion is out of scope (api.md).',
  R96: 'W&B Server system settings and the System Admin are not modelled; team creation is R53.',
  R97: 'Switching report members between edit and view access is report sharing (out of scope); the creator/admin rights over reports that T37 exercises are R92.',
  R98: 'Report sharing by invite and magic links is out of scope (api.md).',
  R99: 'Personal-entity (individual) projects are not modelled; every project belongs to a team.',
  R100: 'Concurrent report editing is collaboration behaviour, not authorization.',
  R101: 'Artifact TTL is out of scope (api.md).',
  R102: 'Artifact TTL is out of scope (api.md).',
  R103: 'Automations are out of scope (api.md); the registry automation permissions stay checkable (P8, P9, P22).',
  R104: 'Secrets are out of scope (api.md).',
  R114: 'Artifacts are not modelled as project resources in v1, so there is nothing for MoveRun to leave behind.',
  R123: 'Accepted artifact types have no v1 command (api.md); `registry:types.update` stays checkable.',
  R131: 'Legacy model registry; superseded by the registry admin rules R33 and R38.',
  R133: 'A doc note contradicted by R43–R46; A19 adopts S002 (owning-team contribution), tested under A19.',
  R136: 'Seats are out of scope (C4), so there is no seat that could limit registry permissions.',
  R138: 'A multi-tenant limitation of W&B audit collection; v1 records every event on every deployment (§4.4 "richer than W&B").',
  A14: 'Naming only; api.md fixes the v1 names (team role `viewer`, visibility `team`).',
  A37: 'Team deletion is out of scope (api.md).',
  A42: 'Hidden teams are out of scope (api.md).',
  A47: 'Report sharing by invite is out of scope (api.md).',
};

/**
 * In-scope rules whose id range api.md puts out of scope (seats and SCIM mapping, R58–R69) but whose
 * v1 part is implemented and tested; rendered as notes so the choice is visible.
 */
export const PARTLY_IN_SCOPE: Readonly<Record<string, string>> = {
  R60: 'The →viewer cascade of ChangeOrganizationRole (A3, legacy mode); the seat parts (b, c) are out.',
  R62: 'Service accounts hold no team or custom roles; the SCIM part is out.',
  R63: 'DeactivateUser/ReactivateUser on multi-tenant (api.md, C3); SCIM itself is out.',
  R68: 'Custom roles read with inherited flags and edited by add/remove (GET custom-roles, UpdateCustomRole); SCIM PUT is out.',
};

export interface Rule {
  id: string;
  summary: string;
}

export interface TestCase {
  /** Repo-relative path of the test file (forward slashes). */
  file: string;
  /** Full title as jest prints it: enclosing describes and the test, joined by ' › '. */
  title: string;
  /** Rule ids the title names, in order of first appearance. */
  rules: string[];
}

const RULE_ID = /\b([RAC])(\d{1,3})\b/g;

function cleanMarkdown(text: string): string {
  return text
    .replace(/\*\*/g, '')
    .replace(/(^|[\s(])\*([^*\s][^*]*?)\*/g, '$1$2')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The first sentence (or two, when the first is only a heading such as "Org role semantics."). */
function firstSentence(text: string, max = 160): string {
  const end = /[.;](\s|$)/g;
  let cut = text.length;
  for (let m = end.exec(text); m; m = end.exec(text)) {
    cut = m.index + 1;
    if (cut >= 40) break;
  }
  const sentence = text.slice(0, cut);
  return sentence.length <= max ? sentence : `${sentence.slice(0, max - 1).trimEnd()}…`;
}

/** The rule catalogue of access-model.md: R1–R140 (§2A, §2B), A1–A49 (§2C), C1–C11 (§7). */
export function parseCatalogue(spec: string): Rule[] {
  const rules: Rule[] = [];
  const lines = spec.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const r = /^\* \*\*(R\d+)\*\*\s*((?:\[[^\]]+\])*)\s*(.*)$/.exec(line);
    if (r) {
      rules.push({ id: r[1] ?? '', summary: firstSentence(cleanMarkdown(r[3] ?? '')) });
      continue;
    }
    const ac = /^\* \*\*([AC]\d+)\s+(?:⚙\s*)?(.*?)\*\*/.exec(line);
    if (ac) {
      const title = cleanMarkdown(ac[2] ?? '').replace(/\.$/, '');
      rules.push({ id: ac[1] ?? '', summary: title });
    }
  }
  const order = (id: string): number => 'RAC'.indexOf(id[0] ?? '') * 1000 + Number(id.slice(1));
  return rules.sort((a, b) => order(a.id) - order(b.id));
}

/** Rule ids named in a title (deduplicated, in order), restricted to ids of the catalogue. */
export function ruleIdsIn(title: string, known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const m of title.matchAll(RULE_ID)) {
    const id = `${m[1]}${Number(m[2])}`;
    if (known.has(id) && !out.includes(id)) out.push(id);
  }
  return out;
}

const TEST_FUNCTIONS = new Set(['it', 'test', 'fit']);
const SUITE_FUNCTIONS = new Set(['describe', 'fdescribe']);
/** Modifiers that keep a test running; `skip`, `todo` and the x-prefixed forms do not. */
const RUNNING_MODIFIERS = new Set(['only', 'concurrent', 'failing', 'each']);

/** The literal text of a title argument; placeholders of template literals and `%s` stay as they are. */
function titleText(node: ts.Expression): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((s) => `\${…}${s.literal.text}`).join('');
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const l = titleText(node.left);
    const r = titleText(node.right);
    return l === undefined && r === undefined ? undefined : `${l ?? '…'}${r ?? '…'}`;
  }
  if (ts.isParenthesizedExpression(node)) return titleText(node.expression);
  return undefined;
}

const SKIPPED_FUNCTIONS = new Set(['xit', 'xtest', 'xdescribe']);

/**
 * What a call is in jest terms: `it('t', fn)`, `it.only(...)`, `it.each(table)('t', fn)`,
 * `describe.each(table)('t', fn)`… `skipped` for `it.skip`, `it.todo`, `xit`, `describe.skip`… (their
 * bodies do not run, so nothing inside counts); undefined for anything that is not a jest call.
 */
function jestCall(call: ts.CallExpression): 'test' | 'suite' | 'skipped' | undefined {
  let callee: ts.Expression = call.expression;
  const modifiers: string[] = [];
  // it.each(table)(...) — the callee of the outer call is itself a call.
  if (ts.isCallExpression(callee)) callee = callee.expression;
  while (ts.isPropertyAccessExpression(callee)) {
    modifiers.push(callee.name.text);
    callee = callee.expression;
  }
  if (!ts.isIdentifier(callee)) return undefined;
  const name = callee.text;
  if (!TEST_FUNCTIONS.has(name) && !SUITE_FUNCTIONS.has(name) && !SKIPPED_FUNCTIONS.has(name))
    return undefined;
  // `it.each` must be called twice (table, then title); a bare `it.each(table)` is not a test yet.
  if (modifiers.includes('each') !== ts.isCallExpression(call.expression)) return undefined;
  if (SKIPPED_FUNCTIONS.has(name) || !modifiers.every((m) => RUNNING_MODIFIERS.has(m))) return 'skipped';
  return TEST_FUNCTIONS.has(name) ? 'test' : 'suite';
}

/** Every running test of a TypeScript test file with its full title (describes › test). */
export function testsInSource(file: string, source: string, known: ReadonlySet<string>): TestCase[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: TestCase[] = [];
  const visit = (node: ts.Node, suites: string[]): void => {
    if (ts.isCallExpression(node)) {
      const kind = jestCall(node);
      const first = node.arguments[0];
      if (kind === 'skipped') return;
      if (kind && first) {
        const title = titleText(first) ?? '…';
        if (kind === 'test') {
          const full = [...suites, title].join(' › ');
          out.push({ file, title: full, rules: ruleIdsIn(full, known) });
          return;
        }
        node.arguments.slice(1).forEach((arg) => visit(arg, [...suites, title]));
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, suites));
  };
  visit(sf, []);
  return out;
}

function walk(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path, suffix));
    else if (entry.name.endsWith(suffix)) out.push(path);
  }
  return out;
}

interface Scenario {
  name: string;
  rules?: string[];
}

/** The scenario sets test/e2e/conformance.test.ts runs, with the describe title it gives each set. */
export const SCENARIO_SETS: readonly { dir: string; suite: string }[] = [
  { dir: SCENARIOS_DIR, suite: 'conformance scenarios (../shared/spec/scenarios)' },
  {
    dir: join(REPO_ROOT, 'test/e2e/scenarios'),
    suite: 'our own scenarios in the same format (test/e2e/scenarios)',
  },
];

/** The conformance scenarios as test/e2e/conformance.test.ts titles them: `<suite> › <name> [<rules>]`. */
function scenarioTests(known: ReadonlySet<string>): TestCase[] {
  if (!existsSync(join(REPO_ROOT, CONFORMANCE_TEST))) return [];
  return SCENARIO_SETS.flatMap(({ dir, suite }) =>
    !existsSync(dir)
      ? []
      : readdirSync(dir)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => {
            const s = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Scenario;
            const title = `${suite} › ${s.name} [${(s.rules ?? []).join(', ')}]`;
            return { file: CONFORMANCE_TEST, title, rules: ruleIdsIn(title, known) };
          }),
  );
}

/** All running tests of the project (jest's testMatch: src/**\/*.spec.ts, test/**\/*.test.ts) plus the scenarios. */
export function scanTests(known: ReadonlySet<string>): TestCase[] {
  const files = [...walk(join(REPO_ROOT, 'src'), '.spec.ts'), ...walk(join(REPO_ROOT, 'test'), '.test.ts')]
    .map((abs) => relative(REPO_ROOT, abs).split(sep).join('/'))
    .sort();
  const tests: TestCase[] = [];
  for (const file of files) {
    tests.push(...testsInSource(file, readFileSync(join(REPO_ROOT, file), 'utf8'), known));
  }
  tests.push(...scenarioTests(known));
  return tests;
}

export interface Coverage {
  catalogue: Rule[];
  inScope: Rule[];
  leftOut: Rule[];
  /** Rule id → the tests whose title names it. */
  testsByRule: Map<string, TestCase[]>;
  /** In-scope rules no test title names. */
  uncovered: string[];
  /** Keys of LEFT_OUT that are not rule ids of the catalogue (typos). */
  unknownLeftOut: string[];
}

export function computeCoverage(spec: string = readFileSync(SPEC_FILE, 'utf8')): Coverage {
  const catalogue = parseCatalogue(spec);
  const known = new Set(catalogue.map((r) => r.id));
  const tests = scanTests(known);
  const testsByRule = new Map<string, TestCase[]>();
  for (const t of tests) {
    for (const id of t.rules) testsByRule.set(id, [...(testsByRule.get(id) ?? []), t]);
  }
  const inScope = catalogue.filter((r) => LEFT_OUT[r.id] === undefined);
  const leftOut = catalogue.filter((r) => LEFT_OUT[r.id] !== undefined);
  return {
    catalogue,
    inScope,
    leftOut,
    testsByRule,
    uncovered: inScope.filter((r) => !testsByRule.has(r.id)).map((r) => r.id),
    unknownLeftOut: Object.keys(LEFT_OUT).filter((id) => !known.has(id)),
  };
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** docs/rules.md, deterministic for a given set of tests and spec. */
export function renderRulesDoc(c: Coverage): string {
  const covered = c.inScope.length - c.uncovered.length;
  const lines: string[] = [
    '# Rule coverage',
    '',
    '<!-- Generated by `npm run rules:coverage` (scripts/rules-coverage.js, test/support/rules-coverage.ts). Do not edit. -->',
    '',
    'Which tests cover each rule of the access model (`../shared/spec/access-model.md`: R…, A…, C…),',
    'and which rules v1 leaves out, with the reason (`../shared/spec/api.md`, "Out of scope for v1").',
    '',
    'A rule counts as covered only when a test title names its id: the test’s own title or an enclosing',
    '`describe`, as jest prints it (`describe › test`). Conformance scenarios count under the title',
    '`test/e2e/conformance.test.ts` gives them (`<name> [<rules>]`). Skipped and todo tests do not count.',
    '`test/int/rules-coverage.test.ts` fails when this file is stale or an in-scope rule has no test;',
    'regenerate it with `npm run rules:coverage`.',
    '',
    `**${covered} of ${c.inScope.length} in-scope rules are covered; ${c.leftOut.length} rules are left out.**`,
    '',
    '## In scope',
    '',
    'Rules of the seats and SCIM range (R58–R69) that v1 implements in part:',
    '',
    ...Object.entries(PARTLY_IN_SCOPE).map(([id, what]) => `- ${id}, partly: ${what}`),
    '',
    '| Rule | Summary | Tests |',
    '|---|---|---|',
  ];
  for (const r of c.inScope) {
    const tests = c.testsByRule.get(r.id) ?? [];
    const list =
      tests.length === 0 ? '**none**' : tests.map((t) => `\`${t.file}\`: ${cell(t.title)}`).join('<br>');
    lines.push(`| ${r.id} | ${cell(r.summary)} | ${list} |`);
  }
  lines.push(
    '',
    '## Left out',
    '',
    '| Rule | Summary | Reason | Tests naming it anyway |',
    '|---|---|---|---|',
  );
  for (const r of c.leftOut) {
    const n = c.testsByRule.get(r.id)?.length ?? 0;
    lines.push(`| ${r.id} | ${cell(r.summary)} | ${cell(LEFT_OUT[r.id] ?? '')} | ${n} |`);
  }
  lines.push('');
  return lines.join('\n');
}
