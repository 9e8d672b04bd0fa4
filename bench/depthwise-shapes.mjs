// Depthwise convolution speed on MobileNetV2's depthwise layer shapes (3x3, padding 1, 224x224
// input), and the whole MobileNetV2 at batch 1 and 8, Stride's native backend next to
// onnxruntime-node, both on BENCH_THREADS (2) threads, in one process with the engines alternating
// call by call so that they share the machine's load. With `--before PATH` a second Stride addon
// (for example main's build before a kernel change) runs beside them as 'before'.
//
// Per layer: Stride runs the backend's conv2dForward (depthwise weights and bias, output array
// allocated once); onnxruntime runs a one-layer ONNX model of the same Conv2d (exported by Stride's
// exporter). Whole model: eval() + noGrad forward, as the bench's MobileNetV2 rows call it, against
// the ONNX that Stride exports of the same model.
//
// Usage: node --import tsx bench/depthwise-shapes.mjs [--before PATH] [--reps N] [--threads N] [--batches 1,8]
//        [--no-model] [--warm] [--out FILE.md]
// (--no-model skips the whole-MobileNetV2 rows; --batches picks the batch sizes of both tables.)
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { renameSync, writeFileSync } from 'node:fs';
import { BENCH_THREADS } from './workloads.mjs';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const st = await import('../src/node.js');
const { kernels, registerBackend, withBackend } = await import('../src/backend/registry.js');
const { createNativeBackend } = await import('../src/backend/native/native-backend.js');

const arg = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const beforePath = arg('--before', null);
const reps = Number(arg('--reps', '31'));
const outFile = arg('--out', null);
const BATCHES = arg('--batches', '1,8').split(',').map(Number);
const withModel = !process.argv.includes('--no-model');
// Threads for every engine (BENCH_THREADS unless --threads N).
const THREADS = Number(arg('--threads', String(BENCH_THREADS)));

st.setBackend('native');
st.setNumThreads(THREADS);
let before = null;
if (beforePath) {
  const addon = require(beforePath);
  addon.setNumThreads(THREADS);
  registerBackend(createNativeBackend(addon, 'native-before'));
  before = 'native-before';
}
const sessionOptions = {
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
};

// [channels, input size, stride] of MobileNetV2's depthwise layers (each distinct shape once).
const SHAPES = [
  [32, 112, 1],
  [96, 112, 2],
  [144, 56, 1],
  [144, 56, 2],
  [192, 28, 1],
  [192, 28, 2],
  [384, 14, 1],
  [576, 14, 1],
  [576, 14, 2],
  [960, 7, 1],
];

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

// --warm: no pause between calls, so the layer's input and output stay in the caches as they do
// between a model's layers (the pause otherwise lets other processes evict them: at batch 8 the
// cold calls mostly time memory). Only with --threads 1: with more, each engine's pool threads
// still spin from its last call while the next engine runs.
const warm = process.argv.includes('--warm');
const pause = () => (warm ? Promise.resolve() : sleep(3));

/**
 * Median milliseconds of each engine, the engines taking turns call by call (a short pause
 * before each call lets the previous engine's threads stop spinning).
 */
async function race(engines) {
  const times = engines.map(() => []);
  for (const e of engines) for (let i = 0; i < 3; i++) await e.run();
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < engines.length; k++) {
      await pause();
      const t0 = process.hrtime.bigint();
      await engines[k].run();
      times[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return times.map(median);
}

async function ortSession(bytes, inputShape) {
  const session = await ort.InferenceSession.create(bytes, sessionOptions);
  const n = inputShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n).map(() => Math.random() * 2 - 1);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, inputShape) };
  return { run: () => session.run(feeds) };
}

function strideConv(backendName, p, x, w, bias) {
  const y = new Float32Array(p.batch * p.outChannels * p.outH * p.outW);
  return { run: () => withBackend(backendName, () => kernels().conv2dForward(p, x, w, bias, y)) };
}

const lines = [];
const log = (s) => {
  console.log(s);
  lines.push(s);
};
log(`# Depthwise convolution: Stride vs onnxruntime-node`);
log('');
log(
  `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, ${THREADS} thread(s) for every engine, ` +
    `onnxruntime-node ${require('onnxruntime-node/package.json').version}; median of ${reps} calls per engine, ` +
    'engines alternating call by call in one process (a shared machine: ratios, not absolute times, are the result)' +
    (warm ? '; warm: calls back to back, no pause (caches warm, as between layers).' : '.'),
);
log('');
const cols = before
  ? ['before ms', 'after ms', 'ort ms', 'after GMAC/s', 'after / before speed', 'after / ort speed']
  : ['Stride ms', 'ort ms', 'Stride GMAC/s', 'Stride / ort speed'];
for (const batch of BATCHES) {
  log(`## Single depthwise layers (3x3, padding 1), batch ${batch}`);
  log('');
  log(`| layer | ${cols.join(' | ')} |`);
  log(`|---|${cols.map(() => '---:').join('|')}|`);
  for (const [c, size, stride] of SHAPES) {
    st.manualSeed(1);
    const layer = new st.Conv2d(c, c, 3, { stride, padding: 1, groups: c }).eval();
    const xT = st.randn([batch, c, size, size]);
    const onnx = st.exportOnnx(layer, xT);
    const out = Math.floor((size + 2 - 3) / stride) + 1;
    const p = {
      batch,
      inChannels: c,
      inH: size,
      inW: size,
      outChannels: c,
      kH: 3,
      kW: 3,
      strideH: stride,
      strideW: stride,
      padTop: 1,
      padLeft: 1,
      dilationH: 1,
      dilationW: 1,
      groups: c,
      outH: out,
      outW: out,
    };
    const engines = [];
    if (before) engines.push(strideConv(before, p, xT.data, layer.weight.data, layer.bias.data));
    engines.push(strideConv('native', p, xT.data, layer.weight.data, layer.bias.data));
    engines.push(await ortSession(onnx, [batch, c, size, size]));
    const ms = await race(engines);
    const gmac = (batch * c * out * out * 9) / 1e9;
    const after = ms[before ? 1 : 0];
    const ortMs = ms[ms.length - 1];
    const cells = before
      ? [ms[0], after, ortMs, gmac / (after / 1e3), ms[0] / after, ortMs / after]
      : [after, ortMs, gmac / (after / 1e3), ortMs / after];
    log(
      `| ${c}ch ${size}x${size} s${stride} | ${cells.map((v) => v.toFixed(v >= 10 ? 1 : 3)).join(' | ')} |`,
    );
  }
  log('');
}

if (withModel) await wholeModel();

async function wholeModel() {
  log(
    '## Whole MobileNetV2 224x224 (eval + noGrad); speed ratio = ort ms / Stride ms (above 1: Stride faster)',
  );
  log('');
  log(
    before
      ? '| batch | before ms | after ms | ort ms | before / ort speed | after / ort speed |'
      : '| batch | Stride ms | ort ms | Stride / ort speed |',
  );
  log(before ? '|---|---:|---:|---:|---:|---:|' : '|---|---:|---:|---:|');
  // One model per backend (the same weights), so each keeps the weights its backend prepared.
  const mobilenet = () => {
    st.manualSeed(0);
    return st.models.mobilenet_v2().eval();
  };
  const modelOnnx = st.exportOnnx(mobilenet(), st.randn([2, 3, 224, 224]));
  for (const batch of BATCHES) {
    const x = st.randn([batch, 3, 224, 224]);
    const engines = [];
    const strideModel = (name) => {
      const model = mobilenet();
      return { run: () => withBackend(name, () => st.noGrad(() => model.forward(x))) };
    };
    if (before) engines.push(strideModel(before));
    engines.push(strideModel('native'));
    engines.push(await ortSession(modelOnnx, [batch, 3, 224, 224]));
    const ms = await race(engines);
    const ortMs = ms[ms.length - 1];
    const cells = before
      ? [ms[0], ms[1], ortMs, ortMs / ms[0], ortMs / ms[1]]
      : [ms[0], ortMs, ortMs / ms[0]];
    log(`| ${batch} | ${cells.map((v) => v.toFixed(2)).join(' | ')} |`);
  }
  log('');
}
if (outFile) {
  writeFileSync(`${outFile}.tmp`, `${lines.join('\n')}\n`);
  renameSync(`${outFile}.tmp`, outFile);
}
