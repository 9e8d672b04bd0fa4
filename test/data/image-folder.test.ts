import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { DataFileError, IMAGE_FILE_PROBLEMS, ImageFolderError } from '../../src/index.js';
import { loadImageFolder } from '../../src/node-data.js';

const root = mkdtempSync(join(tmpdir(), 'stride-imgfolder-'));
after(() => rmSync(root, { recursive: true, force: true }));

// A 2x3 RGB image with distinct values, HWC bytes: pixel (i, j) = [10 + 40i + j, 100 + j, 200 - i].
const W = 3;
const H = 2;
const hwc = Uint8Array.from({ length: H * W * 3 }, (_, k) => {
  const c = k % 3;
  const p = Math.floor(k / 3);
  const i = Math.floor(p / W);
  const j = p % W;
  return c === 0 ? 10 + 40 * i + j : c === 1 ? 100 + j : 200 - i;
});

const solid = (w: number, h: number, rgb: [number, number, number]) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });

before(async () => {
  for (const cls of ['cat', 'dog', 'ant']) mkdirSync(join(root, 'good', cls), { recursive: true });
  await sharp(Buffer.from(hwc), { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toFile(join(root, 'good', 'ant', 'a.png'));
  await solid(8, 8, [255, 0, 0])
    .jpeg({ quality: 95 })
    .toFile(join(root, 'good', 'cat', 'red.jpg'));
  await solid(5, 7, [0, 0, 255])
    .png()
    .toFile(join(root, 'good', 'cat', 'blue.PNG'));
  // A gray PNG with an alpha channel, and a file that is not an image and is skipped.
  await sharp({
    create: { width: 3, height: 2, channels: 4, background: { r: 128, g: 128, b: 128, alpha: 0.5 } },
  })
    .png()
    .toFile(join(root, 'good', 'dog', 'gray.png'));
  writeFileSync(join(root, 'good', 'dog', 'notes.txt'), 'not an image');
  mkdirSync(join(root, 'bad', 'x'), { recursive: true });
  await solid(2, 2, [0, 255, 0])
    .png()
    .toFile(join(root, 'bad', 'x', 'ok.png'));
  writeFileSync(join(root, 'bad', 'x', 'broken.jpg'), Buffer.from('this is not a JPEG at all'));
  mkdirSync(join(root, 'empty-class', 'y'), { recursive: true });
});

test('one class per sub-folder, sorted; PNG pixels land in CHW order in [0, 1]', async () => {
  const ds = await loadImageFolder(join(root, 'good'), { size: [H, W] });
  assert.deepEqual(ds.classNames, ['ant', 'cat', 'dog']);
  assert.deepEqual(ds.shape, [4, 3, H, W]);
  // Files sorted within a class: ant/a.png, cat/blue.PNG, cat/red.jpg, dog/gray.png.
  assert.deepEqual([...ds.labels], [0, 1, 1, 2]);
  const first = ds.get(0).x;
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        assert.equal(
          first.data[c * H * W + i * W + j],
          Math.fround(hwc[(i * W + j) * 3 + c]! / 255),
          `c${c} i${i} j${j}`,
        );
  const blue = ds.get(1).x.data;
  assert.deepEqual([blue[0], blue[6], blue[12]], [0, 0, 1]);
  const red = ds.get(2).x.data; // JPEG is lossy: close to pure red after resizing 8x8 -> 2x3
  assert.ok(
    red[0]! > 0.95 && red[6]! < 0.05 && red[12]! < 0.05,
    `red pixel ${red[0]}, ${red[6]}, ${red[12]}`,
  );
  const gray = ds.get(3).x.data; // alpha dropped
  assert.deepEqual([gray[0], gray[6], gray[12]], [128 / 255, 128 / 255, 128 / 255].map(Math.fround));
});

test('gray mode gives one channel; the size option resizes', async () => {
  const ds = await loadImageFolder(join(root, 'good'), { size: 4, channels: 'gray' });
  assert.deepEqual(ds.shape, [4, 1, 4, 4]);
  const blue = ds.get(1).x.data[0]!;
  assert.ok(Math.abs(blue - 0.114) < 1e-6, `luma of pure blue (PIL's weights) is 0.114, got ${blue}`);
  // A gray pixel keeps its level (up to one step of rounding when sharp resizes with alpha).
  assert.ok(Math.abs(ds.get(3).x.data[5]! - 128 / 255) <= 1 / 255 + 1e-6, 'gray level');
});

test('an image that does not decode is refused, naming the file and the reason', async () => {
  const file = join(root, 'bad', 'x', 'broken.jpg');
  await assert.rejects(
    loadImageFolder(join(root, 'bad'), { size: 2 }),
    (e: unknown) =>
      e instanceof ImageFolderError &&
      e instanceof DataFileError &&
      e.file === file &&
      e.message.includes(`broken.jpg: ${IMAGE_FILE_PROBLEMS.notAnImage}`),
  );
});

test('every bad image is reported (path and reason), a truncated JPEG with a stable reason; WebP decodes', async () => {
  const dir = join(root, 'many');
  mkdirSync(join(dir, 'a'), { recursive: true });
  mkdirSync(join(dir, 'b'), { recursive: true });
  const jpeg = await solid(16, 16, [10, 200, 30]).jpeg().toBuffer();
  writeFileSync(join(dir, 'a', 'cut.jpg'), jpeg.subarray(0, jpeg.length >> 1));
  writeFileSync(join(dir, 'a', 'text.png'), 'not a png');
  await solid(4, 4, [0, 0, 255])
    .webp({ lossless: true })
    .toFile(join(dir, 'b', 'blue.webp'));
  writeFileSync(join(dir, 'b', 'empty.jpeg'), '');
  await assert.rejects(loadImageFolder(dir, { size: 2 }), (e: unknown) => {
    assert.ok(e instanceof ImageFolderError);
    assert.equal(e.file, dir);
    assert.deepEqual(e.badImages, [
      { file: join(dir, 'a', 'cut.jpg'), problem: IMAGE_FILE_PROBLEMS.truncatedJpeg },
      { file: join(dir, 'a', 'text.png'), problem: IMAGE_FILE_PROBLEMS.notAnImage },
      { file: join(dir, 'b', 'empty.jpeg'), problem: IMAGE_FILE_PROBLEMS.empty },
    ]);
    assert.match(e.message, /3 images do not decode/);
    for (const b of e.badImages) assert.ok(e.message.includes(`${b.file}: ${b.problem}`));
    return true;
  });
  rmSync(join(dir, 'a'), { recursive: true });
  rmSync(join(dir, 'b', 'empty.jpeg'));
  const ds = await loadImageFolder(dir, { size: 2 });
  assert.deepEqual([...ds.get(0).x.data], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(ds.preprocessing, {
    size: [2, 2],
    channels: 3,
    colorOrder: 'rgb',
    scale: 1 / 255,
    fit: 'fill',
  });
});

test('a missing root, a root without class folders and an empty class folder are refused', async () => {
  await assert.rejects(loadImageFolder(join(root, 'nowhere'), { size: 2 }), /nowhere: folder not found/);
  await assert.rejects(loadImageFolder(join(root, 'good', 'cat'), { size: 2 }), /holds no class sub-folders/);
  await assert.rejects(
    loadImageFolder(join(root, 'empty-class'), { size: 2 }),
    /empty-class\/y: class folder holds no images/,
  );
});
