#!/usr/bin/env node
// Builds Stride's WebAssembly backend (native/src + native/wasm -> src/backend/wasm/stride.wasm
// and the threaded stride-threads.wasm)
// with clang for wasm32-wasi (Debian: clang, lld, wasi-libc, libc++-dev-wasm32) and SIMD128. Runs
// as part of `npm run build`, after tsc.
//
// The binary is committed and shipped, so users need no compiler. Next to it,
// stride.wasm.sha256 holds the hash of the sources and flags it was built from; a test compares it
// with the current sources (`--check`), so a binary older than its sources fails CI. When the
// hash matches nothing is compiled. When clang for wasm32 is missing the script says so, keeps the
// shipped binary and exits 0 (`--strict`: exits 1 instead). Under CI=true a stale binary is not
// rebuilt, so the test fails on it. `--out DIR` builds into DIR instead (tests use it).
//
// Finally the binary is copied next to the compiled JavaScript (dist/src/backend/wasm/), where the
// loader looks for it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(root, 'src', 'backend', 'wasm');
// The N-API glue and the threaded pool are native-only (the wasm builds use thread_pool_serial.h
// and thread_pool_wasm.h).
const NATIVE_ONLY = new Set(['addon.cc', 'thread_pool.cc']);
const COMPILE_FLAGS = [
  '--target=wasm32-wasi',
  '-msimd128',
  '-O3',
  '-std=c++17',
  '-fno-exceptions',
  '-fno-math-errno',
  '-fopenmp-simd',
  '-fvisibility=hidden',
];
// A reactor module (no main; _initialize runs the static constructors) with a 1 MiB stack.
const LINK_FLAGS = [
  '--target=wasm32-wasi',
  '-mexec-model=reactor',
  '-Wl,--strip-all',
  '-Wl,-z,stack-size=1048576',
];
// The functions wasi-libc's malloc (built without threads) is wrapped in a lock for (malloc_lock.cc).
const WRAPPED = ['malloc', 'free', 'calloc', 'realloc', 'aligned_alloc', 'posix_memalign'];

/**
 * The two modules. stride.wasm: single-threaded, its own memory, imports nothing (runs anywhere).
 * stride-threads.wasm: atomics and bulk memory on a shared memory it imports (env.memory, 16 MiB
 * initial, 4 GiB maximum), so Web Workers / worker_threads can run the same module on it
 * (src/backend/wasm/wasm-threads.ts); each helper gets its own stack (__stack_pointer) and
 * thread-local block (__wasm_init_tls). wasi-libc is not built with atomics, so the link skips the
 * feature check; its malloc is locked (malloc_lock.cc) and nothing else of it keeps shared state
 * the kernels use.
 */
const VARIANTS = [
  { binary: 'stride.wasm', compile: [], link: [] },
  {
    binary: 'stride-threads.wasm',
    compile: ['-matomics', '-mbulk-memory', '-ftls-model=local-exec'],
    link: [
      '-Wl,--no-check-features',
      '-Wl,--import-memory',
      '-Wl,--shared-memory',
      '-Wl,--initial-memory=16777216',
      '-Wl,--max-memory=4294967296',
      ...WRAPPED.map((f) => `-Wl,--wrap=${f}`),
      ...['__stack_pointer', '__wasm_init_tls', '__tls_size', '__tls_align'].map((s) => `-Wl,--export=${s}`),
    ],
  },
];

/** Every input of the build, as paths relative to the package root, sorted. */
export function wasmInputs() {
  const list = (dir, keep) =>
    readdirSync(join(root, dir))
      .filter(keep)
      .map((f) => `${dir}/${f}`);
  return [
    ...list('native/src', (f) => (f.endsWith('.cc') || f.endsWith('.h')) && !NATIVE_ONLY.has(f)),
    ...list('native/wasm', (f) => f.endsWith('.cc') || f.endsWith('.h')),
  ].sort();
}

/** SHA-256 over the inputs' names and contents and one variant's compiler flags. */
export function sourcesHash(variant = VARIANTS[0]) {
  const h = createHash('sha256');
  const extra =
    variant.compile.length || variant.link.length ? { variant: variant.compile.concat(variant.link) } : {};
  h.update(JSON.stringify({ compile: COMPILE_FLAGS, link: LINK_FLAGS, ...extra }));
  for (const f of wasmInputs()) {
    h.update(`\0${f}\0`);
    h.update(readFileSync(join(root, f)));
  }
  return h.digest('hex');
}

function shippedHash(variant) {
  const file = join(OUT_DIR, `${variant.binary}.sha256`);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

const upToDate = (v) => existsSync(join(OUT_DIR, v.binary)) && shippedHash(v) === sourcesHash(v);

/** clang++ that can target wasm32-wasi with libc++, or null. */
function findCompiler() {
  for (const cxx of [process.env.STRIDE_WASM_CXX, 'clang++', 'clang++-14', 'clang++-15', 'clang++-16'].filter(
    Boolean,
  )) {
    const r = spawnSync(cxx, ['--target=wasm32-wasi', '-x', 'c++', '-std=c++17', '-fsyntax-only', '-'], {
      input: '#include <vector>\n#include <wasm_simd128.h>\nint main() { return 0; }\n',
      encoding: 'utf8',
    });
    if (!r.error && r.status === 0) return cxx;
  }
  return null;
}

function run(cmd, args) {
  return new Promise((done, fail) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', fail);
    p.on('close', (code) => (code === 0 ? done() : fail(new Error(`${cmd} exited with status ${code}`))));
  });
}

async function compile(cxx, variant, outDir) {
  const hash = sourcesHash(variant);
  const tmp = mkdtempSync(join(tmpdir(), 'stride-wasm-'));
  try {
    const sources = wasmInputs().filter((f) => f.endsWith('.cc'));
    const objects = sources.map((f, i) => join(tmp, `${i}.o`));
    const jobs = Math.max(1, Math.min(availableParallelism(), 4));
    let next = 0;
    const worker = async () => {
      while (next < sources.length) {
        const i = next++;
        await run(cxx, [
          ...COMPILE_FLAGS,
          ...variant.compile,
          '-I',
          join(root, 'native/src'),
          '-c',
          join(root, sources[i]),
          '-o',
          objects[i],
        ]);
      }
    };
    await Promise.all(Array.from({ length: jobs }, worker));
    const out = join(tmp, variant.binary);
    await run(cxx, [...LINK_FLAGS, ...variant.link, '-o', out, ...objects]);
    // Written under temporary names and renamed, binary first.
    mkdirSync(outDir, { recursive: true });
    const binary = join(outDir, variant.binary);
    const hashFile = `${binary}.sha256`;
    copyFileSync(out, `${binary}.tmp`);
    renameSync(`${binary}.tmp`, binary);
    writeFileSync(`${hashFile}.tmp`, `${hash}\n`);
    renameSync(`${hashFile}.tmp`, hashFile);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Copy the binaries next to the compiled loader, when tsc has produced it. */
function copyToDist() {
  const dist = join(root, 'dist', 'src', 'backend', 'wasm');
  if (!existsSync(dist)) return;
  for (const { binary } of VARIANTS) {
    if (!existsSync(join(OUT_DIR, binary))) continue;
    copyFileSync(join(OUT_DIR, binary), join(dist, `${binary}.tmp`));
    renameSync(join(dist, `${binary}.tmp`), join(dist, binary));
  }
}

async function main() {
  const args = process.argv.slice(2);
  const stale = VARIANTS.filter((v) => !upToDate(v));
  if (args.includes('--check')) {
    if (stale.length === 0) {
      return console.log(
        `stride: ${VARIANTS.map((v) => `src/backend/wasm/${v.binary}`).join(' and ')} match their sources`,
      );
    }
    for (const v of stale) {
      console.error(
        `stride: src/backend/wasm/${v.binary} was built from other sources than these (hash ${shippedHash(v)}, ` +
          `sources ${sourcesHash(v)}). Fix: run 'node scripts/build-wasm.mjs' (needs clang, lld, wasi-libc, libc++-dev-wasm32) and commit the binary and its .sha256`,
      );
    }
    process.exit(1);
  }
  const outAt = args.indexOf('--out');
  if (outAt >= 0) {
    // Build into another folder (tests build the sources without touching the shipped binaries).
    const cxx = findCompiler();
    if (!cxx) {
      console.error(
        'stride: clang for wasm32-wasi was not found (Debian: clang lld wasi-libc libc++-dev-wasm32)',
      );
      process.exit(1);
    }
    for (const v of VARIANTS) await compile(cxx, v, resolve(args[outAt + 1] ?? '.'));
    return;
  }
  const build = args.includes('--force') ? VARIANTS : stale;
  if (stale.length > 0 && process.env.CI === 'true' && !args.includes('--force')) {
    // CI checks the committed binaries (test/wasm): rebuilding them here would hide a stale one.
    console.log('stride: the wasm backend binaries are older than their sources; not rebuilt under CI=true');
  } else if (build.length > 0) {
    const cxx = findCompiler();
    if (!cxx) {
      console.log(
        "stride: clang for wasm32-wasi was not found (Debian: clang lld wasi-libc libc++-dev-wasm32), so the shipped 'wasm' backend binaries are kept" +
          (build.some((v) => existsSync(join(OUT_DIR, v.binary)))
            ? ' (built from other sources than these)'
            : ' (there are none)'),
      );
      if (args.includes('--strict')) process.exit(1);
    } else {
      for (const v of build) {
        await compile(cxx, v, OUT_DIR);
        console.log(`stride: wasm backend built: src/backend/wasm/${v.binary} (${cxx})`);
      }
    }
  }
  copyToDist();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`stride: building the wasm backend failed: ${e.message}`);
    process.exit(1);
  });
}
