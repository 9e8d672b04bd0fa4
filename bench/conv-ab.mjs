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
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const args = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const opt = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
if (args.length < 1) {
  console.error('usage: node bench/conv-ab.mjs BASE.node [NEW.node] [--batch N] [--reps N] [--block N]');
  process.exit(1);
}
const builds = [
  ['base', require(resolve(args[0]))],
  ['new', require(resolve(args[1] ?? 'native/build/Release/stride_native.node'))],
];
const batch = opt('--batch', 1);
const reps = opt('--reps', 21);
const block = opt('--block', 5);

// [channels, size] of ResNet-18's 3x3 stride-1 convolutions at 224x224 input.
const shapes = [
  [64, 56],
  [128, 28],
  [256, 14],
  [512, 7],
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;

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
    for (const [, a] of builds) a.setNumThreads(threads);
    // Blocks of calls, alternating builds; wall time and process CPU time (every thread's) per call.
    const wall = builds.map(() => []);
    const cpu = builds.map(() => []);
    for (let r = -1; r < reps; r++)
      builds.forEach(([, a], k) => {
        const c0 = process.cpuUsage();
        const t0 = now();
        for (let i = 0; i < block; i++) a.conv2dForward(params, x, w, bias, y);
        const ms = (now() - t0) / block;
        const c = process.cpuUsage(c0);
        if (r < 0) return;
        wall[k].push(ms);
        cpu[k].push((c.user + c.system) / 1000 / block);
      });
    const [b, n] = wall.map(median);
    const [bc, nc] = cpu.map(median);
    console.log(
      `${`${c}x${s}x${s}`.padEnd(16)} ${String(threads).padStart(7)} ${b.toFixed(3).padStart(8)} ${n.toFixed(3).padStart(8)}   ${(b / n).toFixed(2)}x` +
        `   cpu ${bc.toFixed(3).padStart(8)} ${nc.toFixed(3).padStart(8)}   ${(bc / nc).toFixed(2)}x`,
    );
  }
}
