#!/usr/bin/env node
// `npm run bench`: installs the benchmark's own dependencies (bench/package.json) when they are
// missing, builds the native addon when it is missing, then runs bench/coordinator.mjs, which
// writes bench/RESULTS.md, then bench/loader-throughput.mjs (bench/LOADER-RESULTS.md). Arguments pass
// through: --quick, --rounds N, --only w5-conv,gemm-1t (add 'loader' to --only for the loader row).
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

// Row L1 (bench/LOADER-RESULTS.md), the image-folder loader against the training step it feeds, is
// its own script: 'loader' in --only selects it, and the other names go to the coordinator.
const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',') : null;
if (only) argv[onlyAt + 1] = only.filter((w) => w !== 'loader').join(',');
const ok =
  (only !== null && only.every((w) => w === 'loader')) ||
  run(process.execPath, [join(benchDir, 'coordinator.mjs'), ...argv], { cwd: root });
const loaderOk =
  (only !== null && !only.includes('loader')) ||
  run(process.execPath, ['--import', 'tsx', join(benchDir, 'loader-throughput.mjs')], { cwd: root });
process.exit(ok && loaderOk ? 0 : 1);
