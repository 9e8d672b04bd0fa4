import { ShapeError } from '../errors.js';
import { ImageFileError } from '../image/image-file-error.js';
import { Rng } from '../tensor/random.js';
import { sizeOf } from '../tensor/shape.js';
import type { Transform } from './augment/transform.js';
import type { AsyncDataset } from './async-dataset.js';
import type { Sample } from './dataset.js';
import { ImageFolderError, type BadImage } from './image-folder-error.js';

/**
 * A batch as plain arrays (what a worker thread sends back): inputs back to back, the shape of
 * one input, labels, the dataset items kept, and the items left out because they did not decode.
 */
export interface BatchArrays {
  x: Float32Array;
  sampleShape: readonly number[];
  y: Float32Array;
  indices: Int32Array;
  skipped: BadImage[];
}

/**
 * The seed of batch `k`'s transform generator in an epoch whose transform seed is `epochSeed`:
 * each batch has its own generator, so batches do not depend on which thread makes them or in
 * which order.
 */
export function batchSeed(epochSeed: number, k: number): number {
  return (Math.imul(epochSeed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(k + 1, 0x9e3779b9)) >>> 0;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Transform samples in order with one generator seeded by `seed` and stack them. Throws a
 * ShapeError when a (transformed) sample's shape differs from the first one's.
 */
export function transformAndStack(
  samples: readonly Sample[],
  indices: Int32Array,
  transform: Transform | undefined,
  seed: number,
): Omit<BatchArrays, 'skipped'> {
  const rng = new Rng(seed);
  const b = samples.length;
  const y = new Float32Array(b);
  let x: Float32Array | null = null;
  let shape: readonly number[] = [];
  samples.forEach((sample, i) => {
    const input = transform ? transform(sample.x, rng) : sample.x;
    if (x === null) {
      shape = input.shape;
      x = new Float32Array(b * sizeOf(shape));
    } else if (!sameShape(shape, input.shape)) {
      throw new ShapeError(
        'DataLoader',
        `sample ${indices[i]} does not have the shape of the batch's first sample`,
        shape,
        input.shape,
        'make every (transformed) sample the same size, e.g. with resizeImage or randomResizedCrop',
      );
    }
    x.set(input.data, i * input.size);
    y[i] = sample.y;
  });
  return { x: x ?? new Float32Array(0), sampleShape: shape, y, indices };
}

/**
 * Read items `indices` of an asynchronous dataset (all at once), then transform and stack them
 * in order: the same arrays on the main thread and in a worker. Items that do not decode are left
 * out and listed under `skipped` when the dataset's policy is `skip`; with `fail`, an
 * `ImageFolderError` lists every bad file of the batch.
 */
export async function loadBatchArrays(
  dataset: AsyncDataset,
  indices: Int32Array,
  transform: Transform | undefined,
  seed: number,
): Promise<BatchArrays> {
  const read = await Promise.all(
    Array.from(indices, (i) =>
      dataset.getAsync(i).then(
        (s): Sample | BadImage => s,
        (e: unknown): BadImage => {
          if (e instanceof ImageFileError) return { file: e.file, problem: e.problem };
          throw e;
        },
      ),
    ),
  );
  const skipped = read.filter((r): r is BadImage => 'problem' in r);
  if (skipped.length > 0 && dataset.badImages === 'fail')
    throw new ImageFolderError('DataLoader', dataset.source, skipped);
  const kept = indices.filter((_, i) => !('problem' in read[i]!));
  const samples = read.filter((r): r is Sample => !('problem' in r));
  return { ...transformAndStack(samples, kept, transform, seed), skipped };
}
