import type { Tensor } from '../tensor/tensor.js';
import type { Detections } from './box-coder.js';

/** Options every detector's `detect` understands. */
export interface DetectOptions {
  /** Keep detections scoring above this (each detector has its own default). */
  scoreThreshold?: number;
}

/**
 * A pretrained detector run by Stride: an input size it expects, the class names its labels
 * index, how it wants the photo fitted to its square input, and `detect` on one image
 * [1, 3, S, S] with values 0..255 returning boxes in input pixels.
 */
export interface Detector {
  readonly name: string;
  readonly inputSize: number;
  readonly classNames: readonly string[];
  /**
   * 'pad': the photo is padded at the bottom/right to a square, then resized (face-api);
   * 'stretch': resized to the square directly (human's CenterNet).
   */
  readonly fit: 'pad' | 'stretch';
  detect(image: Tensor, opts?: DetectOptions): Detections;
}
