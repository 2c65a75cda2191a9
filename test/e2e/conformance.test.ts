/**
 * Runs every conformance scenario of ../shared/spec/scenarios/ through the real HTTP API, each
 * against a fresh server with an empty store (scenarios/README.md).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { match } from '../support/match';
import { http, startTestServer, type TestServer } from '../support/server';

const SCENARIOS = resolve(__dirname, '../../../shared/spec/scenarios');

interface Step {
  as?: string;
  command?: string;
  body?: unknown;
  check?: { principal: string; permission: string; resource: string };
  query?: string;
  expect?: Record<string, unknown>;
}
interface Scenario {
  name: string;
  rules?: string[];
  fixture?: string;
  steps: Step[];
}

function load(file: string): Scenario {
  return JSON.parse(readFileSync(file, 'utf8')) as Scenario;
}

async function runStep(server: TestServer, step: Step, where: string): Promise<void> {
  if (step.command) {
    const res = await http(server.url, 'POST', `/v1/commands/${step.command}`, {
      body: step.body,
      actor: step.as,
    });
    const exp = step.expect ?? {};
    const statuses = exp.status === undefined ? [200] : Array.isArray(exp.status) ? exp.status : [exp.status];
    if (!statuses.includes(res.status)) {
      throw new Error(
        `${where} ${step.command} as ${step.as}: expected status ${statuses.join('|')}, got ${res.status} ${JSON.stringify(res.body)}`,
      );
    }
    if (exp.rule !== undefined && res.body.rule !== exp.rule) {
      throw new Error(
        `${where} ${step.command}: expected rule ${String(exp.rule)}, got ${JSON.stringify(res.body)}`,
      );
    }
    if (res.status >= 400 && !res.contentType.startsWith('application/problem+json')) {
      throw new Error(`${where} ${step.command}: error without problem+json (${res.contentType})`);
    }
    return;
  }
  let res;
  if (step.check) {
    const q = new URLSearchParams(step.check).toString();
    res = await http(server.url, 'GET', `/v1/check?${q}`);
  } else if (step.query) {
    res = await http(server.url, 'GET', step.query);
  } else {
    throw new Error(`${where}: step has neither command, check nor query`);
  }
  if (step.expect && typeof step.expect.status === 'number') {
    // Extension used by our own scenarios (test/e2e/scenarios): a query expected to fail.
    if (res.status !== step.expect.status) {
      throw new Error(
        `${where} ${step.query ?? ''}: expected status ${String(step.expect.status)}, got ${res.status}`,
      );
    }
    return;
  }
  if (res.status !== 200)
    throw new Error(
      `${where} ${step.query ?? JSON.stringify(step.check)}: status ${res.status} ${JSON.stringify(res.body)}`,
    );
  if (typeof res.body.position !== 'string') throw new Error(`${where}: answer has no position`);
  const problems = match(step.expect ?? {}, res.body);
  if (problems.length > 0) {
    throw new Error(
      `${where} ${step.query ?? JSON.stringify(step.check)}:\n  ${problems.join('\n  ')}\n  answer: ${JSON.stringify(res.body)}`,
    );
  }
}

const OWN_SCENARIOS = resolve(__dirname, 'scenarios');
const list = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.json$/.test(f))
        .sort()
        .map((f) => join(dir, f))
    : [];
const files = list(SCENARIOS);
const ownFiles = list(OWN_SCENARIOS);

async function runScenario(file: string): Promise<void> {
  const scenario = load(file);
  const server = await startTestServer('memory');
  try {
    const steps: [Step, string][] = [];
    if (scenario.fixture) {
      const fixture = load(join(SCENARIOS, 'fixtures', `${scenario.fixture}.json`));
      fixture.steps.forEach((s, i) => steps.push([s, `fixture ${scenario.fixture} step ${i + 1}`]));
    }
    scenario.steps.forEach((s, i) => steps.push([s, `step ${i + 1}`]));
    for (const [step, where] of steps) await runStep(server, step, where);
  } finally {
    await server.close();
  }
}

const title = (file: string): string => {
  const s = load(file);
  return `${s.name} [${(s.rules ?? []).join(', ')}]`;
};

describe('conformance scenarios (../shared/spec/scenarios)', () => {
  it('finds the scenario directory', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  it.each(files.map((f) => [title(f), f]))('%s', async (_title, file) => runScenario(file));
});

describe('our own scenarios in the same format (test/e2e/scenarios)', () => {
  it.each(ownFiles.map((f) => [title(f), f]))('%s', async (_title, file) => runScenario(file));
});
