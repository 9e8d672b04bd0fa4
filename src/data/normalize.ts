import { ShapeError, ValueError } from '../errors.js';
import type { Preprocessing } from '../nn/model-card.js';
import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { Transform } from './augment/transform.js';
import { resolveTensorDataset, TensorDataset, type Dataset, type Sample } from './dataset.js';

/** Per-channel statistics: one mean and one standard deviation per channel (or per feature). */
export interface ChannelStats {
  /** Mean of each channel. */
  mean: number[];
  /** Population standard deviation of each channel (divided by the count, not count - 1). */
  std: number[];
}

/**
 * Mean and standard deviation of every channel over all items and pixels of `dataset` (for a
 * `[C, H, W]` item, C values each; for a `[F]` feature vector, one per feature). Compute them on
 * the training split only and reuse them for validation and test data, so that nothing about the
 * held-out data leaks into training. Sums are accumulated in float64.
 */
export function channelMeanStd(dataset: Dataset<Sample>): ChannelStats {
  const op = 'channelMeanStd';
  if (dataset.length === 0)
    throw new ValueError(op, 'the dataset is empty; statistics need at least one item');
  const resolved = resolveTensorDataset(dataset);
  let channels = 0;
  let inner = 0;
  let sum: Float64Array = new Float64Array(0);
  let sumSq: Float64Array = new Float64Array(0);
  const accumulate = (data: Float32Array | Float64Array, offset: number): void => {
    for (let ch = 0; ch < channels; ch++) {
      let s = 0;
      let q = 0;
      const start = offset + ch * inner;
      for (let k = start; k < start + inner; k++) {
        const v = data[k]!;
        s += v;
        q += v * v;
      }
      sum[ch]! += s;
      sumSq[ch]! += q;
    }
  };
  const setup = (shape: readonly number[]): void => {
    channels = shape[0] ?? 1;
    inner = shape.slice(1).reduce((a, b) => a * b, 1);
    sum = new Float64Array(channels);
    sumSq = new Float64Array(channels);
  };
  if (resolved !== null) {
    const { base, indices } = resolved;
    setup(base.sampleShape);
    const n = indices === null ? base.length : indices.length;
    for (let k = 0; k < n; k++) accumulate(base.data, (indices === null ? k : indices[k]!) * base.sampleSize);
  } else {
    const first = dataset.get(0).x;
    setup(first.shape);
    for (let i = 0; i < dataset.length; i++) {
      const x = i === 0 ? first : dataset.get(i).x;
      if (x.size !== channels * inner || (x.shape[0] ?? 1) !== channels) {
        throw new ShapeError(op, `item ${i} has a different shape from item 0`, first.shape, x.shape);
      }
      accumulate(x.data, 0);
    }
  }
  const count = dataset.length * inner;
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < channels; ch++) {
    const m = sum[ch]! / count;
    mean.push(m);
    std.push(Math.sqrt(Math.max(0, sumSq[ch]! / count - m * m)));
  }
  return { mean, std };
}

/**
 * A transform computing `(x - mean[c]) / std[c]` for each channel `c` (the first axis of the
 * item; torchvision `Normalize`). Pass the statistics of the training split
 * ({@link channelMeanStd}).
 */
export function normalize(stats: ChannelStats): Transform {
  const op = 'normalize';
  const mean = [...stats.mean];
  const std = [...stats.std];
  if (mean.length !== std.length || mean.length === 0) {
    throw new ValueError(
      op,
      `mean (${mean.length} values) and std (${std.length} values) must have one entry per channel`,
    );
  }
  std.forEach((s, c) => {
    if (!(s > 0)) {
      throw new ValueError(
        op,
        `std of channel ${c} is ${s}; dividing by it is undefined. Fix: drop constant channels or use std 1 for them`,
      );
    }
  });
  return (x) => {
    const channels = x.shape[0] ?? 1;
    if (channels !== mean.length) {
      throw new ShapeError(
        op,
        'the statistics do not match the channels of the input',
        `${mean.length} channels`,
        x.shape,
      );
    }
    const inner = x.size / channels;
    const out = allocate(x.dtype, x.size);
    for (let c = 0; c < channels; c++) {
      const m = mean[c]!;
      const inv = 1 / std[c]!;
      for (let k = c * inner; k < (c + 1) * inner; k++) out[k] = (x.data[k]! - m) * inv;
    }
    return new Tensor(out, x.shape);
  };
}

/**
 * A normalized copy of a whole in-memory dataset (the same items, labels and class names, each
 * channel mapped to `(x - mean[c]) / std[c]`). Normalizing once up front keeps the loader on its
 * fast contiguous path; use {@link normalize} as a per-sample transform when data is augmented.
 */
export function normalizeDataset(dataset: TensorDataset, stats: ChannelStats): TensorDataset {
  const f = normalize(stats);
  const size = dataset.sampleSize;
  const out = new Float32Array(dataset.data.length);
  for (let i = 0; i < dataset.length; i++) {
    const item = new Tensor(dataset.data.subarray(i * size, (i + 1) * size), dataset.sampleShape);
    out.set(f(item).data, i * size);
  }
  return new TensorDataset({
    data: out,
    labels: dataset.labels,
    sampleShape: dataset.sampleShape,
    numClasses: dataset.numClasses,
    ...(dataset.classNames ? { classNames: dataset.classNames } : {}),
    source: dataset.source,
    ...(dataset.preprocessing ? { preprocessing: withStats(dataset.preprocessing, stats) } : {}),
  });
}

/**
 * The preprocessing of data normalized by `stats` after `before`: the new mean/std compose with
 * any already applied (`((x - m1) / s1 - m2) / s2 = (x - (m1 + m2 s1)) / (s1 s2)`).
 */
function withStats(before: Preprocessing, stats: ChannelStats): Preprocessing {
  const n = Math.max(stats.mean.length, before.mean?.length ?? 1, before.std?.length ?? 1);
  const at = (l: readonly number[] | undefined, c: number, d: number): number =>
    l === undefined ? d : l.length === 1 ? l[0]! : l[c]!;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < n; c++) {
    const m1 = at(before.mean, c, 0);
    const s1 = at(before.std, c, 1);
    mean.push(m1 + at(stats.mean, c, 0) * s1);
    std.push(s1 * at(stats.std, c, 1));
  }
  return { ...before, mean, std };
}
