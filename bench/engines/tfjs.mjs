// TensorFlow.js as a benchmark engine: `--backend cpu` (pure JS) or `--backend wasm` (XNNPACK,
// SIMD; one thread in Node, where tfjs-backend-wasm disables its threaded build).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { centerNetImage } from '../workloads.mjs';
import { serve } from './engine-loop.mjs';
import { tfjsResnet18 } from './tfjs-resnet18.mjs';

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
  async setup(workload) {
    let step;
    if (workload === 'w5-conv') {
      const x = tf.randomNormal([1, 56, 56, 64]);
      const w = tf.randomNormal([3, 3, 64, 64]);
      step = () => tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync());
    } else if (workload === 'w3-b1' || workload === 'w3-b8') {
      const model = tfjsResnet18(tf);
      const x = tf.randomNormal([workload === 'w3-b1' ? 1 : 8, 224, 224, 3]);
      step = () => tf.tidy(() => model.predict(x).dataSync());
    } else if (workload === 'w5-sgemm') {
      const a = tf.randomNormal([1024, 1024]);
      const b = tf.randomNormal([1024, 1024]);
      step = () => tf.tidy(() => tf.matMul(a, b).dataSync());
    } else if (workload === 'w6-centernet') {
      // The same CenterNet graph as Stride's row, run to its detections output, then NMS as
      // @vladmandic/human post-processes it (top 10, IoU 0.4, score 0.2).
      // The package's exports map hides its files: walk up from its main entry to its folder.
      let dir = dirname(require.resolve('@vladmandic/human'));
      while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
      const path = join(dir, 'models', 'centernet.json');
      const json = JSON.parse(readFileSync(path, 'utf8'));
      const bin = readFileSync(path.replace(/\.json$/, '.bin'));
      const model = await tf.loadGraphModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          format: 'graph-model',
          weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
          weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
        }),
      );
      const x = tf.tensor4d(centerNetImage(), [1, 512, 512, 3]);
      step = async () => {
        const det = model.execute(x, 'tower_0/detections');
        const rows = (await det.array())[0];
        det.dispose();
        const boxes = tf.tensor2d(rows.map((r) => [r[1], r[0], r[3], r[2]]));
        const scores = tf.tensor1d(rows.map((r) => r[4]));
        const keep = await tf.image.nonMaxSuppressionAsync(boxes, scores, 10, 0.4, 0.2);
        await keep.data();
        tf.dispose([boxes, scores, keep]);
      };
      await step();
      state.set(workload, step);
      return undefined;
    } else {
      throw new Error(`tfjs: no workload ${workload}`);
    }
    step();
    state.set(workload, step);
    return undefined;
  },
  async run(workload) {
    await state.get(workload)();
  },
});
