// MobileNetV2's stem (3x3 stride-2 convolution 3 -> 32 on 224x224, bias + ReLU6 fused, prepared
// weights, as the fused model calls it through conv2dForwardPacked) timed on 1 and 2 threads through
// two builds of the native addon loaded in one process, alternating block by block, median of many.
//
//   cp native/build/Release/stride_native.node /tmp/base.node   # before a change
//   npm run build:native                                         # after it
//   node bench/mnv2-stem-ab.mjs /tmp/base.node [native/build/Release/stride_native.node] [--batch 1] [--reps 21] [--block 5]
//
// Other processes' load moves every number; read the ratios of one run (the CPU time, every thread,
// is the steadier measure on a loaded machine).
import { loadBuilds, opt, raceBuilds, raceLine } from './addon-ab.mjs';

const builds = loadBuilds(
  'node bench/mnv2-stem-ab.mjs BASE.node [NEW.node] [--batch N] [--reps N] [--block N]',
);
const batch = Number(opt('--batch', 1));
const reps = Number(opt('--reps', 21));
const block = Number(opt('--block', 5));

const layouts = builds[0][1].paramLayouts();
const g = { batch, inChannels: 3, inH: 224, inW: 224, outChannels: 32, kH: 3, kW: 3, strideH: 2, strideW: 2 };
Object.assign(g, { padTop: 1, padLeft: 1, dilationH: 1, dilationW: 1, groups: 1, outH: 112, outW: 112 });
const p = Float64Array.from(layouts.conv, (n) => g[n] ?? 0);
const fill = (n, f) => Float32Array.from({ length: n }, (_, i) => f(i));
const x = fill(batch * 3 * 224 * 224, (i) => Math.sin(i));
const w = fill(32 * 3 * 9, (i) => Math.cos(i) * 0.3);
const bias = new Float32Array(32).fill(0.1);
const y = new Float32Array(batch * 32 * 112 * 112);
const packed = builds.map(([, a]) => a.conv2dPrepareWeights(p));
const run = (a, k) => a.conv2dForwardPacked(p, x, w, packed[k], bias, y, 0, 6);

console.log(
  `MobileNetV2 stem, batch ${batch}: ms per call, median of ${reps} blocks of ${block} calls, builds alternating; ratio = base / new`,
);
console.log('  wall: elapsed time; cpu: CPU time of the process, every thread');
console.log('layer            threads    base      new   ratio   cpu     base      new   ratio');
for (const threads of [1, 2])
  console.log(raceLine('stem 3x3 s2 3>32', threads, raceBuilds(builds, { threads, reps, block, run })));
