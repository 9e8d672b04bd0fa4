import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Subset,
  Tensor,
  TensorDataset,
  channelMeanStd,
  labelsOf,
  normalize,
  randomSplit,
  trainValidationSplit,
  type Dataset,
  type Sample,
} from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

/** 100 one-value items; value = index; classes 0, 1, 2 hold 50, 30 and 20 items. */
function imbalanced(): TensorDataset {
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 50 ? 0 : i < 80 ? 1 : 2));
  return new TensorDataset({
    data: Float32Array.from({ length: 100 }, (_, i) => i),
    labels,
    sampleShape: [1],
  });
}

const count = (labels: Int32Array, c: number): number => labels.filter((l) => l === c).length;

test('trainValidationSplit: disjoint parts covering everything, sizes 80/20, seeded', () => {
  const ds = imbalanced();
  const { train, validation } = trainValidationSplit(ds, 0.2, { seed: 1 });
  assert.equal(train.length, 80);
  assert.equal(validation.length, 20);
  const all = [...train.indices, ...validation.indices].sort((a, b) => a - b);
  assert.deepEqual(all, [...Array(100).keys()]);
  const again = trainValidationSplit(ds, 0.2, { seed: 1 });
  assert.deepEqual([...again.validation.indices], [...validation.indices]);
  assert.notDeepEqual(
    [...trainValidationSplit(ds, 0.2, { seed: 2 }).validation.indices],
    [...validation.indices],
  );
  // Views read through to the dataset.
  const i = validation.indices[0]!;
  assert.equal(validation.get(0).x.data[0], i);
  assert.equal(validation.get(0).y, ds.labels[i]);
});

test('a stratified split keeps the class proportions 50:30:20 in both parts', () => {
  const ds = imbalanced();
  for (const seed of [1, 2, 3]) {
    const { train, validation } = trainValidationSplit(ds, 0.2, { seed, stratified: true });
    const v = labelsOf(validation);
    const t = labelsOf(train);
    assert.deepEqual([count(v, 0), count(v, 1), count(v, 2)], [10, 6, 4]);
    assert.deepEqual([count(t, 0), count(t, 1), count(t, 2)], [40, 24, 16]);
  }
  // Three parts: 70/20/10 of each class.
  const [a, b, c] = randomSplit(ds, [0.7, 0.2, 0.1], { seed: 5, stratified: true });
  assert.deepEqual(
    [0, 1, 2].map((k) => count(labelsOf(a!), k)),
    [35, 21, 14],
  );
  assert.deepEqual(
    [0, 1, 2].map((k) => count(labelsOf(b!), k)),
    [10, 6, 4],
  );
  assert.deepEqual(
    [0, 1, 2].map((k) => count(labelsOf(c!), k)),
    [5, 3, 2],
  );
});

test('bad split fractions are refused', () => {
  assert.throws(() => randomSplit(imbalanced(), [0.5, 0.4]), /fractions must be non-negative and sum to 1/);
  assert.throws(() => trainValidationSplit(imbalanced(), 1), /validationFraction must be in \[0, 1\)/);
});

test('channelMeanStd by hand: per channel over items and pixels, population std', () => {
  // Two items of shape [2, 1, 2]: channel 0 holds 1, 3 | 5, 7; channel 1 holds 10, 10 | 10, 10.
  const ds = new TensorDataset({
    data: Float32Array.from([1, 3, 10, 10, 5, 7, 10, 10]),
    labels: Int32Array.from([0, 1]),
    sampleShape: [2, 1, 2],
  });
  const s = channelMeanStd(ds);
  assertClose(s.mean, [4, 10], { atol: 1e-12 });
  assertClose(s.std, [Math.sqrt(5), 0], { atol: 1e-12 }); // deviations -3, -1, 1, 3: variance 20/4
  // A plain Dataset gives the same numbers through get().
  const plain: Dataset<Sample> = { length: 2, get: (i) => ds.get(i) };
  assert.deepEqual(channelMeanStd(plain), s);
});

test('statistics come from the training split only and normalize with them', () => {
  // Values 0, 2, 4 in training and 100 held out: mean 2, std sqrt(8/3) (all four: mean 26.5).
  const ds = new TensorDataset({
    data: Float32Array.from([0, 2, 4, 100]),
    labels: Int32Array.from([0, 1, 0, 1]),
    sampleShape: [1, 1, 1],
  });
  const train = new Subset(ds, [0, 1, 2]);
  const stats = channelMeanStd(train);
  assertClose(stats.mean, [2], { atol: 1e-12 });
  assertClose(stats.std, [Math.sqrt(8 / 3)], { atol: 1e-12 });
  assertClose(channelMeanStd(ds).mean, [26.5], { atol: 1e-12 });
  const t = normalize(stats);
  assertClose(t(new Tensor(Float32Array.from([100]), [1, 1, 1])), [98 / Math.sqrt(8 / 3)], { atol: 1e-4 });
});

test('normalize: (x - mean[c]) / std[c] per channel; bad statistics are refused', () => {
  const t = normalize({ mean: [1, 10], std: [2, 5] });
  const x = new Tensor(Float32Array.from([1, 3, 5, 10, 15, 20]), [2, 1, 3]);
  assert.deepEqual([...t(x).data], [0, 1, 2, 0, 1, 2]);
  assert.deepEqual(t(x).shape, [2, 1, 3]);
  assert.throws(() => normalize({ mean: [0], std: [0] }), /std of channel 0 is 0/);
  assert.throws(() => t(new Tensor(new Float32Array(3), [3, 1, 1])), /statistics do not match the channels/);
});

test('TensorDataset refuses labels out of range and data that does not fill the shape', () => {
  assert.throws(
    () =>
      new TensorDataset({
        data: new Float32Array(2),
        labels: Int32Array.from([0, 7]),
        sampleShape: [1],
        numClasses: 3,
      }),
    /label 7 of item 1 in in-memory data is out of range: expected a class index in \[0, 3\)/,
  );
  assert.throws(
    () => new TensorDataset({ data: new Float32Array(5), labels: Int32Array.from([0, 1]), sampleShape: [2] }),
    /expected 4 values, got 5 values/,
  );
});
