// TensorFlow.js as a benchmark engine: `--backend cpu` (pure JS) or `--backend wasm` (XNNPACK,
// SIMD; one thread in Node, where tfjs-backend-wasm disables its threaded build).
import { createRequire } from 'node:module';
import { serve } from './engine-loop.mjs';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
const backend = process.argv[process.argv.indexOf('--backend') + 1] ?? 'cpu';
if (backend === 'wasm') require('@tensorflow/tfjs-backend-wasm');
await tf.setBackend(backend);
await tf.ready();

const state = new Map();

serve({
  info() {
    return {
      name: `tfjs ${backend}`,
      version: require('@tensorflow/tfjs/package.json').version,
      threads: 1,
    };
  },
  setup(workload) {
    let step;
    if (workload === 'w5-conv') {
      const x = tf.randomNormal([1, 56, 56, 64]);
      const w = tf.randomNormal([3, 3, 64, 64]);
      step = () => tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync());
    } else if (workload === 'w5-sgemm') {
      const a = tf.randomNormal([1024, 1024]);
      const b = tf.randomNormal([1024, 1024]);
      step = () => tf.tidy(() => tf.matMul(a, b).dataSync());
    } else {
      throw new Error(`tfjs: no workload ${workload}`);
    }
    step();
    state.set(workload, step);
    return undefined;
  },
  run(workload) {
    state.get(workload)();
  },
});
