// ResNet-18 in WebAssembly, layer by layer: Stride's wasm backend next to onnxruntime-web (wasm)
// and tfjs-wasm, in one process. Stride's side is the time of every backend call of the zoo model
// (eval, noGrad: batch norms folded, ReLU and residual adds fused into the convolutions), timed by
// bench/backend-call-profiler.mjs around the wasm backend's kernel table. onnxruntime-web runs each
// distinct layer on its own as a one-node ONNX model (Conv with bias, or MaxPool). Then the whole model:
// Stride's forward against the peers' whole ResNet-18 (the bench's tfjs engine builds its own, ORT
// runs the ONNX file PyTorch exported into bench/.cache/), alternating call by call. tfjs-wasm's
// per-layer times are its own kernel profile (tf.profile) of its whole model: each convolution with
// the batch norm, ReLU and add kernels after it (its layers model does not fold them).
//
// tfjs-wasm runs one thread in Node; onnxruntime-web and Stride run `--threads N`.
//
// Usage: node --import tsx bench/wasm-layers.mjs [--threads N] [--batch N] [--reps N]
//          [--no-tfjs] [--no-ort] [--no-layers] [--out FILE.md]
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { convOf, labelOf, registerProfiledBackend } from './backend-call-profiler.mjs';
import { singleNodeModel } from './onnx-builder.mjs';

const require = createRequire(import.meta.url);
const arg = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const threads = Number(arg('--threads', '2'));
const batch = Number(arg('--batch', '1'));
const reps = Number(arg('--reps', '9'));
const outFile = arg('--out', null);
const useTfjs = !process.argv.includes('--no-tfjs');
const useOrt = !process.argv.includes('--no-ort');
const layers = !process.argv.includes('--no-layers');

const st = await import('../src/node.js');
const { kernels, registerBackend, withBackend } = await import('../src/backend/registry.js');
await st.initWasmBackend({ threads });
st.setBackend('wasm');
const profiler = registerProfiledBackend(kernels(), registerBackend, 'wasm-profiled');

const ort = useOrt ? require('onnxruntime-web') : null;
if (ort) ort.env.wasm.numThreads = threads;
const tf = useTfjs ? require('@tensorflow/tfjs') : null;
if (tf) {
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  if (tf.getBackend() !== 'wasm') throw new Error(`tfjs runs on ${tf.getBackend()}, not wasm`);
}

const { tfjsResnet18 } = await import('./engines/tfjs-resnet18.mjs');
const tfNet = tf ? tfjsResnet18(tf) : null;

/**
 * tfjs-wasm's own per-kernel times (tf.profile) of one forward of its ResNet-18, summed per layer:
 * a convolution with the batch norm, ReLU and add kernels after it, or the max pool. Each layer is
 * keyed by its shapes (layerKey), in execution order (tfjs runs a stage's 1x1 shortcut first).
 */
async function tfjsLayerTimes() {
  const xt = tf.randomNormal([batch, 224, 224, 3]);
  const info = await tf.profile(() => tf.tidy(() => tfNet.predict(xt).dataSync()));
  xt.dispose();
  const layers = [];
  for (const k of info.kernels) {
    if (k.name.endsWith('__op')) continue; // the op wrapped around a kernel: its time again
    if (/Conv2D$/.test(k.name)) {
      const [[, h], [kh, kw, ci, co]] = k.inputShapes;
      layers.push({ key: `${kh}x${kw} ${ci}->${co} ${h}`, ms: 0 });
    } else if (k.name === 'MaxPool') layers.push({ key: 'maxpool', ms: 0 });
    else if (/MatMul|^Mean$/.test(k.name)) break; // the classifier head
    if (layers.length) layers[layers.length - 1].ms += k.kernelTimeMs;
  }
  return layers;
}

/** The key of a Stride call that tfjsLayerTimes also times, or null. */
function layerKey(c) {
  if (c.key === 'maxPool2dForward') return 'maxpool';
  const p = convOf(c.key, c.args);
  return p ? `${p.kH}x${p.kW} ${p.inChannels}->${p.outChannels} ${p.inH}` : null;
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const pause = () => sleep(10);
const now = () => process.hrtime.bigint();
const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const randomData = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

st.manualSeed(0);
const model = st.models.resnet18().eval();
const x = st.randn([batch, 3, 224, 224]);
const strideForward = () => withBackend('wasm-profiled', () => st.noGrad(() => model.forward(x)));

// The calls of one forward, to learn the layers (after the first, which prepares the weights).
strideForward();
profiler.calls = [];
strideForward();
const calls = profiler.calls.map((c) => ({ ...c, label: labelOf(c.key, c.args) }));

/** onnxruntime-web's runner of one distinct layer (a one-node model), or null. */
async function peerLayer(c) {
  if (!ort) return null;
  const p = convOf(c.key, c.args);
  let out = null;
  if (p) {
    const { inChannels: ci, outChannels: co, inH, inW, kH, kW, strideH: s, outH, outW } = p;
    {
      const m = singleNodeModel({
        opType: 'Conv',
        inputs: [['x', [batch, ci, inH, inW]]],
        outputs: [['y', [batch, co, outH, outW]]],
        initializers: [
          ['w', [co, ci, kH, kW], randomData(co * ci * kH * kW)],
          ['b', [co], randomData(co)],
        ],
        attributes: {
          kernel_shape: [kH, kW],
          pads: [p.padTop, p.padLeft, p.padTop, p.padLeft],
          strides: [s, s],
        },
      });
      const session = await ort.InferenceSession.create(m, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      });
      const feeds = {
        x: new ort.Tensor('float32', randomData(batch * ci * inH * inW), [batch, ci, inH, inW]),
      };
      out = () => session.run(feeds);
    }
  } else if (c.key === 'maxPool2dForward') {
    const [n, ch, h, w] = [batch, 64, 112, 112];
    {
      const m = singleNodeModel({
        opType: 'MaxPool',
        inputs: [['x', [n, ch, h, w]]],
        outputs: [['y', [n, ch, 56, 56]]],
        attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] },
      });
      const session = await ort.InferenceSession.create(m, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      });
      const feeds = { x: new ort.Tensor('float32', randomData(n * ch * h * w), [n, ch, h, w]) };
      out = () => session.run(feeds);
    }
  }
  await out?.();
  return out;
}

const lines = [];
const log = (s) => {
  console.log(s);
  lines.push(s);
};
log(
  `# ResNet-18 in WebAssembly, batch ${batch}: Stride wasm vs onnxruntime-web (wasm) and tfjs-wasm, per layer`,
);
log('');
log(
  `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs; Stride wasm and onnxruntime-web ${ort ? ort.env.versions.web : '-'} on ${threads} thread(s), ` +
    `tfjs-wasm ${tf ? require('@tensorflow/tfjs/package.json').version : '-'} on 1; median of ${reps} runs, engines alternating in one process ` +
    '(a shared machine: ratios, not absolute times, are the result).',
);
log('');

if (layers) {
  const peers = new Map();
  for (const c of calls) if (!peers.has(c.label)) peers.set(c.label, await peerLayer(c));
  const strideMs = calls.map(() => []);
  const peerMs = new Map([...peers.keys()].map((k) => [k, []]));
  const tfjsMs = calls.map(() => []);
  if (tfNet) await tfjsLayerTimes();
  for (let r = 0; r < reps + 1; r++) {
    profiler.calls = [];
    await pause();
    strideForward();
    if (r > 0) profiler.calls.forEach((c, i) => strideMs[i].push(c.ms));
    for (const [label, runner] of peers) {
      if (!runner) continue;
      await pause();
      const t0 = now();
      await runner();
      if (r > 0) peerMs.get(label).push(msSince(t0));
    }
    if (tfNet) {
      await pause();
      // Pair tfjs's layers with Stride's calls of the same shapes, in order.
      const queues = new Map();
      calls.forEach((c, i) => {
        const key = layerKey(c);
        if (key) queues.set(key, [...(queues.get(key) ?? []), i]);
      });
      for (const { key, ms } of await tfjsLayerTimes()) {
        const i = queues.get(key)?.shift();
        if (i === undefined) throw new Error(`tfjs layer ${key} has no Stride call of that shape`);
        if (r > 0) tfjsMs[i].push(ms);
      }
    }
  }
  const sums = { stride: 0, ort: 0, tfjs: 0 };
  log(
    '| # | layer (Stride call) | Stride ms | ORT-web ms | ORT ÷ Stride | tfjs-wasm (1 thr.) ms | tfjs ÷ Stride |',
  );
  log('|---:|---|---:|---:|---:|---:|---:|');
  calls.forEach((c, i) => {
    const s = median(strideMs[i]);
    const pm = peerMs.get(c.label);
    const o = pm.length ? median(pm) : null;
    const t = tfjsMs[i].length ? median(tfjsMs[i]) : null;
    sums.stride += s;
    sums.ort += o ?? 0;
    sums.tfjs += t ?? 0;
    const f = (v) => (v === null ? '–' : v.toFixed(3));
    const q = (v) => (v === null ? '–' : `${(v / s).toFixed(2)}×`);
    log(`| ${i + 1} | ${c.label} | ${s.toFixed(3)} | ${f(o)} | ${q(o)} | ${f(t)} | ${q(t)} |`);
  });
  log(`| | sum | ${sums.stride.toFixed(2)} | ${sums.ort.toFixed(2)} | | ${sums.tfjs.toFixed(2)} | |`);
  log('');
}

// Whole model, alternating in a random order each round.
// Through the timing backend, as above: the model keeps the weights it prepared for that backend.
const engines = [{ name: 'Stride wasm', run: strideForward }];
const resnetPath = fileURLToPath(new URL('./.cache/resnet18.onnx', import.meta.url));
if (ort && existsSync(resnetPath)) {
  const session = await ort.InferenceSession.create(readFileSync(resnetPath), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const feeds = {
    [session.inputNames[0]]: new ort.Tensor('float32', randomData(batch * 3 * 224 * 224), [
      batch,
      3,
      224,
      224,
    ]),
  };
  engines.push({ name: `onnxruntime-web (${threads} thr.)`, run: () => session.run(feeds) });
}
if (tfNet) {
  const xt = tf.randomNormal([batch, 224, 224, 3]);
  engines.push({ name: 'tfjs-wasm (1 thr.)', run: () => tf.tidy(() => tfNet.predict(xt).dataSync()) });
}
const times = engines.map(() => []);
for (const e of engines) for (let i = 0; i < 2; i++) await e.run();
for (let r = 0; r < reps; r++) {
  const order = engines.map((_, k) => k).sort(() => Math.random() - 0.5);
  for (const k of order) {
    await pause();
    const t0 = now();
    await engines[k].run();
    times[k].push(msSince(t0));
  }
}
const strideWhole = median(times[0]);
log(
  `Whole model: ${engines.map((e, k) => `${e.name} ${median(times[k]).toFixed(2)} ms`).join(', ')}; speed ÷ peer: ${engines
    .slice(1)
    .map((e, k) => `${e.name} ${(median(times[k + 1]) / strideWhole).toFixed(3)}×`)
    .join(', ')}.`,
);
if (outFile) {
  writeFileSync(`${outFile}.tmp`, `${lines.join('\n')}\n`);
  renameSync(`${outFile}.tmp`, outFile);
}
process.exit(0);
