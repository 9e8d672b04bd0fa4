/**
 * Decoding of face-api's SSD face detector outputs (written here for faces: Stride has no generic
 * SSD decoder yet): box encodings against the anchors with TensorFlow's SSD box coder (scales 10,
 * 10, 5, 5), sigmoid face scores, greedy non-maximum suppression ({@link nms}), and boxes in image
 * pixels, exactly as face-api's `outputLayer` and `locateFaces` compute them.
 */
import type { Tensor } from '../tensor/tensor.js';
import { nms } from '../vision/nms.js';

/** A face found by the detector: its box in image pixels and its score. */
export interface FaceBox {
  /** Left edge in pixels. */
  x: number;
  /** Top edge in pixels. */
  y: number;
  width: number;
  height: number;
  /** Face probability in (0, 1). */
  score: number;
}

/** Options of {@link decodeSsdFaces}, face-api's defaults. */
export interface SsdDecodeOptions {
  /** Keep faces scoring above this (default 0.5). */
  minConfidence?: number;
  /** At most this many faces (default 100). */
  maxResults?: number;
  /** Suppress boxes overlapping a better one by more than this IoU (default 0.5). */
  iouThreshold?: number;
}

/**
 * Turn the detector graph's 12 maps (box encodings and class logits of six heads, NCHW, batch 1)
 * into faces of an image of `width` x `height` pixels that was padded at the bottom/right to a
 * square and resized to `inputSize`.
 */
export function decodeSsdFaces(
  maps: readonly Tensor[],
  anchors: Float32Array,
  anchorsPerCell: readonly number[],
  image: { width: number; height: number },
  inputSize: number,
  options: SsdDecodeOptions = {},
): FaceBox[] {
  const minConfidence = options.minConfidence ?? 0.5;
  const total = anchors.length / 4;
  const boxes = new Float64Array(total * 4);
  const scores = new Float64Array(total);
  let k = 0;
  anchorsPerCell.forEach((a, head) => {
    const enc = maps[2 * head]!;
    const cls = maps[2 * head + 1]!;
    const [, , h, w] = enc.shape as [number, number, number, number];
    const plane = h * w;
    for (let yy = 0; yy < h; yy++)
      for (let xx = 0; xx < w; xx++)
        for (let j = 0; j < a; j++, k++) {
          const at = (ch: number, t: Tensor) => t.data[ch * plane + yy * w + xx]!;
          const [a0, a1, a2, a3] = [
            anchors[4 * k]!,
            anchors[4 * k + 1]!,
            anchors[4 * k + 2]!,
            anchors[4 * k + 3]!,
          ];
          const sy = a2 - a0;
          const sx = a3 - a1;
          const cy = a0 + sy / 2;
          const cx = a1 + sx / 2;
          const halfH = (Math.exp(at(4 * j + 2, enc) / 5) * sy) / 2;
          const midY = (at(4 * j, enc) / 10) * sy + cy;
          const halfW = (Math.exp(at(4 * j + 3, enc) / 5) * sx) / 2;
          const midX = (at(4 * j + 1, enc) / 10) * sx + cx;
          boxes.set([midY - halfH, midX - halfW, midY + halfH, midX + halfW], 4 * k);
          scores[k] = 1 / (1 + Math.exp(-at(3 * j + 1, cls)));
        }
  });
  const candidates = [...scores.keys()].filter((i) => scores[i]! > minConfidence);
  const keep = nms(
    candidates.map((i) => [boxes[4 * i + 1]!, boxes[4 * i]!, boxes[4 * i + 3]!, boxes[4 * i + 2]!] as const),
    candidates.map((i) => scores[i]!),
    { iouThreshold: options.iouThreshold ?? 0.5, maxDetections: options.maxResults ?? 100 },
  ).map((c) => candidates[c]!);
  // face-api: relative box = clipped box · inputSize / (image side scaled to inputSize, rounded).
  const scale = inputSize / Math.max(image.width, image.height);
  const padX = inputSize / Math.round(image.width * scale);
  const padY = inputSize / Math.round(image.height * scale);
  return keep.map((i) => {
    const top = Math.max(0, boxes[4 * i]!) * padY;
    const bottom = Math.min(1, boxes[4 * i + 2]!) * padY;
    const left = Math.max(0, boxes[4 * i + 1]!) * padX;
    const right = Math.min(1, boxes[4 * i + 3]!) * padX;
    return {
      x: left * image.width,
      y: top * image.height,
      width: (right - left) * image.width,
      height: (bottom - top) * image.height,
      score: scores[i]!,
    };
  });
}
