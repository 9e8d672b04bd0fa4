// The in-browser LeNet-5 training benchmark (bench/browser-lenet.mjs drives it in Chromium and Firefox): one
// training step of batch B on the same network in each engine, random 1x28x28 inputs and labels,
// plain SGD at learning rate 0.01, cross-entropy. `runBench` times whole steps after a warm-up.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import convnetjs from 'convnetjs';
import * as st from '../../src/index.js';
import { describeBackend, selectBackend } from './backend-choice.js';

/** What one engine measured. */
export interface BenchResult {
  engine: string;
  batch: number;
  steps: number;
  seconds: number;
  imagesPerSecond: number;
  /** What the engine ran on, where the page decides it (Stride: `'wasm (2 threads)'`). */
  setup?: string;
}

type Step = () => Promise<void> | void;

function randomImages(n: number): Float32Array {
  const a = new Float32Array(n * 784);
  for (let i = 0; i < a.length; i++) a[i] = Math.random();
  return a;
}

function randomLabels(n: number): number[] {
  return Array.from({ length: n }, () => Math.floor(Math.random() * 10));
}

async function strideStep(batch: number): Promise<Step> {
  await selectBackend();
  const model = st.models.lenet5({ variant: 'modern' });
  const opt = new st.optim.SGD(model.parameters(), { lr: 0.01 });
  const x = st.tensor(randomImages(batch), [batch, 1, 28, 28]);
  const y = st.tensor(randomLabels(batch));
  return () => {
    const loss = st.crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  };
}

async function tfjsStep(backend: 'cpu' | 'wasm', batch: number): Promise<Step> {
  if (backend === 'wasm') {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    });
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs could not start its ${backend} backend`);
  await tf.ready();
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 6,
        kernelSize: 5,
        padding: 'same',
        activation: 'relu',
      }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const opt = tf.train.sgd(0.01);
  const x = tf.tensor4d(randomImages(batch), [batch, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(randomLabels(batch), 'int32'), 10);
  return async () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor), true);
    await loss!.data();
    loss!.dispose();
  };
}

function convnetjsStep(batch: number): Step {
  const net = new convnetjs.Net();
  net.makeLayers([
    { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
    { type: 'conv', sx: 5, filters: 6, stride: 1, pad: 2, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 0, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'fc', num_neurons: 120, activation: 'relu' },
    { type: 'fc', num_neurons: 84, activation: 'relu' },
    { type: 'softmax', num_classes: 10 },
  ]);
  const trainer = new convnetjs.Trainer(net, {
    method: 'sgd',
    learning_rate: 0.01,
    momentum: 0,
    batch_size: batch,
    l2_decay: 0,
  });
  const pixels = randomImages(batch);
  const images = Array.from({ length: batch }, (_, i) => {
    const v = new convnetjs.Vol(28, 28, 1, 0);
    for (let k = 0; k < 784; k++) v.w[k] = pixels[i * 784 + k]!;
    return v;
  });
  const labels = randomLabels(batch);
  // ConvNetJS trains one image per call and updates once per batch_size calls.
  return () => {
    for (let i = 0; i < batch; i++) trainer.train(images[i]!, labels[i]!);
  };
}

/** Time training steps of one engine: `warmup` steps, then steps until `seconds` have passed (at least 2). */
async function runBench(engine: string, batch: number, seconds: number, warmup = 1): Promise<BenchResult> {
  const step =
    engine === 'stride'
      ? await strideStep(batch)
      : engine === 'tfjs-cpu'
        ? await tfjsStep('cpu', batch)
        : engine === 'tfjs-wasm'
          ? await tfjsStep('wasm', batch)
          : engine === 'convnetjs'
            ? convnetjsStep(batch)
            : null;
  if (!step) throw new Error(`unknown engine '${engine}'; expected stride, tfjs-cpu, tfjs-wasm or convnetjs`);
  for (let i = 0; i < warmup; i++) await step();
  let steps = 0;
  const t0 = performance.now();
  while (steps < 2 || performance.now() - t0 < seconds * 1000) {
    await step();
    steps++;
  }
  const elapsed = (performance.now() - t0) / 1000;
  const setup = engine === 'stride' ? { setup: describeBackend() } : {};
  return { engine, batch, steps, seconds: elapsed, imagesPerSecond: (steps * batch) / elapsed, ...setup };
}

(window as unknown as { runBench: typeof runBench }).runBench = runBench;
document.body.dataset.ready = 'true';
