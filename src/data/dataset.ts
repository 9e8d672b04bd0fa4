import { ShapeError, ValueError } from '../errors.js';
import { sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Preprocessing } from '../nn/model-card.js';

/**
 * One labelled example: an input tensor (an image `[C, H, W]`, or a feature vector `[F]`) and
 * its integer class label.
 */
export interface Sample {
  /** The input, without a batch dimension. */
  x: Tensor;
  /** The class index, an integer in `[0, numClasses)`. */
  y: number;
}

/**
 * Anything indexable that yields samples: `length` items, `get(i)` for `0 <= i < length`
 * (PyTorch's map-style `Dataset`). `DataLoader`, the splits and the normalization statistics
 * accept any `Dataset<Sample>`; the in-memory {@link TensorDataset} is the fast path.
 */
export interface Dataset<T = Sample> {
  /** Number of items. */
  readonly length: number;
  /** The item at `index` (an integer in `[0, length)`). */
  get(index: number): T;
}

/** What {@link TensorDataset}'s constructor takes. */
export interface TensorDatasetInit {
  /** All inputs back to back, row-major: for images NCHW (`N * C * H * W` values). */
  data: Float32Array;
  /** One class index per item (`N` values). */
  labels: Int32Array;
  /** The shape of one item without the batch dimension: `[C, H, W]` for images, `[F]` for features. */
  sampleShape: readonly number[];
  /** Number of classes; labels must lie in `[0, numClasses)`. Default: the largest label + 1. */
  numClasses?: number;
  /** Human-readable class names, one per class (e.g. `['0', ..., '9']`, `['cat', 'dog']`). */
  classNames?: readonly string[];
  /** Where the data came from, used in error messages (a file or folder, or a dataset name). */
  source?: string;
  /**
   * How each item was made from an image (size, channels, scale, mean/std), when it was: `fit()`
   * records it on the model, so that `st.preprocess` feeds new images the same way.
   */
  preprocessing?: Preprocessing;
}

/**
 * An in-memory labelled dataset: every input in one contiguous `Float32Array` (NCHW for images)
 * and every label in one `Int32Array`. This is what the file readers return and what the
 * `DataLoader` batches fastest (a batch is a few contiguous copies).
 *
 * `get(i)` returns a copy of item `i`, so transforms and users may modify it freely.
 */
export class TensorDataset implements Dataset<Sample> {
  /** All inputs, row-major, `length * sampleSize` values. */
  readonly data: Float32Array;
  /** All labels. */
  readonly labels: Int32Array;
  /** Shape of one item (`[C, H, W]` for images). */
  readonly sampleShape: readonly number[];
  /** Number of values in one item. */
  readonly sampleSize: number;
  /** Number of classes. */
  readonly numClasses: number;
  /** Class names, one per class, when known. */
  readonly classNames: readonly string[] | undefined;
  /** Where the data came from (for messages). */
  readonly source: string;
  /** How each item was made from an image, when known (see {@link TensorDatasetInit.preprocessing}). */
  readonly preprocessing: Preprocessing | undefined;

  constructor(init: TensorDatasetInit) {
    const op = 'TensorDataset';
    this.source = init.source ?? 'in-memory data';
    this.sampleShape = Object.freeze([...init.sampleShape]);
    for (const d of this.sampleShape) {
      if (!Number.isInteger(d) || d <= 0) {
        throw new ValueError(
          op,
          `sampleShape [${this.sampleShape.join(', ')}] of ${this.source} must hold positive integers`,
        );
      }
    }
    this.sampleSize = sizeOf(this.sampleShape);
    const n = init.labels.length;
    if (init.data.length !== n * this.sampleSize) {
      throw new ShapeError(
        op,
        `data of ${this.source} does not match ${n} labels of shape [${this.sampleShape.join(', ')}]`,
        `${n * this.sampleSize} values`,
        `${init.data.length} values`,
        'pass one label per item and data of length N * product(sampleShape)',
      );
    }
    let maxLabel = -1;
    for (let i = 0; i < n; i++) {
      const l = init.labels[i]!;
      if (l < 0) {
        throw new ValueError(
          op,
          `label ${l} of item ${i} in ${this.source} is negative; labels are class indices >= 0`,
        );
      }
      if (l > maxLabel) maxLabel = l;
    }
    const numClasses = init.numClasses ?? init.classNames?.length ?? maxLabel + 1;
    if (!Number.isInteger(numClasses) || numClasses < 0) {
      throw new ValueError(op, `numClasses must be a non-negative integer, got ${numClasses}`);
    }
    if (maxLabel >= numClasses) {
      const at = init.labels.indexOf(maxLabel);
      throw new ValueError(
        op,
        `label ${maxLabel} of item ${at} in ${this.source} is out of range: expected a class index in [0, ${numClasses}). Fix: check the label column/file or pass the right numClasses`,
      );
    }
    if (init.classNames !== undefined && init.classNames.length !== numClasses) {
      throw new ValueError(
        op,
        `${init.classNames.length} class names given for ${numClasses} classes in ${this.source}; pass one name per class`,
      );
    }
    this.data = init.data;
    this.labels = init.labels;
    this.numClasses = numClasses;
    this.classNames = init.classNames ? Object.freeze([...init.classNames]) : undefined;
    this.preprocessing = init.preprocessing;
  }

  /** Number of items. */
  get length(): number {
    return this.labels.length;
  }

  /** Shape of the whole data, `[N, ...sampleShape]` (`[N, C, H, W]` for images). */
  get shape(): number[] {
    return [this.length, ...this.sampleShape];
  }

  /** A copy of item `index` as a `Sample`. */
  get(index: number): Sample {
    checkIndex('TensorDataset.get', index, this.length);
    const s = this.sampleSize;
    const x = new Tensor(this.data.slice(index * s, (index + 1) * s), this.sampleShape);
    return { x, y: this.labels[index]! };
  }

  /** The whole dataset as tensors: `x` of shape `[N, ...sampleShape]` (shares memory) and `y` `[N]`. */
  tensors(): { x: Tensor; y: Tensor } {
    return {
      x: new Tensor(this.data, this.shape),
      y: new Tensor(Float32Array.from(this.labels), [this.length]),
    };
  }

  /** A new dataset holding copies of the items at `indices`, in that order. */
  select(indices: ArrayLike<number>): TensorDataset {
    const s = this.sampleSize;
    const data = new Float32Array(indices.length * s);
    const labels = new Int32Array(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      checkIndex('TensorDataset.select', i, this.length);
      data.set(this.data.subarray(i * s, (i + 1) * s), k * s);
      labels[k] = this.labels[i]!;
    }
    return new TensorDataset({
      data,
      labels,
      sampleShape: this.sampleShape,
      numClasses: this.numClasses,
      ...(this.classNames ? { classNames: this.classNames } : {}),
      source: this.source,
      ...(this.preprocessing ? { preprocessing: this.preprocessing } : {}),
    });
  }
}

/**
 * A view of some items of another dataset, in a given order (PyTorch's `Subset`); nothing is
 * copied. The splits return these.
 */
export class Subset<T = Sample> implements Dataset<T> {
  /** The dataset viewed. */
  readonly dataset: Dataset<T>;
  /** Which of its items this subset holds, in order. */
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    this.dataset = dataset;
    this.indices = Int32Array.from(indices);
    for (let k = 0; k < this.indices.length; k++) checkIndex('Subset', this.indices[k]!, dataset.length);
  }

  /** Number of items. */
  get length(): number {
    return this.indices.length;
  }

  /** Item `index` of the subset (item `indices[index]` of the underlying dataset). */
  get(index: number): T {
    checkIndex('Subset.get', index, this.length);
    return this.dataset.get(this.indices[index]!);
  }
}

/**
 * For a dataset that is a `TensorDataset`, or a (nested) `Subset` of one, the underlying
 * `TensorDataset` and which of its items are meant, in order; otherwise `null`. Lets the loader,
 * the splits and the statistics read contiguous memory instead of calling `get()` per item.
 */
export function resolveTensorDataset(
  dataset: Dataset<Sample>,
): { base: TensorDataset; indices: Int32Array | null } | null {
  if (dataset instanceof TensorDataset) return { base: dataset, indices: null };
  if (dataset instanceof Subset) {
    const inner = resolveTensorDataset(dataset.dataset as Dataset<Sample>);
    if (inner === null) return null;
    if (inner.indices === null) return { base: inner.base, indices: dataset.indices };
    const outer = dataset.indices;
    const composed = new Int32Array(outer.length);
    for (let k = 0; k < outer.length; k++) composed[k] = inner.indices[outer[k]!]!;
    return { base: inner.base, indices: composed };
  }
  return null;
}

/** Every label of a dataset, in order (read from memory for tensor datasets, else through `get`). */
export function labelsOf(dataset: Dataset<Sample>): Int32Array {
  const r = resolveTensorDataset(dataset);
  if (r !== null) {
    if (r.indices === null) return r.base.labels;
    const out = new Int32Array(r.indices.length);
    for (let k = 0; k < out.length; k++) out[k] = r.base.labels[r.indices[k]!]!;
    return out;
  }
  const out = new Int32Array(dataset.length);
  for (let i = 0; i < out.length; i++) out[i] = dataset.get(i).y;
  return out;
}

function checkIndex(op: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new ValueError(op, `index ${index} is out of range for a dataset of ${length} items`);
  }
}
