#!/usr/bin/env node
// Builds Stride's native CPU backend (native/ -> native/build/Release/stride_native.node) with
// the node-gyp that ships inside npm and the machine's C++ compiler. Runs on `npm install`.
//
// It never downloads anything: when npm passes a nodedir (npm_config_nodedir), or when the Node
// headers sit next to this Node binary (<prefix>/include/node), node-gyp is pointed at them.
//
// A failed build must never break a user's install: it prints one line saying how to build the
// addon and exits 0; Stride then runs on its reference backend. `--strict` (used by `npm run
// build:native`), or STRIDE_REQUIRE_NATIVE=1 in the environment (set by .ci/run, so a compiler
// error fails CI instead of turning every native test into a skip), shows the compiler output and
// exits non-zero on failure instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict') || process.env.STRIDE_REQUIRE_NATIVE === '1';
// Installed as a dependency (under node_modules) the depending project rebuilds it with `npm rebuild stride`.
const HOW_TO =
  "stride: the native backend was not built, so Stride will run on its slower 'reference' backend. " +
  `To build it: ${root.split(/[\\/]/).includes('node_modules') ? "'npm rebuild stride' in your project" : "'npm run build:native'"} (needs python3, make and g++).`;

/** node-gyp's CLI: npm's bundled copy, found next to the running npm or the node binary. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    // npm_execpath is .../npm/bin/npm-cli.js
    candidates.push(
      join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    );
  }
  const prefix = resolve(dirname(process.execPath), '..');
  candidates.push(
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  candidates.push('/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  candidates.push('/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** Where the Node headers are, so node-gyp need not fetch them. */
function findNodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return null;
}

function fail(detail) {
  console.log(strict ? `${HOW_TO} (${detail})` : HOW_TO);
  process.exit(strict ? 1 : 0);
}

const gyp = findNodeGyp();
if (!gyp) fail("node-gyp was not found next to npm; install npm's node-gyp or run node-gyp in native/");

const args = [gyp, 'rebuild', '--jobs=max', `--directory=${join(root, 'native')}`];
const nodedir = findNodeDir();
if (nodedir) args.push(`--nodedir=${nodedir}`);

const r = spawnSync(process.execPath, args, {
  cwd: join(root, 'native'),
  stdio: strict ? 'inherit' : 'pipe',
  encoding: 'utf8',
});
if (r.error || r.status !== 0) {
  fail(r.error ? r.error.message : `node-gyp exited with status ${r.status}`);
}
if (strict) console.log('stride: native backend built: native/build/Release/stride_native.node');
