#!/usr/bin/env node
// Finds every *.test.ts under test/ and runs them with Node's test runner (TypeScript through tsx).
// Extra arguments narrow the run: `npm run test:unit -- conv` runs files whose path contains "conv".
//
// Skips are counted and listed, one line per reason. A skip means something the test needs is
// missing (the native addon, a Debian package, an npm devDependency). A user without it gets a
// clean skip; CI (CI=true) installs all of it, so there any skip fails the run: a broken build or
// a missing package cannot turn into a green run that tested less.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = find('test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const scratch = mkdtempSync(join(tmpdir(), 'stride-tests-'));
const skipLog = join(scratch, 'skips.jsonl');
const skipReporter = fileURLToPath(new URL('./test-reporters/skips.mjs', import.meta.url));
const r = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${skipReporter}`,
    `--test-reporter-destination=${skipLog}`,
    ...files,
  ],
  { stdio: 'inherit' },
);

let skips = [];
try {
  skips = readFileSync(skipLog, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));
} catch {
  skips = [];
}
rmSync(scratch, { recursive: true, force: true });

const byReason = new Map();
for (const s of skips) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.name]);
console.log(`\nskipped: ${skips.length}`);
for (const [reason, names] of byReason) {
  console.log(`  ${names.length} skipped: ${reason}  (e.g. "${names[0]}")`);
}
let status = r.status ?? 1;
if (process.env.CI === 'true' && skips.length > 0) {
  console.error(
    `CI: ${skips.length} test(s) skipped. CI installs everything the tests need (.ci/run), so a skip ` +
      'here means a build step or a package is missing; failing the run.',
  );
  if (status === 0) status = 1;
}
process.exit(status);
