// ResNet-18's 3x3 stride-1 convolutions (the Winograd layers) timed on 1 and 2 threads through two
// builds of the native addon loaded in one process, alternating call by call, median of many:
//
//   cp native/build/Release/stride_native.node /tmp/base.node   # before a change
//   npm run build:native                                         # after it
//   node bench/conv-ab.mjs /tmp/base.node [native/build/Release/stride_native.node] [--batch 1] [--reps 21] [--block 5]
//
// Shows what a kernel change does to each layer at each thread count. Other processes' load moves
// every number; read the ratios of one run. The CPU time (process.cpuUsage, every thread) is
// the steadier measure of work on a loaded machine; only the wall time shows what threads gain.
import { loadBuilds, opt, raceBuilds, raceLine } from './addon-ab.mjs';

const builds = loadBuilds('node bench/conv-ab.mjs BASE.node [NEW.node] [--batch N] [--reps N] [--block N]');
const batch = Number(opt('--batch', 1));
const reps = Number(opt('--reps', 21));
const block = Number(opt('--block', 5));

// [channels, size] of ResNet-18's 3x3 stride-1 convolutions at 224x224 input.
const shapes = [
  [64, 56],
  [128, 28],
  [256, 14],
  [512, 7],
];

console.log(
  `3x3 stride-1 convolutions, batch ${batch}: ms per call, median of ${reps} blocks of ${block} calls; ratio = base / new`,
);
console.log(
  '  wall: elapsed time; cpu: CPU time of the process, every thread (on a loaded machine the steadier measure of work)',
);
console.log('shape            threads    base      new   ratio   cpu     base      new   ratio');
for (const [c, s] of shapes) {
  const params = new Float64Array([batch, c, s, s, c, 3, 3, 1, 1, 1, 1, 1, 1, 1, s, s]);
  const x = Float32Array.from({ length: batch * c * s * s }, (_, i) => Math.sin(i));
  const w = Float32Array.from({ length: c * c * 9 }, (_, i) => Math.cos(i) * 0.05);
  const bias = new Float32Array(c).fill(0.1);
  const y = new Float32Array(batch * c * s * s);
  for (const threads of [1, 2]) {
    const run = (a) => a.conv2dForward(params, x, w, bias, y);
    console.log(raceLine(`${c}x${s}x${s}`, threads, raceBuilds(builds, { threads, reps, block, run })));
  }
}
