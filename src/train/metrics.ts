import { ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Classification and regression metrics. Predictions may be logits/probabilities [N, C] (the
 * arg-max is taken) or class indices [N]; targets are class indices [N].
 */

function classIndices(op: string, pred: Tensor): Int32Array {
  if (pred.ndim === 2) {
    const [n, c] = pred.shape as [number, number];
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < c; j++) if (pred.data[i * c + j]! > pred.data[i * c + best]!) best = j;
      out[i] = best;
    }
    return out;
  }
  if (pred.ndim === 1) return Int32Array.from(pred.data, (v) => Math.round(v));
  throw new ShapeError(
    op,
    'predictions must be scores [N, C] or class indices [N]',
    '[N, C] or [N]',
    pred.shape,
  );
}

function targetIndices(op: string, target: Tensor, n: number): Int32Array {
  if (target.ndim !== 1 || target.shape[0] !== n) {
    throw new ShapeError(op, 'targets must be class indices, one per prediction', [n], target.shape);
  }
  return Int32Array.from(target.data, (v) => Math.round(v));
}

/** Fraction of predictions equal to the target class. */
export function accuracy(pred: Tensor, target: Tensor): number {
  const p = classIndices('accuracy', pred);
  const t = targetIndices('accuracy', target, p.length);
  if (p.length === 0) return 0;
  let hit = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === t[i]) hit++;
  return hit / p.length;
}

/** Fraction of samples whose target is among the `k` highest scores of [N, C] logits. */
export function topKAccuracy(scores: Tensor, target: Tensor, k: number): number {
  if (scores.ndim !== 2)
    throw new ShapeError('topKAccuracy', 'scores must be [N, C]', '[N, C]', scores.shape);
  const [n, c] = scores.shape as [number, number];
  if (!Number.isInteger(k) || k < 1 || k > c)
    throw new ValueError('topKAccuracy', `k must be an integer in [1, ${c}], got ${k}`);
  const t = targetIndices('topKAccuracy', target, n);
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const s = scores.data[i * c + t[i]!]!;
    // Rank = number of classes with a strictly higher score (ties favour the target, like top-k).
    let higher = 0;
    for (let j = 0; j < c; j++) if (scores.data[i * c + j]! > s) higher++;
    if (higher < k) hit++;
  }
  return n === 0 ? 0 : hit / n;
}

/** A confusion matrix: rows are true classes, columns predicted classes. */
export interface ConfusionMatrix {
  numClasses: number;
  /** counts[true][predicted]. */
  counts: number[][];
}

/** Count (true, predicted) pairs. */
export function confusionMatrix(pred: Tensor, target: Tensor, numClasses: number): ConfusionMatrix {
  const p = classIndices('confusionMatrix', pred);
  const t = targetIndices('confusionMatrix', target, p.length);
  const counts = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < p.length; i++) {
    for (const [name, v] of [
      ['target', t[i]!],
      ['prediction', p[i]!],
    ] as const) {
      if (v < 0 || v >= numClasses) {
        throw new ValueError(
          'confusionMatrix',
          `${name} ${v} at sample ${i} is outside the classes [0, ${numClasses})`,
        );
      }
    }
    counts[t[i]!]![p[i]!]!++;
  }
  return { numClasses, counts };
}

/** Per-class precision, recall, F1 and support, with macro and micro averages. */
export interface ClassificationReport {
  perClass: { precision: number; recall: number; f1: number; support: number }[];
  macro: { precision: number; recall: number; f1: number };
  micro: { precision: number; recall: number; f1: number };
  accuracy: number;
}

const safeDiv = (a: number, b: number) => (b === 0 ? 0 : a / b);
const f1Of = (p: number, r: number) => safeDiv(2 * p * r, p + r);

/** Precision/recall/F1 per class and averaged (macro: mean over classes; micro: from global counts). */
export function classificationReport(cm: ConfusionMatrix): ClassificationReport {
  const k = cm.numClasses;
  const perClass: ClassificationReport['perClass'] = [];
  let tpAll = 0;
  let total = 0;
  for (let c = 0; c < k; c++) {
    const tp = cm.counts[c]![c]!;
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < k; j++) {
      predicted += cm.counts[j]![c]!;
      actual += cm.counts[c]![j]!;
    }
    const precision = safeDiv(tp, predicted);
    const recall = safeDiv(tp, actual);
    perClass.push({ precision, recall, f1: f1Of(precision, recall), support: actual });
    tpAll += tp;
    total += actual;
  }
  const mean = (f: (r: (typeof perClass)[number]) => number) =>
    perClass.reduce((s, r) => s + f(r), 0) / Math.max(k, 1);
  // Single-label classification: every false positive of one class is a false negative of another,
  // so micro precision = micro recall = accuracy.
  const micro = safeDiv(tpAll, total);
  return {
    perClass,
    macro: { precision: mean((r) => r.precision), recall: mean((r) => r.recall), f1: mean((r) => r.f1) },
    micro: { precision: micro, recall: micro, f1: micro },
    accuracy: micro,
  };
}

/** Mean squared error between two same-shaped tensors. */
export function meanSquaredError(pred: Tensor, target: Tensor): number {
  checkSame('meanSquaredError', pred, target);
  let s = 0;
  for (let i = 0; i < pred.size; i++) s += (pred.data[i]! - target.data[i]!) ** 2;
  return pred.size === 0 ? 0 : s / pred.size;
}

/** Mean absolute error between two same-shaped tensors. */
export function meanAbsoluteError(pred: Tensor, target: Tensor): number {
  checkSame('meanAbsoluteError', pred, target);
  let s = 0;
  for (let i = 0; i < pred.size; i++) s += Math.abs(pred.data[i]! - target.data[i]!);
  return pred.size === 0 ? 0 : s / pred.size;
}

function checkSame(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new ShapeError(op, 'prediction and target sizes differ', a.shape, b.shape);
}
