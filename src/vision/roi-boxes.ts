import { ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Regions of interest for {@link roiAlign} / {@link roiPool}, as torchvision takes them: one
 * `[K, 5]` tensor of rows (batchIndex, x1, y1, x2, y2), or a list with one `[Ki, 4]` tensor of
 * (x1, y1, x2, y2) per image of the batch (image i's boxes get batch index i).
 */
export type RoiBoxes = Tensor | readonly Tensor[];

/**
 * Flatten `boxes` into rows of (batchIndex, x1, y1, x2, y2), checking that every coordinate is
 * finite, every box is in corner order and every batch index names an image of the batch.
 */
export function resolveRois(op: string, boxes: RoiBoxes, batch: number): Float64Array {
  const rows: number[] = [];
  if (Array.isArray(boxes)) {
    const list = boxes as readonly Tensor[];
    if (list.length !== batch) {
      throw new ShapeError(op, 'a list of boxes needs one [Ki, 4] tensor per image', [batch], [list.length]);
    }
    list.forEach((t, i) => {
      if (t.ndim !== 2 || t.shape[1] !== 4) {
        throw new ShapeError(
          op,
          `boxes of image ${i} must be [Ki, 4] as (x1, y1, x2, y2)`,
          '[Ki, 4]',
          t.shape,
        );
      }
      for (let k = 0; k < t.shape[0]!; k++) rows.push(i, ...t.data.subarray(4 * k, 4 * k + 4));
    });
  } else {
    const t = boxes as Tensor;
    if (t.ndim !== 2 || t.shape[1] !== 5) {
      throw new ShapeError(
        op,
        'boxes must be [K, 5] rows of (batchIndex, x1, y1, x2, y2)',
        '[K, 5]',
        t.shape,
        'pass a [K, 5] tensor, or a list of one [Ki, 4] tensor per image',
      );
    }
    rows.push(...t.data);
  }
  const rois = Float64Array.from(rows);
  for (let k = 0; k < rois.length / 5; k++) {
    const r = rois.subarray(5 * k, 5 * k + 5);
    if (!r.every(Number.isFinite)) {
      throw new ValueError(
        op,
        `box ${k} (${[...r].join(', ')}) has a non-finite value; expected finite numbers`,
      );
    }
    const b = r[0]!;
    if (!Number.isInteger(b) || b < 0 || b >= batch) {
      throw new ValueError(
        op,
        `box ${k} has batch index ${b}, but the input holds ${batch} image(s); expected an integer in [0, ${batch - 1}]`,
      );
    }
    if (r[3]! < r[1]! || r[4]! < r[2]!) {
      throw new ValueError(
        op,
        `box ${k} (${[...r.subarray(1)].join(', ')}) has x2 < x1 or y2 < y1; expected corner format (x1, y1, x2, y2)`,
      );
    }
  }
  return rois;
}
