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
  const sc = readScores(op, scores, bx.length);
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

/** Read one finite-or-infinite, non-NaN score per box. */
function readScores(op: string, scores: Tensor | ArrayLike<number>, n: number): ArrayLike<number> {
  const sc = 'data' in scores && 'shape' in scores ? (scores as Tensor).data : (scores as ArrayLike<number>);
  if (sc.length !== n) throw new ShapeError(op, 'one score per box', [n], [sc.length]);
  for (let i = 0; i < sc.length; i++) {
    if (Number.isNaN(sc[i])) {
      throw new ValueError(op, `score ${i} is NaN; expected a number per box (check the model's outputs)`);
    }
  }
  return sc;
}

/**
 * Per-class non-maximum suppression (torchvision's `batched_nms`): boxes of different classes
 * never suppress each other. Returns the kept indices, highest score first.
 */
export function batchedNms(
  boxes: Tensor | readonly Box[],
  scores: Tensor | ArrayLike<number>,
  classes: ArrayLike<number>,
  iouThreshold: number,
): number[] {
  return nms(boxes, scores, { iouThreshold, classes });
}

/** Options of {@link softNms}. */
export interface SoftNmsOptions {
  /** 'gaussian' (default): score·exp(−IoU²/sigma); 'linear': score·(1 − IoU) when IoU > iouThreshold. */
  method?: 'gaussian' | 'linear';
  /** Width of the Gaussian decay (default 0.5). */
  sigma?: number;
  /** IoU above which the linear method decays a score (default 0.3). */
  iouThreshold?: number;
  /** Boxes whose decayed score falls below this are dropped (default 0.001). */
  scoreThreshold?: number;
}

/**
 * Soft-NMS (Bodla et al. 2017): instead of deleting boxes that overlap a kept box, decay their
 * scores by how much they overlap, then keep picking the highest remaining score. Returns the
 * kept indices in the order picked with their decayed scores.
 */
export function softNms(
  boxes: Tensor | readonly Box[],
  scores: Tensor | ArrayLike<number>,
  opts: SoftNmsOptions = {},
): { indices: number[]; scores: number[] } {
  const op = 'softNms';
  const bx = toBoxes(op, boxes);
  const sc = Array.from(readScores(op, scores, bx.length));
  const method = opts.method ?? 'gaussian';
  if (method !== 'gaussian' && method !== 'linear') {
    throw new ValueError(op, `method must be 'gaussian' or 'linear', got ${String(method)}`);
  }
  const sigma = opts.sigma ?? 0.5;
  if (!(sigma > 0)) throw new ValueError(op, `sigma must be > 0, got ${sigma}`);
  const thr = opts.iouThreshold ?? 0.3;
  const minScore = opts.scoreThreshold ?? 0.001;
  const left = new Set([...bx.keys()].filter((i) => sc[i]! >= minScore));
  const indices: number[] = [];
  const kept: number[] = [];
  while (left.size > 0) {
    let best = -1;
    for (const i of left) if (best < 0 || sc[i]! > sc[best]!) best = i;
    left.delete(best);
    indices.push(best);
    kept.push(sc[best]!);
    for (const j of left) {
      const o = iou(bx[best]!, bx[j]!);
      const decay = method === 'gaussian' ? Math.exp(-(o * o) / sigma) : o > thr ? 1 - o : 1;
      sc[j] = sc[j]! * decay;
      if (sc[j]! < minScore) left.delete(j);
    }
  }
  return { indices, scores: kept };
}
