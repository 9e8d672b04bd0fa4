/**
 * Evaluation of a learned embedding for verification ("same identity or not?" from a distance)
 * and identification (nearest neighbours).
 */
import { ValueError } from '../errors.js';

/** A ROC curve: false and true positive rates at decreasing score thresholds, and its area. */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Score thresholds; the first is +Infinity (nothing predicted positive). */
  thresholds: number[];
  /** Area under the curve (trapezoids). */
  auc: number;
}

function checkPairs(op: string, a: ArrayLike<unknown>, b: ArrayLike<unknown>): void {
  if (a.length !== b.length || a.length === 0) {
    throw new ValueError(
      op,
      `needs one label per score and at least one pair, got ${a.length} scores and ${b.length} labels`,
    );
  }
}

/**
 * The ROC curve of `scores` (higher = more likely positive; pass negated distances) against
 * `positive` labels (1/true or 0/false), with a point at every distinct score (as scikit-learn's
 * `roc_curve(..., drop_intermediate=False)`, except that the first threshold is +Infinity).
 */
export function rocCurve(scores: ArrayLike<number>, positive: ArrayLike<number | boolean>): RocCurve {
  checkPairs('rocCurve', scores, positive);
  const idx = Array.from(scores, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const P = Array.from(positive).filter(Boolean).length;
  const N = positive.length - P;
  if (P === 0 || N === 0)
    throw new ValueError('rocCurve', `needs positive and negative pairs, got ${P} and ${N}`);
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < idx.length; i++) {
    if (positive[idx[i]!]) tp++;
    else fp++;
    const next = idx[i + 1];
    if (next !== undefined && scores[next] === scores[idx[i]!]) continue;
    fpr.push(fp / N);
    tpr.push(tp / P);
    thresholds.push(scores[idx[i]!]!);
  }
  let auc = 0;
  for (let i = 1; i < fpr.length; i++) auc += ((fpr[i]! - fpr[i - 1]!) * (tpr[i]! + tpr[i - 1]!)) / 2;
  return { fpr, tpr, thresholds, auc };
}

/**
 * The distance threshold that classifies the most pairs correctly as "same" (distance <=
 * threshold) or "different", and that accuracy. The threshold is the midpoint between two
 * consecutive sorted distances.
 */
export function bestThreshold(
  distances: ArrayLike<number>,
  same: ArrayLike<number | boolean>,
): { threshold: number; accuracy: number } {
  checkPairs('bestThreshold', distances, same);
  const idx = Array.from(distances, (_, i) => i).sort((a, b) => distances[a]! - distances[b]!);
  const n = idx.length;
  let negatives = 0;
  for (let i = 0; i < n; i++) if (!same[i]) negatives++;
  // Threshold below everything: every pair called "different".
  let correct = negatives;
  let best = correct;
  let threshold = distances[idx[0]!]! - 1e-6;
  for (let i = 0; i < n; i++) {
    correct += same[idx[i]!] ? 1 : -1;
    const next = idx[i + 1];
    if (next !== undefined && distances[next] === distances[idx[i]!]) continue;
    if (correct > best) {
      best = correct;
      threshold = next === undefined ? distances[idx[i]!]! : (distances[idx[i]!]! + distances[next]!) / 2;
    }
  }
  return { threshold, accuracy: best / n };
}

/** The fraction of pairs classified correctly at `threshold` (same when distance <= threshold). */
export function verificationAccuracy(
  distances: ArrayLike<number>,
  same: ArrayLike<number | boolean>,
  threshold: number,
): number {
  checkPairs('verificationAccuracy', distances, same);
  let ok = 0;
  for (let i = 0; i < distances.length; i++) if (distances[i]! <= threshold === Boolean(same[i])) ok++;
  return ok / distances.length;
}

/**
 * k-nearest-neighbour classification accuracy: each query embedding (rows of `dim` values) takes
 * the majority label of its `k` nearest gallery embeddings (Euclidean; ties go to the nearest
 * neighbour's label).
 */
export function knnAccuracy(
  gallery: Float32Array,
  galleryLabels: ArrayLike<number>,
  queries: Float32Array,
  queryLabels: ArrayLike<number>,
  dim: number,
  k = 1,
): number {
  const g = galleryLabels.length;
  const q = queryLabels.length;
  if (gallery.length !== g * dim || queries.length !== q * dim || g === 0 || q === 0) {
    throw new ValueError(
      'knnAccuracy',
      `embeddings must be [count, ${dim}] rows matching the labels (${g} gallery, ${q} queries)`,
    );
  }
  if (!Number.isInteger(k) || k < 1 || k > g)
    throw new ValueError('knnAccuracy', `k must be an integer in [1, ${g}], got ${k}`);
  let correct = 0;
  const best = new Float64Array(k);
  const bestIdx = new Int32Array(k);
  for (let i = 0; i < q; i++) {
    best.fill(Infinity);
    bestIdx.fill(-1);
    for (let j = 0; j < g; j++) {
      let d = 0;
      for (let t = 0; t < dim; t++) {
        const v = queries[i * dim + t]! - gallery[j * dim + t]!;
        d += v * v;
      }
      if (d >= best[k - 1]!) continue;
      let pos = k - 1;
      while (pos > 0 && best[pos - 1]! > d) {
        best[pos] = best[pos - 1]!;
        bestIdx[pos] = bestIdx[pos - 1]!;
        pos--;
      }
      best[pos] = d;
      bestIdx[pos] = j;
    }
    const votes = new Map<number, number>();
    for (const j of bestIdx)
      if (j >= 0) votes.set(galleryLabels[j]!, (votes.get(galleryLabels[j]!) ?? 0) + 1);
    let label = galleryLabels[bestIdx[0]!]!;
    let top = votes.get(label) ?? 0;
    for (const [l, v] of votes) if (v > top) [label, top] = [l, v];
    if (label === queryLabels[i]) correct++;
  }
  return correct / q;
}
