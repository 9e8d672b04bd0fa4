import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import * as st from '../../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'stride-preprocess-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tiny = () => new st.Sequential(new st.Flatten(), new st.Linear(6, 2, { rng: new st.Rng(0) }));

test('preprocess applies the model card: size, colour order, scale, per-channel mean/std (hand-worked)', async () => {
  const model = tiny();
  model.preprocessing = { size: [1, 2], colorOrder: 'bgr', scale: 1, mean: [10, 20, 30], std: [2, 4, 5] };
  // One row of two pixels, RGB bytes (100, 50, 0) and (255, 0, 20).
  const image: st.RawImage = {
    data: Uint8Array.from([100, 50, 0, 255, 0, 20]),
    width: 2,
    height: 1,
    channels: 3,
  };
  const x = await st.preprocess(model, image);
  assert.deepEqual(x.shape, [1, 3, 1, 2]);
  // Channel 0 is blue, then green, then red; x = (byte * 1 - mean) / std.
  const want = [(0 - 10) / 2, (20 - 10) / 2, (50 - 20) / 4, (0 - 20) / 4, (100 - 30) / 5, (255 - 30) / 5];
  [...x.data].forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4, `${i}: ${v} vs ${want[i]}`));
});

test('preprocess: defaults are the image in [0, 1]; gray models get the luma; size comes from the recorded input shape', async () => {
  const model = st.setDefaultInputShape(tiny(), [1, 2, 3]);
  const solid = await sharp({
    create: { width: 9, height: 5, channels: 3, background: { r: 255, g: 0, b: 0 } },
  })
    .png()
    .toBuffer();
  const x = await st.preprocess(model, solid);
  assert.deepEqual(x.shape, [1, 1, 2, 3]);
  for (const v of x.data) assert.ok(Math.abs(v - 0.299) < 1e-6);
  await sharp(solid).toFile(join(dir, 'red.png'));
  const batch = await st.preprocess(model, [join(dir, 'red.png'), st.zeros([3, 2, 3])]);
  assert.deepEqual(batch.shape, [2, 1, 2, 3]);
  assert.equal(batch.data[6], 0);
});

test('preprocess: cover crops and contain letterboxes to the model size', () => {
  const model = tiny();
  // A 1x4 image [0, 1, 1, 0] in one channel.
  const img = st.tensor([[[0, 1, 1, 0]]]);
  model.preprocessing = { size: [1, 2], channels: 1, fit: 'cover' };
  assert.deepEqual([...st.preprocessImage(model, img).data], [1, 1]);
  model.preprocessing = { size: [3, 4], channels: 1, fit: 'contain' };
  const boxed = st.preprocessImage(model, img);
  assert.deepEqual(boxed.shape, [1, 1, 3, 4]);
  assert.deepEqual([...boxed.data], [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
});

test('the model card is validated: unknown fields, bad sizes and mean/std lengths are refused by name', () => {
  const model = tiny();
  assert.throws(() => (model.preprocessing = { sise: [2, 2] } as never), /'preprocessing.sise'/);
  assert.throws(
    () => (model.preprocessing = { size: [0, 2] }),
    /'preprocessing.size' must be \[height, width\]/,
  );
  assert.throws(() => (model.preprocessing = { channels: 3, mean: [0.5, 0.5] }), /one per channel/);
  assert.throws(() => (model.classNames = []), /'classNames' must be a non-empty list/);
  model.classNames = ['cat', 'dog'];
  model.task = 'classification';
  assert.deepEqual(st.modelCard(model), { classNames: ['cat', 'dog'], task: 'classification' });
  model.classNames = undefined;
  assert.deepEqual(st.modelCard(model), { task: 'classification' });
});
