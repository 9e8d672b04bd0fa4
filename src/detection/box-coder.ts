import { ShapeError, ValueError } from '../errors.js';
import { empty, type Tensor } from '../tensor/tensor.js';

/** SSD's variances [x, y, w, h] (the reciprocals of torchvision's BoxCoder weights 10, 10, 5, 5). */
export const SSD_VARIANCES = [0.1, 0.1, 0.2, 0.2] as const;
/** torchvision's clamp on decoded log-sizes: log(1000 / 16). */
const MAX_LOG_SIZE = Math.log(1000 / 16);

function checkPair(op: string, a: Tensor, b: Tensor, an: string, bn: string): number {
  if (a.ndim !== 2 || a.shape[1] !== 4) throw new ShapeError(op, `${an} must be [N, 4]`, '[N, 4]', a.shape);
  if (b.ndim !== 2 || b.shape[1] !== 4 || b.shape[0] !== a.shape[0]) {
    throw new ShapeError(op, `${bn} must be [N, 4], one per row of ${an}`, [a.shape[0]!, 4], b.shape);
  }
  return a.shape[0]!;
}

function checkVariances(op: string, v: readonly number[]): void {
  if (v.length !== 4 || !v.every((x) => x > 0)) {
    throw new ValueError(op, `variances must be 4 positive numbers [x, y, w, h], got ${JSON.stringify(v)}`);
  }
}

/**
 * SSD / Faster R-CNN box encoding (torchvision's `BoxCoder.encode` with weights 1/variances): the
 * offsets of corner boxes `boxes` [N, 4] from `anchors` [N, 4], ((cx − acx)/aw/v0, (cy − acy)/ah/v1,
 * log(w/aw)/v2, log(h/ah)/v3).
 */
export function encodeBoxes(
  boxes: Tensor,
  anchors: Tensor,
  variances: readonly number[] = SSD_VARIANCES,
): Tensor {
  const op = 'encodeBoxes';
  const n = checkPair(op, anchors, boxes, 'anchors', 'boxes');
  checkVariances(op, variances);
  const out = empty([n, 4], boxes.dtype);
  const a = anchors.data;
  const b = boxes.data;
  for (let i = 0; i < n; i++) {
    const o = 4 * i;
    const aw = a[o + 2]! - a[o]!;
    const ah = a[o + 3]! - a[o + 1]!;
    const bw = b[o + 2]! - b[o]!;
    const bh = b[o + 3]! - b[o + 1]!;
    out.data[o] = (b[o]! + 0.5 * bw - (a[o]! + 0.5 * aw)) / aw / variances[0]!;
    out.data[o + 1] = (b[o + 1]! + 0.5 * bh - (a[o + 1]! + 0.5 * ah)) / ah / variances[1]!;
    out.data[o + 2] = Math.log(bw / aw) / variances[2]!;
    out.data[o + 3] = Math.log(bh / ah) / variances[3]!;
  }
  return out;
}

/**
 * Inverse of {@link encodeBoxes} (torchvision's `BoxCoder.decode`): corner boxes from offsets
 * [N, 4] against `anchors` [N, 4]; log-sizes are clamped at log(1000/16) as torchvision does.
 */
export function decodeBoxes(
  offsets: Tensor,
  anchors: Tensor,
  variances: readonly number[] = SSD_VARIANCES,
): Tensor {
  const op = 'decodeBoxes';
  const n = checkPair(op, anchors, offsets, 'anchors', 'offsets');
  checkVariances(op, variances);
  const out = empty([n, 4], offsets.dtype);
  const a = anchors.data;
  const d = offsets.data;
  for (let i = 0; i < n; i++) {
    const o = 4 * i;
    const aw = a[o + 2]! - a[o]!;
    const ah = a[o + 3]! - a[o + 1]!;
    const cx = d[o]! * variances[0]! * aw + a[o]! + 0.5 * aw;
    const cy = d[o + 1]! * variances[1]! * ah + a[o + 1]! + 0.5 * ah;
    const w = Math.exp(Math.min(d[o + 2]! * variances[2]!, MAX_LOG_SIZE)) * aw;
    const h = Math.exp(Math.min(d[o + 3]! * variances[3]!, MAX_LOG_SIZE)) * ah;
    out.data[o] = cx - 0.5 * w;
    out.data[o + 1] = cy - 0.5 * h;
    out.data[o + 2] = cx + 0.5 * w;
    out.data[o + 3] = cy + 0.5 * h;
  }
  return out;
}

/** Boxes, scores and class labels found in one image. */
export interface Detections {
  /** Corner boxes [x1, y1, x2, y2] in input pixels. */
  boxes: [number, number, number, number][];
  scores: number[];
  labels: number[];
}

/** Options of {@link decodeYolo}. */
export interface YoloDecodeOptions {
  /** Anchor sizes [w, h] in grid cells (darknet's convention), one per anchor. */
  anchors: readonly (readonly [number, number])[];
  /** Number of classes after the 5 box/objectness values of each anchor. */
  numClasses: number;
  /** Input pixels per grid cell. */
  stride: number;
  /**
   * How class scores combine with objectness: 'softmax' (YOLOv2: obj·softmax(classes)), 'sigmoid'
   * (YOLOv3: obj·sigmoid(class)), or 'none' (objectness alone; with numClasses 0).
   */
  classActivation?: 'softmax' | 'sigmoid' | 'none';
  /** Keep candidates scoring at least this (default 0.5). */
  scoreThreshold?: number;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * YOLOv2/v3 decode of a raw head output `raw` [N, A·(5 + C), H, W] (per anchor: tx, ty, tw, th,
 * objectness, C class logits): box centre ((cx + σ(tx))·stride, (cy + σ(ty))·stride), size
 * (anchorW·e^tw·stride, anchorH·e^th·stride). Returns each image's candidates above the score
 * threshold with their best class (run {@link nms} on them next).
 */
export function decodeYolo(raw: Tensor, opts: YoloDecodeOptions): Detections[] {
  const op = 'decodeYolo';
  const A = opts.anchors.length;
  const C = opts.numClasses;
  const per = 5 + C;
  if (raw.ndim !== 4 || raw.shape[1] !== A * per) {
    throw new ShapeError(
      op,
      `the head output must be [N, anchors·(5 + numClasses), H, W] = [N, ${A}·${per}, H, W]`,
      `[N, ${A * per}, H, W]`,
      raw.shape,
    );
  }
  const act = opts.classActivation ?? (C > 0 ? 'softmax' : 'none');
  const thr = opts.scoreThreshold ?? 0.5;
  const [n, , H, W] = raw.shape as [number, number, number, number];
  const d = raw.data;
  const hw = H * W;
  const out: Detections[] = [];
  for (let i = 0; i < n; i++) {
    const det: Detections = { boxes: [], scores: [], labels: [] };
    for (let a = 0; a < A; a++) {
      const base = (i * A * per + a * per) * hw;
      const [aw, ah] = opts.anchors[a]!;
      for (let cy = 0; cy < H; cy++) {
        for (let cx = 0; cx < W; cx++) {
          const at = (k: number) => d[base + k * hw + cy * W + cx]!;
          const obj = sigmoid(at(4));
          let label = 0;
          let cls = 1;
          if (act !== 'none' && C > 0) {
            let best = -Infinity;
            for (let c = 0; c < C; c++) {
              if (at(5 + c) > best) {
                best = at(5 + c);
                label = c;
              }
            }
            if (act === 'sigmoid') cls = sigmoid(best);
            else {
              let z = 0;
              for (let c = 0; c < C; c++) z += Math.exp(at(5 + c) - best);
              cls = 1 / z;
            }
          }
          const score = obj * cls;
          if (!(score >= thr)) continue;
          const bx = (cx + sigmoid(at(0))) * opts.stride;
          const by = (cy + sigmoid(at(1))) * opts.stride;
          const bw = aw * Math.exp(at(2)) * opts.stride;
          const bh = ah * Math.exp(at(3)) * opts.stride;
          det.boxes.push([bx - bw / 2, by - bh / 2, bx + bw / 2, by + bh / 2]);
          det.scores.push(score);
          det.labels.push(label);
        }
      }
    }
    out.push(det);
  }
  return out;
}
