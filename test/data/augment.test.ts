import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DataLoader,
  Rng,
  ShapeError,
  Tensor,
  TensorDataset,
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  affineImage,
  centerCrop,
  colorJitter,
  colorShift,
  compose,
  cropImage,
  hflip,
  padImage,
  randomAffine,
  randomApply,
  randomCrop,
  randomErasing,
  randomHorizontalFlip,
  randomResizedCrop,
  randomRotation,
  randomTranslation,
  randomVerticalFlip,
  resizeImage,
  rotateImage,
  vflip,
  warpAffine,
  type AffineMatrix,
  type NestedArray,
  type Transform,
} from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

const img = (rows: number[][][]): Tensor =>
  new Tensor(Float32Array.from(rows.flat(2)), [rows.length, rows[0]!.length, rows[0]![0]!.length]);
const T3 = img([
  [
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
  ],
]);
const T23 = img([
  [
    [1, 2, 3],
    [4, 5, 6],
  ],
]);
const fromFixture = (f: FixtureTensor): Tensor => new Tensor(Float64Array.from(f.data), f.shape);
const values = (t: Tensor): NestedArray => t.toArray();

test('flips of a 2x3 image, by hand', () => {
  assert.deepEqual(values(hflip(T23)), [
    [
      [3, 2, 1],
      [6, 5, 4],
    ],
  ]);
  assert.deepEqual(values(vflip(T23)), [
    [
      [4, 5, 6],
      [1, 2, 3],
    ],
  ]);
  const rng = new Rng(0);
  assert.deepEqual(values(randomHorizontalFlip({ p: 1 })(T23, rng)), values(hflip(T23)));
  assert.deepEqual(values(randomVerticalFlip({ p: 1 })(T23, rng)), values(vflip(T23)));
});

test('rotations of a 3x3 image by multiples of 90 degrees move pixels exactly (counter-clockwise = np.rot90)', () => {
  assert.deepEqual(values(rotateImage(T3, 90)), [
    [
      [3, 6, 9],
      [2, 5, 8],
      [1, 4, 7],
    ],
  ]);
  assert.deepEqual(values(rotateImage(T3, -90)), [
    [
      [7, 4, 1],
      [8, 5, 2],
      [9, 6, 3],
    ],
  ]);
  assert.deepEqual(values(rotateImage(T3, 180)), [
    [
      [9, 8, 7],
      [6, 5, 4],
      [3, 2, 1],
    ],
  ]);
  assert.deepEqual(values(rotateImage(T3, 90, { interpolation: 'nearest' })), values(rotateImage(T3, 90)));
});

test('translation, shear and zoom of a 3x3 image, by hand', () => {
  // One pixel right: the first column fills with 0.
  assert.deepEqual(values(affineImage(T3, { translate: [1, 0] })), [
    [
      [0, 1, 2],
      [0, 4, 5],
      [0, 7, 8],
    ],
  ]);
  // Shear 45 degrees about the centre row: row 0 moves one pixel left, row 2 one pixel right.
  assert.deepEqual(values(affineImage(T3, { shear: [45, 0] }, { fill: -1 })), [
    [
      [2, 3, -1],
      [4, 5, 6],
      [-1, 7, 8],
    ],
  ]);
  // Zoom x2 about the centre: output (0, 0) samples input (0.5, 0.5) = mean of 1, 2, 4, 5.
  assertClose(affineImage(T3, { scale: 2 }), [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7], { atol: 1e-6 });
});

interface AugmentCase {
  kind: 'resize' | 'warp' | 'hue';
  name: string;
  x: FixtureTensor;
  y: FixtureTensor;
  size?: [number, number];
  matrix?: number[];
  shift?: number;
}

test('resize, affine warp and hue against PyTorch / colorsys fixtures', () => {
  const { cases } = loadFixture<{ cases: AugmentCase[] }>('augment');
  assert.ok(cases.length >= 10);
  for (const c of cases) {
    const x = fromFixture(c.x);
    const got =
      c.kind === 'resize'
        ? resizeImage(x, c.size!)
        : c.kind === 'warp'
          ? warpAffine(x, c.matrix as unknown as AffineMatrix)
          : adjustHue(x, c.shift!);
    assertClose(got, fromFixture(c.y), { atol: 2e-6, rtol: 1e-5, msg: c.name });
  }
});

test('padding modes on a row 1 2 3, by hand; crops and centre crops', () => {
  const row = img([[[1, 2, 3]]]);
  const pad2 = (mode: 'constant' | 'edge' | 'reflect' | 'symmetric') => [
    ...padImage(row, [2, 0], mode, 9).data,
  ];
  assert.deepEqual(pad2('constant'), [9, 9, 1, 2, 3, 9, 9]);
  assert.deepEqual(pad2('edge'), [1, 1, 1, 2, 3, 3, 3]);
  assert.deepEqual(pad2('reflect'), [3, 2, 1, 2, 3, 2, 1]);
  assert.deepEqual(pad2('symmetric'), [2, 1, 1, 2, 3, 3, 2]);
  assert.deepEqual(padImage(T23, [1, 0, 0, 2]).shape, [1, 4, 4]); // left 1, bottom 2
  assert.deepEqual(values(cropImage(T3, 1, 1, 2, 2)), [
    [
      [5, 6],
      [8, 9],
    ],
  ]);
  assert.deepEqual(values(centerCrop(1)(T3)), [[[5]]]);
  assert.throws(() => cropImage(T3, 2, 0, 2, 2), /does not fit inside the 3x3 image/);
});

test('randomCrop with padding: a seeded golden window, every window reachable, shape kept', () => {
  // The draws, in order: apply-or-not, then the top row in [0, 2], then the left column in [0, 2].
  const seed = 42;
  const r = new Rng(seed);
  r.next();
  const top = r.int(0, 3);
  const left = r.int(0, 3);
  const padded = padImage(T3, 1);
  const got = randomCrop(3, { padding: 1 })(T3, new Rng(seed));
  assert.deepEqual(values(got), values(cropImage(padded, top, left, 3, 3)));
  const seen = new Set<string>();
  const rng = new Rng(1);
  const t = randomCrop(3, { padding: 1 });
  for (let k = 0; k < 200; k++) {
    const out = t(T3, rng);
    assert.deepEqual(out.shape, [1, 3, 3]);
    seen.add(JSON.stringify(out.toArray()));
  }
  assert.equal(seen.size, 9, 'all 3x3 positions of a 5x5 padded image');
  assert.throws(() => randomCrop(4)(T3), /crop 4x4 is larger than the \(padded\) 3x3 image/);
  assert.deepEqual(randomCrop(4, { padIfNeeded: true })(T3, rng).shape, [1, 4, 4]);
});

test('randomResizedCrop: output size; whole-image scale and ratio give a plain resize', () => {
  const x = new Tensor(
    Float32Array.from({ length: 3 * 6 * 8 }, (_, i) => (i * 37) % 11),
    [3, 6, 8],
  );
  const rng = new Rng(3);
  for (let k = 0; k < 20; k++) assert.deepEqual(randomResizedCrop([4, 5])(x, rng).shape, [3, 4, 5]);
  const whole = randomResizedCrop([3, 4], { scale: [1, 1], ratio: [8 / 6, 8 / 6] })(x, rng);
  assertClose(whole, resizeImage(x, [3, 4]), { atol: 1e-6 });
});

test('colour adjustments by hand: brightness, contrast, saturation; jitter and shift', () => {
  // One RGB pixel (1, 0.5, 0) and one (0, 0, 0.5).
  const x = new Tensor(Float32Array.from([1, 0, 0.5, 0, 0, 0.5]), [3, 1, 2]);
  assertClose(adjustBrightness(x, 0.5), [0.5, 0, 0.25, 0, 0, 0.25]);
  assertClose(adjustBrightness(x, 1.5), [1, 0, 0.75, 0, 0, 0.75]); // clamped to 1
  // Luma: 0.2989 + 0.587 * 0.5 = 0.5924 and 0.114 * 0.5 = 0.057; the mean gray is 0.3247.
  assertClose(adjustContrast(x, 0), [0.3247, 0.3247, 0.3247, 0.3247, 0.3247, 0.3247]);
  assertClose(adjustSaturation(x, 0), [0.5924, 0.057, 0.5924, 0.057, 0.5924, 0.057]);
  const gray = img([[[0.2, 0.4]]]);
  assert.equal(adjustSaturation(gray, 0), gray, 'saturation leaves one-channel images as they are');
  const bright = colorJitter({ brightness: [0.5, 0.5] })(x, new Rng(0));
  assertClose(bright, adjustBrightness(x, 0.5));
  // Colour shift: one offset per channel within [-0.1, 0.1], same for every pixel.
  const mid = new Tensor(new Float32Array(3 * 2 * 2).fill(0.5), [3, 2, 2]);
  const shifted = colorShift({ shift: 0.1 })(mid, new Rng(9));
  for (let c = 0; c < 3; c++) {
    const d = shifted.data.slice(c * 4, c * 4 + 4).map((v) => v - 0.5);
    assert.ok(Math.abs(d[0]!) <= 0.1 && d.every((v) => Math.abs(v - d[0]!) < 1e-7), `channel ${c}`);
  }
});

test('randomErasing blanks one rectangle within the area range and leaves the rest', () => {
  const ones = new Tensor(new Float32Array(2 * 10 * 10).fill(1), [2, 10, 10]);
  const rng = new Rng(5);
  for (let k = 0; k < 20; k++) {
    const out = randomErasing({ p: 1, scale: [0.1, 0.2], value: [0, -1] })(ones, rng);
    const zeros: number[] = [];
    out.data.slice(0, 100).forEach((v, i) => v === 0 && zeros.push(i));
    const rows = new Set(zeros.map((i) => Math.floor(i / 10)));
    const cols = new Set(zeros.map((i) => i % 10));
    assert.equal(zeros.length, rows.size * cols.size, 'a full rectangle');
    assert.ok(zeros.length >= 6 && zeros.length <= 25, `area ${zeros.length} near 10..20 pixels`);
    assert.deepEqual(
      [...out.data.slice(100)].map((v) => v === -1),
      [...out.data.slice(0, 100)].map((v) => v === 0),
      'the second channel erased in the same place with its own value',
    );
  }
});

test('every random transform is the identity at p = 0', () => {
  const x = new Tensor(
    Float32Array.from({ length: 3 * 4 * 4 }, (_, i) => (i % 7) / 7),
    [3, 4, 4],
  );
  const transforms: [string, Transform][] = [
    ['randomHorizontalFlip', randomHorizontalFlip({ p: 0 })],
    ['randomVerticalFlip', randomVerticalFlip({ p: 0 })],
    ['randomCrop', randomCrop(4, { padding: 2, p: 0 })],
    [
      'randomAffine',
      randomAffine({ degrees: 30, translate: [0.2, 0.2], scale: [0.8, 1.2], shear: 10, p: 0 }),
    ],
    ['randomRotation', randomRotation(45, { p: 0 })],
    ['randomTranslation', randomTranslation([0.3, 0.3], { p: 0 })],
    ['colorJitter', colorJitter({ brightness: 0.5, contrast: 0.5, saturation: 0.5, hue: 0.2, p: 0 })],
    ['colorShift', colorShift({ p: 0 })],
    ['randomErasing', randomErasing({ p: 0 })],
    ['randomApply', randomApply(hflip, 0)],
  ];
  const rng = new Rng(123);
  for (const [name, t] of transforms) assert.deepEqual([...t(x, rng).data], [...x.data], name);
  assert.deepEqual(
    [...randomResizedCrop(4, { p: 0 })(x, rng).data].map((v) => Math.round(v * 1e6)),
    [...x.data].map((v) => Math.round(v * 1e6)),
    'randomResizedCrop at p = 0 resizes the whole image (here to its own size)',
  );
});

test('compose chains transforms; a seeded pipeline is reproducible and keeps labels and shapes', () => {
  assert.deepEqual(values(compose([hflip, vflip])(T3)), values(rotateImage(T3, 180)));
  const pipeline = compose([
    randomHorizontalFlip(),
    randomCrop(8, { padding: 1 }),
    randomAffine({ degrees: 15, translate: [0.1, 0.1], scale: [0.9, 1.1], shear: [-5, 5, -5, 5] }),
    colorJitter({ brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.05 }),
    colorShift({ shift: 0.05 }),
    randomErasing({ p: 0.5 }),
  ]);
  const n = 12;
  const data = Float32Array.from({ length: n * 3 * 8 * 8 }, (_, i) => ((i * 7919) % 256) / 255);
  const ds = new TensorDataset({
    data,
    labels: Int32Array.from({ length: n }, (_, i) => i % 4),
    sampleShape: [3, 8, 8],
  });
  const run = (seed: number) => [
    ...new DataLoader(ds, { batchSize: 5, shuffle: true, seed, transform: pipeline }),
  ];
  const plain = [...new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 4 })];
  const a = run(4);
  const b = run(4);
  a.forEach((batch, k) => {
    assert.deepEqual(batch.x.shape, plain[k]!.x.shape, 'shape kept');
    assert.deepEqual([...batch.y.data], [...plain[k]!.y.data], 'labels kept');
    assert.deepEqual([...batch.x.data], [...b[k]!.x.data], 'same seed, same augmented batch');
    assert.notDeepEqual([...batch.x.data], [...plain[k]!.x.data], 'augmented');
  });
});

test('augmentations refuse images that are not CHW, naming the fix', () => {
  const flat = new Tensor(new Float32Array(6), [2, 3]);
  assert.throws(
    () => hflip(flat),
    (e: unknown) =>
      e instanceof ShapeError &&
      /hflip: the image must be a CHW tensor: expected \[C, H, W\], got \[2, 3\]\. Fix: add a channel dimension/.test(
        e.message,
      ),
  );
  assert.throws(() => randomHorizontalFlip({ p: 2 }), /p must be a probability in \[0, 1\], got 2/);
  assert.throws(() => adjustHue(T3, 0.7), /hue shift must be in \[-0.5, 0.5\]/);
  assert.throws(() => warpAffine(T3, [1, 2, 0, 2, 4, 0]), /singular/);
});
