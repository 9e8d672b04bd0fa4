import { ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** A box as [x1, y1, x2, y2] with x1 <= x2 and y1 <= y2 (corner format, like torchvision). */
export type Box = readonly [number, number, number, number];

/** Area of a corner-format box (0 for degenerate boxes). */
export function boxArea(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Intersection over union of two corner-format boxes (0 when both are empty). */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  const inter = w > 0 && h > 0 ? w * h : 0;
  const union = boxArea(a) + boxArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Read an [N, 4] tensor (or an array of boxes) as boxes, checking the layout. */
export function toBoxes(op: string, boxes: Tensor | readonly Box[]): Box[] {
  if (Array.isArray(boxes)) return boxes.map((b, i) => checkBox(op, b as Box, i));
  const t = boxes as Tensor;
  if (t.ndim !== 2 || t.shape[1] !== 4)
    throw new ShapeError(op, 'boxes must be [N, 4] as [x1, y1, x2, y2]', '[N, 4]', t.shape);
  const out: Box[] = [];
  for (let i = 0; i < t.shape[0]!; i++) {
    const d = t.data;
    out.push(checkBox(op, [d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 3]!], i));
  }
  return out;
}

function checkBox(op: string, b: Box, i: number): Box {
  if (b.length !== 4 || b.some((v) => !Number.isFinite(v))) {
    throw new ValueError(op, `box ${i} must be 4 finite numbers [x1, y1, x2, y2], got ${JSON.stringify(b)}`);
  }
  if (b[2] < b[0] || b[3] < b[1]) {
    throw new ValueError(
      op,
      `box ${i} ${JSON.stringify(b)} has x2 < x1 or y2 < y1; expected corner format [x1, y1, x2, y2]`,
    );
  }
  return b;
}

/** Pairwise IoU matrix [N, M] of two box sets (torchvision's `box_iou`). */
export function boxIou(a: Tensor | readonly Box[], b: Tensor | readonly Box[]): number[][] {
  const A = toBoxes('boxIou', a);
  const B = toBoxes('boxIou', b);
  return A.map((x) => B.map((y) => iou(x, y)));
}

/** Generalized IoU of two corner-format boxes: IoU − (C − U) / C, C the smallest enclosing box's area. */
export function generalizedIou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  const inter = w > 0 && h > 0 ? w * h : 0;
  const union = boxArea(a) + boxArea(b) - inter;
  const c = (Math.max(a[2], b[2]) - Math.min(a[0], b[0])) * (Math.max(a[3], b[3]) - Math.min(a[1], b[1]));
  const iouAB = union > 0 ? inter / union : 0;
  return c > 0 ? iouAB - (c - union) / c : iouAB;
}

/**
 * Pairwise generalized IoU matrix [N, M] (torchvision's `generalized_box_iou`), in [-1, 1]: unlike
 * IoU it still ranks disjoint boxes by how far apart they are.
 */
export function generalizedBoxIou(a: Tensor | readonly Box[], b: Tensor | readonly Box[]): number[][] {
  const A = toBoxes('generalizedBoxIou', a);
  const B = toBoxes('generalizedBoxIou', b);
  return A.map((x) => B.map((y) => generalizedIou(x, y)));
}
