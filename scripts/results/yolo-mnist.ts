/**
 * Train the YOLO of `stride train yolo --dataset mnist-detection` and write what it reaches on
 * held-out canvases (MNIST test digits) to results/yolo-mnist-detection.md, with precision-recall
 * curves and example detections as PNG.
 *
 * Run:  nice npx tsx scripts/results/yolo-mnist.ts [--head v2] [--epochs N] [--train-count N]
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import * as st from '../../src/node.js';
import { evaluateYolo, predictYolo, trainYolo } from '../../src/detection/train-yolo.js';
import { writeFileAtomic } from '../../src/io/atomic-write-node.js';

const { values } = parseArgs({
  options: {
    head: { type: 'string', default: 'v2' },
    epochs: { type: 'string', default: '6' },
    'train-count': { type: 'string', default: '3000' },
    'test-count': { type: 'string', default: '500' },
    lr: { type: 'string', default: '0.003' },
  },
});
const head = values.head as 'v1' | 'v2';
const epochs = Number(values.epochs);
const trainCount = Number(values['train-count']);
const testCount = Number(values['test-count']);
const lr = Number(values.lr);
const OUT = 'results';

const train = st.loadMnistDetection({ split: 'train', count: trainCount });
const test = st.loadMnistDetection({ split: 'test', count: testCount });
const log: string[] = [];
const load0 = loadavg()[0]!;
const t0 = performance.now();
const model = trainYolo(train, {
  head,
  numClasses: 10,
  epochs,
  lr,
  onEpoch: (e, loss, s) => {
    const line = `| ${e} | ${loss.toFixed(4)} | ${s.toFixed(1)} |`;
    log.push(line);
    console.log(line);
  },
});
const trainSeconds = (performance.now() - t0) / 1000;
const voc = evaluateYolo(model, test);
const preds = predictYolo(model, test);
const coco = st.cocoMap(preds, test, { numClasses: 10 });
console.log(
  `mAP@0.5 ${voc.map.toFixed(4)}  COCO mAP@[.5:.95] ${coco.map.toFixed(4)}  ${trainSeconds.toFixed(0)} s`,
);

await st.savePrCurvePng(
  `${OUT}/yolo-mnist-pr.png`,
  voc.curves.map((curve, c) => ({ label: `digit ${c} (AP ${voc.ap[c]!.toFixed(3)})`, curve })),
  { title: `YOLO${head} on MNIST canvases: precision-recall at IoU 0.5` },
);

// Example detections: the first 8 test canvases, upscaled 4x, boxes scoring >= 0.5.
const S = 64;
const Z = 4;
const tiles = await Promise.all(
  test.slice(0, 8).map(async (s, i) => {
    const grey = Buffer.from(s.image.map((v) => Math.round(255 * v)));
    const png = await sharp(grey, { raw: { width: S, height: S, channels: 1 } })
      .resize(S * Z, S * Z, { kernel: 'nearest' })
      .toColourspace('srgb')
      .png()
      .toBuffer();
    const d = preds[i]!;
    const dets = d.boxes
      .map((b, k) => ({
        box: b.map((v) => v * Z) as st.Box,
        score: d.scores[k]!,
        label: d.labels[k]!,
        className: String(d.labels[k]),
      }))
      .filter((x) => x.score >= 0.5);
    const svg = Buffer.from(st.detectionsSvg(S * Z, S * Z, dets));
    return sharp(png)
      .composite([{ input: svg }])
      .png()
      .toBuffer();
  }),
);
const grid = await sharp({
  create: { width: S * Z * 4 + 5 * 4, height: S * Z * 2 + 3 * 4, channels: 3, background: '#ffffff' },
})
  .composite(
    tiles.map((t, i) => ({
      input: t,
      left: 4 + (i % 4) * (S * Z + 4),
      top: 4 + Math.floor(i / 4) * (S * Z + 4),
    })),
  )
  .png()
  .toBuffer();
writeFileAtomic(`${OUT}/yolo-mnist-examples.png`, grid);

const cpu = cpus();
const md = `# YOLO on MNIST detection canvases

Written by \`scripts/results/yolo-mnist.ts\` (${new Date().toISOString()}).

- Task: 64x64 canvases with 1-3 MNIST digits pasted at random positions and sizes (20-40 px),
  10 classes; ${trainCount} training canvases from MNIST's training digits, ${testCount} held-out
  canvases from MNIST's test digits (\`st.loadMnistDetection\`, seeded).
- Model: \`yoloTiny\` (3 conv/BN/leaky/max-pool stages, 2 neck convs, 1x1 head; stride 8, an 8x8
  grid), head ${head}${head === 'v2' ? ` with ${model.anchors.length} k-means anchors ${JSON.stringify(model.anchors.map((a) => a.map((v) => +v.toFixed(2))))} (grid cells)` : ''},
  ${model.net.numParameters()} parameters; Adam (lr ${lr}, cosine decay), batch 32, ${epochs} epochs.
- Evaluation: decode, score >= 0.05, per-class NMS at IoU 0.45.

| metric | value |
| --- | --- |
| **VOC mAP@0.5 (held-out canvases)** | **${(100 * voc.map).toFixed(2)}%** |
| COCO mAP@[.5:.95] | ${(100 * coco.map).toFixed(2)}% |
| COCO mAP@0.75 | ${(100 * coco.map75).toFixed(2)}% |
| training time | ${trainSeconds.toFixed(0)} s |

Per-class AP@0.5: ${voc.ap.map((v, c) => `${c}: ${v.toFixed(3)}`).join(', ')}.

| epoch | mean loss | seconds |
| --- | --- | --- |
${log.join('\n')}

Machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}, backend \`${st.backend()}\`;
load average ${load0.toFixed(1)} when training started (shared with other jobs, so times are noisy).

![precision-recall curves](yolo-mnist-pr.png)

![example detections](yolo-mnist-examples.png)
`;
writeFileAtomic(`${OUT}/yolo-mnist-detection.md`, md);
console.log(`wrote ${OUT}/yolo-mnist-detection.md`);
