// Where the peak resident memory of the bench's memory rows goes (issue 18): each row runs in a
// fresh child process, as bench/coordinator.mjs measures it (build, 2 warm-up steps, 3 timed
// steps), and reports its resident set at each stage, so the peak splits into the Node runtime
// with the addon loaded, the model's weights, what the first steps added (prepared and folded
// weights, activations, allocator retention) and the JS heap. Each row runs twice: with the addon's
// malloc setting (M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 512 MiB, native/src/workspace.cc) and
// without it (GLIBC_TUNABLES naming a glibc.malloc tunable makes the addon skip it), alternating,
// with the median step time of each, so memory and speed of the two settings compare side by side.
//   nice node scripts/results/inference-memory.mjs [--rows w3-b1,w3-b8] [--repeats 2] [--steps 5]
// The children run Stride as users of the package do: the JavaScript bench/compile-stride.mjs
// transpiles (not under tsx, whose loader thread alone holds ~35 MiB).
// Prints a markdown table; the committed numbers are in scripts/results/inference-memory.md.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { COMPILED_SRC, compileStride } from '../../bench/compile-stride.mjs';

const MiB = 2 ** 20;

/** Resident set now and its peak so far (VmRSS, VmHWM of /proc/self/status), in MiB. */
function rss() {
  const text = readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s*(\\d+)`).exec(text)?.[1] ?? NaN);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function child(row, steps) {
  const st = await import(pathToFileURL(join(COMPILED_SRC, 'node.js')).href);
  st.setBackend('native');
  st.setNumThreads(2);
  const base = rss();
  st.manualSeed(0);
  const batch = row.endsWith('b8') || row === 'w4' ? 8 : 1;
  let step;
  let model;
  const x = st.randn([batch, 3, 224, 224]);
  if (row === 'w4') {
    model = st.models.resnet18();
    const y = st.randint(0, 1000, [batch]);
    const opt = new st.SGD(model.parameters(), { lr: 0.01 });
    step = () => {
      opt.zeroGrad();
      st.crossEntropy(model.forward(x), y).backward();
      opt.step();
    };
  } else {
    model = row.startsWith('mnv2') ? st.models.mobilenet_v2() : st.models.resnet18();
    model.eval();
    if (row.startsWith('w3f')) st.fuseForInference(model);
    step = () => {
      st.noGrad(() => model.forward(x));
    };
  }
  let weightBytes = 0;
  for (const p of model.parameters()) weightBytes += p.size * 4;
  const built = rss();
  for (let i = 0; i < 2; i++) step();
  const warm = rss();
  const times = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mem = process.memoryUsage();
  const end = rss();
  console.log(
    JSON.stringify({
      baseMiB: base.now,
      weightsMiB: weightBytes / MiB,
      builtMiB: built.now,
      warmMiB: warm.now,
      endMiB: end.now,
      peakMiB: end.peak,
      heapUsedMiB: mem.heapUsed / MiB,
      arrayBuffersMiB: mem.arrayBuffers / MiB,
      ms: times[times.length >> 1],
    }),
  );
}

async function parent() {
  const compileError = await compileStride();
  if (compileError) throw new Error(compileError);
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
  };
  const rows = arg('--rows', 'w3-b1,w3-b8,w3f-b1,w3f-b8,mnv2-b1,mnv2-b8,w4').split(',');
  const repeats = Number(arg('--repeats', '2'));
  const steps = arg('--steps', '5');
  const self = fileURLToPath(import.meta.url);
  const run = (row, tunables) => {
    const env = { ...process.env, STRIDE_MEM_ROW: row, STRIDE_MEM_STEPS: steps };
    // check=0 is glibc's default; naming any glibc.malloc tunable makes the addon skip mallopt.
    if (tunables) env.GLIBC_TUNABLES = 'glibc.malloc.check=0';
    else delete env.GLIBC_TUNABLES;
    const out = execFileSync(process.execPath, [self], { env, encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop());
  };
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const f0 = (v) => v.toFixed(0);
  console.log(
    '| row | malloc setting | Node + addon | weights (params) | after build | after warm-up | peak (VmHWM) | JS heap | ArrayBuffers at end | step ms |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const by = { on: [], off: [] };
    for (let r = 0; r < repeats; r++) {
      // Alternate the order so a burst of outside load hits both settings alike.
      const order = r % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const s of order) by[s].push(run(row, s === 'off'));
    }
    for (const s of ['on', 'off']) {
      const xs = by[s];
      const m = (k) => med(xs.map((x) => x[k]));
      console.log(
        `| ${row} | ${s === 'on' ? 'addon mallopt' : 'glibc default'} | ${f0(m('baseMiB'))} | ${f0(m('weightsMiB'))} | ${f0(m('builtMiB'))} | ${f0(m('warmMiB'))} | ${f0(m('peakMiB'))} | ${f0(m('heapUsedMiB'))} | ${f0(m('arrayBuffersMiB'))} | ${m('ms').toFixed(1)} |`,
      );
    }
  }
}

const row = process.env.STRIDE_MEM_ROW;
if (row) await child(row, Number(process.env.STRIDE_MEM_STEPS ?? 5));
else await parent();
