import { ValueError } from '../errors.js';
import { iou, type Box } from '../vision/iou.js';
import type { Detections } from './box-coder.js';

/** Ground truth of one image: corner boxes and their class labels. */
export interface GroundTruth {
  boxes: readonly Box[];
  labels: readonly number[];
}

/** A precision-recall curve of one class, points in order of decreasing score. */
export interface PrCurve {
  precision: number[];
  recall: number[];
  /** Score of each point's detection. */
  scores: number[];
}

/** Options of {@link evaluateDetections}. */
export interface EvaluateDetectionsOptions {
  /** IoU a detection needs with an unmatched ground-truth box of its class to count as a hit (default 0.5). */
  iouThreshold?: number;
  /**
   * 'voc' (default): all-point interpolated AP, a detection matched to its best-overlapping box
   * (a duplicate hit on an already-matched box is a false positive), as the VOC2010+ devkit;
   * 'coco': 101-point interpolated AP, a detection matched to its best still-unmatched box, as pycocotools.
   */
  method?: 'voc' | 'coco';
  /** Number of classes (default: 1 + the largest label seen). */
  numClasses?: number;
}

/** Per-class average precision and its mean over the classes that have ground truth. */
export interface DetectionEvaluation {
  /** AP per class; NaN for a class without ground-truth boxes. */
  ap: number[];
  /** Mean AP over classes with ground truth. */
  map: number;
  /** Precision-recall curve per class. */
  curves: PrCurve[];
}

/**
 * VOC all-point interpolated average precision (VOC2010+): make precision monotonically
 * non-increasing from the right, then sum precision × recall step at every change of recall.
 */
export function vocAp(recall: readonly number[], precision: readonly number[]): number {
  const r = [0, ...recall, 1];
  const p = [0, ...precision, 0];
  for (let i = p.length - 2; i >= 0; i--) p[i] = Math.max(p[i]!, p[i + 1]!);
  let ap = 0;
  for (let i = 1; i < r.length; i++) if (r[i] !== r[i - 1]) ap += (r[i]! - r[i - 1]!) * p[i]!;
  return ap;
}

/** COCO's 101-point interpolated AP: mean over recall 0, 0.01, …, 1 of the best precision at recall ≥ it. */
export function cocoAp(recall: readonly number[], precision: readonly number[]): number {
  const p = [...precision];
  for (let i = p.length - 2; i >= 0; i--) p[i] = Math.max(p[i]!, p[i + 1]!);
  let s = 0;
  let j = 0;
  for (let k = 0; k <= 100; k++) {
    const t = k / 100;
    while (j < recall.length && recall[j]! < t - 1e-12) j++;
    s += j < recall.length ? p[j]! : 0;
  }
  return s / 101;
}

/**
 * Average precision per class of `predictions` against `groundTruth` (one entry per image in
 * both): detections of each class are ranked by score over all images, each is a true positive
 * when it overlaps an unmatched ground-truth box of its class by IoU >= `iouThreshold`, and AP is
 * the area under the interpolated precision-recall curve.
 */
export function evaluateDetections(
  predictions: readonly Detections[],
  groundTruth: readonly GroundTruth[],
  opts: EvaluateDetectionsOptions = {},
): DetectionEvaluation {
  const op = 'evaluateDetections';
  if (predictions.length !== groundTruth.length) {
    throw new ValueError(
      op,
      `predictions cover ${predictions.length} images but ground truth ${groundTruth.length}; expected one entry per image in both`,
    );
  }
  const thr = opts.iouThreshold ?? 0.5;
  const method = opts.method ?? 'voc';
  let maxLabel = -1;
  for (const g of groundTruth) for (const l of g.labels) maxLabel = Math.max(maxLabel, l);
  for (const d of predictions) {
    for (const l of d.labels) maxLabel = Math.max(maxLabel, l);
    for (const s of d.scores) if (Number.isNaN(s)) throw new ValueError(op, 'a detection score is NaN');
  }
  const numClasses = opts.numClasses ?? maxLabel + 1;
  const ap: number[] = [];
  const curves: PrCurve[] = [];
  for (let c = 0; c < numClasses; c++) {
    const dets: { img: number; box: Box; score: number }[] = [];
    predictions.forEach((d, img) =>
      d.labels.forEach((l, k) => {
        if (l === c) dets.push({ img, box: d.boxes[k]!, score: d.scores[k]! });
      }),
    );
    dets.sort((a, b) => b.score - a.score);
    const gts = groundTruth.map((g) => g.boxes.filter((_, k) => g.labels[k] === c));
    const used = gts.map((g) => new Uint8Array(g.length));
    const total = gts.reduce((s, g) => s + g.length, 0);
    let tp = 0;
    const curve: PrCurve = { precision: [], recall: [], scores: [] };
    dets.forEach((d, rank) => {
      // VOC: the best-overlapping box, a hit when IoU > thr and it is still free; COCO: the best
      // still-free box with IoU >= thr.
      let best = -1;
      let bestIou = -1;
      gts[d.img]!.forEach((g, k) => {
        if (method === 'coco' && used[d.img]![k]) return;
        const o = iou(d.box, g);
        if (o > bestIou) {
          bestIou = o;
          best = k;
        }
      });
      const hit = method === 'voc' ? bestIou > thr : bestIou >= thr;
      if (best >= 0 && hit && !used[d.img]![best]) {
        used[d.img]![best] = 1;
        tp++;
      }
      curve.precision.push(tp / (rank + 1));
      curve.recall.push(total > 0 ? tp / total : 0);
      curve.scores.push(d.score);
    });
    curves.push(curve);
    ap.push(
      total === 0
        ? NaN
        : method === 'voc'
          ? vocAp(curve.recall, curve.precision)
          : cocoAp(curve.recall, curve.precision),
    );
  }
  const valid = ap.filter((v) => !Number.isNaN(v));
  return { ap, map: valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN, curves };
}

/**
 * COCO's headline metric mAP@[.5:.95]: the mean over IoU thresholds 0.50, 0.55, …, 0.95 of the
 * 101-point mAP, with the mAP at 0.5 and 0.75 alongside.
 */
export function cocoMap(
  predictions: readonly Detections[],
  groundTruth: readonly GroundTruth[],
  opts: { numClasses?: number } = {},
): { map: number; map50: number; map75: number } {
  const at = (t: number) =>
    evaluateDetections(predictions, groundTruth, {
      iouThreshold: t,
      method: 'coco',
      numClasses: opts.numClasses,
    }).map;
  const ts = Array.from({ length: 10 }, (_, i) => 0.5 + 0.05 * i);
  const maps = ts.map(at);
  return { map: maps.reduce((a, b) => a + b, 0) / maps.length, map50: maps[0]!, map75: maps[5]! };
}
