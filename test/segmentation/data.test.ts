import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import * as st from '../../src/node.js';

/** Three 4x4 "digits": a full square (class 0), a bar (class 1) and a faint one (class 2, no ink > 0.5). */
function tinyDigits(): st.TensorDataset {
  const d = new Float32Array(3 * 16);
  d.fill(1, 0, 16);
  for (let i = 0; i < 4; i++) d[16 + i * 4 + 1] = 0.9;
  d.fill(0.3, 32, 48);
  return new st.TensorDataset({
    data: d,
    labels: Int32Array.from([0, 1, 2]),
    sampleShape: [1, 4, 4],
    numClasses: 3,
  });
}

describe('digit canvases', () => {
  it('label exactly the inked pixels with digit + 1, boxes tight and disjoint, same canvases for a seed', () => {
    const src = tinyDigits();
    const a = st.composeDigitCanvases(src, { count: 30, size: 12, digits: [1, 3], seed: 7 });
    const b = st.composeDigitCanvases(src, { count: 30, size: 12, digits: [1, 3], seed: 7 });
    assert.deepEqual(a.dataset.masks, b.dataset.masks);
    assert.deepEqual(a.dataset.images, b.dataset.images);
    assert.equal(a.dataset.numClasses, 4);
    assert.deepEqual(a.dataset.classNames, ['background', '0', '1', '2']);
    let digits = 0;
    for (let n = 0; n < 30; n++) {
      const { image, mask } = a.dataset.get(n);
      for (let j = 0; j < 144; j++) {
        // Label is digit + 1 exactly where ink > 0.5 (the faint digit never labels, and never lands).
        assert.equal(mask.data[j]! > 0, image.data[j]! > 0.5, `canvas ${n} pixel ${j}`);
      }
      const boxes = a.boxes[n]!;
      digits += boxes.length;
      for (const bx of boxes) {
        assert.notEqual(bx.digit, 2);
        // The square fills its 4x4 box, the bar is one column 4 high.
        const [w, h] = bx.digit === 0 ? [4, 4] : [1, 4];
        assert.deepEqual([bx.x2 - bx.x1 + 1, bx.y2 - bx.y1 + 1], [w, h]);
        for (let y = bx.y1; y <= bx.y2; y++)
          for (let x = bx.x1; x <= bx.x2; x++) assert.equal(mask.data[y * 12 + x], bx.digit + 1);
        for (const o of boxes) {
          if (o !== bx)
            assert.ok(bx.x2 < o.x1 || o.x2 < bx.x1 || bx.y2 < o.y1 || o.y2 < bx.y1, 'boxes overlap');
        }
      }
    }
    assert.ok(digits > 20);
    const c = st.composeDigitCanvases(src, { count: 30, size: 12, seed: 8 });
    assert.notDeepEqual(c.dataset.masks, a.dataset.masks);
  });

  it('MNIST canvases come from MNIST’s own split', () => {
    const train = st.loadMnistSegmentation({ split: 'train', count: 20, size: 48, limit: 2000 });
    const test = st.loadMnistSegmentation({ split: 'test', count: 20, size: 48, limit: 2000 });
    assert.deepEqual(train.dataset.imageShape, [1, 48, 48]);
    assert.equal(train.dataset.numClasses, 11);
    const mnistTest = st.loadMnist({ split: 'test', limit: 2000 });
    for (const bx of test.boxes.flat()) assert.equal(bx.digit, mnistTest.labels[bx.source]);
    const mnistTrain = st.loadMnist({ split: 'train', limit: 2000 });
    for (const bx of train.boxes.flat()) assert.equal(bx.digit, mnistTrain.labels[bx.source]);
  });

  it('batches stack images [B, 1, H, W] and masks [B, H, W]', () => {
    const { dataset } = st.composeDigitCanvases(tinyDigits(), { count: 5, size: 8, seed: 1 });
    const batches = [...dataset.batches({ batchSize: 2 })];
    assert.deepEqual(
      batches.map((b) => [b.x.shape, b.y.shape]),
      [
        [
          [2, 1, 8, 8],
          [2, 8, 8],
        ],
        [
          [2, 1, 8, 8],
          [2, 8, 8],
        ],
        [
          [1, 1, 8, 8],
          [1, 8, 8],
        ],
      ],
    );
    assert.deepEqual([...batches[1]!.y.data.slice(0, 64)], [...dataset.masks.slice(128, 192)]);
  });

  it('rejects masks of the wrong size and labels outside the classes', () => {
    assert.throws(
      () =>
        new st.SegmentationDataset({
          images: new Float32Array(32),
          masks: new Uint8Array(15),
          imageShape: [1, 4, 4],
          numClasses: 2,
        }),
      /one 4x4 label map per image \(2 images\): expected 32 labels, got 15/,
    );
    const masks = new Uint8Array(16);
    masks[6] = 3;
    assert.throws(
      () =>
        new st.SegmentationDataset({
          images: new Float32Array(16),
          masks,
          imageShape: [1, 4, 4],
          numClasses: 3,
        }),
      /mask 0 has label 3 at row 1, column 2: expected a class in \[0, 3\)/,
    );
  });
});

describe('paired augmentation', () => {
  // An image whose value at each pixel is its mask label / 10: any geometric mismatch shows.
  function pair(): st.ImageMaskPair {
    const m = st.tensor(
      Array.from({ length: 48 }, (_, i) => (i * 7) % 5),
      [1, 6, 8],
    );
    return { image: st.mul(m, st.tensor(0.1)), mask: m };
  }
  const ops: [string, st.PairedTransform][] = [
    ['flip', st.pairedHorizontalFlip({ p: 0.5 })],
    ['vflip', st.pairedVerticalFlip()],
    ['crop', st.pairedRandomCrop([4, 5], { padding: 2 })],
    [
      'affine',
      st.pairedRandomAffine({
        degrees: 30,
        translate: [0.2, 0.2],
        scale: [0.8, 1.2],
        interpolation: 'nearest',
      }),
    ],
  ];
  for (const [name, t] of ops) {
    it(`${name}: image and mask move together`, () => {
      const rng = new st.Rng(3);
      for (let k = 0; k < 10; k++) {
        const out = t(pair(), rng);
        for (let j = 0; j < out.mask.size; j++)
          assert.ok(Math.abs(out.image.data[j]! * 10 - out.mask.data[j]!) < 1e-5, `${name} #${k} pixel ${j}`);
      }
    });
  }

  it('bilinear image warps keep the mask’s labels whole, filling outside with maskFill', () => {
    const t = st.pairedRandomAffine({ degrees: 40, translate: [0.3, 0.3], maskFill: 255 });
    const out = t(pair(), new st.Rng(1));
    assert.ok(out.mask.data.every((v) => Number.isInteger(v) && (v < 5 || v === 255)));
    assert.ok(out.mask.data.includes(255));
  });

  it('a mask of another size is an error', () => {
    assert.throws(
      () => st.pairedHorizontalFlip()({ image: st.zeros([3, 6, 8]), mask: st.zeros([1, 6, 7]) }),
      /the mask must be \[1, H, W\] with the image’s H and W: expected \[1, 6, 8\], got \[1, 6, 7\]/,
    );
  });
});

describe('segmentation folders (image + mask PNG pairs)', () => {
  const root = mkdtempSync(join(tmpdir(), 'stride-segfolder-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  async function writeSet(dir: string, maskW: number, label: number, colour = false): Promise<void> {
    mkdirSync(join(dir, 'images'), { recursive: true });
    mkdirSync(join(dir, 'masks'), { recursive: true });
    const img = Buffer.alloc(8 * 6 * 3, 0);
    for (let i = 0; i < 48; i++) img[i * 3] = i * 5;
    await sharp(img, { raw: { width: 8, height: 6, channels: 3 } })
      .png()
      .toFile(join(dir, 'images', 'a.png'));
    const ch = colour ? 3 : 1;
    const m = Buffer.alloc(maskW * 6 * ch, 0);
    for (let x = 0; x < maskW; x++)
      for (let c = 0; c < ch; c++) m[(2 * maskW + x) * ch + c] = colour ? [255, 0, 0][c]! : label;
    await sharp(m, { raw: { width: maskW, height: 6, channels: ch } })
      .png()
      .toFile(join(dir, 'masks', 'a.png'));
  }

  it('reads grey label masks and colour masks through a palette', async () => {
    await writeSet(join(root, 'ok'), 8, 2);
    const ds = await st.loadSegmentationFolder(join(root, 'ok'), { numClasses: 3, size: [6, 8] });
    assert.equal(ds.length, 1);
    const { image, mask } = ds.get(0);
    assert.deepEqual(image.shape, [3, 6, 8]);
    assert.ok(Math.abs(image.data[9]! - 45 / 255) < 1e-6);
    assert.deepEqual(
      [...mask.data.slice(8, 24)],
      [...new Array<number>(8).fill(0), ...new Array<number>(8).fill(2)],
    );
    await writeSet(join(root, 'colour'), 8, 0, true);
    const pal = await st.loadSegmentationFolder(join(root, 'colour'), {
      numClasses: 2,
      size: [6, 8],
      palette: [
        [0, 0, 0],
        [255, 0, 0],
      ],
    });
    assert.equal(pal.get(0).mask.data[16], 1);
  });

  it('names the file for a mask of the wrong size or a label outside the classes', async () => {
    await writeSet(join(root, 'size'), 7, 1);
    await assert.rejects(
      st.loadSegmentationFolder(join(root, 'size'), { numClasses: 3, size: 8 }),
      /masks\/a\.png.*is 7x6 but its image is 8x6/,
    );
    await writeSet(join(root, 'label'), 8, 9);
    await assert.rejects(
      st.loadSegmentationFolder(join(root, 'label'), { numClasses: 3, size: [6, 8] }),
      /has label 9 at row 2, column 0 \(after resizing\), outside the classes \[0, 3\)/,
    );
  });
});
