#!/usr/bin/env node
// Row L1: does the image-folder pipeline keep up with the training step it feeds? Images/s of
// `DataLoader(imageFolderDataset(...), { numWorkers })` (JPEG decode with sharp, resize to 96x96,
// randomCrop + horizontal flip + normalize given as transform specs, batch 32) with 0 and 2 worker
// threads, against images/s of two training steps at the same input size and batch: fine-tuning
// MobileNetV2 (st.pretrained 'mobilenet_v2', top 2 blocks unfrozen, linear head, Adam) and a small
// CNN from scratch (2 conv + BN, the scratch model of results/transfer-fashion-mnist.md, at 96x96).
// The photos are real (Debian python3-skimage and darknet), cut into 640x480 JPEGs. Writes
// bench/LOADER-RESULTS.md and .json.
//
//   node --import tsx bench/loader-throughput.mjs [--images 256] [--steps 4]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import * as st from '../src/node.ts';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const IMAGES = arg('images', 256);
const STEPS = arg('steps', 4);
const BATCH = 32;
const SIZE = 96;
const PHOTOS = [
  '/usr/lib/python3/dist-packages/skimage/data/chelsea.png',
  '/usr/lib/python3/dist-packages/skimage/data/coffee.png',
  '/usr/share/darknet/data/giraffe.jpg',
  '/usr/share/darknet/data/dog.jpg',
];
const missing = PHOTOS.filter((p) => !existsSync(p));
if (missing.length > 0) {
  console.error(
    `[loader bench] needs the photos of Debian python3-skimage and darknet; missing ${missing.join(', ')}`,
  );
  process.exit(1);
}

// ---- a folder of IMAGES 640x480 JPEGs: shifted, mirrored crops of the photos, one class per photo ----
const root = mkdtempSync(join(tmpdir(), 'stride-loader-bench-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
for (let i = 0; i < IMAGES; i++) {
  const photo = PHOTOS[i % PHOTOS.length];
  const dir = join(root, `class${i % PHOTOS.length}`);
  mkdirSync(dir, { recursive: true });
  const bytes = readFileSync(photo);
  const { width, height } = await sharp(bytes).metadata();
  const f = 0.7 + (0.3 * ((i * 37) % 11)) / 10;
  const w = Math.round(width * f);
  const h = Math.round(height * f);
  let img = sharp(bytes)
    .removeAlpha()
    .extract({ left: (i * 13) % (width - w + 1), top: (i * 7) % (height - h + 1), width: w, height: h })
    .resize(640, 480, { fit: 'fill' });
  if (i % 2) img = img.flop();
  writeFileSync(join(dir, `${i}.jpg`), await img.jpeg({ quality: 90 }).toBuffer());
}

const TRANSFORM = [
  { name: 'randomCrop', size: SIZE, padding: 8, paddingMode: 'edge' },
  { name: 'randomHorizontalFlip' },
  { name: 'normalize', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
];

/** Images/s of one epoch over the folder (after a warm-up epoch that starts the workers). */
async function loaderRate(numWorkers) {
  const ds = st.imageFolderDataset(root, { size: SIZE + 16 });
  const loader = new st.DataLoader(ds, {
    batchSize: BATCH,
    shuffle: true,
    seed: 1,
    transform: TRANSFORM,
    numWorkers,
  });
  try {
    for await (const _ of loader); // warm-up
    const t = performance.now();
    let n = 0;
    for await (const b of loader) n += b.x.shape[0];
    return (n / (performance.now() - t)) * 1000;
  } finally {
    await loader.close();
  }
}

/** Images/s of `STEPS` training steps (forward, cross-entropy, backward, Adam) after one warm-up step. */
function stepRate(forward, params) {
  const opt = new st.Adam(params, { lr: 1e-4 });
  const x = st.randn([BATCH, 3, SIZE, SIZE]);
  const y = new st.Tensor(
    Float32Array.from({ length: BATCH }, (_, i) => i % 4),
    [BATCH],
  );
  const step = () => {
    opt.zeroGrad();
    st.crossEntropy(forward(x), y).backward();
    opt.step();
  };
  step();
  const t = performance.now();
  for (let s = 0; s < STEPS; s++) step();
  return ((STEPS * BATCH) / (performance.now() - t)) * 1000;
}

const loader0 = await loaderRate(0);
const loader2 = await loaderRate(2);

st.manualSeed(0);
const backbone = st.pretrained.load('mobilenet_v2', { pooling: 'avg' });
st.unfreezeTopBlocks(backbone, st.pretrained.blocks(backbone), 2);
backbone.train();
const head = new st.Linear(1280, 4);
const fineTune = stepRate(
  (x) => head.forward(backbone.forward(x)),
  [...backbone.parameters().filter((p) => p.requiresGrad), ...head.parameters()],
);
const cnn = new st.Sequential(
  new st.Conv2d(3, 32, 3, { padding: 1 }),
  new st.BatchNorm2d(32),
  new st.ReLU(),
  new st.MaxPool2d(2),
  new st.Conv2d(32, 64, 3, { padding: 1 }),
  new st.BatchNorm2d(64),
  new st.ReLU(),
  new st.MaxPool2d(2),
  new st.Flatten(),
  new st.Linear(64 * (SIZE / 4) * (SIZE / 4), 4),
);
cnn.train();
const scratch = stepRate((x) => cnn.forward(x), cnn.parameters());

const rows = [
  ['MobileNetV2 fine-tune (top 2 blocks + head)', fineTune],
  ['small CNN from scratch (2 conv + BN)', scratch],
];
const f = (v) => v.toFixed(1);
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}`;
const json = {
  images: IMAGES,
  batch: BATCH,
  size: SIZE,
  transform: TRANSFORM,
  loader: { numWorkers0: loader0, numWorkers2: loader2 },
  steps: Object.fromEntries(rows),
  backend: st.backend(),
  machine,
};
const md = `# L1: image-folder pipeline against the training step it feeds

Written by \`bench/loader-throughput.mjs\` (\`npm run bench\`, or \`node --import tsx bench/loader-throughput.mjs\`).
${IMAGES} JPEGs of 640x480 (crops of real photos from Debian python3-skimage and darknet) in 4 class folders,
read by \`DataLoader(imageFolderDataset(root, { size: ${SIZE + 16} }), { batchSize: ${BATCH}, shuffle: true, transform })\`
with transform specs ${TRANSFORM.map((t) => t.name).join(' + ')} (${SIZE}x${SIZE} crops): decode, resize and augment.
The steps are forward + cross-entropy + backward + Adam on a ${BATCH}x3x${SIZE}x${SIZE} batch, ${json.backend} backend.
Measured in one run on ${machine} (shared machine: compare the ratios, not the absolute rates).

| training step | step images/s | loader images/s, numWorkers 0 | ratio | loader images/s, numWorkers 2 | ratio |
|---|---|---|---|---|---|
${rows.map(([name, r]) => `| ${name} | ${f(r)} | ${f(loader0)} | ${(loader0 / r).toFixed(1)}x | ${f(loader2)} | ${(loader2 / r).toFixed(1)}x |`).join('\n')}

A ratio of 2x or more means the loader is never the bottleneck of that step (the goal).
`;
for (const [file, text] of [
  ['LOADER-RESULTS.md', md],
  ['LOADER-RESULTS.json', JSON.stringify(json, null, 2) + '\n'],
]) {
  const p = join(here, file);
  writeFileSync(`${p}.tmp`, text);
  renameSync(`${p}.tmp`, p);
}
console.log(md);
