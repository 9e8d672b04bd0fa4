import { noGrad } from '../autograd/grad-mode.js';
import { ShapeError } from '../errors.js';
import type { Graph } from '../nn/graph.js';
import { maxPool2d } from '../ops/pool2d.js';
import type { Tensor } from '../tensor/tensor.js';
import { nms } from '../vision/nms.js';
import type { Detections } from './box-coder.js';
import { COCO_CLASSES } from './coco-classes.js';

/** The graph nodes of `@vladmandic/human`'s CenterNet that Stride imports: class heatmaps and box sizes. */
export const CENTERNET_OUTPUTS = ['tower_0/keypoints', 'tower_0/wh'] as const;

/** Options of {@link CenterNetDetector.detect} (defaults: `@vladmandic/human`'s object config). */
export interface CenterNetDetectOptions {
  /** Keep detections scoring above this (default 0.2). */
  scoreThreshold?: number;
  /** Class-agnostic NMS IoU threshold (default 0.4). */
  iouThreshold?: number;
  /** At most this many detections (default 10). */
  maxDetections?: number;
  /** Candidates taken from the heatmap peaks before NMS (default 100, as the model's own graph). */
  topK?: number;
}

/**
 * A CenterNet (Zhou et al., "Objects as Points") COCO detector: `net` maps an RGB image
 * [1, 3, S, S] (values 0..255) to class heatmaps [1, 80, S/4, S/4] (after a sigmoid) and box
 * extents [1, 4, S/4, S/4] (distances from the centre to the left, top, right and bottom edges, in
 * input pixels). {@link detect} decodes them as the model's own TensorFlow graph does: peaks are
 * heatmap cells equal to their 3x3 neighbourhood maximum, the top 100 peaks over all classes become
 * boxes centred at 4·(x, y), then class-agnostic NMS.
 */
export class CenterNetDetector {
  /** Class names of the heatmap channels. */
  readonly classNames = COCO_CLASSES;

  constructor(
    readonly net: Graph,
    readonly inputSize = 512,
  ) {}

  /** Detections of one image [1, 3, S, S] (S = inputSize, values 0..255), boxes in input pixels. */
  detect(image: Tensor, opts: CenterNetDetectOptions = {}): Detections {
    if (image.ndim !== 4 || image.shape[0] !== 1 || image.shape[1] !== 3) {
      throw new ShapeError('CenterNetDetector.detect', 'expected one RGB image', '[1, 3, S, S]', image.shape);
    }
    const [heat, wh] = noGrad(() => this.net.forwardAll(image)) as [Tensor, Tensor];
    const cand = centerNetPeaks(heat, wh, opts.topK ?? 100);
    const thr = opts.scoreThreshold ?? 0.2;
    const above = cand.scores.map((s, i) => (s > thr ? i : -1)).filter((i) => i >= 0);
    const keep = nms(
      above.map((i) => cand.boxes[i]!),
      above.map((i) => cand.scores[i]!),
      { iouThreshold: opts.iouThreshold ?? 0.4, maxDetections: opts.maxDetections ?? 10 },
    ).map((k) => above[k]!);
    return {
      boxes: keep.map((i) => cand.boxes[i]!),
      scores: keep.map((i) => cand.scores[i]!),
      labels: keep.map((i) => cand.labels[i]!),
    };
  }
}

/**
 * CenterNet's decode before NMS: the `k` highest heatmap peaks (cells equal to the maximum of their
 * 3x3 neighbourhood; non-peaks score 0 and are left out) over all classes, ties broken as TensorFlow's top-k over the channels-last
 * layout, each a box 4·(x, y) − (l, t) .. 4·(x, y) + (r, b) from the size map.
 */
export function centerNetPeaks(heat: Tensor, wh: Tensor, k: number, stride = 4): Detections {
  const [, C, H, W] = heat.shape as [number, number, number, number];
  const peak = maxPool2d(heat, { kernelSize: 3, stride: 1, padding: 'same' });
  const hd = heat.data;
  const pd = peak.data;
  const cells: { s: number; at: number }[] = [];
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < H * W; p++) {
      const v = hd[c * H * W + p]!;
      // Non-peaks score 0 in the graph (heat · (heat == maxpool(heat))): they never pass a threshold.
      if (v > 0 && v === pd[c * H * W + p]!) cells.push({ s: v, at: p * C + c });
    }
  }
  cells.sort((a, b) => b.s - a.s || a.at - b.at);
  const out: Detections = { boxes: [], scores: [], labels: [] };
  for (const { s, at } of cells.slice(0, k)) {
    const c = at % C;
    const p = Math.floor(at / C);
    const y = Math.floor(p / W);
    const x = p % W;
    const e = (j: number) => wh.data[j * H * W + p]!;
    out.boxes.push([x * stride - e(0), y * stride - e(1), x * stride + e(2), y * stride + e(3)]);
    out.scores.push(s);
    out.labels.push(c);
  }
  return out;
}
