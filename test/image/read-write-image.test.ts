import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import {
  DataFileError,
  IMAGE_FILE_PROBLEMS,
  ShapeError,
  ValueError,
  imageToTensor,
  tensor,
  tensorToImage,
  type Tensor,
} from '../../src/index.js';
import { readImage, writeImage } from '../../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'stride-image-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// A 2x3 RGB image, HWC bytes: pixel (i, j) = [10 + 40i + j, 100 + j, 200 - i].
const W = 3;
const H = 2;
const hwc = Uint8Array.from({ length: H * W * 3 }, (_, k) => {
  const c = k % 3;
  const p = Math.floor(k / 3);
  const i = Math.floor(p / W);
  const j = p % W;
  return c === 0 ? 10 + 40 * i + j : c === 1 ? 100 + j : 200 - i;
});
const byte = (c: number, i: number, j: number) => hwc[(i * W + j) * 3 + c]!;
let jpeg: Buffer;
/** Element (c, i, j) of a [C, H, W] tensor. */
const at = (x: Tensor, c: number, i: number, j: number) => x.data[(c * x.shape[1]! + i) * x.shape[2]! + j]!;

before(async () => {
  await sharp(Buffer.from(hwc), { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toFile(join(dir, 'a.png'));
  await sharp(Buffer.from(hwc), { raw: { width: W, height: H, channels: 3 } })
    .webp({ lossless: true })
    .toFile(join(dir, 'a.webp'));
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 10, b: 30 } } })
    .jpeg()
    .toBuffer();
  writeFileSync(join(dir, 'cut.jpg'), jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
  writeFileSync(join(dir, 'notes.png'), 'this is not an image');
});

test('readImage: PNG and lossless WebP decode to [3, H, W] in [0, 1], pixel for pixel', async () => {
  for (const f of ['a.png', 'a.webp']) {
    const x = await readImage(join(dir, f));
    assert.deepEqual(x.shape, [3, H, W]);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++)
          assert.ok(Math.abs(at(x, c, i, j) - byte(c, i, j) / 255) < 1e-6, `${f} ${c},${i},${j}`);
  }
});

test('readImage: gray is the ITU-R 601 luma, 4 channels add an opaque alpha, bytes read like files', async () => {
  const g = await readImage(join(dir, 'a.png'), { channels: 1 });
  assert.deepEqual(g.shape, [1, H, W]);
  const luma = (0.299 * byte(0, 1, 2) + 0.587 * byte(1, 1, 2) + 0.114 * byte(2, 1, 2)) / 255;
  assert.ok(Math.abs(at(g, 0, 1, 2) - luma) < 1e-6);
  const a = await readImage(join(dir, 'a.png'), { channels: 4 });
  assert.deepEqual(a.shape, [4, H, W]);
  assert.equal(at(a, 3, 0, 0), 1);
  const { readFileSync } = await import('node:fs');
  const fromBytes = await readImage(readFileSync(join(dir, 'a.png')));
  assert.deepEqual([...fromBytes.data], [...(await readImage(join(dir, 'a.png'))).data]);
});

test('readImage: size resizes (a solid colour stays that colour)', async () => {
  const x = await readImage(jpeg, { size: [5, 7] });
  assert.deepEqual(x.shape, [3, 5, 7]);
  // JPEG's colour rounding moves values by a few levels at most.
  assert.ok(Math.abs(at(x, 0, 2, 3) - 200 / 255) < 4 / 255);
  assert.ok(Math.abs(at(x, 2, 4, 6) - 30 / 255) < 4 / 255);
});

test('readImage: missing file, non-image bytes and a truncated JPEG give stable reasons naming the file', async () => {
  const missing = join(dir, 'nope.png');
  await assert.rejects(readImage(missing), (e: unknown) => {
    assert.ok(e instanceof DataFileError);
    assert.equal(e.file, missing);
    assert.ok(e.message.includes(IMAGE_FILE_PROBLEMS.missing));
    return true;
  });
  await assert.rejects(readImage(join(dir, 'notes.png')), (e: unknown) => {
    assert.ok(e instanceof DataFileError && e.message.includes(IMAGE_FILE_PROBLEMS.notAnImage));
    assert.ok(e.message.includes('notes.png'));
    return true;
  });
  await assert.rejects(readImage(join(dir, 'cut.jpg')), (e: unknown) => {
    assert.ok(e instanceof DataFileError && e.message.includes(IMAGE_FILE_PROBLEMS.truncatedJpeg), String(e));
    return true;
  });
  await assert.rejects(readImage(new Uint8Array(0), { name: 'upload' }), /upload: the file is empty/);
  await assert.rejects(readImage(join(dir, 'a.png'), { channels: 2 }), /unsupported channels 2/);
  await assert.rejects(readImage(join(dir, 'a.png'), { sise: 4 } as never), /unknown option 'sise'/);
});

test('tensorToImage: [0, 1] and [0, 255] tensors round and clamp to bytes; bad channel counts are refused', () => {
  const unit = tensorToImage(
    tensor([
      [
        [0, 0.5],
        [1, -0.2],
      ],
    ]),
  );
  assert.deepEqual([...unit.data], [0, 128, 255, 0]);
  assert.equal(unit.channels, 1);
  const bytes = tensorToImage(
    tensor([
      [
        [
          [0, 127.6],
          [255, 300],
        ],
      ],
    ]),
  );
  assert.deepEqual([...bytes.data], [0, 128, 255, 255]);
  assert.throws(() => tensorToImage(tensor([[[0]], [[0]]])), ShapeError);
  assert.throws(() => tensorToImage(tensor([[[Number.NaN]]])), ValueError);
});

test('imageToTensor: HWC bytes to CHW floats; an ImageData-like object has 4 channels', () => {
  const x = imageToTensor({ data: hwc, width: W, height: H, channels: 3 });
  assert.deepEqual(x.shape, [3, H, W]);
  assert.equal(at(x, 1, 1, 2), Math.fround(byte(1, 1, 2) / 255));
  const rgba = new Uint8ClampedArray([255, 0, 0, 128]);
  const y = imageToTensor({ data: rgba, width: 1, height: 1 } as never, { channels: 3 });
  assert.deepEqual([...y.data], [1, 0, 0]);
  assert.throws(
    () => imageToTensor({ data: hwc, width: W, height: H, channels: 5 }),
    /unsupported channel count 5/,
  );
});

test('writeImage: PNG and lossless round trips are exact, JPEG close; the format comes from the extension', async () => {
  const x = await readImage(join(dir, 'a.png'));
  await writeImage(join(dir, 'out', 'b.png'), x);
  assert.deepEqual([...(await readImage(join(dir, 'out', 'b.png'))).data], [...x.data]);
  await writeImage(join(dir, 'out', 'b.webp'), tensorToImage(x));
  const meta = await sharp(join(dir, 'out', 'b.webp')).metadata();
  assert.equal(meta.format, 'webp');
  await writeImage(join(dir, 'out', 'c.jpg'), await readImage(jpeg), { quality: 95 });
  assert.equal((await sharp(join(dir, 'out', 'c.jpg')).metadata()).format, 'jpeg');
  await assert.rejects(writeImage(join(dir, 'out', 'd.gif'), x), /'.gif' names no image format/);
  // Written through a temporary name and renamed: nothing else is left behind.
  assert.deepEqual(readdirSync(join(dir, 'out')).sort(), ['b.png', 'b.webp', 'c.jpg']);
});
