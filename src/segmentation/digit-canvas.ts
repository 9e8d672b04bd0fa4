/**
 * Segmentation (and detection) data from a digit dataset: digits pasted at random places on a
 * larger black canvas, each with a per-pixel label and a box.
 */
import type { TensorDataset } from '../data/dataset.js';
import { ValueError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { SegmentationDataset } from './segmentation-dataset.js';

/** Options of {@link composeDigitCanvases}. */
export interface DigitCanvasOptions {
  /** Canvases to make. */
  count: number;
  /** Side of the square canvas in pixels (default 64). */
  size?: number;
  /** Digits per canvas, drawn uniformly from [min, max] (default [1, 3]). */
  digits?: readonly [number, number];
  /** Ink above this value labels a pixel with its digit's class (default 0.5); the rest is background. */
  threshold?: number;
  /** Seed of the digit choice and placement (default 0). */
  seed?: number;
}

/** A digit's place on a canvas: its tight ink box (inclusive pixel bounds) and its digit. */
export interface DigitBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** The digit's class in the source dataset (0-9 for MNIST). */
  digit: number;
  /** Index of the digit in the source dataset. */
  source: number;
}

/** The canvases as a segmentation dataset, plus every digit's box per canvas. */
export interface DigitCanvases {
  /** Images [1, size, size]; masks label background 0 and a digit of class d as d + 1. */
  dataset: SegmentationDataset;
  /** The digits on each canvas. */
  boxes: DigitBox[][];
}

/**
 * Paste digits of `source` (a 1-channel dataset such as MNIST, values in [0, 1]) onto `count`
 * black canvases at random places where their ink boxes do not overlap; each canvas pixel takes the
 * maximum of the pasted digits, and its label is 1 + the digit's class where the digit's ink
 * exceeds `threshold`, else 0 (background). Deterministic for a seed. Use a training split as the
 * source for training canvases and the test split for held-out ones.
 */
export function composeDigitCanvases(source: TensorDataset, opts: DigitCanvasOptions): DigitCanvases {
  const op = 'composeDigitCanvases';
  const size = opts.size ?? 64;
  const [minD, maxD] = opts.digits ?? [1, 3];
  const threshold = opts.threshold ?? 0.5;
  const [c, dh, dw] = source.sampleShape as [number, number, number];
  if (source.sampleShape.length !== 3 || c !== 1) {
    throw new ValueError(
      op,
      `the source must hold 1-channel images [1, H, W], got [${source.sampleShape.join(', ')}]`,
    );
  }
  if (!Number.isInteger(size) || size < dh || size < dw) {
    throw new ValueError(op, `size must be an integer of at least the digit size ${dh}x${dw}, got ${size}`);
  }
  if (!(Number.isInteger(minD) && Number.isInteger(maxD) && minD >= 1 && maxD >= minD)) {
    throw new ValueError(op, `digits must be [min, max] with 1 <= min <= max, got [${minD}, ${maxD}]`);
  }
  if (!Number.isInteger(opts.count) || opts.count < 1) {
    throw new ValueError(op, `count must be a positive integer, got ${opts.count}`);
  }
  const rng = new Rng(opts.seed ?? 0);
  const images = new Float32Array(opts.count * size * size);
  const masks = new Uint8Array(opts.count * size * size);
  const boxes: DigitBox[][] = [];
  const plane = dh * dw;
  for (let n = 0; n < opts.count; n++) {
    const k = rng.int(minD, maxD + 1);
    const placed: DigitBox[] = [];
    for (let t = 0; t < k; t++) {
      const s = rng.int(0, source.length);
      const px = source.data.subarray(s * plane, (s + 1) * plane);
      // Tight ink box of the digit within its own frame.
      let bx1 = dw;
      let by1 = dh;
      let bx2 = -1;
      let by2 = -1;
      for (let i = 0; i < dh; i++) {
        for (let j = 0; j < dw; j++) {
          if (px[i * dw + j]! > threshold) {
            bx1 = Math.min(bx1, j);
            bx2 = Math.max(bx2, j);
            by1 = Math.min(by1, i);
            by2 = Math.max(by2, i);
          }
        }
      }
      if (bx2 < 0) continue; // no ink above the threshold: nothing to label
      // Try a few places where the ink box overlaps no earlier digit's box.
      for (let attempt = 0; attempt < 20; attempt++) {
        const ox = rng.int(-bx1, size - bx2);
        const oy = rng.int(-by1, size - by2);
        const box = {
          x1: ox + bx1,
          y1: oy + by1,
          x2: ox + bx2,
          y2: oy + by2,
          digit: source.labels[s]!,
          source: s,
        };
        if (placed.some((b) => box.x1 <= b.x2 && b.x1 <= box.x2 && box.y1 <= b.y2 && b.y1 <= box.y2))
          continue;
        const base = n * size * size;
        for (let i = 0; i < dh; i++) {
          const y = oy + i;
          if (y < 0 || y >= size) continue;
          for (let j = 0; j < dw; j++) {
            const x = ox + j;
            if (x < 0 || x >= size) continue;
            const v = px[i * dw + j]!;
            const o = base + y * size + x;
            if (v > images[o]!) images[o] = v;
            if (v > threshold) masks[o] = box.digit + 1;
          }
        }
        placed.push(box);
        break;
      }
    }
    boxes.push(placed);
  }
  const numClasses = source.numClasses + 1;
  const names = source.classNames ?? Array.from({ length: source.numClasses }, (_, i) => String(i));
  return {
    dataset: new SegmentationDataset({
      images,
      masks,
      imageShape: [1, size, size],
      numClasses,
      classNames: ['background', ...names],
      source: `${source.source} digits on ${size}x${size} canvases`,
    }),
    boxes,
  };
}
