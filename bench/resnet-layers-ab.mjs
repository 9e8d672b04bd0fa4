// Every distinct layer of ResNet-18's batch-1 forward at 224x224 (the 7x7 stride-2 stem, the max
// pool, the 3x3 stride-1 Winograd layers, the 3x3 stride-2 and 1x1 stride-2 downsamples) timed on 1
// and 2 threads through two builds of the native addon loaded in one process, alternating block by
// block, median of many. Convolutions run as the model runs them: prepared weights, bias + ReLU
// fused (the downsamples: bias only), as conv2dForwardFused.
//
//   cp native/build/Release/stride_native.node /tmp/base.node   # before a change
//   npm run build:native                                         # after it
//   node bench/resnet-layers-ab.mjs /tmp/base.node [native/build/Release/stride_native.node] [--batch 1] [--reps 21] [--block 5] [--only stem,pool]
//
// Other processes' load moves every number; read the ratios of one run. The CPU time
// (process.cpuUsage, every thread) is the steadier measure of work on a loaded machine; only the
// wall time shows what the second thread gains.
import { loadBuilds, opt, raceBuilds, raceLine } from './addon-ab.mjs';

const builds = loadBuilds(
  'node bench/resnet-layers-ab.mjs BASE.node [NEW.node] [--batch N] [--reps N] [--block N] [--only a,b]',
);
const batch = Number(opt('--batch', 1));
const reps = Number(opt('--reps', 21));
const block = Number(opt('--block', 5));
const only = opt('--only', '')
  .split(',')
  .filter((s) => s);

const layouts = builds[0][1].paramLayouts();
const slots = (names, o) => Float64Array.from(names, (n) => o[n] ?? 0);
const out = (size, k, s, pad) => Math.floor((size + 2 * pad - k) / s) + 1;

// A convolution case: [name, inChannels, size, outChannels, kernel, stride, pad, relu].
const convs = [
  ['stem', 3, 224, 64, 7, 2, 3, true],
  ['3x3 64x56', 64, 56, 64, 3, 1, 1, true],
  ['3x3s2 64>128', 64, 56, 128, 3, 2, 1, true],
  ['1x1s2 64>128', 64, 56, 128, 1, 2, 0, false],
  ['3x3 128x28', 128, 28, 128, 3, 1, 1, true],
  ['3x3s2 128>256', 128, 28, 256, 3, 2, 1, true],
  ['1x1s2 128>256', 128, 28, 256, 1, 2, 0, false],
  ['3x3 256x14', 256, 14, 256, 3, 1, 1, true],
  ['3x3s2 256>512', 256, 14, 512, 3, 2, 1, true],
  ['1x1s2 256>512', 256, 14, 512, 1, 2, 0, false],
  ['3x3 512x7', 512, 7, 512, 3, 1, 1, true],
];
const fill = (n, f) => Float32Array.from({ length: n }, (_, i) => f(i));
const cases = [];
for (const [name, cin, size, cout, k, s, pad, relu] of convs) {
  const o = out(size, k, s, pad);
  const g = {
    batch,
    inChannels: cin,
    inH: size,
    inW: size,
    outChannels: cout,
    kH: k,
    kW: k,
    strideH: s,
    strideW: s,
  };
  Object.assign(g, { padTop: pad, padLeft: pad, dilationH: 1, dilationW: 1, groups: 1, outH: o, outW: o });
  const p = slots(layouts.conv, g);
  const x = fill(batch * cin * size * size, (i) => Math.sin(i));
  const w = fill(cout * cin * k * k, (i) => Math.cos(i) * 0.05);
  const bias = new Float32Array(cout).fill(0.1);
  const y = new Float32Array(batch * cout * o * o);
  const packed = builds.map(([, a]) => a.conv2dPrepareWeights(p));
  cases.push([name, (a, k2) => a.conv2dForwardFused(p, x, w, packed[k2], bias, null, relu, y)]);
}
{
  const g = { batch, channels: 64, inH: 112, inW: 112, kH: 3, kW: 3, strideH: 2, strideW: 2 };
  Object.assign(g, {
    padTop: 1,
    padLeft: 1,
    padBottom: 1,
    padRight: 1,
    dilationH: 1,
    dilationW: 1,
    outH: 56,
    outW: 56,
  });
  const p = slots(layouts.pool, g);
  const x = fill(batch * 64 * 112 * 112, (i) => Math.sin(i * 0.7));
  const y = new Float32Array(batch * 64 * 56 * 56);
  const idx = new Int32Array(y.length);
  cases.splice(1, 0, ['maxpool 64x112', (a) => a.maxPool2dForward(p, x, y, idx)]);
}

console.log(
  `ResNet-18 layers, batch ${batch}: ms per call, median of ${reps} blocks of ${block} calls, builds alternating; ratio = base / new`,
);
console.log('  wall: elapsed time; cpu: CPU time of the process, every thread');
console.log('layer            threads    base      new   ratio   cpu     base      new   ratio');
for (const [name, run] of cases) {
  if (only.length && !only.some((s) => name.includes(s))) continue;
  for (const threads of [1, 2])
    console.log(raceLine(name, threads, raceBuilds(builds, { threads, reps, block, run })));
}
