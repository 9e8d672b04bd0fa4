// Layer by layer: Stride's native backend next to onnxruntime-node on the same model and weights
// (Stride's zoo model in eval mode under noGrad, against the ONNX file Stride exports of it).
// Stride's side is the time of every backend call (bench/backend-call-profiler.mjs); onnxruntime's
// is its own per-node profile (SessionOptions.enableProfiling), after its graph optimizations (so
// one ORT node is a convolution with its batch norm, residual add and activation fused, as in
// Stride's fused path). Convolutions are paired by input and weight shape, in execution order;
// the other kernels are listed by kind. Both engines run in one process, one after the other,
// with a pause between calls so neither engine's spinning threads steal the other's core.
//
// Usage: node --import tsx bench/layers-vs-ort.mjs [--net mobilenet_v2|resnet18] [--batch N]
//          [--threads N] [--reps N] [--out FILE.md]
import { cpus, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { convKind, convOf, labelOf, profiledBackend } from './backend-call-profiler.mjs';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const st = await import('../src/node.js');
const { kernels, registerBackend, withBackend } = await import('../src/backend/registry.js');

const arg = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const net = arg('--net', 'mobilenet_v2');
const batch = Number(arg('--batch', '1'));
const threads = Number(arg('--threads', '2'));
const reps = Number(arg('--reps', '21'));
const outFile = arg('--out', null);
if (!['mobilenet_v2', 'resnet18'].includes(net))
  throw new Error(`--net must be mobilenet_v2 or resnet18, got ${net}`);

st.setBackend('native');
st.setNumThreads(threads);
const profiler = { calls: [] };
registerBackend(profiledBackend(kernels(), profiler));
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const pause = () => sleep(20);

st.manualSeed(0);
const model = st.models[net]().eval();
const x = st.randn([batch, 3, 224, 224]);

// Stride: the median time of every backend call over `reps` forwards (after 3 warm-up forwards).
const perCall = [];
const totals = [];
let calls = null;
for (let r = 0; r < reps + 3; r++) {
  profiler.calls = [];
  await pause();
  const t0 = process.hrtime.bigint();
  withBackend('native-profiled', () => st.noGrad(() => model.forward(x)));
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r < 3) continue;
  calls ??= profiler.calls;
  profiler.calls.forEach((c, i) => (perCall[i] ??= []).push(c.ms));
  totals.push(total);
}
const strideMs = perCall.map(median);
const strideTotal = median(totals);

// onnxruntime: its per-node profile over the same number of runs.
const dir = mkdtempSync(join(tmpdir(), 'stride-ort-profile-'));
const session = await ort.InferenceSession.create(st.exportOnnx(model, st.randn([2, 3, 224, 224])), {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  enableProfiling: true,
  profileFilePrefix: join(dir, 'ort'),
});
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data, [batch, 3, 224, 224]) };
for (let r = 0; r < reps + 3; r++) {
  await pause();
  await session.run(feeds);
}
session.endProfiling();
const events = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8'));
rmSync(dir, { recursive: true, force: true });
const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.dur / 1000);
const ortTotal = median(runs.slice(3));
const nodes = new Map(); // node name -> { op, shapes, ms[] } in first-run order
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const name = e.name.slice(0, -'_kernel_time'.length);
  const node = nodes.get(name) ?? { name, op: e.args.op_name, inputs: e.args.input_type_shape, ms: [] };
  node.ms.push(e.dur / 1000);
  nodes.set(name, node);
}
const ortNodes = [...nodes.values()].map((n) => ({ ...n, median: median(n.ms.slice(3)) }));

// Pair convolutions by (input shape, weight shape), the k-th Stride call with the k-th ORT node.
const shapeKey = (input, weight) => `${input.join('x')}|${weight.join('x')}`;
const ortConvs = new Map();
for (const n of ortNodes) {
  if (n.op !== 'Conv' && n.op !== 'FusedConv') continue;
  const key = shapeKey(n.inputs[0].float, n.inputs[1].float);
  ortConvs.set(key, [...(ortConvs.get(key) ?? []), n]);
}
const used = new Set();
const rows = calls.map((c, i) => {
  const p = convOf(c.key, c.args);
  if (!p) return { label: labelOf(c.key, c.args), ms: strideMs[i], ort: null };
  const key = shapeKey(
    [p.batch, p.inChannels, p.inH, p.inW],
    [p.outChannels, p.inChannels / p.groups, p.kH, p.kW],
  );
  const ortNode = (ortConvs.get(key) ?? []).find((n) => !used.has(n));
  if (ortNode) used.add(ortNode);
  return { label: labelOf(c.key, c.args), kind: convKind(p), ms: strideMs[i], ort: ortNode ?? null };
});

const lines = [];
const log = (s = '') => {
  console.log(s);
  lines.push(s);
};
const f3 = (v) => v.toFixed(3);
const strideKernels = strideMs.reduce((a, b) => a + b, 0);
const ortKernels = ortNodes.reduce((a, n) => a + n.median, 0);
log(`# ${net}, batch ${batch}, ${threads} thread(s): Stride layer by layer next to onnxruntime-node`);
log();
log(
  `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, onnxruntime-node ${require('onnxruntime-node/package.json').version}; ` +
    `medians of ${reps} forwards per engine, run one engine after the other in one process (a shared machine: compare ratios).`,
);
log();
log(
  `Whole forward: Stride ${f3(strideTotal)} ms (${f3(strideKernels)} ms in ${calls.length} backend calls, ` +
    `${f3(strideTotal - strideKernels)} ms outside them); onnxruntime ${f3(ortTotal)} ms per run ` +
    `(${f3(ortKernels)} ms in ${ortNodes.length} nodes, ${f3(ortTotal - ortKernels)} ms outside them). ` +
    `Stride speed ÷ onnxruntime: ${(ortTotal / strideTotal).toFixed(2)}×.`,
);
log();
log('| # | Stride call | Stride ms | onnxruntime node | ORT ms | Stride speed ÷ ORT |');
log('|---:|---|---:|---|---:|---:|');
rows.forEach((r, i) => {
  const ratio = r.ort ? `${(r.ort.median / r.ms).toFixed(2)}×` : '';
  log(
    `| ${i + 1} | ${r.label} | ${f3(r.ms)} | ${r.ort ? r.ort.name : ''} | ${r.ort ? f3(r.ort.median) : ''} | ${ratio} |`,
  );
});
log();
const byKind = new Map();
for (const r of rows.filter((q) => q.ort)) {
  const k = byKind.get(r.kind) ?? { n: 0, stride: 0, ort: 0 };
  k.n++;
  k.stride += r.ms;
  k.ort += r.ort.median;
  byKind.set(r.kind, k);
}
log('| paired convolutions | count | Stride ms | ORT ms | Stride speed ÷ ORT |');
log('|---|---:|---:|---:|---:|');
for (const [kind, k] of byKind)
  log(`| ${kind} | ${k.n} | ${f3(k.stride)} | ${f3(k.ort)} | ${(k.ort / k.stride).toFixed(2)}× |`);
log();
const unpairedStride = rows.filter((r) => !r.ort);
const unpairedOrt = ortNodes.filter((n) => !used.has(n));
log(
  `Not paired: Stride ${unpairedStride.map((r) => `${r.label} ${f3(r.ms)}`).join(', ') || 'none'}; ` +
    `onnxruntime ${unpairedOrt.map((n) => `${n.op} ${n.name} ${f3(n.median)}`).join(', ') || 'none'}.`,
);
if (outFile) {
  writeFileSync(`${outFile}.tmp`, `${lines.join('\n')}\n`);
  renameSync(`${outFile}.tmp`, outFile);
}
