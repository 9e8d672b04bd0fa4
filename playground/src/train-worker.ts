// The training loop of the playground, in a Web Worker so the page stays responsive: LeNet-5
// (modern variant, 1x28x28) on the MNIST subset, Adam, cross-entropy. It posts every step's loss
// and accuracy, and every `evalEvery` steps the test accuracy, the first layer's filters, the
// activation maps of one test digit and the model itself (for the page's drawing panel).
import * as st from '../../src/index.js';
import { selectBackend } from './backend-choice.js';
import { loadMnistSubset, type MnistSubset } from './mnist-subset.js';
import type { FromWorker, ImagePayload, ToWorker, TrainSettings } from './train-protocol.js';

const ACTIVATION_LAYERS = ['relu1', 'relu2'];
const EVAL_BATCH = 250;
/** Steps run between two looks at the message queue (so a pause is seen quickly). */
const STEPS_PER_SLICE = 2;

let data: MnistSubset | null = null;
let model = st.models.lenet5({ variant: 'modern' });
let optimizer = new st.optim.Adam(model.parameters(), { lr: 1e-3 });
let step = 0;
let running = false;
let order: number[] = [];
let cursor = 0;
let seed = 0;

const post = (m: FromWorker, transfer: Transferable[] = []): void =>
  (self as unknown as Worker).postMessage(m, transfer);

function image(t: st.Tensor): ImagePayload {
  const [c, h, w] = t.shape as [number, number, number];
  return { data: Float32Array.from(t.data), shape: [c, h, w] };
}

function reset(newSeed: number): void {
  seed = newSeed;
  st.manualSeed(seed);
  model = st.models.lenet5({ variant: 'modern' });
  optimizer = new st.optim.Adam(model.parameters(), { lr: 1e-3 });
  step = 0;
  order = [];
  cursor = 0;
}

function nextBatch(subset: MnistSubset, size: number): { x: st.Tensor; y: st.Tensor } {
  const n = subset.train.count;
  const idx: number[] = [];
  while (idx.length < size) {
    if (cursor >= order.length) {
      const rng = new st.Rng(seed + step);
      order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      cursor = 0;
    }
    idx.push(order[cursor++]!);
  }
  const pixels = new Float32Array(size * 784);
  const labels: number[] = [];
  const src = subset.train.images.data;
  idx.forEach((k, b) => {
    pixels.set(src.subarray(k * 784, (k + 1) * 784), b * 784);
    labels.push(subset.train.labels.data[k]!);
  });
  return { x: st.tensor(pixels, [size, 1, 28, 28]), y: st.tensor(labels) };
}

function evaluate(subset: MnistSubset): FromWorker {
  model.eval();
  let correct = 0;
  let lossSum = 0;
  st.noGrad(() => {
    for (let i = 0; i < subset.test.count; i += EVAL_BATCH) {
      const end = Math.min(i + EVAL_BATCH, subset.test.count);
      const x = subset.test.images.slice(0, i, end);
      const y = subset.test.labels.slice(0, i, end);
      const logits = model.forward(x);
      lossSum += st.crossEntropy(logits, y, { reduction: 'sum' }).item();
      correct += st.accuracy(logits, y) * (end - i);
    }
  });
  const probe = subset.test.images.slice(0, 0, 1);
  const maps = st.viz.activations(model, probe, ACTIVATION_LAYERS);
  model.train();
  return {
    type: 'eval',
    step,
    epoch: (step * lastSettings.batchSize) / subset.train.count,
    testLoss: lossSum / subset.test.count,
    testAccuracy: correct / subset.test.count,
    filters: image(st.viz.filters(model, 'conv1')),
    activations: ACTIVATION_LAYERS.map((layer) => ({ layer, grid: image(maps[layer]!.grid) })),
    probe: image(probe.reshape([1, 28, 28])),
    model: st.encodeModelFile(model),
  };
}

let lastSettings: TrainSettings = { batchSize: 32, learningRate: 1e-3, evalEvery: 25, maxSteps: 0 };

function slice(): void {
  if (!running || !data) return;
  const subset = data;
  for (let k = 0; k < STEPS_PER_SLICE && running; k++) {
    const t0 = performance.now();
    const { x, y } = nextBatch(subset, lastSettings.batchSize);
    const logits = model.forward(x);
    const loss = st.crossEntropy(logits, y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    step++;
    const seconds = (performance.now() - t0) / 1000;
    post({
      type: 'step',
      step,
      epoch: (step * lastSettings.batchSize) / subset.train.count,
      loss: loss.item(),
      accuracy: st.accuracy(logits.detach(), y),
      imagesPerSecond: lastSettings.batchSize / seconds,
    });
    const done = lastSettings.maxSteps > 0 && step >= lastSettings.maxSteps;
    if (step % lastSettings.evalEvery === 0 || done) {
      const report = evaluate(subset);
      post(report, report.type === 'eval' ? [report.model.buffer] : []);
    }
    if (done) {
      running = false;
      post({ type: 'paused', step });
    }
  }
  if (running) setTimeout(slice, 0);
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  try {
    if (m.type === 'load') {
      init(m.dataUrl).catch((err: unknown) =>
        post({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
      );
    } else if (m.type === 'start') {
      lastSettings = m.settings;
      for (const g of optimizer.paramGroups) g.lr = m.settings.learningRate;
      if (!running) {
        running = true;
        setTimeout(slice, 0);
      }
    } else if (m.type === 'pause') {
      running = false;
      post({ type: 'paused', step });
    } else {
      running = false;
      reset(m.seed);
    }
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};

async function init(dataUrl: string): Promise<void> {
  const backend = await selectBackend();
  reset(0);
  data = await loadMnistSubset(dataUrl);
  post({ type: 'ready', backend, trainCount: data.train.count, testCount: data.test.count });
}
