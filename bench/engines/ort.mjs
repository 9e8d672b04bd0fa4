// onnxruntime-node as a benchmark engine (CPU execution provider, BENCH_THREADS intra-op threads), or
// onnxruntime-web's wasm backend with `--runtime web`. W5 runs
// single-node graphs written by ../onnx-builder.mjs; W3 runs the ResNet-18 that
// ../export_resnet18.py exported from PyTorch into bench/.cache/.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { singleNodeModel } from '../onnx-builder.mjs';
import { BENCH_THREADS, WORKLOADS, workOf } from '../workloads.mjs';
import { serve } from './engine-loop.mjs';

const require = createRequire(import.meta.url);
// `--runtime web`: onnxruntime-web's WebAssembly (SIMD) backend, which also runs in Node, on
// `--threads N` threads (default BENCH_THREADS; its threaded build runs helpers as worker_threads in
// Node, and needs cross-origin isolation in browsers).
const web =
  process.argv.includes('--runtime') && process.argv[process.argv.indexOf('--runtime') + 1] === 'web';
const ort = require(web ? 'onnxruntime-web' : 'onnxruntime-node');
const threadsAt = process.argv.indexOf('--threads');
const THREADS = threadsAt >= 0 ? Number(process.argv[threadsAt + 1]) : BENCH_THREADS;
if (web) ort.env.wasm.numThreads = THREADS;
const sessionOptions = {
  ...(web ? { executionProviders: ['wasm'] } : { intraOpNumThreads: THREADS, interOpNumThreads: 1 }),
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
};
const resnetPath = fileURLToPath(new URL('../.cache/resnet18.onnx', import.meta.url));
const mobilenetPath = fileURLToPath(new URL('../.cache/mobilenet_v2.onnx', import.meta.url));

function randomData(n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

const state = new Map();

serve({
  info() {
    return {
      name: web ? 'onnxruntime-web (wasm)' : 'onnxruntime-node',
      version: web ? ort.env.versions.web : require('onnxruntime-node/package.json').version,
      threads: THREADS,
    };
  },
  async setup(row) {
    let session;
    let feeds;
    const workload = workOf(row);
    // A row that fixes its thread count (thread scaling) gets a session with that many threads.
    const options = web
      ? sessionOptions
      : { ...sessionOptions, intraOpNumThreads: WORKLOADS[row].threads ?? THREADS };
    // onnxruntime-web takes a model's bytes (it would fetch a path).
    const modelFile = (path) => (web ? readFileSync(path) : path);
    if (workload === 'w5-conv') {
      const model = singleNodeModel({
        opType: 'Conv',
        inputs: [['x', [1, 64, 56, 56]]],
        outputs: [['y', [1, 64, 56, 56]]],
        initializers: [['w', [64, 64, 3, 3], randomData(64 * 64 * 9)]],
        attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] },
      });
      session = await ort.InferenceSession.create(model, options);
      feeds = { x: new ort.Tensor('float32', randomData(64 * 56 * 56), [1, 64, 56, 56]) };
    } else if (workload === 'w5-sgemm') {
      const model = singleNodeModel({
        opType: 'MatMul',
        inputs: [
          ['a', [1024, 1024]],
          ['b', [1024, 1024]],
        ],
        outputs: [['c', [1024, 1024]]],
      });
      session = await ort.InferenceSession.create(model, options);
      feeds = {
        a: new ort.Tensor('float32', randomData(1024 * 1024), [1024, 1024]),
        b: new ort.Tensor('float32', randomData(1024 * 1024), [1024, 1024]),
      };
    } else if (workload.startsWith('w3')) {
      // onnxruntime applies its graph optimizations (conv + batch norm + ReLU fusion) to both the
      // plain and the fused W3 rows: it always fuses at session creation.
      if (!existsSync(resnetPath))
        throw new Error('no bench/.cache/resnet18.onnx (it is exported with PyTorch)');
      session = await ort.InferenceSession.create(modelFile(resnetPath), options);
      const b = WORKLOADS[row].batch;
      feeds = {
        [session.inputNames[0]]: new ort.Tensor('float32', randomData(b * 3 * 224 * 224), [b, 3, 224, 224]),
      };
    } else if (workload.startsWith('mnv2')) {
      // Stride's MobileNetV2, exported by Stride's ONNX exporter (bench/export_mobilenet_v2.mjs).
      if (!existsSync(mobilenetPath))
        throw new Error('no bench/.cache/mobilenet_v2.onnx (bench/export_mobilenet_v2.mjs writes it)');
      session = await ort.InferenceSession.create(modelFile(mobilenetPath), options);
      const b = WORKLOADS[row].batch;
      feeds = {
        [session.inputNames[0]]: new ort.Tensor('float32', randomData(b * 3 * 224 * 224), [b, 3, 224, 224]),
      };
    } else {
      throw new Error(`onnxruntime: no workload ${workload}`);
    }
    await session.run(feeds);
    state.set(row, { session, feeds });
    return undefined;
  },
  async run(workload) {
    const { session, feeds } = state.get(workload);
    await session.run(feeds);
  },
});
