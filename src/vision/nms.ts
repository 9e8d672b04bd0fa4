import { ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { iou, toBoxes, type Box } from './iou.js';

/** Options of {@link nms}. */
export interface NmsOptions {
  /** Boxes overlapping a kept box by more than this IoU are suppressed (default 0.5). */
  iouThreshold?: number;
  /** Boxes scoring below this are discarded first (default: keep all). */
  scoreThreshold?: number;
  /**
   * Class of each box: suppression then happens within each class only (torchvision's
   * `batched_nms`), as YOLO does per class.
   */
  classes?: ArrayLike<number>;
  /** Keep at most this many boxes (default all). */
  maxDetections?: number;
}

/**
 * Non-maximum suppression: repeatedly keep the highest-scoring remaining box and drop the boxes
 * that overlap it by more than `iouThreshold` (IoU strictly greater, as torchvision), optionally
 * per class and after a score threshold. Returns the kept indices, highest score first.
 */
export function nms(
  boxes: Tensor | readonly Box[],
  scores: Tensor | ArrayLike<number>,
  opts: NmsOptions = {},
): number[] {
  const op = 'nms';
  const bx = toBoxes(op, boxes);
  const sc = 'data' in scores && 'shape' in scores ? (scores as Tensor).data : (scores as ArrayLike<number>);
  if (sc.length !== bx.length) throw new ShapeError(op, 'one score per box', [bx.length], [sc.length]);
  const thr = opts.iouThreshold ?? 0.5;
  if (!(thr >= 0 && thr <= 1)) throw new ValueError(op, `iouThreshold must be in [0, 1], got ${thr}`);
  if (opts.classes && opts.classes.length !== bx.length) {
    throw new ShapeError(op, 'one class per box', [bx.length], [opts.classes.length]);
  }
  const minScore = opts.scoreThreshold ?? -Infinity;
  const order = [...bx.keys()].filter((i) => sc[i]! >= minScore).sort((a, b) => sc[b]! - sc[a]! || a - b);
  const suppressed = new Uint8Array(bx.length);
  const keep: number[] = [];
  const limit = opts.maxDetections ?? Infinity;
  for (const i of order) {
    if (suppressed[i]) continue;
    keep.push(i);
    if (keep.length >= limit) break;
    for (const j of order) {
      if (suppressed[j] || j === i) continue;
      if (opts.classes && opts.classes[j] !== opts.classes[i]) continue;
      if (iou(bx[i]!, bx[j]!) > thr) suppressed[j] = 1;
    }
  }
  return keep;
}
