/**
 * Train a U-Net on MNIST digits pasted on canvases and report its mean IoU on held-out canvases
 * (digits from MNIST's test split), with the training time and example PNGs.
 *
 * Run:  nice npx tsx scripts/results/segmentation-unet.ts
 * Writes results/segmentation-unet/README.md, results.json, examples.png and the trained model
 * (unet.safetensors with its architecture, which `stride segment` reads). Sizes can be changed
 * with the environment variables TRAIN, TEST, SIZE, EPOCHS, BASE, DEPTH, BATCH, LR, LOSS, BG_WEIGHT.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import * as st from '../../src/node.js';
import { colorizeMask, overlayMask, vocPalette } from '../../src/segmentation/mask-colors.js';
import { writeFileAtomic } from '../../src/io/atomic-write-node.js';

const env = (k: string, d: number): number => (process.env[k] !== undefined ? Number(process.env[k]) : d);
const cfg = {
  train: env('TRAIN', 3000),
  test: env('TEST', 500),
  size: env('SIZE', 48),
  epochs: env('EPOCHS', 20),
  base: env('BASE', 8),
  depth: env('DEPTH', 3),
  batch: env('BATCH', 16),
  lr: env('LR', 0.003),
  digits: [1, 2] as [number, number],
  loss: (process.env['LOSS'] ?? 'cross-entropy') as st.SegmentationLoss,
  backgroundWeight: env('BG_WEIGHT', 0.1),
  seed: 0,
};
const outDir = join('results', 'segmentation-unet');

st.manualSeed(cfg.seed);
const train = st.loadMnistSegmentation({
  split: 'train',
  count: cfg.train,
  canvasSize: cfg.size,
  objectsPerCanvas: cfg.digits,
  seed: 1,
});
const test = st.loadMnistSegmentation({
  split: 'test',
  count: cfg.test,
  canvasSize: cfg.size,
  objectsPerCanvas: cfg.digits,
  seed: 2,
});
const model = st.models.unet({ inChannels: 1, numClasses: 11, depth: cfg.depth, baseChannels: cfg.base });
console.log(
  `U-Net ${model.numParameters()} parameters, backend ${st.backend()}, config ${JSON.stringify(cfg)}`,
);

const epochs: { epoch: number; loss: number; seconds: number }[] = [];
const t0 = performance.now();
st.fitSegmentation(model, train.dataset, {
  epochs: cfg.epochs,
  batchSize: cfg.batch,
  lr: cfg.lr,
  loss: cfg.loss,
  classWeights: [cfg.backgroundWeight, ...new Array<number>(10).fill(1)],
  seed: cfg.seed,
  onEpoch: (epoch, loss, seconds) => {
    epochs.push({ epoch, loss, seconds });
    console.log(`epoch ${epoch}: loss ${loss.toFixed(4)} (${seconds.toFixed(1)} s)`);
  },
});
const trainSeconds = (performance.now() - t0) / 1000;
const { scores } = st.evaluateSegmentation(model, test.dataset);
const trainScores = st.evaluateSegmentation(model, train.dataset.take(cfg.test)).scores;
console.log(
  `held-out mean IoU ${scores.meanIoU.toFixed(4)}, pixel accuracy ${scores.pixelAccuracy.toFixed(4)}`,
);

// Examples: 6 held-out canvases, columns input | truth | prediction | prediction over the input, each scaled 3x.
const n = 6;
const s = cfg.size;
const z = 3;
const W = 4 * s * z + 3 * 4;
const H = n * s * z + (n - 1) * 4;
const canvas = new Uint8Array(W * H * 3).fill(255);
const palette = vocPalette(11);
const sample = test.dataset.take(n);
const pred = st.noGrad(() => st.argmax(model.forward([...sample.batches({ batchSize: n })][0]!.x), 1));
for (let i = 0; i < n; i++) {
  const img = sample.images.subarray(i * s * s, (i + 1) * s * s);
  const grey = new Uint8Array(s * s * 3);
  img.forEach((v, j) => grey.fill(Math.round(v * 255), j * 3, j * 3 + 3));
  const predicted = pred.data.subarray(i * s * s, (i + 1) * s * s);
  const predColours = colorizeMask(predicted, palette);
  const panels = [
    grey,
    colorizeMask(sample.masks.subarray(i * s * s, (i + 1) * s * s), palette),
    predColours,
    overlayMask(grey, predColours, predicted, { alpha: 0.6 }),
  ];
  panels.forEach((p, k) => {
    for (let y = 0; y < s * z; y++)
      for (let x = 0; x < s * z; x++) {
        const src = (Math.floor(y / z) * s + Math.floor(x / z)) * 3;
        const dst = ((i * (s * z + 4) + y) * W + k * (s * z + 4) + x) * 3;
        canvas.set(p.subarray(src, src + 3), dst);
      }
  });
}
await st.writeImage(join(outDir, 'examples.png'), { data: canvas, width: W, height: H, channels: 3 });

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} logical cores, load average ${loadavg()[0]!.toFixed(1)} at the end (shared machine)`;
const names = train.dataset.classNames!;
const backgroundShare =
  train.dataset.masks.reduce((a, v) => a + (v === 0 ? 1 : 0), 0) / train.dataset.masks.length;
st.save(model, join(outDir, 'unet.safetensors'));
const result = {
  config: cfg,
  parameters: model.numParameters(),
  backend: st.backend(),
  trainSeconds,
  epochs,
  heldOut: scores,
  trainSubset: { meanIoU: trainScores.meanIoU, pixelAccuracy: trainScores.pixelAccuracy },
  machine,
  date: new Date().toISOString(),
};
writeFileAtomic(join(outDir, 'results.json'), JSON.stringify(result, null, 2) + '\n');
const rows = names
  .map((nm, c) => `| ${nm} | ${scores.iou[c]!.toFixed(3)} | ${scores.dice[c]!.toFixed(3)} |`)
  .join('\n');
writeFileAtomic(
  join(outDir, 'README.md'),
  `# U-Net on MNIST segmentation canvases

Produced by \`nice npx tsx scripts/results/segmentation-unet.ts\` on ${result.date.slice(0, 10)}.

- Data: \`st.loadMnistSegmentation\` (the detection work's digit canvases): ${cfg.train} training canvases of
  ${s}x${s} pixels with ${cfg.digits[0]}-${cfg.digits[1]} digits at MNIST's 28x28 size from MNIST's training split
  (seed 1); ${cfg.test} held-out canvases with digits from MNIST's **test** split (seed 2). 11 classes:
  background and the ten digits (a pixel is its digit's class where the ink exceeds 0.5).
- Model: \`st.models.unet({ inChannels: 1, numClasses: 11, depth: ${cfg.depth}, baseChannels: ${cfg.base} })\`,
  ${model.numParameters().toLocaleString('en-US')} parameters, transposed-convolution upsampling, batch norm.
- Training: ${cfg.epochs} epochs, batch ${cfg.batch}, Adam at ${cfg.lr} with per-step cosine decay, loss
  ${cfg.loss} with class weight ${cfg.backgroundWeight} for the background (${(100 * backgroundShare).toFixed(0)}% of the training pixels) and 1 for
  each digit, backend ${st.backend()}.
- Machine: ${machine}.

| | |
|---|---|
| **held-out mean IoU** | **${scores.meanIoU.toFixed(4)}** |
| held-out mean Dice | ${scores.meanDice.toFixed(4)} |
| held-out pixel accuracy | ${scores.pixelAccuracy.toFixed(4)} |
| mean IoU on ${cfg.test} training canvases | ${trainScores.meanIoU.toFixed(4)} |
| training time | ${trainSeconds.toFixed(0)} s (${((cfg.epochs * cfg.train) / trainSeconds).toFixed(1)} images/s) |

Per-epoch training loss: ${epochs.map((e) => `${e.loss.toFixed(3)} (${e.seconds.toFixed(0)} s)`).join(', ')}.

Per-class scores on the held-out canvases:

| class | IoU | Dice |
|---|---|---|
${rows}

![input, true mask, predicted mask](examples.png)

Columns: input canvas, true mask, U-Net's mask, U-Net's mask over the input (VOC colours: background black, digit d in VOC colour d + 1).
Timings come from a machine shared with other jobs and vary from run to run.
`,
);
console.log(`wrote ${outDir}/README.md`);
