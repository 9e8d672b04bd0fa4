import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DataLoader,
  ShapeError,
  Subset,
  Tensor,
  TensorDataset,
  hflip,
  randomCrop,
  type Batch,
  type Dataset,
  type Sample,
} from '../../src/index.js';

/** n items of shape [1, 2, 2] whose four values are all the item's index; label = index % 3. */
function indexed(n: number): TensorDataset {
  const data = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) data.fill(i, i * 4, i * 4 + 4);
  return new TensorDataset({
    data,
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    sampleShape: [1, 2, 2],
  });
}

/** The item indices of each batch, read back from the values. */
const itemsOf = (b: Batch): number[] => Array.from({ length: b.x.shape[0]! }, (_, i) => b.x.data[i * 4]!);
const epoch = (l: DataLoader): number[][] => [...l].map(itemsOf);

test('batches in order: sizes 4, 4, 2; x is [B, 1, 2, 2], y the labels; dropLast drops the short one', () => {
  const ds = indexed(10);
  const loader = new DataLoader(ds, { batchSize: 4 });
  assert.equal(loader.length, 3);
  const batches = [...loader];
  assert.deepEqual(
    batches.map((b) => b.x.shape),
    [
      [4, 1, 2, 2],
      [4, 1, 2, 2],
      [2, 1, 2, 2],
    ],
  );
  assert.deepEqual(batches.map(itemsOf), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9],
  ]);
  assert.deepEqual([...batches[0]!.y.data], [0, 1, 2, 0]);
  assert.deepEqual([...batches[2]!.indices], [8, 9]);
  const dropping = new DataLoader(ds, { batchSize: 4, dropLast: true });
  assert.equal(dropping.length, 2);
  assert.deepEqual(epoch(dropping), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
  ]);
  assert.equal(new DataLoader(ds, { batchSize: 5, dropLast: true }).length, 2);
  assert.equal(new DataLoader(ds).length, 10);
});

test('seeded shuffling: a permutation per epoch, new each epoch, the same for the same seed', () => {
  const ds = indexed(12);
  const a = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 7 });
  const b = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 7 });
  const e1 = epoch(a).flat();
  const e2 = epoch(a).flat();
  assert.deepEqual(
    [...e1].sort((x, y) => x - y),
    [...Array(12).keys()],
  );
  assert.deepEqual(
    [...e2].sort((x, y) => x - y),
    [...Array(12).keys()],
  );
  assert.notDeepEqual(e1, e2, 'each epoch draws a new order');
  assert.notDeepEqual(e1, [...Array(12).keys()], 'shuffled');
  assert.deepEqual(epoch(b).flat(), e1, 'same seed, same first epoch');
  assert.deepEqual(epoch(b).flat(), e2, 'same seed, same second epoch');
  assert.notDeepEqual(epoch(new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 8 })).flat(), e1);
  // Labels travel with their items.
  for (const batch of new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 3 })) {
    itemsOf(batch).forEach((item, i) => assert.equal(batch.y.data[i], item % 3));
  }
});

test('the async iterator yields the same batches as the synchronous one, transforms included', async () => {
  const ds = indexed(9);
  for (let i = 0; i < 9; i++) ds.data[i * 4 + 1] = 100 + i; // make flips and crops visible
  const opts = { batchSize: 4, shuffle: true, seed: 11, transform: randomCrop(2, { padding: 1 }) };
  const sync = new DataLoader(ds, opts);
  const asyncLoader = new DataLoader(ds, opts);
  for (let e = 0; e < 2; e++) {
    const expected = [...sync].map((b) => [...b.x.data]);
    const got: number[][] = [];
    for await (const b of asyncLoader) got.push([...b.x.data]);
    assert.deepEqual(got, expected, `epoch ${e}`);
  }
});

test('the async iterator prepares the next batch while the current one is in use', async () => {
  const base = indexed(8);
  let reads = 0;
  const counting: Dataset<Sample> = {
    length: base.length,
    get: (i) => {
      reads++;
      return base.get(i);
    },
  };
  const loader = new DataLoader(counting, { batchSize: 2, prefetch: 2 });
  const seen: number[] = [];
  for await (const b of loader) {
    seen.push(reads);
    await new Promise((r) => setImmediate(r)); // the "training step" yields to the event loop
    assert.ok(
      reads >= Math.min(8, b.indices[1]! + 1 + 2 * 2),
      `after batch ${b.indices[0]! / 2}: ${reads} reads`,
    );
  }
  assert.equal(reads, 8);
  assert.deepEqual(seen.slice(0, 1), [2]);
});

test('breaking out of an async epoch leaves no failure behind and the next epoch is whole', async () => {
  const loader = new DataLoader(indexed(10), { batchSize: 2, prefetch: 3 });
  for await (const b of loader) {
    assert.deepEqual([...b.indices], [0, 1]);
    break;
  }
  await new Promise((r) => setTimeout(r, 5));
  const all: number[] = [];
  for await (const b of loader) all.push(...b.indices);
  assert.deepEqual(all, [...Array(10).keys()]);
});

test('per-sample transforms run on the fly; views and plain datasets batch like tensor datasets', () => {
  const data = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const ds = new TensorDataset({ data, labels: Int32Array.from([0, 1]), sampleShape: [1, 2, 3] });
  const [b] = [...new DataLoader(ds, { batchSize: 2, transform: (x) => hflip(x) })];
  assert.deepEqual([...b!.x.data], [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]);
  assert.deepEqual([...ds.data], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'the dataset is untouched');

  const big = indexed(10);
  const view = new Subset(new Subset(big, [9, 7, 5, 3, 1]), [4, 0, 2]);
  assert.deepEqual(epoch(new DataLoader(view, { batchSize: 2 })), [[1, 9], [5]]);
  const plain: Dataset<Sample> = { length: 3, get: (i) => big.get(i * 2) };
  assert.deepEqual(epoch(new DataLoader(plain, { batchSize: 3 })), [[0, 2, 4]]);
});

test('samples of different shapes in one batch, and bad options, are refused', () => {
  const ragged: Dataset<Sample> = {
    length: 2,
    get: (i) => ({ x: new Tensor(new Float32Array(i + 1), [i + 1]), y: 0 }),
  };
  assert.throws(
    () => [...new DataLoader(ragged, { batchSize: 2 })],
    (e: unknown) => e instanceof ShapeError && /sample 1/.test(e.message),
  );
  assert.throws(
    () => new DataLoader(indexed(2), { batchSize: 0 }),
    /batchSize must be a positive integer, got 0/,
  );
  assert.throws(
    () => new DataLoader(indexed(2), { prefetch: -1 }),
    /prefetch must be a non-negative integer/,
  );
});
