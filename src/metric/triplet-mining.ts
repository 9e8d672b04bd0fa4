/**
 * Online triplet mining (Schroff et al. 2015; Hermans, Beyer & Leibe 2017): the triplet loss of a
 * batch of embeddings computed over triplets chosen inside the batch from the labels and the
 * current distances, so that training sees informative triplets without building them offline.
 * Every strategy works on the [B, B] Euclidean distance matrix ({@link pairwiseDistances}); the
 * selection is made on the values (no gradient flows through it), the loss on the tensors.
 */
import { ShapeError, ValueError } from '../errors.js';
import { add, mul, relu, sub } from '../ops/elementwise.js';
import { max, min, sum } from '../ops/reduce.js';
import { unsqueeze } from '../ops/shape-ops.js';
import { Tensor } from '../tensor/tensor.js';
import { pairwiseDistances } from './pairwise-distances.js';

/** How {@link tripletMiningLoss} picks triplets. */
export type TripletMining = 'batch-all' | 'batch-hard' | 'semi-hard';

/** Options of the mining losses. */
export interface TripletMiningOptions {
  /** Required gap between negative and positive distances (default 0.2, FaceNet's). */
  margin?: number;
  /** Use squared Euclidean distances (default false). */
  squared?: boolean;
  /**
   * batch-all only: average over the triplets with a positive loss (`'positive'`, the default,
   * Hermans et al.'s "BA≠0") or over every valid triplet (`'all'`).
   */
  average?: 'positive' | 'all';
}

/** Labels given as a tensor, an Int32Array or a number array. */
export type LabelsInput = Tensor | Int32Array | readonly number[];

function labelArray(op: string, labels: LabelsInput, b: number): ArrayLike<number> {
  const arr = labels instanceof Tensor ? labels.data : labels;
  if (arr.length !== b) {
    throw new ShapeError(
      op,
      'needs one label per embedding',
      [b],
      [arr.length],
      'pass the class (identity) of every row',
    );
  }
  return arr;
}

function prepare(op: string, embeddings: Tensor, labels: LabelsInput, options: TripletMiningOptions) {
  if (embeddings.ndim !== 2) {
    throw new ShapeError(
      op,
      'expects one embedding per row',
      '[B, D]',
      embeddings.shape,
      'flatten the embeddings',
    );
  }
  const b = embeddings.shape[0]!;
  const y = labelArray(op, labels, b);
  const margin = options.margin ?? 0.2;
  if (!(margin >= 0)) throw new ValueError(op, `margin must be >= 0, got ${margin}`);
  const d = pairwiseDistances(embeddings, { squared: options.squared ?? false });
  const pos = (a: number, p: number) => a !== p && y[a] === y[p];
  const neg = (a: number, n: number) => y[a] !== y[n];
  return { b, d, margin, pos, neg, dtype: embeddings.dtype };
}

/**
 * Batch-all: the mean of `max(0, d(a, p) − d(a, n) + margin)` over every valid triplet in the
 * batch (a ≠ p of one label, n of another), by default over those with a positive loss only.
 * 0 when the batch holds no valid triplet.
 */
export function batchAllTripletLoss(
  embeddings: Tensor,
  labels: LabelsInput,
  options: TripletMiningOptions = {},
): Tensor {
  const { b, d, margin, pos, neg, dtype } = prepare('batchAllTripletLoss', embeddings, labels, options);
  const mask = new Tensor(new (dtype === 'float64' ? Float64Array : Float32Array)(b * b * b), [b, b, b]);
  let valid = 0;
  for (let a = 0; a < b; a++)
    for (let p = 0; p < b; p++) {
      if (!pos(a, p)) continue;
      for (let n = 0; n < b; n++)
        if (neg(a, n)) {
          mask.data[(a * b + p) * b + n] = 1;
          valid++;
        }
    }
  const per = mul(relu(add(sub(unsqueeze(d, 2), unsqueeze(d, 1)), margin)), mask);
  let count = valid;
  if ((options.average ?? 'positive') === 'positive') {
    count = 0;
    for (const v of per.data) if (v > 1e-16) count++;
  }
  return mul(sum(per), 1 / Math.max(count, 1));
}

/**
 * Batch-hard (Hermans et al. 2017): for every anchor the farthest positive and the nearest
 * negative in the batch, `mean_a max(0, max_p d(a, p) − min_n d(a, n) + margin)` over the anchors
 * that have both. 0 when none has.
 */
export function batchHardTripletLoss(
  embeddings: Tensor,
  labels: LabelsInput,
  options: TripletMiningOptions = {},
): Tensor {
  const { b, d, margin, pos, neg, dtype } = prepare('batchHardTripletLoss', embeddings, labels, options);
  const Arr = dtype === 'float64' ? Float64Array : Float32Array;
  const posMask = new Arr(b * b);
  const negPenalty = new Arr(b * b);
  const anchorMask = new Arr(b);
  let maxD = 0;
  for (const v of d.data) maxD = Math.max(maxD, v);
  let anchors = 0;
  for (let a = 0; a < b; a++) {
    let hasPos = false;
    let hasNeg = false;
    for (let j = 0; j < b; j++) {
      if (pos(a, j)) {
        posMask[a * b + j] = 1;
        hasPos = true;
      }
      if (neg(a, j)) hasNeg = true;
      else negPenalty[a * b + j] = maxD + 1; // never the nearest negative
    }
    if (hasPos && hasNeg) {
      anchorMask[a] = 1;
      anchors++;
    }
  }
  const hardestPos = max(mul(d, new Tensor(posMask, [b, b])), 1);
  const hardestNeg = min(add(d, new Tensor(negPenalty, [b, b])), 1);
  const per = mul(relu(add(sub(hardestPos, hardestNeg), margin)), new Tensor(anchorMask, [b]));
  return mul(sum(per), 1 / Math.max(anchors, 1));
}

/**
 * Semi-hard (Schroff et al. 2015, as TensorFlow Addons' `triplet_semihard_loss`): for every
 * positive pair (a, p) the nearest negative that is still farther than p,
 * `d(a, n) > d(a, p)`, or, when there is none, the farthest negative;
 * `mean_(a,p) max(0, d(a, p) − d(a, n) + margin)` over the positive pairs. 0 when there are none.
 */
export function semiHardTripletLoss(
  embeddings: Tensor,
  labels: LabelsInput,
  options: TripletMiningOptions = {},
): Tensor {
  const { b, d, margin, pos, neg, dtype } = prepare('semiHardTripletLoss', embeddings, labels, options);
  const Arr = dtype === 'float64' ? Float64Array : Float32Array;
  const select = new Arr(b * b * b);
  const pairMask = new Arr(b * b);
  const D = d.data;
  let pairs = 0;
  for (let a = 0; a < b; a++) {
    for (let p = 0; p < b; p++) {
      if (!pos(a, p)) continue;
      const dap = D[a * b + p]!;
      let outside = -1;
      let inside = -1;
      for (let n = 0; n < b; n++) {
        if (!neg(a, n)) continue;
        const dan = D[a * b + n]!;
        if (dan > dap && (outside < 0 || dan < D[a * b + outside]!)) outside = n;
        if (inside < 0 || dan > D[a * b + inside]!) inside = n;
      }
      const chosen = outside >= 0 ? outside : inside;
      if (chosen < 0) continue;
      select[(a * b + p) * b + chosen] = 1;
      pairMask[a * b + p] = 1;
      pairs++;
    }
  }
  const dan = sum(mul(new Tensor(select, [b, b, b]), unsqueeze(d, 1)), 2);
  const per = mul(relu(add(sub(d, dan), margin)), new Tensor(pairMask, [b, b]));
  return mul(sum(per), 1 / Math.max(pairs, 1));
}

/** The triplet loss of a batch with the given mining strategy (see the three functions above). */
export function tripletMiningLoss(
  embeddings: Tensor,
  labels: LabelsInput,
  mining: TripletMining,
  options: TripletMiningOptions = {},
): Tensor {
  switch (mining) {
    case 'batch-all':
      return batchAllTripletLoss(embeddings, labels, options);
    case 'batch-hard':
      return batchHardTripletLoss(embeddings, labels, options);
    case 'semi-hard':
      return semiHardTripletLoss(embeddings, labels, options);
    default:
      throw new ValueError(
        'tripletMiningLoss',
        `mining must be 'batch-all', 'batch-hard' or 'semi-hard', got ${JSON.stringify(mining)}`,
      );
  }
}
