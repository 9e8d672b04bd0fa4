// The training loop of the playground, in a Web Worker so the page stays responsive: one of the
// networks of train-nets.ts (LeNet-5 on the MNIST subset, or the ConvNetJS CIFAR-style net on the
// synthetic 32x32x3 patterns generated here), Adam, cross-entropy. It posts every step's loss and
// accuracy, and every `evalEvery` steps the test accuracy, the first layer's filters, the
// activation maps of one test image and the model itself (for the page's drawing panel).
import * as st from '../../src/index.js';
import { selectBackend } from './backend-choice.js';
import { loadMnistSubset, type MnistSubset } from './mnist-subset.js';
import { syntheticPatterns } from './synthetic-patterns.js';
import { netSpec, type NetId, type NetSpec } from './train-nets.js';
import type { FromWorker, ImagePayload, ToWorker, TrainSettings } from './train-protocol.js';

const EVAL_BATCH = 250;
/** Sizes of the synthetic 32x32x3 training and test sets. */
const SYNTHETIC_TRAIN = 3000;
const SYNTHETIC_TEST = 500;
/** Steps run between two looks at the message queue (so a pause is seen quickly). */
const STEPS_PER_SLICE = 2;

let mnist: MnistSubset | null = null;
let synthetic: MnistSubset | null = null;
let backendName = '';
let net: NetSpec = netSpec('lenet5');
let data: MnistSubset | null = null;
let model = net.build();
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

/** A fresh model of `id`, its data loaded (MNIST) or generated (synthetic) first; posts 'ready'. */
function reset(newSeed: number, id: NetId): void {
  running = false;
  net = netSpec(id);
  if (net.data === 'synthetic') synthetic ??= syntheticPatterns(SYNTHETIC_TRAIN, SYNTHETIC_TEST);
  data = net.data === 'synthetic' ? synthetic : mnist;
  if (!data) throw new st.ValueError('train worker', 'the MNIST subset is not loaded yet');
  seed = newSeed;
  st.manualSeed(seed);
  model = net.build();
  optimizer = new st.optim.Adam(model.parameters(), { lr: 1e-3 });
  step = 0;
  order = [];
  cursor = 0;
  post({
    type: 'ready',
    net: net.id,
    backend: backendName,
    trainCount: data.train.count,
    testCount: data.test.count,
  });
}

/** Images as the network sees them (see NetSpec.inputOffset). */
const input = (x: st.Tensor): st.Tensor => (net.inputOffset === 0 ? x : x.sub(net.inputOffset));

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
  const [, c, h, w] = subset.train.images.shape as [number, number, number, number];
  const per = c * h * w;
  const pixels = new Float32Array(size * per);
  const labels: number[] = [];
  const src = subset.train.images.data;
  idx.forEach((k, b) => {
    pixels.set(src.subarray(k * per, (k + 1) * per), b * per);
    labels.push(subset.train.labels.data[k]!);
  });
  return { x: input(st.tensor(pixels, [size, c, h, w])), y: st.tensor(labels) };
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
      const logits = model.forward(input(x));
      lossSum += st.crossEntropy(logits, y, { reduction: 'sum' }).item();
      correct += st.accuracy(logits, y) * (end - i);
    }
  });
  const probe = subset.test.images.slice(0, 0, 1);
  const maps = st.viz.activations(model, input(probe), net.activationLayers);
  model.train();
  return {
    type: 'eval',
    net: net.id,
    step,
    epoch: (step * lastSettings.batchSize) / subset.train.count,
    testLoss: lossSum / subset.test.count,
    testAccuracy: correct / subset.test.count,
    filters: image(st.viz.filters(model, net.filterLayer)),
    activations: net.activationLayers.map((layer) => ({ layer, grid: image(maps[layer]!.grid) })),
    probe: image(probe.reshape(probe.shape.slice(1))),
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
      reset(m.seed, m.net);
    }
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};

async function init(dataUrl: string): Promise<void> {
  backendName = await selectBackend();
  mnist = await loadMnistSubset(dataUrl);
  reset(0, 'lenet5');
}
