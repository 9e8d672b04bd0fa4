import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  DataLoader,
  ImageFolderError,
  Rng,
  Tensor,
  TensorDataset,
  randomCrop,
  colorJitter,
  transformFromSpecs,
  type Batch,
  type TransformSpec,
} from '../../src/index.js';
import { imageFolderDataset, loadImageFolder } from '../../src/node-data.js';
import { buildPhotoFolder, skipPhotos } from '../cli/photo-folder.js';

const root = mkdtempSync(join(tmpdir(), 'stride-loader-workers-'));
const good = join(root, 'good');
const broken = join(root, 'broken');
after(() => rmSync(root, { recursive: true, force: true }));
before(async () => {
  if (skipPhotos) return;
  await buildPhotoFolder(good, { truncated: false });
  await buildPhotoFolder(broken, { truncated: true });
});

const AUGMENT: TransformSpec[] = [
  { name: 'randomCrop', size: 40, padding: 4 },
  { name: 'randomHorizontalFlip' },
  { name: 'colorJitter', brightness: 0.3, contrast: 0.3 },
  { name: 'normalize', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
];

async function epoch(loader: DataLoader): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

test(
  'numWorkers 2 gives the same batches as numWorkers 0: order, pixels and augmentation draws',
  { skip: skipPhotos },
  async () => {
    const ds = imageFolderDataset(good, { size: 40 });
    const make = (numWorkers: number) =>
      new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 7, transform: AUGMENT, numWorkers });
    const inline = make(0);
    const workers = make(2);
    try {
      for (let e = 0; e < 2; e++) {
        const a = await epoch(inline);
        const b = await epoch(workers);
        assert.equal(a.length, 5); // 18 images in batches of 4
        assert.equal(b.length, a.length);
        a.forEach((batch, k) => {
          assert.deepEqual([...b[k]!.indices], [...batch.indices], `epoch ${e} batch ${k} order`);
          assert.deepEqual(b[k]!.x.shape, batch.x.shape);
          assert.deepEqual(b[k]!.x.data, batch.x.data, `epoch ${e} batch ${k} pixels`);
          assert.deepEqual(b[k]!.y.data, batch.y.data);
        });
        // Every image is visited once per epoch.
        if (e === 0) assert.equal(new Set(a.flatMap((x) => [...x.indices])).size, 18);
      }
    } finally {
      await workers.close();
    }
  },
);

test(
  'without a transform, batches hold the decoded images of loadImageFolder',
  { skip: skipPhotos },
  async () => {
    const whole = await loadImageFolder(good, { size: [24, 32] });
    const loader = new DataLoader(imageFolderDataset(good, { size: [24, 32] }), {
      batchSize: 5,
      numWorkers: 2,
    });
    try {
      for (const batch of await epoch(loader)) {
        assert.deepEqual(batch.x.shape.slice(1), [3, 24, 32]);
        batch.indices.forEach((item, i) => {
          const s = 3 * 24 * 32;
          assert.deepEqual(
            batch.x.data.subarray(i * s, (i + 1) * s),
            whole.data.subarray(item * s, (item + 1) * s),
          );
          assert.equal(batch.y.data[i], whole.labels[item]);
        });
      }
    } finally {
      await loader.close();
    }
  },
);

for (const numWorkers of [0, 2]) {
  test(
    `a truncated JPEG fails the run naming its path (numWorkers ${numWorkers})`,
    { skip: skipPhotos },
    async () => {
      const loader = new DataLoader(imageFolderDataset(broken, { size: 32 }), { batchSize: 8, numWorkers });
      try {
        await assert.rejects(epoch(loader), (e: unknown) => {
          assert.ok(e instanceof ImageFolderError, `got ${String(e)}`);
          assert.deepEqual(
            e.badImages.map((b) => b.file),
            [join(broken, 'cat', 'truncated.jpg')],
          );
          assert.match(e.message, /truncated\.jpg/);
          assert.match(e.badImages[0]!.problem, /truncated/i);
          return true;
        });
      } finally {
        await loader.close();
      }
    },
  );

  test(
    `badImages: 'skip' leaves a truncated JPEG out and reports its path (numWorkers ${numWorkers})`,
    { skip: skipPhotos },
    async () => {
      const reported: string[] = [];
      const ds = imageFolderDataset(broken, {
        size: 32,
        badImages: 'skip',
        onSkip: (bad) => reported.push(`${bad.file}: ${bad.problem}`),
      });
      const loader = new DataLoader(ds, {
        batchSize: 8,
        numWorkers,
        transform: [{ name: 'randomHorizontalFlip' }],
      });
      try {
        const batches = await epoch(loader);
        const items = batches.flatMap((b) => [...b.indices]);
        const bad = ds.files.indexOf(join(broken, 'cat', 'truncated.jpg'));
        assert.ok(bad >= 0);
        assert.equal(items.length, ds.length - 1);
        assert.ok(!items.includes(bad));
        assert.equal(
          batches.reduce((n, b) => n + b.x.shape[0]!, 0),
          ds.length - 1,
        );
        assert.equal(reported.length, 1);
        assert.match(reported[0]!, /cat[/\\]truncated\.jpg: .*truncated/i);
        await epoch(loader); // reported once, not once per epoch
        assert.equal(reported.length, 1);
      } finally {
        await loader.close();
      }
    },
  );
}

test('a transform spec builds the same transform as the function of that name', () => {
  const x = new Tensor(
    Float32Array.from({ length: 3 * 9 * 9 }, (_, i) => (i % 17) / 17),
    [3, 9, 9],
  );
  const bySpec = transformFromSpecs([
    { name: 'randomCrop', size: 7, padding: 2 },
    { name: 'colorJitter', brightness: 0.5 },
  ]);
  const byHand = (t: Tensor, r: Rng) =>
    colorJitter({ brightness: 0.5 })(randomCrop(7, { padding: 2 })(t, r), r);
  for (let seed = 1; seed < 5; seed++)
    assert.deepEqual(bySpec(x, new Rng(seed)).data, byHand(x, new Rng(seed)).data);
  assert.throws(
    () => transformFromSpecs([{ name: 'rotate90' } as unknown as TransformSpec]),
    /spec 0 has name "rotate90"; expected one of/,
  );
});

test(
  'numWorkers is refused with a function transform, an in-memory dataset, or sync iteration',
  { skip: skipPhotos },
  () => {
    const ds = imageFolderDataset(good, { size: 16 });
    assert.throws(
      () => new DataLoader(ds, { numWorkers: 2, transform: (t) => t }),
      /with numWorkers, the transform must be given as specs/,
    );
    const mem = new TensorDataset({
      data: new Float32Array(4),
      labels: Int32Array.from([0, 1]),
      sampleShape: [2],
    });
    assert.throws(
      () => new DataLoader(mem, { numWorkers: 1 }),
      /numWorkers applies to datasets read from files/,
    );
    assert.throws(() => [...new DataLoader(ds, {})], /decoded asynchronously.*for await/);
    assert.throws(
      () => new DataLoader(ds, { numWorkers: -1 }),
      /numWorkers must be a non-negative integer, got -1/,
    );
  },
);
