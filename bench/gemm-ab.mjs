// GEMM timings side by side in one process, alternating call by call, median of many blocks:
//
//   cp native/build/Release/stride_native.node /tmp/base.node   # before a change
//   npm run build:native                                         # after it
//   node --import tsx bench/gemm-ab.mjs /tmp/base.node [native/build/Release/stride_native.node] [--reps 15] [--block 3]
//
// Part 1 times the addon's gemm (C = A*B into a preallocated C) from two builds loaded in one
// process, at 1 and 2 threads, on 1024^3 and on small-N products (convolutions at 7x7 and 14x14
// output through im2col have N = 49 or 196 against M = 256..512 and K = 1152..4608); part 1c the
// classifier products A·Bᵀ with 1 to 8 rows of A (Linear at small batch). Part 3 times,
// with the new build through Stride's API, the 1024^3 product three ways: the backend kernel
// (kernels().gemm, as the bench's GEMM rows), st.matmul allocating its output (the W5 sgemm row) and
// st.matmul(a, b, { out }); part 2 (run first) follows the allocating call over the process's
// first 120 calls. Other processes' load moves every number; read the ratios of one run.
// CPU time (process.cpuUsage, every thread) is the steadier measure of work on a loaded machine.
import { buildPaths, loadBuilds, median, now, opt } from './addon-ab.mjs';

const usage = 'node --import tsx bench/gemm-ab.mjs BASE.node [NEW.node] [--reps N] [--block N]';
const builds = loadBuilds(usage);
// Part 3 runs Stride on the new build.
const [, newPath] = buildPaths(usage);
const reps = Number(opt('--reps', 15));
const block = Number(opt('--block', 3));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const filled = (n, f) => Float32Array.from({ length: n }, (_, i) => f(i));

/** Median wall and CPU ms per call of each entry of `fns`, alternating blocks of calls. */
function alternate(fns) {
  for (const f of fns) for (let i = 0; i < 2; i++) f();
  const wall = fns.map(() => []);
  const cpu = fns.map(() => []);
  for (let r = 0; r < reps; r++) {
    fns.forEach((f, j) => {
      const t0 = now();
      const c0 = cpuMs();
      for (let i = 0; i < block; i++) f();
      cpu[j].push((cpuMs() - c0) / block);
      wall[j].push((now() - t0) / block);
    });
  }
  return { wall: wall.map(median), cpu: cpu.map(median) };
}

// [M, N, K]: 1024^3, then im2col products of 3x3 convolutions (M = output channels, K = 9 * input
// channels, N = output pixels) at 7x7 and 14x14, including ResNet-18's stride-2 256 -> 512 layer.
const shapes = [
  [1024, 1024, 1024],
  [512, 49, 2304],
  [512, 49, 4608],
  [256, 196, 1152],
  [512, 16, 2304],
];
console.log(
  `Part 1: addon gemm, ms per call, median of ${reps} blocks of ${block} calls; ratio = base / new`,
);
console.log(
  'M x N x K              threads   wall base    new  ratio   cpu base    new  ratio   GFLOP/s new',
);
for (const [m, n, k] of shapes) {
  const a = filled(m * k, (i) => Math.sin(i));
  const b = filled(k * n, (i) => Math.cos(i));
  const c = new Float32Array(m * n);
  const params = new Float64Array([1, m, n, k, 0, 0, 0, 0, 0, 0]);
  for (const threads of [1, 2]) {
    for (const [, addon] of builds) addon.setNumThreads(threads);
    const r = alternate(
      builds.map(
        ([, addon]) =>
          () =>
            addon.gemm(params, a, b, c),
      ),
    );
    const f = (x) => x.toFixed(3).padStart(7);
    console.log(
      `${`${m} x ${n} x ${k}`.padEnd(22)} ${String(threads).padStart(7)}   ${f(r.wall[0])} ${f(r.wall[1])}  ${(r.wall[0] / r.wall[1]).toFixed(2)}   ${f(r.cpu[0])} ${f(r.cpu[1])}  ${(r.cpu[0] / r.cpu[1]).toFixed(2)}   ${((2 * m * n * k) / r.wall[1] / 1e6).toFixed(1)}`,
    );
  }
}

// Part 1c: A·Bᵀ with few rows of A, as Linear runs a classifier at small batch (x [M, in] against
// the weight [out, in] read in place: MobileNetV2's 1280 -> 1000 and ResNet-18's 512 -> 1000, at
// batch 1, 4 and 8). GB/s = bytes of the weight read per second by the new build.
const fewRows = [
  [1, 1000, 1280],
  [1, 1000, 512],
  [4, 1000, 1280],
  [8, 1000, 1280],
];
console.log('\nA·Bᵀ, M x N x K        threads   wall base    new  ratio   cpu base    new  ratio   GB/s new');
for (const [m, n, k] of fewRows) {
  const a = filled(m * k, (i) => Math.sin(i));
  const b = filled(n * k, (i) => Math.cos(i));
  const c = new Float32Array(m * n);
  const params = new Float64Array([1, m, n, k, 0, 1, 0, 0, 0, 0]);
  for (const threads of [1, 2]) {
    for (const [, addon] of builds) addon.setNumThreads(threads);
    const r = alternate(
      builds.map(
        ([, addon]) =>
          () =>
            addon.gemm(params, a, b, c),
      ),
    );
    const f = (x) => x.toFixed(3).padStart(7);
    console.log(
      `${`${m} x ${n} x ${k}`.padEnd(22)} ${String(threads).padStart(7)}   ${f(r.wall[0])} ${f(r.wall[1])}  ${(r.wall[0] / r.wall[1]).toFixed(2)}   ${f(r.cpu[0])} ${f(r.cpu[1])}  ${(r.cpu[0] / r.cpu[1]).toFixed(2)}   ${((4 * n * k) / r.wall[1] / 1e6).toFixed(1)}`,
    );
  }
}

// Part 1b: 3x3 stride-2 convolutions whose im2col GEMM has small N (the GEMM path packs B straight
// from the image: implicit im2col), as the addon's conv2dForward runs them with the AVX2 kernels
// (with AVX-512 these shapes take the indirect paths of conv.cc, which do not go through gemm()).
// [input channels, input size, output channels]; output size = input size / 2.
const convs = [
  [256, 14, 512],
  [128, 28, 256],
];
console.log('\n3x3 stride-2 conv, AVX2 threads   wall base    new  ratio   cpu base    new  ratio');
for (const [cin, s, cout] of convs) {
  const o = s / 2;
  const params = new Float64Array([1, cin, s, s, cout, 3, 3, 2, 2, 1, 1, 1, 1, 1, o, o]);
  const x = filled(cin * s * s, (i) => Math.sin(i));
  const w = filled(cout * cin * 9, (i) => Math.cos(i) * 0.05);
  const y = new Float32Array(cout * o * o);
  for (const threads of [1, 2]) {
    for (const [, addon] of builds) {
      addon.setNumThreads(threads);
      addon.setIsa('avx2');
    }
    const r = alternate(
      builds.map(
        ([, addon]) =>
          () =>
            addon.conv2dForward(params, x, w, null, y),
      ),
    );
    for (const [, addon] of builds) addon.setIsa(addon.getIsa().detected);
    const f = (v) => v.toFixed(3).padStart(7);
    console.log(
      `${`${cin}->${cout} at ${o}x${o}`.padEnd(22)} ${String(threads).padStart(7)}   ${f(r.wall[0])} ${f(r.wall[1])}  ${(r.wall[0] / r.wall[1]).toFixed(2)}   ${f(r.cpu[0])} ${f(r.cpu[1])}  ${(r.cpu[0] / r.cpu[1]).toFixed(2)}`,
    );
  }
}

// Parts 2 and 3: the three ways to run 1024^3 through Stride (new build, as loaded by Stride itself).
const st = await import('../src/node.ts');
const { kernels } = await import('../src/backend/registry.ts');
const { setUnzeroedAllocator } = await import('../src/tensor/output-storage.ts');
// The allocating st.matmul as it ran before 2026-12-07 (a zero-filled new C) against today's
// (Buffer.allocUnsafeSlow under Node), switched call by call in this process.
const unzeroedC = (bytes) => Buffer.allocUnsafeSlow(bytes).buffer;
const zeroFilledC = (bytes) => new ArrayBuffer(bytes);
const allocating = (alloc) => () => {
  setUnzeroedAllocator(alloc);
  try {
    return st.noGrad(() => st.matmul(a, b));
  } finally {
    setUnzeroedAllocator(unzeroedC);
  }
};
st.setBackend('native');
st.manualSeed(0);
const N = 1024;
const a = st.randn([N, N]);
const b = st.randn([N, N]);
const out = st.zeros([N, N]);
const p = {
  batch: 1,
  m: N,
  n: N,
  k: N,
  transA: false,
  transB: false,
  strideA: 0,
  strideB: 0,
  strideC: 0,
  accumulate: false,
};
const cData = new Float32Array(N * N);
const ways = [
  ['kernels().gemm into a preallocated C', () => kernels().gemm(p, a.data, b.data, cData)],
  ['st.matmul(a, b), allocating (W5 row)', allocating(unzeroedC)],
  ['st.matmul(a, b, { out })', () => st.noGrad(() => st.matmul(a, b, { out }))],
  ['st.matmul(a, b), zero-filled C (before)', allocating(zeroFilledC)],
];
// Part 2 (before part 3, while the heap is fresh): what allocating the output costs over the first
// calls, in blocks of 10 calls alternating with { out }:
// CPU ms per call and page faults per call (the heap grows over the first calls).
st.setNumThreads(2);
const blocks = [];
for (let blk = 0; blk < 12; blk++) {
  for (const [name, f] of [
    ['alloc', ways[1][1]],
    ['out', ways[2][1]],
  ]) {
    const r0 = process.resourceUsage();
    for (let i = 0; i < 10; i++) f();
    const r1 = process.resourceUsage();
    const cpu = (r1.userCPUTime + r1.systemCPUTime - r0.userCPUTime - r0.systemCPUTime) / 10e3;
    blocks.push(
      `${name} ${cpu.toFixed(1)} ms/${((r1.minorPageFault - r0.minorPageFault) / 10).toFixed(0)} pf`,
    );
  }
}
console.log(
  '\nPart 2: st.matmul allocating vs { out }, 2 threads, blocks of 10 calls in order (CPU per call / page faults per call)',
);
for (let i = 0; i < blocks.length; i += 4) console.log('  ' + blocks.slice(i, i + 4).join('   '));

console.log(
  `\nPart 3: 1024^3 through Stride (${newPath}), GFLOP/s from the median wall time; cpu = ms of CPU per call`,
);
for (const threads of [1, 2]) {
  st.setNumThreads(threads);
  const r = alternate(ways.map(([, f]) => f));
  ways.forEach(([name], j) =>
    console.log(
      `  ${threads} thread${threads > 1 ? 's' : ' '}  ${name.padEnd(40)} ${((2 * N ** 3) / r.wall[j] / 1e6).toFixed(1).padStart(7)}   cpu ${r.cpu[j].toFixed(2)} ms`,
    ),
  );
}
