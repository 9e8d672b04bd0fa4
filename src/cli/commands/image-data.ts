import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../../node.js';
import { UsageError, type OptionSpec } from '../args.js';

/** The named datasets `--data` accepts besides a folder. */
export const DATASET_NAMES = ['mnist', 'fashion-mnist'] as const;

/** The options that limit or locate the named datasets (`train`, `train --pretrained`, `evaluate`). */
export const namedDatasetOptions = {
  'train-limit': {
    type: 'int',
    help: 'use only the first N training images of mnist / fashion-mnist',
    min: 1,
  },
  'test-limit': { type: 'int', help: 'use only the first N test images of mnist / fashion-mnist', min: 1 },
  'fashion-mnist-path': {
    type: 'string',
    valueName: 'DIR',
    help: 'folder with the Fashion-MNIST IDX files (default: Debian dataset-fashion-mnist)',
  },
} satisfies Record<string, OptionSpec>;

/** The run directory a training run writes by default: `runs/<prefix>-<last part of data>`. */
export function defaultRunDir(prefix: string, data: string): string {
  return join(
    'runs',
    `${prefix}-${data
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop()}`,
  );
}

/** Images with labels, pixel values in [0, 1], and where they came from. */
export interface LabelledImages {
  /** `mnist`, `fashion-mnist` or the folder's path. */
  name: string;
  /** The training split of a named dataset, or every image of a folder. */
  train: st.TensorDataset;
  /** The test split of a named dataset; null for a folder. */
  test: st.TensorDataset | null;
}

/** How {@link loadLabelledImages} reads its data. */
export interface ImageDataOptions {
  /** Side of the square images a folder is resized to. */
  size: number;
  /** Colour of a folder's images. */
  channels: 'rgb' | 'gray';
  /** Which splits of a named dataset are needed. */
  splits: readonly ('train' | 'test')[];
  /** Keep only the first N training images of a named dataset. */
  trainLimit?: number | undefined;
  /** Keep only the first N test images of a named dataset. */
  testLimit?: number | undefined;
  /** Folder of the Fashion-MNIST IDX files. */
  fashionMnistPath?: string | undefined;
}

/** Whether `data` names a dataset rather than a folder. */
export function isDatasetName(data: string): data is (typeof DATASET_NAMES)[number] {
  return (DATASET_NAMES as readonly string[]).includes(data);
}

/** The per-image input shape `data` yields: 1x28x28 for the named datasets, else from the options. */
export function imageShape(data: string, size: number, channels: 'rgb' | 'gray'): [number, number, number] {
  return isDatasetName(data) ? [1, 28, 28] : [channels === 'rgb' ? 3 : 1, size, size];
}

/**
 * Read `--data`: MNIST or Fashion-MNIST by name (28x28 gray, their own train/test splits), or a
 * folder with one sub-folder of images per class, resized to `size` x `size`.
 */
export async function loadLabelledImages(data: string, opts: ImageDataOptions): Promise<LabelledImages> {
  if (isDatasetName(data)) {
    const load = (split: 'train' | 'test', limit: number | undefined): st.TensorDataset => {
      const o = { split, ...(limit !== undefined ? { limit } : {}) };
      return data === 'mnist'
        ? st.loadMnist(o)
        : st.loadFashionMnist({ ...o, ...(opts.fashionMnistPath ? { path: opts.fashionMnistPath } : {}) });
    };
    const train = opts.splits.includes('train') ? load('train', opts.trainLimit) : null;
    const test = opts.splits.includes('test') ? load('test', opts.testLimit) : null;
    return { name: data, train: (train ?? test)!, test };
  }
  if (!existsSync(data)) {
    throw new UsageError(
      `--data '${data}' is neither a folder nor a dataset name (${DATASET_NAMES.join(', ')})`,
    );
  }
  const train = await st.loadImageFolder(data, { size: [opts.size, opts.size], channels: opts.channels });
  return { name: data, train, test: null };
}
