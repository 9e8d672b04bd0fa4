// Transfer learning with few labels: Fashion-MNIST, 100 labelled training images per class.
// (a) a small CNN from scratch, (b) linear heads on frozen MobileNetV2 features (nsfwjs' ImageNet
// backbone via st.pretrained): the final pooled features, and pooled features from three depths,
// (c) (b) then fine-tuning the top two blocks with discriminative LRs. One backbone pass caches
// both the pooled features and the input of the top two blocks (block_15's output), so (c) trains
// block_16 and Conv_1 on cached activations (exact: the blocks below are frozen, batch norm too).
//   nice node --import tsx scripts/results/transfer-fashion-mnist.ts [--size 128]
// Writes results/transfer-fashion-mnist.md and .json. Bottleneck features are cached in
// tmp/transfer-features-*.safetensors (a rerun reuses them).
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import * as st from '../../src/node.js';
import { writeFileAtomic } from '../../src/io/atomic-write-node.js';

const PER_CLASS = 100;
const TEST = 1000;
const sizeArg = process.argv.indexOf('--size');
const SIZE = sizeArg >= 0 ? Number(process.argv[sizeArg + 1]) : 128;
/** Layers whose average-pooled activations make the multi-depth features, shallow to deep. */
const DEPTHS = ['block_6_expand_relu', 'block_13_expand_relu', 'out_relu'];
/** The input of the top two blocks (block_16 and the head convolution), cached for (c). */
const CUT = 'block_15_add';
const t0 = Date.now();
const seconds = (from: number) => (Date.now() - from) / 1000;

// ---- data: the first 100 training images of each class; the first 1,000 test images ----
const all = st.loadFashionMnist({ split: 'train', limit: 5000 });
const picked: number[] = [];
const counts = new Array<number>(10).fill(0);
all.labels.forEach((y, i) => {
  if (counts[y]! < PER_CLASS) {
    counts[y]! += 1;
    picked.push(i);
  }
});
const subset = (ds: st.TensorDataset, idx: readonly number[]) => {
  const data = new Float32Array(idx.length * ds.sampleSize);
  idx.forEach((i, k) =>
    data.set(ds.data.subarray(i * ds.sampleSize, (i + 1) * ds.sampleSize), k * ds.sampleSize),
  );
  return new st.TensorDataset({
    data,
    labels: Int32Array.from(idx, (i) => ds.labels[i]!),
    sampleShape: ds.sampleShape,
  });
};
const train = subset(all, picked);
const test = st.loadFashionMnist({ split: 'test', limit: TEST });
const trainY = new st.Tensor(Float32Array.from(train.labels), [train.labels.length]);
const testLabels = test.labels;
console.log(`train ${train.labels.length} images (${PER_CLASS}/class), test ${testLabels.length}`);

const accuracy = (logits: st.Tensor, labels: Int32Array): number => {
  const [n, c] = logits.shape as [number, number];
  let ok = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (logits.data[i * c + j]! > logits.data[i * c + best]!) best = j;
    if (best === labels[i]) ok++;
  }
  return ok / n;
};
/** The rows `idx` of `x` (a copy). */
const rows = (x: st.Tensor, idx: readonly number[]): st.Tensor => {
  const size = x.size / x.shape[0]!;
  const out = new Float32Array(idx.length * size);
  idx.forEach((i, k) => out.set(x.data.subarray(i * size, (i + 1) * size), k * size));
  return new st.Tensor(out, [idx.length, ...x.shape.slice(1)]);
};
const images = (ds: st.TensorDataset) => new st.Tensor(ds.data, [ds.labels.length, ...ds.sampleShape]);

/** Minibatch training of `forward` with `opt`, `epochs` passes over rows of `x` in a seeded order. */
function trainLoop(
  forward: (x: st.Tensor) => st.Tensor,
  opt: st.optim.Optimizer,
  x: st.Tensor | ((idx: number[]) => st.Tensor),
  y: st.Tensor,
  epochs: number,
  batch: number,
  label: string,
): void {
  const n = y.shape[0]!;
  const rng = new st.Rng(1);
  for (let e = 0; e < epochs; e++) {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(0, i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let total = 0;
    for (let s = 0; s < n; s += batch) {
      const idx = order.slice(s, s + batch);
      const xb = typeof x === 'function' ? x(idx) : rows(x, idx);
      const yb = rows(y, idx);
      opt.zeroGrad();
      const loss = st.crossEntropy(forward(xb), yb);
      loss.backward();
      opt.step();
      total += loss.item() * idx.length;
    }
    console.log(`${label} epoch ${e + 1}/${epochs} loss ${(total / n).toFixed(4)}`);
  }
}

// ---- (a) a small CNN from scratch, at Fashion-MNIST's native 28x28 ----
st.manualSeed(0);
const tA = Date.now();
const cnn = new st.Sequential(
  new st.Conv2d(1, 32, 3, { padding: 1 }),
  new st.BatchNorm2d(32),
  new st.ReLU(),
  new st.MaxPool2d(2),
  new st.Conv2d(32, 64, 3, { padding: 1 }),
  new st.BatchNorm2d(64),
  new st.ReLU(),
  new st.MaxPool2d(2),
  new st.Flatten(),
  new st.Dropout(0.3),
  new st.Linear(64 * 7 * 7, 10),
);
cnn.train();
trainLoop(
  (x) => cnn.forward(x),
  new st.Adam(cnn.parameters(), { lr: 1e-3 }),
  images(train),
  trainY,
  30,
  32,
  '(a)',
);
cnn.eval();
const accA = accuracy(
  st.noGrad(() => cnn.forward(images(test))),
  testLabels,
);
const timeA = seconds(tA);
console.log(`(a) scratch CNN: test accuracy ${accA}, ${timeA.toFixed(0)} s`);

// ---- backbone input: resized to 96x96 and made 3-channel by st.preprocess from the card ----
const backbone = st.pretrained.load('mobilenet_v2', { pooling: 'avg' });
backbone.preprocessing = { ...backbone.preprocessing, size: [SIZE, SIZE] };
const toInput = (ds: st.TensorDataset, idx: readonly number[]): st.Tensor =>
  st.concat(
    idx.map((i) =>
      st.preprocessImage(backbone, new st.Tensor(ds.data.slice(i * 784, (i + 1) * 784), [1, 28, 28])),
    ),
    0,
  );
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const trainX = toInput(train, range(train.labels.length));
const testX = toInput(test, range(TEST));

// ---- (b) linear heads on frozen, cached bottleneck features (one backbone pass for all depths) ----
const tB = Date.now();
mkdirSync('tmp', { recursive: true });
const depths = st.featureExtractor(backbone, [...DEPTHS, CUT]);
const gap = new st.GlobalAvgPool2d();
/**
 * The average-pooled activations of every layer of DEPTHS side by side (`192 + 576 + 1280`
 * columns), then CUT's activation map flattened.
 */
class MultiDepth extends st.Module {
  override forward(x: st.Tensor): st.Tensor {
    const maps = depths.forwardAll(x);
    const cut = maps.pop()!;
    return st.concat([...maps.map((m) => gap.forward(m)), cut.reshape([cut.shape[0]!, -1])], 1);
  }
}
const multi = new MultiDepth();
const key = (split: string) =>
  `mobilenet_v2 avg ${DEPTHS.join('+')} + ${CUT} ${SIZE}px fashion-mnist ${split}`;
const progress = (label: string) => (done: number, total: number) => {
  if (done % 200 === 0 || done === total) console.log(`${label} features ${done}/${total}`);
};
const fTrainAll = st.cachedFeatures(`tmp/transfer-features-${SIZE}-train.safetensors`, multi, trainX, {
  key: key(`train ${PER_CLASS}/class`),
  onProgress: progress('train'),
});
const fTestAll = st.cachedFeatures(`tmp/transfer-features-${SIZE}-test.safetensors`, multi, testX, {
  key: key(`test first ${TEST}`),
  onProgress: progress('test'),
});
const timeFeatures = seconds(tB);
const FINAL = 1280;
const POOLED = 192 + 576 + FINAL;
const cutShape = st
  .featureExtractor(backbone, [CUT])
  .forward(st.zeros([1, 3, SIZE, SIZE]))
  .shape.slice(1);
const cutSize = cutShape.reduce((a, b) => a * b, 1);
/** The cached CUT activations: columns after the pooled ones, back in `[N, C, H, W]`. */
const cutMaps = (f: st.Tensor): st.Tensor => {
  const n = f.shape[0]!;
  const out = new Float32Array(n * cutSize);
  for (let i = 0; i < n; i++)
    out.set(f.data.subarray(i * f.shape[1]! + POOLED, (i + 1) * f.shape[1]!), i * cutSize);
  return new st.Tensor(out, [n, ...cutShape]);
};
const cutTrain = cutMaps(fTrainAll);
const cutTest = cutMaps(fTestAll);
const allWidth = fTrainAll.shape[1]!;
const width = POOLED;
/** Columns `[from, width)` of `f`, standardized with the training features' per-column mean and std. */
const standardized = (from: number) => {
  const cols = width - from;
  const mean = new Float64Array(cols);
  const sq = new Float64Array(cols);
  const n = fTrainAll.shape[0]!;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < cols; j++) {
      const v = fTrainAll.data[i * allWidth + from + j]!;
      mean[j] += v / n;
      sq[j] += (v * v) / n;
    }
  const std = mean.map((m, j) => Math.sqrt(Math.max(sq[j]! - m * m, 0)) + 1e-6);
  const apply = (f: st.Tensor) => {
    const rowsN = f.shape[0]!;
    const out = new Float32Array(rowsN * cols);
    for (let i = 0; i < rowsN; i++)
      for (let j = 0; j < cols; j++)
        out[i * cols + j] = (f.data[i * allWidth + from + j]! - mean[j]!) / std[j]!;
    return new st.Tensor(out, [rowsN, cols]);
  };
  return { train: apply(fTrainAll), test: apply(fTestAll), mean, std };
};
const HEAD_EPOCHS = 100;
/** A linear head trained on the standardized feature columns `[from, width)`. */
function linearHead(from: number, label: string) {
  const t = Date.now();
  const f = standardized(from);
  st.manualSeed(0);
  const head = new st.Linear(width - from, 10);
  trainLoop(
    (x) => head.forward(x),
    new st.Adam(head.parameters(), { lr: 1e-3, weightDecay: 1e-4 }),
    f.train,
    trainY,
    HEAD_EPOCHS,
    32,
    label,
  );
  const acc = accuracy(
    st.noGrad(() => head.forward(f.test)),
    testLabels,
  );
  console.log(`${label} linear head on ${width - from} frozen features: test accuracy ${acc}`);
  return { head, acc, seconds: seconds(t), mean: f.mean, std: f.std };
}
const finalHead = linearHead(width - FINAL, '(b) final');
const multiHead = linearHead(0, '(b) multi-depth');
const accB = finalHead.acc;
const accB2 = multiHead.acc;
const timeB = timeFeatures + finalHead.seconds;
const timeB2 = timeFeatures + multiHead.seconds;
// The final-layer head, with its standardization folded in, starts the fine-tuning.
const head = new st.Linear(FINAL, 10);
st.noGrad(() => {
  const w = finalHead.head.weight.data;
  const b = finalHead.head.bias!.data;
  for (let c = 0; c < 10; c++) {
    let shift = b[c]!;
    for (let j = 0; j < FINAL; j++) {
      const scaled = w[c * FINAL + j]! / finalHead.std[j]!;
      head.weight.data[c * FINAL + j] = scaled;
      shift -= scaled * finalHead.mean[j]!;
    }
    head.bias!.data[c] = shift;
  }
});

// ---- (c) then fine-tune the top two blocks (batch norm kept frozen), discriminative LRs ----
// The blocks below are frozen (weights and batch-norm statistics), so the top two blocks' input is
// the cached CUT activation: a graph from CUT to the pooled output shares the backbone's layers.
const tC = Date.now();
const steps = backbone.nodes();
const top2 = new st.Graph();
const nodes = new Map<string, st.GraphNode>([[CUT, top2.input(undefined, CUT)]]);
for (const step of steps.slice(steps.findIndex((x) => x.name === CUT) + 1)) {
  if (step.module === null || !step.inputs.every((n) => nodes.has(n))) continue;
  nodes.set(step.name, top2.add(step.name, step.module, ...step.inputs.map((n) => nodes.get(n)!)));
}
top2.output(nodes.get('out_relu_pool')!);
const blocks = st.pretrained.blocks(backbone);
const TOP = 2;
const FT_LR = 1e-4;
const FACTOR = 3;
const EPOCHS_C = 20;
const top = st.unfreezeTopBlocks(top2, blocks, TOP);
const groups = st.discriminativeParamGroups(top2, blocks, { lr: FT_LR, factor: FACTOR });
const opt = new st.Adam([...groups, { params: head.parameters(), lr: 3e-4 }], { lr: FT_LR });
top2.train();
trainLoop((x) => head.forward(top2.forward(x)), opt, cutTrain, trainY, EPOCHS_C, 32, '(c)');
top2.eval();
const accC = accuracy(
  st.noGrad(() => head.forward(top2.forward(cutTest))),
  testLabels,
);
const timeC = seconds(tC);
console.log(`(c) fine-tuned top ${TOP} blocks: test accuracy ${accC}, ${timeC.toFixed(0)} s`);

const total = seconds(t0);
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores (shared with other jobs: timings are noisy)`;
const result = {
  trainImages: train.labels.length,
  testImages: TEST,
  inputSize: SIZE,
  scratch: { accuracy: accA, seconds: timeA, epochs: 30 },
  featureSeconds: timeFeatures,
  linearHead: { accuracy: accB, seconds: timeB, epochs: HEAD_EPOCHS, features: 'out_relu' },
  multiDepthHead: { accuracy: accB2, seconds: timeB2, epochs: HEAD_EPOCHS, features: DEPTHS },
  fineTuned: {
    accuracy: accC,
    seconds: timeC,
    epochs: EPOCHS_C,
    blocks: top.map((b) => b.name),
    learningRates: [...groups.map((g) => g.lr), 3e-4],
    input: CUT,
  },
  totalSeconds: total,
  backend: st.backend(),
  machine,
};
mkdirSync('results', { recursive: true });
writeFileAtomic('results/transfer-fashion-mnist.json', JSON.stringify(result, null, 2) + '\n');
const best = Math.max(accB, accB2, accC);
const verdict =
  best > accA + 0.03
    ? `Transfer beats training from scratch here: ${pct(best)} against ${pct(accA)}.`
    : `In this run transfer did NOT clearly beat the small CNN trained from scratch (${pct(best)} at best against ${pct(accA)}; ` +
      'the goal is a margin of more than 3 points, over twice the standard error). ' +
      'Likely reasons: 28x28 gray clothing silhouettes upsampled are far from the ImageNet photos the ' +
      `backbone learned from; the backbone runs at ${SIZE}x${SIZE} rather than its 224x224; nsfwjs fine-tuned it on another ` +
      'task and ships it uint8-quantized; and a 1000-image scratch CNN is already strong on this easy, centred data.';
function pct(a: number): string {
  return `${(100 * a).toFixed(1)}%`;
}
writeFileAtomic(
  'results/transfer-fashion-mnist.md',
  `# Transfer learning with 100 labels per class (Fashion-MNIST)

Written by \`scripts/results/transfer-fashion-mnist.ts\` (\`nice node --import tsx scripts/results/transfer-fashion-mnist.ts\`).

Training set: the first ${PER_CLASS} images of each class of Fashion-MNIST's training split (${train.labels.length} images).
Test set: the first ${TEST} images of the test split (a subset, so the script runs in minutes on 2 shared cores).
The backbone is \`st.pretrained.load('mobilenet_v2', { pooling: 'avg' })\`: the ImageNet-pretrained MobileNetV2
inside the npm package nsfwjs (its NSFW head is not loaded). Its input here is ${SIZE}x${SIZE} (not 224x224, to fit the
time budget): each 28x28 gray image is resized and made 3-channel by \`st.preprocessImage\` from the model's card.

| | test accuracy | wall time |
|---|---|---|
| (a) small CNN from scratch (28x28 gray, 2 conv + BN, 30 epochs, Adam 1e-3) | ${pct(accA)} | ${timeA.toFixed(0)} s |
| (b) linear head on frozen final pooled features (\`out_relu\`, 1280-D, standardized; ${HEAD_EPOCHS} epochs, Adam 1e-3, weight decay 1e-4) | ${pct(accB)} | ${timeB.toFixed(0)} s |
| (b') linear head on frozen pooled features from three depths (${DEPTHS.map((d) => `\`${d}\``).join(' + ')}, ${width}-D, standardized; same training) | ${pct(accB2)} | ${timeB2.toFixed(0)} s |
| (c) (b), then top ${TOP} blocks (${top.map((b) => b.name).join(', ')}) fine-tuned ${EPOCHS_C} epochs on the cached \`${CUT}\` activations (no augmentation), Adam LRs ${groups.map((g) => g.lr!.toPrecision(3)).join(' / ')} (blocks, ${FACTOR}x smaller per block deeper in) and 3e-4 (head); batch norm frozen | ${pct(accC)} | ${timeC.toFixed(0)} s |

(b) and (b')'s times include computing the bottleneck features once (${train.labels.length + TEST} images through the backbone,
${timeFeatures.toFixed(0)} s; one pass gives every depth); a rerun reads them from the cache. (c) reads the cached input of its top
blocks (\`${CUT}\`, ${cutShape.join('x')} per image, from the same pass), which is exact because everything below, batch norm
included, is frozen; its time is the fine-tuning alone. Everything: ${total.toFixed(0)} s,
${result.backend} backend on ${machine}.
The scratch CNN sees the native 28x28 images (cheaper and arguably better suited to it than upsampled ones).

With ${TEST} test images the standard error of an accuracy near 80% is about 1.3 points.
${verdict}
`,
);
console.log(JSON.stringify(result, null, 2));
