/**
 * An in-memory segmentation dataset (images with one class label per pixel) and the batches it
 * feeds to a training loop.
 */
import { ShapeError, ValueError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { PairedTransform } from './paired-augment.js';

/** What {@link SegmentationDataset}'s constructor takes. */
export interface SegmentationDatasetInit {
  /** Every image back to back, NCHW. */
  images: Float32Array;
  /** Every mask back to back, N·H·W labels in [0, numClasses) or `ignoreIndex`. */
  masks: Uint8Array;
  /** [C, H, W] of one image. */
  imageShape: readonly [number, number, number];
  /** Classes, the background included. */
  numClasses: number;
  /** Class names, one per class (index 0 usually "background"). */
  classNames?: readonly string[];
  /** A mask value that belongs to no class (e.g. 255 for unlabelled borders), or none. */
  ignoreIndex?: number;
  /** Where the data came from, for error messages. */
  source?: string;
}

/** One batch: images [B, C, H, W] and masks [B, H, W] (float labels, as the losses take them). */
export interface SegmentationBatch {
  x: Tensor;
  y: Tensor;
}

/** Options of {@link SegmentationDataset.batches}. */
export interface SegmentationBatchOptions {
  /** Samples per batch (default 16). */
  batchSize?: number;
  /** Visit the samples in a random order (default false). */
  shuffle?: boolean;
  /** Seed of the order and the augmentation (default 0). */
  seed?: number;
  /** A paired augmentation applied to every sample (same geometry for image and mask). */
  transform?: PairedTransform;
}

/**
 * Images with per-pixel class labels, all in memory. Every mask label is checked at construction:
 * a label outside [0, numClasses) that is not `ignoreIndex` is an error naming the sample and pixel.
 */
export class SegmentationDataset {
  readonly images: Float32Array;
  readonly masks: Uint8Array;
  readonly imageShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly classNames: readonly string[] | undefined;
  readonly ignoreIndex: number | undefined;
  readonly length: number;

  constructor(init: SegmentationDatasetInit) {
    const [c, h, w] = init.imageShape;
    const op = 'SegmentationDataset';
    if (!(init.numClasses >= 1) || !Number.isInteger(init.numClasses)) {
      throw new ValueError(op, `numClasses must be a positive integer, got ${init.numClasses}`);
    }
    const n = init.images.length / (c * h * w);
    if (!Number.isInteger(n)) {
      throw new ShapeError(
        op,
        'images must hold whole [C, H, W] images',
        `a multiple of ${c * h * w} values`,
        `${init.images.length}`,
      );
    }
    if (init.masks.length !== n * h * w) {
      throw new ShapeError(
        op,
        `masks must hold one ${h}x${w} label map per image (${n} images)`,
        `${n * h * w} labels`,
        `${init.masks.length}`,
        'give masks the images’ height and width',
      );
    }
    for (let j = 0; j < init.masks.length; j++) {
      const v = init.masks[j]!;
      if (v >= init.numClasses && v !== init.ignoreIndex) {
        const i = Math.floor(j / (h * w));
        const p = j % (h * w);
        throw new ValueError(
          op,
          `mask ${i}${init.source ? ` of ${init.source}` : ''} has label ${v} at row ${Math.floor(p / w)}, column ${p % w}: ` +
            `expected a class in [0, ${init.numClasses})${init.ignoreIndex !== undefined ? ` or ignoreIndex ${init.ignoreIndex}` : ''}. ` +
            'Fix: check numClasses, or map unlabelled pixels to ignoreIndex',
        );
      }
    }
    this.images = init.images;
    this.masks = init.masks;
    this.imageShape = [c, h, w];
    this.numClasses = init.numClasses;
    this.classNames = init.classNames;
    this.ignoreIndex = init.ignoreIndex;
    this.length = n;
  }

  /** Image i [C, H, W] and its mask [1, H, W] (copies). */
  get(i: number): { image: Tensor; mask: Tensor } {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new ValueError('SegmentationDataset.get', `index ${i} is outside [0, ${this.length})`);
    }
    const [c, h, w] = this.imageShape;
    const image = new Tensor(this.images.slice(i * c * h * w, (i + 1) * c * h * w), [c, h, w]);
    const mask = new Tensor(Float32Array.from(this.masks.subarray(i * h * w, (i + 1) * h * w)), [1, h, w]);
    return { image, mask };
  }

  /** The first `n` samples (sharing nothing). */
  take(n: number): SegmentationDataset {
    const [c, h, w] = this.imageShape;
    const k = Math.min(n, this.length);
    return new SegmentationDataset({
      images: this.images.slice(0, k * c * h * w),
      masks: this.masks.slice(0, k * h * w),
      imageShape: this.imageShape,
      numClasses: this.numClasses,
      ...(this.classNames ? { classNames: this.classNames } : {}),
      ...(this.ignoreIndex !== undefined ? { ignoreIndex: this.ignoreIndex } : {}),
    });
  }

  /** Batches of images [B, C, H, W] and masks [B, H, W], optionally shuffled and augmented. */
  *batches(opts: SegmentationBatchOptions = {}): Generator<SegmentationBatch> {
    const bs = opts.batchSize ?? 16;
    if (!Number.isInteger(bs) || bs < 1)
      throw new ValueError('batches', `batchSize must be a positive integer, got ${bs}`);
    const rng = new Rng(opts.seed ?? 0);
    const order = Array.from({ length: this.length }, (_, i) => i);
    if (opts.shuffle) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(0, i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    const [c, h, w] = this.imageShape;
    for (let s = 0; s < order.length; s += bs) {
      const idx = order.slice(s, s + bs);
      const x = new Float32Array(idx.length * c * h * w);
      const y = new Float32Array(idx.length * h * w);
      idx.forEach((i, b) => {
        if (opts.transform) {
          const p = opts.transform(this.get(i), rng);
          x.set(p.image.data, b * c * h * w);
          y.set(p.mask.data, b * h * w);
        } else {
          x.set(this.images.subarray(i * c * h * w, (i + 1) * c * h * w), b * c * h * w);
          for (let k = 0; k < h * w; k++) y[b * h * w + k] = this.masks[i * h * w + k]!;
        }
      });
      yield { x: new Tensor(x, [idx.length, c, h, w]), y: new Tensor(y, [idx.length, h, w]) };
    }
  }
}
