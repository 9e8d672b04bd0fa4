import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import * as st from '../../src/node.js';

/** Three 4x4 glyphs: a full square (class 0), a bar (class 1) and a faint one (class 2, no ink > 0.5). */
function tinyGlyphs(): { glyphs: Float32Array; labels: number[] } {
  const d = new Float32Array(3 * 16);
  d.fill(1, 0, 16);
  for (let i = 0; i < 4; i++) d[16 + i * 4 + 1] = 0.9;
  d.fill(0.3, 32, 48);
  return { glyphs: d, labels: [0, 1, 2] };
}

describe('segmentation canvases', () => {
  it('label exactly the inked pixels with class + 1, as a SegmentationDataset', () => {
    const { glyphs, labels } = tinyGlyphs();
    const opts = { count: 30, canvasSize: 12, glyphSize: [4, 4] as const, inkThreshold: 0.5, seed: 7 };
    const canvases = st.digitCanvases(glyphs, labels, 4, opts);
    const ds = st.canvasSegmentation(canvases, ['a', 'b', 'c']);
    assert.equal(ds.numClasses, 4);
    assert.deepEqual(ds.classNames, ['background', 'a', 'b', 'c']);
    assert.equal(ds.length, 30);
    let objects = 0;
    for (let n = 0; n < 30; n++) {
      const { image, mask } = ds.get(n);
      for (let j = 0; j < 144; j++)
        assert.equal(mask.data[j]! > 0, image.data[j]! > 0.5, `canvas ${n} pixel ${j}`);
      for (const [k, b] of canvases[n]!.boxes.entries()) {
        objects++;
        const cls = canvases[n]!.labels[k]!;
        assert.notEqual(cls, 2, 'the faint glyph has no ink to label');
        // Inside each tight box, some pixel carries the object's label.
        let found = false;
        for (let y = b[1]; y < b[3]; y++)
          for (let x = b[0]; x < b[2]; x++) found ||= mask.data[y * 12 + x] === cls + 1;
        assert.ok(found);
      }
    }
    assert.ok(objects > 20);
    // Same seed, same canvases.
    assert.deepEqual(
      st.canvasSegmentation(st.digitCanvases(glyphs, labels, 4, opts), ['a', 'b', 'c']).masks,
      ds.masks,
    );
  });

  it('MNIST canvases come from MNIST’s own split', () => {
    const train = st.loadMnistSegmentation({ split: 'train', count: 20, digits: 2000 });
    const test = st.loadMnistSegmentation({ split: 'test', count: 20, digits: 2000 });
    assert.deepEqual(train.dataset.imageShape, [1, 48, 48]);
    assert.equal(train.dataset.numClasses, 11);
    // Each pasted digit (28x28, unscaled) is found, by its inked patch, among its own split's digits.
    const patches = (set: st.TensorDataset): Set<string> => {
      const out = new Set<string>();
      for (let i = 0; i < set.length; i++) {
        const d = set.data.subarray(i * 784, (i + 1) * 784);
        let [x1, y1, x2, y2] = [28, 28, 0, 0];
        d.forEach((v, j) => {
          if (v > 0.5)
            [x1, y1, x2, y2] = [
              Math.min(x1, j % 28),
              Math.min(y1, Math.floor(j / 28)),
              Math.max(x2, (j % 28) + 1),
              Math.max(y2, Math.floor(j / 28) + 1),
            ];
        });
        const rows: string[] = [];
        for (let y = y1; y < y2; y++)
          rows.push(Array.from(d.subarray(y * 28 + x1, y * 28 + x2), (v) => (v > 0.5 ? 1 : 0)).join(''));
        out.add(rows.join('/'));
      }
      return out;
    };
    const found = (set: Set<string>, canvases: typeof test.canvases): number => {
      let hit = 0;
      let all = 0;
      for (const c of canvases) {
        for (const [x1, y1, x2, y2] of c.boxes) {
          const rows: string[] = [];
          for (let y = y1; y < y2; y++)
            rows.push(
              Array.from(c.image.subarray(y * 48 + x1, y * 48 + x2), (v) => (v > 0.5 ? 1 : 0)).join(''),
            );
          all++;
          if (set.has(rows.join('/'))) hit++;
        }
      }
      return hit / all;
    };
    const trainPatches = patches(st.loadMnist({ split: 'train', limit: 2000 }));
    const testPatches = patches(st.loadMnist({ split: 'test', limit: 2000 }));
    // (A neighbour overlapping a box by up to 10% IoU can spoil a few patches.)
    assert.ok(found(testPatches, test.canvases) > 0.8);
    assert.ok(found(trainPatches, train.canvases) > 0.8);
    assert.ok(found(trainPatches, test.canvases) < 0.1);
    assert.notDeepEqual(train.dataset.masks, test.dataset.masks);
  });

  it('batches stack images [B, 1, H, W] and masks [B, H, W]', () => {
    const { glyphs, labels } = tinyGlyphs();
    const dataset = st.canvasSegmentation(
      st.digitCanvases(glyphs, labels, 4, { count: 5, canvasSize: 8, glyphSize: [4, 4], seed: 1 }),
      ['a', 'b', 'c'],
    );
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

  it('resizes images bilinearly (a hand-worked row) and masks by nearest neighbour', async () => {
    const dir = join(root, 'resize');
    mkdirSync(join(dir, 'images'), { recursive: true });
    mkdirSync(join(dir, 'masks'), { recursive: true });
    // A 2x1 image, red 0 then 255: bilinear to width 4 samples at x = 0 (clamped), 0.25, 0.75, 1 (clamped).
    await sharp(Buffer.from([0, 0, 0, 255, 0, 0]), { raw: { width: 2, height: 1, channels: 3 } })
      .png()
      .toFile(join(dir, 'images', 'a.png'));
    await sharp(Buffer.from([1, 2]), { raw: { width: 2, height: 1, channels: 1 } })
      .png()
      .toFile(join(dir, 'masks', 'a.png'));
    const ds = await st.loadSegmentationFolder(dir, { numClasses: 3, size: [1, 4] });
    const { image, mask } = ds.get(0);
    [0, 0.25, 0.75, 1].forEach((v, i) =>
      assert.ok(Math.abs(image.data[i]! - v) < 1e-6, `red at column ${i}`),
    );
    assert.deepEqual([...mask.data], [1, 1, 2, 2]);
  });

  it('keeps only the labels of the source mask when it shrinks or grows it', async () => {
    const dir = join(root, 'labels');
    mkdirSync(join(dir, 'images'), { recursive: true });
    mkdirSync(join(dir, 'masks'), { recursive: true });
    const w = 37;
    const h = 29;
    const rng = new st.Rng(3);
    // Labels 0, 3 and 7 in single pixels and thin stripes: blending or averaging would create others.
    const source = [0, 3, 7];
    const m = Buffer.alloc(w * h);
    for (let i = 0; i < w * h; i++) m[i] = source[Math.floor(rng.uniform() * 3)]!;
    await sharp(Buffer.alloc(w * h * 3, 128), { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toFile(join(dir, 'images', 'a.png'));
    await sharp(m, { raw: { width: w, height: h, channels: 1 } })
      .png()
      .toFile(join(dir, 'masks', 'a.png'));
    for (const size of [
      [8, 6],
      [13, 11],
      [50, 61],
      [29, 37],
    ] as const) {
      const ds = await st.loadSegmentationFolder(dir, { numClasses: 8, size });
      const seen = new Set(ds.masks);
      for (const v of seen)
        assert.ok(source.includes(v), `size ${size.join('x')}: label ${v} is not in the source mask`);
      assert.equal(seen.size, 3, `size ${size.join('x')}: every source label survives`);
    }
    // At the mask's own size nothing moves.
    const same = await st.loadSegmentationFolder(dir, { numClasses: 8, size: [h, w] });
    assert.deepEqual([...same.masks], [...m]);
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
      /masks\/a\.png.*has label 9 at row 2, column 0, outside the classes \[0, 3\)/,
    );
  });
});
