// MobileNetV2's pointwise (1x1) convolutions at 224x224 input, timed through two builds of the
// native addon loaded in one process, alternating block by block, median of many (as
// bench/conv-ab.mjs does for the 3x3 layers). Each layer runs as inference calls it: weights
// prepared once, the expansions with their ReLU6 clamp, the projections plain.
//
//   cp native/build/Release/stride_native.node /tmp/base.node   # before a change
//   npm run build:native                                         # after it
//   node bench/pointwise-ab.mjs /tmp/base.node [NEW.node] [--batch 1] [--threads 1,2] [--reps 21] [--block 5]
//
// Other processes' load moves every number; read the ratios of one run.
import { loadBuilds, opt, raceBuilds } from './addon-ab.mjs';

const builds = loadBuilds(
  'node bench/pointwise-ab.mjs BASE.node [NEW.node] [--batch N] [--threads 1,2] [--reps N] [--block N]',
);
const batch = Number(opt('--batch', 1));
const reps = Number(opt('--reps', 21));
const block = Number(opt('--block', 5));
const threadList = opt('--threads', '1,2').split(',').map(Number);

// [in, out, size, relu6] of MobileNetV2's distinct 1x1 convolutions at 224x224 input.
const layers = [
  [32, 16, 112, false],
  [16, 96, 112, true],
  [24, 144, 56, true],
  [144, 24, 56, false],
  [32, 192, 28, true],
  [144, 32, 28, false],
  [192, 32, 28, false],
  [64, 384, 14, true],
  [192, 64, 14, false],
  [384, 64, 14, false],
  [96, 576, 14, true],
  [384, 96, 14, false],
  [576, 96, 14, false],
  [160, 960, 7, true],
  [576, 160, 7, false],
  [960, 160, 7, false],
  [960, 320, 7, false],
  [320, 1280, 7, true],
];

console.log(
  `MobileNetV2 1x1 convolutions, batch ${batch}: ms per call (median of ${reps} blocks of ${block}), GMAC/s, ratio = base / new`,
);
console.log('layer                    threads    base      new   GMAC/s base  new   ratio');
for (const [c, o, s, relu6] of layers) {
  const params = new Float64Array([batch, c, s, s, o, 1, 1, 1, 1, 0, 0, 1, 1, 1, s, s]);
  const x = Float32Array.from({ length: batch * c * s * s }, (_, i) => Math.sin(i));
  const w = Float32Array.from({ length: o * c }, (_, i) => Math.cos(i) * 0.1);
  const bias = new Float32Array(o).fill(0.1);
  const y = new Float32Array(batch * o * s * s);
  const packed = builds.map(([, a]) => a.conv2dPrepareWeights(params));
  const [lo, hi] = relu6 ? [0, 6] : [-Infinity, Infinity];
  const macs = batch * c * o * s * s;
  for (const threads of threadList) {
    const run = (a, k) => a.conv2dForwardPacked(params, x, w, packed[k], bias, y, lo, hi);
    const {
      wall: [b, n],
    } = raceBuilds(builds, { threads, reps, block, run });
    const label = `${c}->${o} ${s}x${s}${relu6 ? ' relu6' : ''}`;
    console.log(
      `${label.padEnd(24)} ${String(threads).padStart(7)} ${b.toFixed(3).padStart(8)} ${n.toFixed(3).padStart(8)}` +
        `   ${(macs / b / 1e6).toFixed(0).padStart(6)} ${(macs / n / 1e6).toFixed(0).padStart(5)}   ${(b / n).toFixed(2)}x`,
    );
  }
}
