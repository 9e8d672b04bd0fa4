/**
 * Example pictures of st.viz for the README (docs/img/viz-*.png): a LeNet-5 trained here for two
 * epochs on MNIST (filters, activations for a digit, saliency, Grad-CAM, training charts), and the
 * ImageNet-pretrained MobileNetV2 inside the npm package nsfwjs, imported with Stride's TF.js
 * importer and used as a backbone only (its own classification head is never used or shown):
 * Grad-CAM and SmoothGrad of its most active late channel, activations, activation
 * maximization and deep dream on skimage sample photos, plus the decks' edge filters.
 *
 *   nice npx tsx scripts/examples/viz-examples.ts
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as st from '../../src/node.js';

const OUT = 'docs/img';
const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
mkdirSync(OUT, { recursive: true });
const t0 = performance.now();
const log: string[] = [];
const say = (s: string) => {
  const line = `- [${((performance.now() - t0) / 1000).toFixed(0)} s] ${s}`;
  log.push(line);
  console.log(line);
};
const grey3 = (t: st.Tensor) => st.concat([t, t, t], 1); // [N, 1, H, W] -> [N, 3, H, W]

// ---- LeNet-5 on MNIST ----
st.manualSeed(0);
const trainSet = st.loadMnist({ split: 'train', limit: 12000 });
const testSet = st.loadMnist({ split: 'test', limit: 1000 });
const stats = st.channelMeanStd(trainSet);
const train = st.normalizeDataset(trainSet, stats);
const test = st.normalizeDataset(testSet, stats);
const lenet = st.models.lenet5({ variant: 'modern', numClasses: 10, inChannels: 1 });
const history = await lenet.fit(train, {
  optimizer: new st.Adam(lenet.parameters(), { lr: 0.002 }),
  epochs: 3,
  batchSize: 64,
  seed: 0,
  validationData: test,
  verbose: 0,
});
const logits = lenet.predict(test);
const labels = st.tensor(Array.from(testSet.labels));
say(`LeNet-5 trained: test accuracy ${(st.accuracy(logits, labels) * 100).toFixed(2)}%`);
const cm = st.confusionMatrix(logits, labels, 10);
// The charts stride train writes next to its checkpoint (st.viz.writeTrainingPlots), drawn here directly.
const charts = [
  await st.viz.saveChart(
    st.viz.historyChart(history, { title: 'LeNet-5 on MNIST (12,000 images)' }),
    join(OUT, 'viz-lenet5-history.png'),
  ),
  await st.viz.saveChart(st.viz.confusionChart(cm), join(OUT, 'viz-lenet5-confusion.png')),
];
say(`charts: ${charts.join(', ')}`);

await st.viz.savePng(st.viz.filters(lenet, 'conv1'), join(OUT, 'viz-lenet5-filters-conv1.png'), {
  scale: 12,
});
await st.viz.savePng(st.viz.filters(lenet, 'conv2'), join(OUT, 'viz-lenet5-filters-conv2.png'), { scale: 5 });

// One test digit per class 0..5: the digit, its saliency (max |gradient|), Grad-CAM of relu2 over it.
const rows: st.Tensor[] = [];
for (let digit = 0; digit < 6; digit++) {
  const i = Array.from(testSet.labels).findIndex((l) => l === digit);
  const x = test.get(i).x.unsqueeze(0);
  const raw = testSet.get(i).x.unsqueeze(0);
  if (digit === 3) {
    const acts = st.viz.activations(lenet, x, ['relu1', 'relu2']);
    await st.viz.savePng(acts['relu1']!.grid, join(OUT, 'viz-lenet5-activations-relu1.png'), { scale: 4 });
    await st.viz.savePng(acts['relu2']!.grid, join(OUT, 'viz-lenet5-activations-relu2.png'), { scale: 6 });
  }
  const sal = st.viz.scaleEachToUnit(st.viz.saliency(lenet, x));
  const cam = st.viz.gradCam(lenet, x, { layer: 'relu2' });
  rows.push(grey3(raw), st.viz.colormap(sal, 'viridis'), st.viz.overlayHeatmap(raw, cam, { alpha: 0.45 }));
}
await st.viz.savePng(
  st.viz.tileGrid(st.concat(rows, 0), { columns: 6, normalize: 'none', padding: 2 }),
  join(OUT, 'viz-lenet5-saliency-gradcam.png'),
  { scale: 4 },
);
say('LeNet-5 pictures written');

// ---- MobileNetV2 (ImageNet-pretrained, from nsfwjs) as a backbone ----
const require = createRequire(import.meta.url);
let nsfwjsDir: string | null = null;
try {
  nsfwjsDir = join(dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2');
} catch {
  nsfwjsDir = null;
}
if (!nsfwjsDir || !existsSync(join(SKIMAGE, 'chelsea.png'))) {
  say('nsfwjs or the skimage photos are missing: MobileNetV2 pictures skipped');
} else {
  const json = require(join(nsfwjsDir, 'model.min.js')) as unknown;
  const shard = require(join(nsfwjsDir, 'group1-shard1of1.min.js')) as string;
  const backbone = st.importTfjs(json, new Uint8Array(Buffer.from(shard, 'base64')), {
    file: 'nsfwjs/mobilenet_v2',
  });
  // Scores = spatial means of the last convolution's 1280 channels; the head is never used.
  const channels = new st.viz.ChannelScores(backbone, 'out_relu');
  const size = 224;
  const photos = ['chelsea.png', 'astronaut.png', 'coffee.png'];
  const panel: st.Tensor[] = [];
  for (const name of photos) {
    const img = (await st.readImage(join(SKIMAGE, name), { size: [size, size] })).unsqueeze(0); // nsfwjs feeds pixels / 255
    const scores = st.noGrad(() => channels.eval().forward(img));
    const top = st.argmax(scores, 1).data[0]!;
    const cam = st.viz.gradCam(channels, img, { layer: 'model.block_13_expand_relu' });
    const sal = st.viz.saliency(channels, img, { smooth: { samples: 8, sigma: 0.1, seed: 0 } });
    panel.push(
      img,
      st.viz.overlayHeatmap(img, cam, { alpha: 0.5 }),
      st.viz.colormap(st.viz.scaleEachToUnit(sal).clamp(0, 0.5).mul(2), 'viridis'),
    );
    say(`${name}: top out_relu channel ${top}`);
    if (name === 'chelsea.png') {
      const acts = st.viz.activations(backbone, img, ['Conv1_relu'], { maxChannels: 32 });
      await st.viz.savePng(acts['Conv1_relu']!.grid, join(OUT, 'viz-mobilenetv2-activations-conv1.png'), {
        palette: true,
      });
      await st.viz.savePng(
        st.viz.filters(backbone, 'Conv1'),
        join(OUT, 'viz-mobilenetv2-filters-conv1.png'),
        { scale: 8 },
      );
      // The imported graph declares a fixed 224x224 input, so the dream runs at one octave.
      const dream = st.viz.deepDream(backbone, img, {
        layers: ['block_6_expand_relu'],
        octaves: 1,
        steps: 20,
        lr: 0.02,
        range: [0, 1],
      });
      await st.viz.savePng(st.concat([img, dream], 3), join(OUT, 'viz-mobilenetv2-dream.png'), {
        palette: true,
      });
      say('deep dream written');
    }
  }
  await st.viz.savePng(
    st.viz.tileGrid(st.concat(panel, 0), { columns: 3, normalize: 'none', padding: 3 }),
    join(OUT, 'viz-mobilenetv2-gradcam-saliency.png'),
    { palette: true },
  );

  // Activation maximization of a few channels of a middle block, from grey noise (at the graph's 224x224).
  const maxed: st.Tensor[] = [];
  for (const channel of [3, 17, 42, 64]) {
    const r = st.viz.maximize(backbone, {
      layer: 'block_8_expand_relu',
      channel,
      size: 224,
      channels: 3,
      steps: 40,
      lr: 0.02,
      jitter: 4,
      blur: 0.6,
      l2: 0,
      range: [0, 1],
      seed: channel,
    });
    say(
      `maximize block_8_expand_relu channel ${channel}: mean activation ${r.activation.start.toFixed(3)} -> ${r.activation.end.toFixed(3)}`,
    );
    maxed.push(r.image);
  }
  await st.viz.savePng(
    st.viz.tileGrid(st.concat(maxed, 0), { columns: 4, padding: 3 }),
    join(OUT, 'viz-mobilenetv2-maximize.png'),
    { palette: true },
  );
}

// ---- The decks' edge filters on camera.png ----
if (existsSync(join(SKIMAGE, 'camera.png'))) {
  const camera = (
    await st.readImage(join(SKIMAGE, 'camera.png'), { channels: 1, size: [256, 256] })
  ).unsqueeze(0);
  const { maps, magnitude } = st.viz.edges(camera);
  const sorted = Float32Array.from(magnitude.data).sort();
  const white = sorted[Math.floor(0.99 * (sorted.length - 1))]!;
  const tiles = st.concat([maps.relu(), magnitude], 1).reshape([9, 1, 256, 256]).div(white);
  await st.viz.savePng(
    st.viz.tileGrid(tiles, { columns: 3, normalize: 'none', padding: 3 }),
    join(OUT, 'viz-edges-camera.png'),
    { palette: true },
  );
}
say('done');
const wall = (performance.now() - t0) / 1000;
const { cpus } = await import('node:os');
writeFileSync(
  join(OUT, 'viz-examples.md'),
  `# st.viz example pictures\n\nWritten by \`nice npx tsx scripts/examples/viz-examples.ts\` in ${wall.toFixed(0)} s on ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'} (backend ${st.backend()}, a shared machine: times are rough).\n\n${log.join('\n')}\n`,
);
