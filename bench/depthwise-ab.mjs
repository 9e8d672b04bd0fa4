// MobileNetV2's depthwise layers as the model runs them, through two builds of the native addon
// loaded in one process (before / after a kernel change), alternating call by call, median of
// many: each call of a build runs its own 1x1 expansion (C/6 -> C channels, ReLU6: it writes the
// depthwise input with that build's threads, as in the model), then the depthwise 3x3 + ReLU6
// (the one timed), then the 1x1 projection (C -> C/6), so the timed layer finds its input and
// the caches as it does between the model's layers.
//
//   cp native/build/Release/stride_native.node /tmp/before.node   # before a change
//   npm run build:native                                           # after it
//   node bench/depthwise-ab.mjs /tmp/before.node [native/build/Release/stride_native.node]
//        [--threads 2] [--reps 41] [--batches 1,8] [--only 384x14s1,960x7s1]
//
// The 'ort' column is onnxruntime-node's own per-node time for the same layer inside the whole
// MobileNetV2 (its profiler, 2 threads; the fastest call of each shape where it repeats), measured
// on the quiet machine at 06:20 UTC on 2026-12-07 (not in this process): a reference point for
// the after column, not a race. Other processes' load moves every number; read the ratios.
import { createRequire } from 'node:module';
import { buildPaths, median, opt } from './addon-ab.mjs';

const require = createRequire(import.meta.url);
const paths = buildPaths(
  'node bench/depthwise-ab.mjs BEFORE.node [AFTER.node] [--threads N] [--reps N] [--batches 1,8] [--only SHAPES]',
);
const builds = paths.map((p) => require(p));
const threads = Number(opt('--threads', 2));
const reps = Number(opt('--reps', 41));
const batches = opt('--batches', '1,8').split(',').map(Number);
const only = opt('--only', null)?.split(',');
for (const a of builds) a.setNumThreads(threads);

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
// onnxruntime's per-node ms in the whole model (see above), by batch and shape.
const ORT = {
  1: {
    '32x112s1': 0.152,
    '96x112s2': 0.124,
    '144x56s1': 0.131,
    '144x56s2': 0.064,
    '192x28s1': 0.045,
    '192x28s2': 0.027,
    '384x14s1': 0.031,
    '576x14s1': 0.043,
    '576x14s2': 0.029,
    '960x7s1': 0.025,
  },
  8: {
    '32x112s1': 0.906,
    '96x112s2': 1.431,
    '144x56s1': 1.175,
    '144x56s2': 0.388,
    '192x28s1': 0.301,
    '192x28s2': 0.205,
    '384x14s1': 0.157,
    '576x14s1': 0.232,
    '576x14s2': 0.188,
    '960x7s1': 0.142,
  },
};
// Conv parameters in the addon's layout: batch, in channels, in H, in W, out channels, kH, kW,
// strides, paddings (top, left), dilations, groups, out H, out W.
const conv = (b, ci, h, co, k, s, pad, g, oh) =>
  new Float64Array([b, ci, h, h, co, k, k, s, s, pad, pad, 1, 1, g, oh, oh]);

console.log(
  `depthwise 3x3 + ReLU6 between its 1x1 layers, ${threads} thread(s), median of ${reps} calls a build, builds alternating`,
);
console.log(`before: ${paths[0]}\nafter:  ${paths[1]}`);
console.log(
  '| layer | before ms | after ms | after / before speed | ort ms (in the model) | ort / after speed |',
);
console.log('|---|---:|---:|---:|---:|---:|');
for (const b of batches)
  for (const [c, h, s] of SHAPES) {
    const key = `${c}x${h}s${s}`;
    if (only && !only.includes(key)) continue;
    const cin = Math.max(16, c / 6);
    const oh = Math.floor((h - 1) / s) + 1;
    const x = Float32Array.from({ length: b * cin * h * h }, (_, i) => Math.sin(i));
    const wExpand = Float32Array.from({ length: c * cin }, (_, i) => Math.cos(i) * 0.1);
    const wDw = Float32Array.from({ length: c * 9 }, (_, i) => Math.cos(i * 0.7));
    const wProject = Float32Array.from({ length: cin * c }, (_, i) => Math.cos(i * 0.3) * 0.05);
    const bias = new Float32Array(c).fill(0.1);
    const biasProject = new Float32Array(cin);
    const pExpand = conv(b, cin, h, c, 1, 1, 0, 1, h);
    const pDw = conv(b, c, h, c, 3, s, 1, c, oh);
    const pProject = conv(b, c, oh, cin, 1, 1, 0, 1, oh);
    const state = builds.map((a) => ({
      a,
      expanded: new Float32Array(b * c * h * h),
      dw: new Float32Array(b * c * oh * oh),
      out: new Float32Array(b * cin * oh * oh),
      packed: [pExpand, pDw, pProject].map((p) => a.conv2dPrepareWeights(p)),
    }));
    const times = builds.map(() => []);
    for (let r = -3; r < reps; r++)
      state.forEach((q, k) => {
        q.a.conv2dForwardPacked(pExpand, x, wExpand, q.packed[0], bias, q.expanded, 0, 6);
        const t0 = process.hrtime.bigint();
        q.a.conv2dForwardPacked(pDw, q.expanded, wDw, q.packed[1], bias, q.dw, 0, 6);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        q.a.conv2dForwardPacked(
          pProject,
          q.dw,
          wProject,
          q.packed[2],
          biasProject,
          q.out,
          -Infinity,
          Infinity,
        );
        if (r >= 0) times[k].push(ms);
      });
    const [before, after] = times.map(median);
    const ort = ORT[b][key];
    console.log(
      `| b${b} dw ${c}ch ${h}x${h} s${s} | ${before.toFixed(4)} | ${after.toFixed(4)} | ${(before / after).toFixed(2)} | ${ort.toFixed(3)} | ${(ort / after).toFixed(2)} |`,
    );
  }
