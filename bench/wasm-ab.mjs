// Two builds of Stride's WebAssembly module side by side in one process: ResNet-18 inference
// (eval, noGrad) through each, alternating call by call in a random order each round, whole model
// and per backend call (bench/backend-call-profiler.mjs), so a kernel change is measured against
// the build before it under the same machine load.
//
// With --layers, each distinct ResNet-18 convolution instead (a Conv2d with bias and ReLU, eval,
// noGrad: prepared weights, as in the model), `--reps` calls per build alternating, for changes
// too small to see through the whole model's noise.
//
// Usage: node --import tsx bench/wasm-ab.mjs --before DIR [--threads N] [--batch N] [--reps N] [--layers]
//   DIR holds the earlier stride.wasm and stride-threads.wasm, e.g.
//   mkdir -p /tmp/wasm-before && git show HEAD:src/backend/wasm/stride-threads.wasm > /tmp/wasm-before/stride-threads.wasm
//   (and the same for stride.wasm). The current build is the one in src/backend/wasm/, or
//   `--after DIR`'s.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { labelOf, registerProfiledBackend } from './backend-call-profiler.mjs';

const arg = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const beforeDir = arg('--before', null);
if (!beforeDir) throw new Error('--before DIR (the earlier stride.wasm and stride-threads.wasm) is required');
const threads = Number(arg('--threads', '2'));
const batch = Number(arg('--batch', '1'));
const reps = Number(arg('--reps', '11'));

const st = await import('../src/node.js');
const { registerBackend, withBackend } = await import('../src/backend/registry.js');
const { instantiateWasmAddon } = await import('../src/backend/wasm/load-wasm.js');
const { createNativeBackend } = await import('../src/backend/native/native-backend.js');
const { referenceBackend } = await import('../src/backend/reference/reference-backend.js');

/** A backend over one build of the module, and a timing wrapper around it. */
async function build(name, dir) {
  const file = (f) => (dir ? new Uint8Array(readFileSync(join(dir, f))) : undefined);
  const addon = await instantiateWasmAddon(file('stride.wasm'), threads, file('stride-threads.wasm'));
  const backend = { ...referenceBackend, ...createNativeBackend(addon, name) };
  registerBackend(backend);
  return registerProfiledBackend(backend, registerBackend, `${name}-profiled`);
}
const engines = [
  { name: 'before', profiler: await build('wasm-before', beforeDir) },
  { name: 'after', profiler: await build('wasm-after', arg('--after', null)) },
];

const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

if (process.argv.includes('--layers')) {
  // [inChannels, outChannels, kernel, stride, input size]
  const layers = [
    [3, 64, 7, 2, 224],
    [64, 64, 3, 1, 56],
    [64, 128, 3, 2, 56],
    [128, 128, 3, 1, 28],
    [128, 256, 3, 2, 28],
    [256, 256, 3, 1, 14],
    [256, 512, 3, 2, 14],
    [512, 512, 3, 1, 7],
    [64, 128, 1, 2, 56],
  ];
  console.log(
    `ResNet-18's convolutions, batch ${batch}, wasm on ${threads} thread(s), median of ${reps} calls`,
  );
  console.log('| conv | before ms | after ms | before ÷ after |');
  console.log('|---|---:|---:|---:|');
  for (const [ci, co, k, s, size] of layers) {
    const input = st.randn([batch, ci, size, size]);
    const runs = engines.map((e) => {
      st.manualSeed(1);
      const conv = new st.nn.Conv2d(ci, co, k, {
        stride: s,
        padding: (k - 1) / 2,
        activation: 'relu',
      }).eval();
      const run = () => withBackend(`wasm-${e.name}`, () => st.noGrad(() => conv.forward(input)));
      run();
      return { run, ms: [] };
    });
    for (let r = 0; r < reps; r++) {
      for (const k2 of Math.random() < 0.5 ? [0, 1] : [1, 0]) {
        const t0 = process.hrtime.bigint();
        runs[k2].run();
        runs[k2].ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    const [a, b] = runs.map((r) => median(r.ms));
    console.log(
      `| ${k}x${k} ${ci}->${co} ${size}x${size} s${s} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(a / b).toFixed(2)}× |`,
    );
  }
  process.exit(0);
}

// One model per build, always run through the timing backend: a model keeps the weights it
// prepared for the last backend that ran it (another backend prepares them again).
const resnet = () => {
  st.manualSeed(0);
  return st.models.resnet18().eval();
};
const x = st.randn([batch, 3, 224, 224]);
for (const e of engines) {
  e.whole = [];
  e.calls = [];
  e.model = resnet();
  for (let i = 0; i < 2; i++)
    withBackend(`wasm-${e.name}-profiled`, () => st.noGrad(() => e.model.forward(x)));
}
for (let r = 0; r < reps; r++) {
  const order = Math.random() < 0.5 ? [0, 1] : [1, 0];
  for (const k of order) {
    const e = engines[k];
    await sleep(10);
    e.profiler.calls = [];
    const t0 = process.hrtime.bigint();
    withBackend(`wasm-${e.name}-profiled`, () => st.noGrad(() => e.model.forward(x)));
    e.whole.push(Number(process.hrtime.bigint() - t0) / 1e6);
    e.profiler.calls.forEach((c, i) =>
      (e.calls[i] ??= { label: labelOf(c.key, c.args), ms: [] }).ms.push(c.ms),
    );
  }
}
console.log(
  `ResNet-18 batch ${batch}, wasm on ${threads} thread(s), median of ${reps}, builds alternating in one process`,
);
console.log('| call | before ms | after ms | before ÷ after |');
console.log('|---|---:|---:|---:|');
engines[0].calls.forEach((c, i) => {
  const a = median(c.ms),
    b = median(engines[1].calls[i].ms);
  console.log(`| ${c.label} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(a / b).toFixed(2)}× |`);
});
const [a, b] = engines.map((e) => median(e.whole));
console.log(
  `Whole model: before ${a.toFixed(2)} ms, after ${b.toFixed(2)} ms, speed-up ${(a / b).toFixed(3)}×`,
);
process.exit(0);
