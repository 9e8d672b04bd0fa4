import { ValueError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { Box } from '../vision/iou.js';
import { iou } from '../vision/iou.js';

/** One canvas: the image, each object's box and class, and per-pixel masks. */
export interface DetectionSample {
  /** Grey image [canvasSize × canvasSize], values 0..1, row-major. */
  image: Float32Array;
  /** Tight corner boxes [x1, y1, x2, y2] in pixels (x2, y2 exclusive edges) of each object. */
  boxes: Box[];
  /** Class of each object. */
  labels: number[];
  /** Per pixel: 0 for background, 1 + class where an object's ink dominates (semantic mask). */
  classMask: Uint8Array;
  /** Per pixel: 0 for background, 1 + object index (instance mask). */
  instanceMask: Uint8Array;
}

/** Options of {@link digitCanvases}. */
export interface DigitCanvasOptions {
  /** Number of canvases to make. */
  count: number;
  /** Side of the square canvas in pixels (default 64). */
  canvasSize?: number;
  /** Objects per canvas, drawn uniformly from [min, max] (default [1, 3]). */
  objectsPerCanvas?: readonly [number, number];
  /** Side of a pasted glyph in pixels, drawn uniformly from [min, max] (default [20, 40]). */
  glyphSize?: readonly [number, number];
  /** Largest IoU a new glyph's square may have with one already placed (default 0.1). */
  maxOverlap?: number;
  /** Ink above this counts for boxes and masks (default 0.3). */
  inkThreshold?: number;
  /** Seed (default 0). */
  seed?: number;
}

/** Bilinear resize of a square grey glyph to `size` × `size` (pixel centres aligned, PyTorch's rule). */
function resizeGlyph(src: Float32Array, side: number, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const scale = side / size;
  for (let y = 0; y < size; y++) {
    const sy = Math.min(Math.max((y + 0.5) * scale - 0.5, 0), side - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, side - 1);
    const fy = sy - y0;
    for (let x = 0; x < size; x++) {
      const sx = Math.min(Math.max((x + 0.5) * scale - 0.5, 0), side - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, side - 1);
      const fx = sx - x0;
      out[y * size + x] =
        (1 - fy) * ((1 - fx) * src[y0 * side + x0]! + fx * src[y0 * side + x1]!) +
        fy * ((1 - fx) * src[y1 * side + x0]! + fx * src[y1 * side + x1]!);
    }
  }
  return out;
}

/**
 * A seeded detection (and segmentation) task made from a classification set of square grey
 * glyphs (e.g. MNIST digits, values 0..1): each canvas gets a few glyphs pasted at random
 * positions and sizes (placements overlapping an earlier one by more than `maxOverlap` are
 * redrawn), with tight boxes from the ink, class labels, and semantic and instance masks.
 * `glyphs` holds `n` glyphs of `side` × `side` values; `labels` their classes.
 */
export function digitCanvases(
  glyphs: Float32Array,
  labels: ArrayLike<number>,
  side: number,
  opts: DigitCanvasOptions,
): DetectionSample[] {
  const op = 'digitCanvases';
  const n = labels.length;
  if (glyphs.length !== n * side * side) {
    throw new ValueError(op, `glyphs hold ${glyphs.length} values; expected ${n} glyphs of ${side}x${side}`);
  }
  const S = opts.canvasSize ?? 64;
  const [minObj, maxObj] = opts.objectsPerCanvas ?? [1, 3];
  const [minSize, maxSize] = opts.glyphSize ?? [20, 40];
  if (!(minSize >= 4 && maxSize >= minSize && maxSize <= S)) {
    throw new ValueError(
      op,
      `glyphSize [${minSize}, ${maxSize}] must satisfy 4 <= min <= max <= canvasSize ${S}`,
    );
  }
  if (!(Number.isInteger(minObj) && minObj >= 0 && maxObj >= minObj)) {
    throw new ValueError(op, `objectsPerCanvas [${minObj}, ${maxObj}] must be integers with 0 <= min <= max`);
  }
  const ink = opts.inkThreshold ?? 0.3;
  const maxOverlap = opts.maxOverlap ?? 0.1;
  const rng = new Rng(opts.seed ?? 0);
  const out: DetectionSample[] = [];
  for (let k = 0; k < opts.count; k++) {
    const image = new Float32Array(S * S);
    const classMask = new Uint8Array(S * S);
    const instanceMask = new Uint8Array(S * S);
    const boxes: Box[] = [];
    const labs: number[] = [];
    const squares: Box[] = [];
    const want = rng.int(minObj, maxObj + 1);
    for (let tries = 0; boxes.length < want && tries < 50; tries++) {
      const size = rng.int(minSize, maxSize + 1);
      const x0 = rng.int(0, S - size + 1);
      const y0 = rng.int(0, S - size + 1);
      const sq: Box = [x0, y0, x0 + size, y0 + size];
      if (squares.some((q) => iou(q, sq) > maxOverlap)) continue;
      const g = rng.int(0, n);
      const glyph = resizeGlyph(glyphs.subarray(g * side * side, (g + 1) * side * side), side, size);
      let bx1 = Infinity;
      let by1 = Infinity;
      let bx2 = -Infinity;
      let by2 = -Infinity;
      const id = boxes.length + 1;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const v = glyph[y * size + x]!;
          const p = (y0 + y) * S + x0 + x;
          if (v > image[p]!) {
            image[p] = v;
            if (v > ink) {
              classMask[p] = labels[g]! + 1;
              instanceMask[p] = id;
            }
          }
          if (v > ink) {
            bx1 = Math.min(bx1, x0 + x);
            by1 = Math.min(by1, y0 + y);
            bx2 = Math.max(bx2, x0 + x + 1);
            by2 = Math.max(by2, y0 + y + 1);
          }
        }
      }
      if (bx2 < 0) continue; // a blank glyph: nothing to detect
      squares.push(sq);
      boxes.push([bx1, by1, bx2, by2]);
      labs.push(labels[g]!);
    }
    out.push({ image, boxes, labels: labs, classMask, instanceMask });
  }
  return out;
}

/** Stack canvases `indices` of `samples` into an image batch [B, 1, S, S]. */
export function canvasBatch(samples: readonly DetectionSample[], indices: readonly number[]): Tensor {
  const S = Math.round(Math.sqrt(samples[0]!.image.length));
  const x = new Float32Array(indices.length * S * S);
  indices.forEach((i, b) => x.set(samples[i]!.image, b * S * S));
  return new Tensor(x, [indices.length, 1, S, S]);
}
