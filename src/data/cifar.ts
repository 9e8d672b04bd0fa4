// Node-only: reads CIFAR-10/100 binary files from disk.
//
// No copy of CIFAR is reachable from this project's machines (no network beyond the npm
// registry and Debian), so these readers are tested on files the tests generate in the
// documented binary layout; download the "binary version" from
// https://www.cs.toronto.edu/~kriz/cifar.html to use them on the real data.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ValueError } from '../errors.js';
import { DataFileError } from './data-file-error.js';
import { TensorDataset } from './dataset.js';
import { readDataFile } from './idx.js';
import { checkSplit, type DatasetSplit } from './mnist.js';

/** Which CIFAR binary layout: CIFAR-10 (1 label byte) or CIFAR-100 (coarse and fine label bytes). */
export type CifarVariant = 'cifar10' | 'cifar100';

/** Which CIFAR-100 label to use: the 100 fine classes or the 20 coarse superclasses. */
export type Cifar100LabelMode = 'fine' | 'coarse';

/** Options of {@link readCifarBinary}. */
export interface CifarFileOptions {
  /** The layout (default `cifar10`). */
  variant?: CifarVariant;
  /** CIFAR-100 only: `fine` (100 classes, the default) or `coarse` (20). */
  labelMode?: Cifar100LabelMode;
  /** Class names, one per class. */
  classNames?: readonly string[];
}

const IMAGE_BYTES = 3 * 32 * 32;

/**
 * Read CIFAR binary files (each record: the label byte(s), then 1024 red, 1024 green and 1024
 * blue bytes of a 32x32 image, rows top to bottom) into one `TensorDataset` of `[N, 3, 32, 32]`
 * float32 images in [0, 1]. Several files are concatenated in order. Throws a `DataFileError`
 * naming the file when it is missing, empty, not a whole number of records (truncated), or holds
 * a label out of range.
 *
 * No CIFAR data is reachable from this project's machines; the reader is tested on generated
 * files in the documented layout.
 */
export function readCifarBinary(
  files: string | readonly string[],
  opts: CifarFileOptions = {},
): TensorDataset {
  const op = 'readCifarBinary';
  const list = typeof files === 'string' ? [files] : [...files];
  const variant = opts.variant ?? 'cifar10';
  const labelMode = opts.labelMode ?? 'fine';
  if (variant !== 'cifar10' && variant !== 'cifar100') {
    throw new ValueError(op, `variant must be 'cifar10' or 'cifar100', got '${variant}'`);
  }
  if (labelMode !== 'fine' && labelMode !== 'coarse') {
    throw new ValueError(op, `labelMode must be 'fine' or 'coarse', got '${labelMode}'`);
  }
  const labelBytes = variant === 'cifar10' ? 1 : 2;
  const labelOffset = variant === 'cifar100' && labelMode === 'fine' ? 1 : 0;
  const numClasses = variant === 'cifar10' ? 10 : labelMode === 'fine' ? 100 : 20;
  const record = labelBytes + IMAGE_BYTES;
  const contents = list.map((file) => {
    const bytes = readDataFile(op, file);
    if (bytes.length === 0 || bytes.length % record !== 0) {
      throw new DataFileError(
        op,
        file,
        `${bytes.length === 0 ? 'empty' : 'truncated'}: ${bytes.length} bytes is not a whole number of ${record}-byte ${variant === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} records (${Math.floor(bytes.length / record)} complete, ${bytes.length % record} bytes left over)`,
        variant === 'cifar10'
          ? 'download the file again, or pass variant: "cifar100" for CIFAR-100 files'
          : 'download the file again, or pass variant: "cifar10" for CIFAR-10 files',
      );
    }
    return { file, bytes };
  });
  const total = contents.reduce((a, c) => a + c.bytes.length / record, 0);
  const data = new Float32Array(total * IMAGE_BYTES);
  const labels = new Int32Array(total);
  let item = 0;
  for (const { file, bytes } of contents) {
    const n = bytes.length / record;
    for (let r = 0; r < n; r++, item++) {
      const base = r * record;
      const label = bytes[base + labelOffset]!;
      if (label >= numClasses) {
        throw new DataFileError(
          op,
          file,
          `label ${label} of record ${r} is out of range: expected a class index in [0, ${numClasses})`,
          'the file is corrupt, or of the other CIFAR variant (pass variant/labelMode)',
        );
      }
      labels[item] = label;
      const px = base + labelBytes;
      const o = item * IMAGE_BYTES;
      for (let k = 0; k < IMAGE_BYTES; k++) data[o + k] = bytes[px + k]! / 255;
    }
  }
  return new TensorDataset({
    data,
    labels,
    sampleShape: [3, 32, 32],
    numClasses,
    ...(opts.classNames ? { classNames: opts.classNames } : {}),
    source: list.join(', '),
    preprocessing: { size: [32, 32], channels: 3, colorOrder: 'rgb', scale: 1 / 255 },
  });
}

/** Options of {@link loadCifar10} and {@link loadCifar100}. */
export interface CifarOptions {
  /**
   * The folder of the binary files (`cifar-10-batches-bin` / `cifar-100-binary`) or the folder
   * that holds it. Required: no copy of CIFAR ships with Stride or is reachable here.
   */
  path: string;
  /** `train` (50,000 images, the default) or `test` (10,000). */
  split?: DatasetSplit;
}

function resolveFolder(op: string, path: string, sub: string, marker: string): string {
  const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();
  if (!isDir(path)) {
    throw new DataFileError(
      op,
      path,
      'folder not found',
      `pass {path} to the extracted ${sub} folder (binary version)`,
    );
  }
  if (existsSync(join(path, marker))) return path;
  if (isDir(join(path, sub))) return join(path, sub);
  throw new DataFileError(
    op,
    path,
    `neither this folder nor ${sub}/ inside it holds ${marker}`,
    `pass {path} to the extracted ${sub} folder of the binary version`,
  );
}

function readNames(file: string): string[] | undefined {
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * CIFAR-10 from its binary files: `data_batch_1.bin` ... `data_batch_5.bin` (train, 50,000) or
 * `test_batch.bin` (10,000); class names from `batches.meta.txt` when present. Images are
 * `[N, 3, 32, 32]` float32 in [0, 1]. No CIFAR data is reachable here; pass `path` to a copy.
 */
export function loadCifar10(opts: CifarOptions): TensorDataset {
  const op = 'loadCifar10';
  const split = opts.split ?? 'train';
  checkSplit(op, split);
  const marker = split === 'train' ? 'data_batch_1.bin' : 'test_batch.bin';
  const dir = resolveFolder(op, opts.path, 'cifar-10-batches-bin', marker);
  const files =
    split === 'train'
      ? [1, 2, 3, 4, 5].map((i) => join(dir, `data_batch_${i}.bin`))
      : [join(dir, 'test_batch.bin')];
  const names = readNames(join(dir, 'batches.meta.txt'));
  return readCifarBinary(files, {
    variant: 'cifar10',
    ...(names?.length === 10 ? { classNames: names } : {}),
  });
}

/**
 * CIFAR-100 from its binary files `train.bin` (50,000) or `test.bin` (10,000), with the 100 fine
 * labels or the 20 coarse ones; class names from `fine_label_names.txt` /
 * `coarse_label_names.txt` when present. No CIFAR data is reachable here; pass `path` to a copy.
 */
export function loadCifar100(opts: CifarOptions & { labelMode?: Cifar100LabelMode }): TensorDataset {
  const op = 'loadCifar100';
  const split = opts.split ?? 'train';
  checkSplit(op, split);
  const labelMode = opts.labelMode ?? 'fine';
  const file = split === 'train' ? 'train.bin' : 'test.bin';
  const dir = resolveFolder(op, opts.path, 'cifar-100-binary', file);
  const names = readNames(join(dir, `${labelMode}_label_names.txt`));
  const expected = labelMode === 'fine' ? 100 : 20;
  return readCifarBinary(join(dir, file), {
    variant: 'cifar100',
    labelMode,
    ...(names?.length === expected ? { classNames: names } : {}),
  });
}
