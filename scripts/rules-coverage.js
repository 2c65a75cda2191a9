#!/usr/bin/env node
/*
 * `npm run rules:coverage`: regenerates docs/rules.md from the test titles (see
 * test/support/rules-coverage.ts). `--check` writes nothing and exits 1 when docs/rules.md is stale or an
 * in-scope rule has no test (what test/int/rules-coverage.test.ts asserts in CI).
 *
 * Plain JavaScript with a transpile-only require hook for the TypeScript module, so that it runs
 * without a build step and without ts-node (the same approach as test/int/fixtures/sqlite-child.ts).
 */
'use strict';
/* global require, __dirname, process */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS script run by plain node */
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  module._compile(outputText, filename);
};

const { computeCoverage, renderRulesDoc, RULES_DOC } = require(
  path.join(__dirname, '..', 'test', 'support', 'rules-coverage.ts'),
);

const coverage = computeCoverage();
const doc = renderRulesDoc(coverage);
const current = fs.existsSync(RULES_DOC) ? fs.readFileSync(RULES_DOC, 'utf8') : null;
const rel = path.relative(process.cwd(), RULES_DOC);
const covered = coverage.inScope.length - coverage.uncovered.length;

if (process.argv.includes('--check')) {
  let ok = true;
  if (current !== doc) {
    process.stderr.write(`${rel} is stale: run npm run rules:coverage\n`);
    ok = false;
  }
  if (coverage.uncovered.length > 0) {
    process.stderr.write(`in-scope rules without a test: ${coverage.uncovered.join(', ')}\n`);
    ok = false;
  }
  process.exit(ok ? 0 : 1);
}

fs.mkdirSync(path.dirname(RULES_DOC), { recursive: true });
fs.writeFileSync(RULES_DOC, doc);
process.stdout.write(
  `${rel}: ${covered}/${coverage.inScope.length} in-scope rules covered, ${coverage.leftOut.length} left out` +
    `${current === doc ? ' (unchanged)' : ''}\n`,
);
if (coverage.uncovered.length > 0) {
  process.stdout.write(`uncovered: ${coverage.uncovered.join(', ')}\n`);
}
if (coverage.unknownLeftOut.length > 0) {
  process.stdout.write(`LEFT_OUT names unknown rule ids: ${coverage.unknownLeftOut.join(', ')}\n`);
}
