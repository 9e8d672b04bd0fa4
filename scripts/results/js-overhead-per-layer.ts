// Time spent in JavaScript between native kernel calls in an inference forward (issue 18), the way
// users call a model: `model.eval()`, then `forward` under `noGrad` (the fused path). For
// ResNet-18 and MobileNetV2 from the zoo at batch 1, and the Graph that importing ResNet-18's
// exported ONNX gives, every method of the native backend is wrapped
// with a clock; per forward, the forward's time minus the time inside backend calls is the
// JavaScript between kernels. Four measures, in four passes:
// - wall time with `--threads` native threads (default 2, as the bench runs): what a user waits,
//   but on a loaded machine it also holds the time the main thread waited for a core;
// - CPU time of the process with 1 native thread (every kernel then runs on the main thread, so
//   process CPU time outside the backend calls is the JavaScript's own, plus the garbage
//   collector's and V8's helper threads'): a shared machine's load moves it less.
// - wall time of the same forward with every backend call (but weight preparation) returning at
//   once, 1 thread: the JavaScript alone, in a forward a few times shorter than the real one, so
//   that load interrupts fewer of them (its caches are warmer than between real kernels, though).
// - the same with every such call reading through 8 MB instead (as a large kernel streams its
//   weights and feature maps), that time taken out: the JavaScript as it runs between real kernels,
//   its code and objects evicted from the caches.
// Medians and 10th percentiles of many forwards.
//
// With `--before DIR` (a folder holding a copy of an earlier commit's src/:
// `git archive COMMIT src | tar -x -C DIR`; inside this checkout, e.g. tmp/before, so that it finds
// the native addon), the same models built by that code run too, alternating forward by forward
// with this checkout's in one process, on the same native addon, so both see the same load.
//
// With `--compiled`, each variant's src/ is first transpiled by esbuild as bench/compile-stride.mjs
// does (the JavaScript the bench and a package user run: no tsx loader, no keep-names helpers)
// into tmp/jso-<variant>/src, and that is what runs.
//
//   nice node --import tsx scripts/results/js-overhead-per-layer.ts [--reps 41] [--threads 2] [--before DIR] [--compiled] [--out FILE.md]
import { readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type Lib = typeof import('../../src/node.js');
type Registry = typeof import('../../src/backend/registry.js');

const arg = (name: string, fallback: string | null): string | null => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const reps = Number(arg('--reps', '41'));
const threads = Number(arg('--threads', '2'));
const beforeDir = arg('--before', null);
const outFile = arg('--out', null);
const compiled = process.argv.includes('--compiled');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Transpile `root`/src into tmp/jso-`tag`/src (a sibling of the native addon's package root) and return that root. */
async function transpile(root: string, tag: string): Promise<string> {
  const esbuild = await import('esbuild');
  const out = resolve('tmp', `jso-${tag}`);
  rmSync(out, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: filesUnder(join(root, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
    outdir: join(out, 'src'),
    outbase: join(root, 'src'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    tsconfig: resolve('tsconfig.json'),
    logLevel: 'silent',
  });
  return out;
}

const quantile = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)] ?? NaN;

/** Milliseconds on the current clock: wall time, or the process's CPU time (user + system). */
let clockNow: () => number = () => performance.now();
const wallNow = (): number => performance.now();
const cpuNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

interface Clock {
  inside: number;
  calls: number;
}

/** While set, backend calls other than weight preparation return without computing. */
let stubbed = false;
/** While set (with `stubbed`), each such call instead reads through this array, as a large kernel would. */
let evict: Float64Array | null = null;
let evictSink = 0;

/** A checkout's library with its native backend's methods wrapped by a clock that adds into `inside`. */
async function load(root: string): Promise<{ st: Lib; clock: Clock }> {
  const ext = compiled ? 'js' : 'ts';
  const st = (await import(pathToFileURL(resolve(root, `src/node.${ext}`)).href)) as Lib;
  const registry = (await import(
    pathToFileURL(resolve(root, `src/backend/registry.${ext}`)).href
  )) as Registry;
  st.setBackend('native');
  const clock: Clock = { inside: 0, calls: 0 };
  const b = registry.kernels() as unknown as Record<string, unknown>;
  const keys = new Set([...Object.getOwnPropertyNames(Object.getPrototypeOf(b)), ...Object.keys(b)]);
  for (const key of keys) {
    const f = b[key];
    if (typeof f !== 'function' || key === 'constructor') continue;
    const prepares = key.startsWith('prepare');
    b[key] = function (this: unknown, ...args: unknown[]) {
      if (stubbed && !prepares) {
        clock.calls++;
        if (evict) {
          const t0 = clockNow();
          for (let i = 0; i < evict.length; i += 8) evictSink += evict[i]!; // one read per 64-byte line
          clock.inside += clockNow() - t0;
        }
        return undefined;
      }
      const t0 = clockNow();
      const r: unknown = f.apply(this, args);
      clock.inside += clockNow() - t0;
      clock.calls++;
      return r;
    };
  }
  return { st, clock };
}

interface Engine {
  label: string;
  model: string;
  st: Lib;
  run: () => void;
  clock: Clock;
  calls: number;
}

const variants = [{ label: 'this checkout', root: process.cwd() }];
if (beforeDir) variants.push({ label: 'before', root: resolve(beforeDir) });
if (compiled)
  for (const [k, v] of variants.entries()) v.root = await transpile(v.root, k === 0 ? 'this' : 'before');

const engines: Engine[] = [];
for (const v of variants) {
  const { st, clock } = await load(v.root);
  for (const name of ['resnet18', 'mobilenet_v2', 'resnet18 (ONNX)'] as const) {
    st.manualSeed(0);
    const x = st.randn([1, 3, 224, 224]);
    // The zoo model, or the Graph that importing its exported ONNX gives (one step per node).
    const model =
      name === 'resnet18 (ONNX)'
        ? st.importOnnx(st.exportOnnx(st.models.resnet18().eval(), x)).eval()
        : st.models[name]().eval();
    engines.push({
      label: v.label,
      model: name,
      st,
      run: () => void st.noGrad(() => model.forward(x)),
      clock,
      calls: 0,
    });
  }
}

/** Per engine, the forward times and the times between kernels on the given clock. */
function race(now: () => number, nThreads: number): { total: number[]; js: number[] }[] {
  clockNow = now;
  for (const e of engines) e.st.setNumThreads(nThreads);
  const out = engines.map(() => ({ total: [] as number[], js: [] as number[] }));
  for (const e of engines) for (let i = 0; i < 5; i++) e.run();
  for (let r = 0; r < reps; r++) {
    // A fresh random order each round: garbage one engine leaves lands in whichever runs next.
    const order = engines.map((_, k) => k);
    for (let q = order.length - 1; q > 0; q--) {
      const j = Math.floor(Math.random() * (q + 1));
      [order[q], order[j]] = [order[j]!, order[q]!];
    }
    for (const k of order) {
      const e = engines[k]!;
      e.clock.inside = 0;
      e.clock.calls = 0;
      const t0 = now();
      e.run();
      const total = now() - t0;
      out[k]!.total.push(total);
      out[k]!.js.push(total - e.clock.inside);
      e.calls = e.clock.calls;
    }
  }
  return out;
}

const wall = race(wallNow, threads);
const cpu = race(cpuNow, 1);
stubbed = true;
const alone = race(wallNow, 1);
evict = new Float64Array((8 << 20) / 8);
const cold = race(wallNow, 1);
evict = null;
stubbed = false;
if (evictSink !== 0) throw new Error('the eviction array is all zeros');

const lines: string[] = [];
const say = (s: string): void => {
  console.log(s);
  lines.push(s);
};
say(`# JavaScript between native kernel calls per inference forward (eval + noGrad, batch 1)`);
say('');
say(
  `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, load average ` +
    `${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')} at the end; ${reps} forwards per row and clock, rows alternating in a random ` +
    `order each round in one process (a shared machine: compare rows of one run, not runs); ` +
    `${compiled ? 'sources transpiled by esbuild, as the bench runs them' : 'sources run under tsx'}.`,
);
say('');
say(
  `| code | model | backend calls | wall ms, ${threads} threads | between kernels, wall ms (median / p10) | ` +
    `CPU ms, 1 thread | between kernels, CPU ms (median / p10) | JavaScript alone, ms (median / p10) | per backend call, µs (JavaScript alone, median) | ` +
    `JavaScript after 8 MB reads per call, ms (median / p10) |`,
);
say('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
engines.forEach((e, k) => {
  const w = wall[k]!;
  const c = cpu[k]!;
  const a = alone[k]!;
  const js = quantile(a.total, 0.5);
  const cj = cold[k]!.js;
  say(
    `| ${e.label} | ${e.model} | ${e.calls} | ${quantile(w.total, 0.5).toFixed(2)} | ` +
      `${quantile(w.js, 0.5).toFixed(3)} / ${quantile(w.js, 0.1).toFixed(3)} | ${quantile(c.total, 0.5).toFixed(2)} | ` +
      `${quantile(c.js, 0.5).toFixed(3)} / ${quantile(c.js, 0.1).toFixed(3)} | ` +
      `${js.toFixed(3)} / ${quantile(a.total, 0.1).toFixed(3)} | ${((js * 1000) / e.calls).toFixed(1)} | ` +
      `${quantile(cj, 0.5).toFixed(3)} / ${quantile(cj, 0.1).toFixed(3)} |`,
  );
});
if (outFile) {
  const tmp = `${outFile}.tmp-${process.pid}`;
  writeFileSync(tmp, lines.join('\n') + '\n');
  renameSync(tmp, outFile);
}
