// Node-only: reads files.
import { ValueError } from '../errors.js';
import { DataFileError } from './data-file-error.js';
import { TensorDataset } from './dataset.js';
import { readDataFile, parseIdx, type IdxArray } from './idx.js';

/** What {@link loadIdxImages} takes. */
export interface IdxImagesOptions {
  /** The IDX file of images: uint8, `[N, H, W]` (one channel) or `[N, C, H, W]`. */
  images: string;
  /** The IDX file of labels: uint8, `[N]`. */
  labels: string;
  /** Number of classes; every label must be below it. */
  numClasses: number;
  /** Class names, one per class. */
  classNames?: readonly string[];
  /** Keep only the first `limit` items. */
  limit?: number;
  /** The operation named in errors (default `loadIdxImages`). */
  op?: string;
  /** The fix suggested when a file is missing. */
  missingFix?: string;
}

/**
 * Read a pair of IDX files (images and labels, plain or gzip) into a `TensorDataset` of
 * `[N, C, H, W]` float32 images scaled from 0..255 to [0, 1]. Throws a `DataFileError` naming
 * the file when one is missing or corrupt, when the two disagree on the number of items, or when a
 * label is not below `numClasses`.
 */
export function loadIdxImages(opts: IdxImagesOptions): TensorDataset {
  const op = opts.op ?? 'loadIdxImages';
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit >= 0)) {
    throw new ValueError(op, `limit must be a non-negative integer, got ${opts.limit}`);
  }
  const read = (file: string): IdxArray => parseIdx(readDataFile(op, file, opts.missingFix), file);
  const images = read(opts.images);
  const labels = read(opts.labels);
  if (images.dtype !== 'uint8' || (images.dims.length !== 3 && images.dims.length !== 4)) {
    throw new DataFileError(
      op,
      opts.images,
      `expected uint8 images of dimensions [N, H, W] or [N, C, H, W], got ${images.dtype} [${images.dims.join(', ')}]`,
      'is this the images file? (labels files have one dimension)',
    );
  }
  if (labels.dtype !== 'uint8' || labels.dims.length !== 1) {
    throw new DataFileError(
      op,
      opts.labels,
      `expected uint8 labels of dimensions [N], got ${labels.dtype} [${labels.dims.join(', ')}]`,
      'is this the labels file?',
    );
  }
  const n = images.dims[0]!;
  if (labels.dims[0] !== n) {
    throw new DataFileError(
      op,
      opts.labels,
      `dimension mismatch: ${labels.dims[0]} labels for ${n} images in ${opts.images}`,
      'pair the images file with the labels file of the same split',
    );
  }
  const count = Math.min(n, opts.limit ?? n);
  const sampleShape = images.dims.length === 3 ? [1, images.dims[1]!, images.dims[2]!] : images.dims.slice(1);
  const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
  const lab = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const l = labels.data[i]!;
    if (l >= opts.numClasses) {
      throw new DataFileError(
        op,
        opts.labels,
        `label ${l} of item ${i} is out of range: expected a class index in [0, ${opts.numClasses})`,
        'the file is corrupt or belongs to another dataset',
      );
    }
    lab[i] = l;
  }
  const pixels = images.data;
  const data = new Float32Array(count * sampleSize);
  for (let k = 0; k < data.length; k++) data[k] = pixels[k]! / 255;
  return new TensorDataset({
    data,
    labels: lab,
    sampleShape,
    numClasses: opts.numClasses,
    ...(opts.classNames ? { classNames: opts.classNames } : {}),
    source: opts.images,
    ...(sampleShape.length === 3 && (sampleShape[0] === 1 || sampleShape[0] === 3)
      ? {
          preprocessing: {
            size: [sampleShape[1]!, sampleShape[2]!],
            channels: sampleShape[0]!,
            scale: 1 / 255,
          },
        }
      : {}),
  });
}
