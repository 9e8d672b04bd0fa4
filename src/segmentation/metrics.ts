/**
 * Segmentation metrics over pixels: a pixel confusion matrix and the scores read from it (pixel
 * accuracy, per-class IoU and Dice, their means). Predictions may be logits [N, C, H, W] (the
 * arg-max over C is taken) or labels [N, H, W]; targets are labels [N, H, W].
 */
import { ShapeError, ValueError } from '../errors.js';
import { argmax } from '../ops/reduce.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ConfusionMatrix } from '../train/metrics.js';

/** Options of {@link pixelConfusionMatrix}. */
export interface PixelMetricOptions {
  /** Target label of pixels left out of every count (e.g. 255 for VOC's borders); default none. */
  ignoreIndex?: number;
}

/** Scores of a segmentation, from {@link segmentationScores}. */
export interface SegmentationScores {
  /** Correct pixels / counted pixels. */
  pixelAccuracy: number;
  /** Per class: TP / (TP + FP + FN), NaN for a class absent from both prediction and target. */
  iou: number[];
  /** Mean of the defined per-class IoUs (classes present in prediction or target). */
  meanIoU: number;
  /** Per class: 2·TP / (2·TP + FP + FN), NaN where IoU is. */
  dice: number[];
  /** Mean of the defined per-class Dice scores. */
  meanDice: number;
}

function labels(
  op: string,
  name: string,
  t: Tensor,
  numClasses: number,
  ignore: number | undefined,
): Int32Array {
  const out = new Int32Array(t.size);
  for (let j = 0; j < t.size; j++) {
    const v = t.data[j]!;
    if (ignore !== undefined && v === ignore) {
      out[j] = -1;
      continue;
    }
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new ValueError(
        op,
        `${name}[${j}] = ${v} is not a class label: expected an integer in [0, ${numClasses})` +
          `${ignore !== undefined ? ` or ignoreIndex ${ignore}` : ''}. ` +
          (name === 'target'
            ? `Fix: number the classes 0..${numClasses - 1} and mark unlabelled pixels with ignoreIndex`
            : 'Fix: pass the numClasses the model was built with'),
      );
    }
    out[j] = v;
  }
  return out;
}

/**
 * Count (true, predicted) label pairs over every pixel: `counts[t][p]`. `pred` is logits or
 * probabilities [N, C, H, W] (C must equal `numClasses`; arg-max taken) or labels of the target's
 * shape; `target` holds labels in [0, numClasses) or `ignoreIndex`. A prediction or target of the
 * wrong size, or a label outside the classes, throws an error naming it.
 */
export function pixelConfusionMatrix(
  pred: Tensor,
  target: Tensor,
  numClasses: number,
  opts: PixelMetricOptions = {},
): ConfusionMatrix {
  const op = 'pixelConfusionMatrix';
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new ValueError(op, `numClasses must be a positive integer, got ${numClasses}`);
  }
  let p = pred;
  if (pred.ndim === target.ndim + 1) {
    const expected = [target.shape[0] ?? 1, numClasses, ...target.shape.slice(1)];
    if (!shapesEqual(pred.shape, expected)) {
      throw new ShapeError(
        op,
        'prediction scores must have one channel per class and the target mask’s size',
        expected,
        pred.shape,
        'resize the mask to the model output (or upsample the logits to the mask size) and check numClasses',
      );
    }
    p = argmax(pred, 1);
  } else if (!shapesEqual(pred.shape, target.shape)) {
    throw new ShapeError(
      op,
      'predicted labels must have the shape of the target mask',
      target.shape,
      pred.shape,
      'resize the mask to the prediction (nearest neighbour keeps labels intact)',
    );
  }
  const t = labels(op, 'target', target, numClasses, opts.ignoreIndex);
  const q = labels(op, 'prediction', p, numClasses, undefined);
  const counts = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let j = 0; j < t.length; j++) {
    const y = t[j]!;
    if (y >= 0) counts[y]![q[j]!]!++;
  }
  return { numClasses, counts };
}

/** Pixel accuracy, per-class and mean IoU and Dice of a pixel confusion matrix. */
export function segmentationScores(cm: ConfusionMatrix): SegmentationScores {
  const k = cm.numClasses;
  const iou: number[] = [];
  const dice: number[] = [];
  let correct = 0;
  let total = 0;
  for (let c = 0; c < k; c++) {
    const tp = cm.counts[c]![c]!;
    let actual = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      actual += cm.counts[c]![j]!;
      predicted += cm.counts[j]![c]!;
    }
    const union = actual + predicted - tp;
    iou.push(union === 0 ? NaN : tp / union);
    dice.push(union === 0 ? NaN : (2 * tp) / (actual + predicted));
    correct += tp;
    total += actual;
  }
  const nanMean = (v: number[]): number => {
    const d = v.filter((x) => !Number.isNaN(x));
    return d.length === 0 ? NaN : d.reduce((a, b) => a + b, 0) / d.length;
  };
  return {
    pixelAccuracy: total === 0 ? NaN : correct / total,
    iou,
    meanIoU: nanMean(iou),
    dice,
    meanDice: nanMean(dice),
  };
}

/** Mean IoU of predictions against a target mask: `segmentationScores(pixelConfusionMatrix(...)).meanIoU`. */
export function meanIoU(
  pred: Tensor,
  target: Tensor,
  numClasses: number,
  opts: PixelMetricOptions = {},
): number {
  return segmentationScores(pixelConfusionMatrix(pred, target, numClasses, opts)).meanIoU;
}
