#!/usr/bin/env node
// `npm run bench`: installs the benchmark's own dependencies (bench/package.json) when they are
// missing, builds the native addon when it is missing, then runs bench/coordinator.mjs, which
// writes bench/RESULTS.md, then the rows that are scripts of their own: bench/browser-lenet.mjs
// (Chromium and Firefox, bench/BROWSER-RESULTS.md) and bench/loader-throughput.mjs (bench/LOADER-RESULTS.md).
// Arguments pass through: --quick, --rounds N, --only w5-conv,gemm-1t,browser-w1,loader.
// `npm run bench -- --render` measures nothing: RESULTS.md is written again from bench/results.json
// and the current notes (bench/shortfall-notes.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', ...opts });
  return r.status === 0;
}

const argv = process.argv.slice(2);
if (argv.includes('--render')) {
  process.exit(run(process.execPath, [join(benchDir, 'coordinator.mjs'), ...argv], { cwd: root }) ? 0 : 1);
}
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',') : [];
const nodeArgv = onlyAt >= 0 ? argv.filter((_, i) => i !== onlyAt && i !== onlyAt + 1) : argv;
const roundsAt = argv.indexOf('--rounds');
const rounds =
  roundsAt >= 0 ? argv.slice(roundsAt, roundsAt + 2) : argv.includes('--quick') ? ['--rounds', '1'] : [];

// Rows that are scripts of their own (run after the coordinator's rows, with the root package's
// devDependencies): `--only <id>` runs one alone, without bench/node_modules.
const SCRIPT_ROWS = {
  // LeNet-5 training in Chromium: Stride, TF.js and ConvNetJS in the playground's bench page.
  'browser-w1': () =>
    run(process.execPath, ['--import', 'tsx', join(benchDir, 'browser-lenet.mjs'), ...rounds], { cwd: root }),
  // Row L1: the image-folder loader (numWorkers 0 and 2) against the training step it feeds.
  loader: () =>
    run(process.execPath, ['--import', 'tsx', join(benchDir, 'loader-throughput.mjs')], { cwd: root }),
};
const nodeOnly = only.filter((w) => !(w in SCRIPT_ROWS));
function runScriptRows() {
  let ok = true;
  for (const [id, runRow] of Object.entries(SCRIPT_ROWS)) {
    if (only.length > 0 && !only.includes(id)) continue;
    ok = runRow() && ok;
  }
  return ok;
}
if (only.length > 0 && nodeOnly.length === 0) process.exit(runScriptRows() ? 0 : 1);

const pkg = JSON.parse(readFileSync(join(benchDir, 'package.json'), 'utf8'));
const missing = Object.keys(pkg.devDependencies).filter(
  (name) => !existsSync(join(benchDir, 'node_modules', ...name.split('/'), 'package.json')),
);
if (missing.length > 0) {
  console.error(`[bench] installing ${missing.join(', ')} into bench/node_modules`);
  // onnxruntime-node's install script fetches optional GPU binaries; the CPU build ships in the package.
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  if (!run(npm, ['install', '--no-audit', '--no-fund'], { cwd: benchDir, env })) {
    console.error('[bench] npm install failed; rerun it in bench/ (with ONNXRUNTIME_NODE_INSTALL=skip)');
    process.exit(1);
  }
}

if (!existsSync(join(root, 'native', 'build', 'Release', 'stride_native.node'))) {
  console.error('[bench] building the native addon');
  if (!run(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--strict'], { cwd: root }))
    process.exit(1);
}

const nodeRows = nodeOnly.length > 0 ? ['--only', nodeOnly.join(','), ...nodeArgv] : nodeArgv;
const ok = run(process.execPath, [join(benchDir, 'coordinator.mjs'), ...nodeRows], {
  cwd: root,
});
process.exit(runScriptRows() && ok ? 0 : 1);
