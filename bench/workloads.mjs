// The benchmark workloads (W1–W5 of issue 3) and how a per-iteration time becomes the number a
// row reports. Engines in other languages (engines/torch_engine.py) mirror these definitions.

/**
 * The thread count every engine runs with, so rows compare like with like on any machine (without
 * it Stride would take every online CPU and the peers 2). `STRIDE_BENCH_THREADS=N npm run bench`
 * changes it; rows that fix their own count (the GEMM rows) and engines that cannot thread (tfjs
 * wasm in Node, ConvNetJS) say so in the results.
 */
export const BENCH_THREADS = benchThreads(process.env.STRIDE_BENCH_THREADS);

function benchThreads(raw) {
  if (raw === undefined || raw === '') return 2;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`STRIDE_BENCH_THREADS must be a positive integer; got '${raw}'`);
  return n;
}

/** Floating-point operations of the W5 convolution: 2 * 3 * 3 * 64 * 64 * 56 * 56. */
export const CONV_FLOPS = 2 * 3 * 3 * 64 * 64 * 56 * 56;
/** Floating-point operations of a 1024 x 1024 x 1024 matrix product. */
export const GEMM_FLOPS = 2 * 1024 ** 3;

/**
 * Each workload: a title, the unit of its row ('GFLOP/s' and 'img/s': higher is better; 'ms': lower
 * is better), the thread count engines should use when the row fixes one, `memory: true` for
 * rows whose peak resident memory is measured (each engine alone in a fresh process), and `base`
 * for a row that repeats another row's work with a different thread count.
 */
export const WORKLOADS = {
  w1: { title: 'W1 LeNet-5 train step, batch 64 (MNIST-sized random data)', unit: 'img/s', batch: 64 },
  w2: {
    title: 'W2 ConvNetJS CIFAR-10 net train step, batch 32 (synthetic 32×32×3)',
    unit: 'img/s',
    batch: 32,
  },
  'w3-b1': { title: 'W3 ResNet-18 224×224 inference, batch 1 (latency)', unit: 'ms', batch: 1, memory: true },
  'w3-b8': { title: 'W3 ResNet-18 224×224 inference, batch 8', unit: 'img/s', batch: 8, memory: true },
  'w3f-b1': {
    title: 'W3 ResNet-18 inference, batch 1, fused for inference (latency)',
    unit: 'ms',
    batch: 1,
    memory: true,
  },
  'w3f-b8': {
    title: 'W3 ResNet-18 inference, batch 8, fused for inference',
    unit: 'img/s',
    batch: 8,
    memory: true,
  },
  w4: { title: 'W4 ResNet-18 train step, batch 8', unit: 'img/s', batch: 8, memory: true },
  'mnv2-b1': {
    title: 'MobileNetV2 224×224 inference, batch 1 (latency)',
    unit: 'ms',
    batch: 1,
    memory: true,
  },
  'mnv2-b8': { title: 'MobileNetV2 224×224 inference, batch 8', unit: 'img/s', batch: 8, memory: true },
  // Thread scaling: the same work as `base` on 1 thread; the report sets each beside its base row.
  'w3-b1-1t': {
    title: 'W3 ResNet-18 inference, batch 1, 1 thread (latency)',
    unit: 'ms',
    batch: 1,
    threads: 1,
    base: 'w3-b1',
  },
  'w3-b8-1t': {
    title: 'W3 ResNet-18 inference, batch 8, 1 thread',
    unit: 'img/s',
    batch: 8,
    threads: 1,
    base: 'w3-b8',
  },
  'w4-1t': {
    title: 'W4 ResNet-18 train step, batch 8, 1 thread',
    unit: 'img/s',
    batch: 8,
    threads: 1,
    base: 'w4',
  },
  'w6-centernet': {
    title:
      'W6 CenterNet 512×512 COCO detection (@vladmandic/human), batch 1: network + decode + NMS (latency)',
    unit: 'ms',
    batch: 1,
  },
  'w5-conv': {
    title: 'W5 conv 3×3 64→64 56×56 batch 1 forward (effective GFLOP/s: direct-convolution FLOPs ÷ time)',
    unit: 'GFLOP/s',
    flops: CONV_FLOPS,
  },
  'w5-sgemm': { title: 'W5 sgemm 1024×1024×1024', unit: 'GFLOP/s', flops: GEMM_FLOPS },
  'gemm-1t': {
    title: 'GEMM kernel 1024³ into a preallocated C, 1 thread',
    unit: 'GFLOP/s',
    flops: GEMM_FLOPS,
    threads: 1,
  },
  'gemm-2t': {
    title: 'GEMM kernel 1024³ into a preallocated C, 2 threads',
    unit: 'GFLOP/s',
    flops: GEMM_FLOPS,
    threads: 2,
  },
};

/** The workload whose work a row repeats (a thread-scaling row names its base), else the row itself. */
export function workOf(workload) {
  return WORKLOADS[workload].base ?? workload;
}

/** The row's number for one iteration that took `seconds`. */
export function valueOf(workload, seconds) {
  const w = WORKLOADS[workload];
  if (w.unit === 'GFLOP/s') return w.flops / seconds / 1e9;
  if (w.unit === 'img/s') return w.batch / seconds;
  return seconds * 1000;
}

/**
 * The same synthetic 512×512 RGB image (values 0..255) for every engine of W6, in channel-last
 * order (TF.js); Stride permutes it to [1, 3, 512, 512].
 */
export function centerNetImage() {
  const n = 512 * 512 * 3;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 127.5 + 127.5 * Math.sin(0.001 * i + 0.37 * (i % 3));
  return a;
}

/** The seconds per iteration behind a row's number (the inverse of valueOf). */
export function secondsOf(workload, value) {
  const w = WORKLOADS[workload];
  if (w.unit === 'GFLOP/s') return w.flops / value / 1e9;
  if (w.unit === 'img/s') return w.batch / value;
  return value / 1000;
}

/** Whether a larger number is better for this workload's unit. */
export function higherIsBetter(workload) {
  return WORKLOADS[workload].unit !== 'ms';
}
