// Node-only: reads the gzip IDX files of Debian's `dataset-fashion-mnist` (or a given folder).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataFileError } from './data-file-error.js';
import type { TensorDataset } from './dataset.js';
import { loadIdxImages } from './idx-dataset.js';
import { checkSplit, type DatasetSplit } from './mnist.js';

/** Where Debian's package `dataset-fashion-mnist` installs the files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** The ten Fashion-MNIST classes, in label order. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** `train` (60,000 images, the default) or `test` (10,000). */
  split?: DatasetSplit;
  /** Keep only the first `limit` images. */
  limit?: number;
  /**
   * The folder holding `train-images-idx3-ubyte(.gz)` and the other three files (default: where
   * Debian's `dataset-fashion-mnist` puts them, /usr/share/datasets/fashion-mnist).
   */
  path?: string;
}

/**
 * Fashion-MNIST (Xiao et al. 2017): 28x28 gray images of clothing in ten classes, in MNIST's IDX
 * format: `[N, 1, 28, 28]` float32 in [0, 1], labels 0..9 ({@link FASHION_MNIST_CLASSES}).
 * Reads the files from `path`, or from Debian's package `dataset-fashion-mnist`
 * (`apt-get install dataset-fashion-mnist`); plain and `.gz` files are both accepted.
 */
export function loadFashionMnist(opts: FashionMnistOptions = {}): TensorDataset {
  const op = 'loadFashionMnist';
  const split = opts.split ?? 'train';
  checkSplit(op, split);
  const dir = opts.path ?? FASHION_MNIST_DEBIAN_DIR;
  const fix =
    opts.path === undefined
      ? "install Debian's package dataset-fashion-mnist (`apt-get install dataset-fashion-mnist`) or pass {path} to a folder holding the four IDX files"
      : 'pass {path} to the folder holding train-images-idx3-ubyte.gz and the other three IDX files';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DataFileError(op, dir, 'Fashion-MNIST folder not found', fix);
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const find = (name: string): string => {
    for (const candidate of [name, `${name}.gz`])
      if (existsSync(join(dir, candidate))) return join(dir, candidate);
    throw new DataFileError(op, join(dir, `${name}.gz`), `file not found (nor without .gz)`, fix);
  };
  return loadIdxImages({
    images: find(`${prefix}-images-idx3-ubyte`),
    labels: find(`${prefix}-labels-idx1-ubyte`),
    numClasses: 10,
    classNames: FASHION_MNIST_CLASSES,
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    op,
    missingFix: fix,
  });
}
