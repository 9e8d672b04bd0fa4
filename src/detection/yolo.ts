import { ShapeError, ValueError } from '../errors.js';
import { BatchNorm2d, Conv2d, LeakyReLU, MaxPool2d, Sequential } from '../nn/index.js';
import { softplus } from '../ops/activation.js';
import { sigmoid, square } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { narrow } from '../ops/shape-ops.js';
import { logSoftmax, softmax } from '../ops/softmax.js';
import { Tensor } from '../tensor/tensor.js';
import { iou, type Box } from '../vision/iou.js';
import type { Detections } from './box-coder.js';
import { shapeIou } from './kmeans-anchors.js';

/** Ground truth of one image for the YOLO losses: corner boxes in input pixels and class labels. */
export interface YoloTarget {
  boxes: readonly Box[];
  labels: readonly number[];
}

/** Options of {@link yoloTiny}. */
export interface YoloTinyOptions {
  inChannels: number;
  numClasses: number;
  /** 'v1': B boxes per cell + one class distribution per cell; 'v2': per-anchor boxes and classes. */
  head: 'v1' | 'v2';
  /** v2: number of anchors per cell (default 3); v1: boxes per cell B (default 2). */
  boxesPerCell?: number;
  /** Channels of the first convolution, doubled at every downsampling (default 16). */
  width?: number;
  /** Downsampling steps; the grid stride is 2^depth (default 3: stride 8). */
  depth?: number;
}

/** Output channels of a YOLO head: v1 B·5 + C; v2 A·(5 + C). */
export function yoloHeadChannels(head: 'v1' | 'v2', boxesPerCell: number, numClasses: number): number {
  return head === 'v1' ? boxesPerCell * 5 + numClasses : boxesPerCell * (5 + numClasses);
}

/**
 * A small Tiny-YOLO-style network: `depth` stages of 3x3 convolution, batch norm, leaky ReLU
 * (slope 0.1) and 2x2 max pooling, two more 3x3 stages at the final resolution, and a 1x1 head
 * with {@link yoloHeadChannels} outputs per grid cell.
 */
export function yoloTiny(opts: YoloTinyOptions): Sequential {
  const width = opts.width ?? 16;
  const depth = opts.depth ?? 3;
  const B = opts.boxesPerCell ?? (opts.head === 'v1' ? 2 : 3);
  const layers: Record<string, Conv2d | BatchNorm2d | LeakyReLU | MaxPool2d> = {};
  let c = opts.inChannels;
  const block = (name: string, out: number) => {
    layers[`${name}_conv`] = new Conv2d(c, out, 3, { padding: 1, bias: false });
    layers[`${name}_bn`] = new BatchNorm2d(out);
    layers[`${name}_leaky`] = new LeakyReLU(0.1);
    c = out;
  };
  for (let i = 0; i < depth; i++) {
    block(`stage${i}`, width << i);
    layers[`stage${i}_pool`] = new MaxPool2d(2);
  }
  block('neck0', width << depth);
  block('neck1', width << depth);
  layers.head = new Conv2d(c, yoloHeadChannels(opts.head, B, opts.numClasses), 1);
  return new Sequential(layers);
}

/** Loss weights of the YOLO losses (the decks' values by default). */
export interface YoloLossOptions {
  /** Weight of the box-coordinate terms (default 5). */
  lambdaCoord?: number;
  /** Weight of the confidence term of predictors without an object (default 0.5). */
  lambdaNoobj?: number;
}

function gridOf(op: string, pred: Tensor, channels: number): [number, number, number] {
  if (pred.ndim !== 4 || pred.shape[1] !== channels) {
    throw new ShapeError(
      op,
      'the head output must be [N, channels, H, W]',
      `[N, ${channels}, H, W]`,
      pred.shape,
    );
  }
  return [pred.shape[0]!, pred.shape[2]!, pred.shape[3]!];
}

function checkTargets(op: string, targets: readonly YoloTarget[], n: number, numClasses: number): void {
  if (targets.length !== n) throw new ShapeError(op, 'one target per image', [n], [targets.length]);
  targets.forEach((t, i) =>
    t.labels.forEach((l) => {
      if (!(Number.isInteger(l) && l >= 0 && l < numClasses)) {
        throw new ValueError(op, `image ${i} has label ${l}; expected a class in [0, ${numClasses - 1}]`);
      }
    }),
  );
}

/**
 * The YOLOv1 loss of the decks (Redmon et al. 2016) on a head `pred` [N, B·5 + C, S, S]: per box
 * (x, y, w, h, confidence) squashed by a sigmoid (x, y the centre within the cell, w, h relative to
 * the image), per cell a softmax over the C classes. Each object is assigned to the cell holding its
 * centre and, within it, to the predictor whose box overlaps it most; then
 *
 * λcoord Σ_obj [(x − x̂)² + (y − ŷ)²] + λcoord Σ_obj [(√w − √ŵ)² + (√h − √ĥ)²] + Σ_obj (C − Ĉ)²
 * + λnoobj Σ_noobj Ĉ² + Σ_cells with an object Σ_c (p(c) − p̂(c))²,
 *
 * with confidence target C the IoU of the responsible box with the object; summed and divided by N.
 */
export function yoloV1Loss(
  pred: Tensor,
  targets: readonly YoloTarget[],
  opts: YoloLossOptions & { boxesPerCell: number; numClasses: number; stride: number },
): Tensor {
  const op = 'yoloV1Loss';
  const B = opts.boxesPerCell;
  const C = opts.numClasses;
  const [n, H, W] = gridOf(op, pred, B * 5 + C);
  checkTargets(op, targets, n, C);
  const lc = opts.lambdaCoord ?? 5;
  const ln = opts.lambdaNoobj ?? 0.5;
  const hw = H * W;
  const boxes = sigmoid(narrow(pred, 1, 0, B * 5)).reshape([n, B, 5, H, W]);
  const probs = softmax(narrow(pred, 1, B * 5, C), 1);
  // Targets, built from the current predictions (no gradient flows through the assignment).
  const tBox = new Float32Array(n * B * 5 * hw);
  const mCoord = new Float32Array(n * B * 5 * hw);
  const mConf = new Float32Array(n * B * 5 * hw).fill(0);
  const tCls = new Float32Array(n * C * hw);
  const mCls = new Float32Array(n * C * hw);
  const bd = boxes.data;
  const imgW = W * opts.stride;
  const imgH = H * opts.stride;
  const at = (i: number, b: number, k: number, cell: number) => ((i * B + b) * 5 + k) * hw + cell;
  for (let i = 0; i < n; i++) {
    // Predictors that hold an object get their own term; all others the no-object term.
    for (let b = 0; b < B; b++) for (let cell = 0; cell < hw; cell++) mConf[at(i, b, 4, cell)] = ln;
    const taken = new Set<number>();
    targets[i]!.boxes.forEach((box, k) => {
      const cx = (box[0] + box[2]) / 2 / opts.stride;
      const cy = (box[1] + box[3]) / 2 / opts.stride;
      const gx = Math.min(Math.floor(cx), W - 1);
      const gy = Math.min(Math.floor(cy), H - 1);
      const cell = gy * W + gx;
      if (taken.has(cell)) return; // YOLOv1: one object per cell
      taken.add(cell);
      let best = 0;
      let bestIou = -1;
      for (let b = 0; b < B; b++) {
        const px = (gx + bd[at(i, b, 0, cell)]!) * opts.stride;
        const py = (gy + bd[at(i, b, 1, cell)]!) * opts.stride;
        const pw = bd[at(i, b, 2, cell)]! * imgW;
        const ph = bd[at(i, b, 3, cell)]! * imgH;
        const o = iou([px - pw / 2, py - ph / 2, px + pw / 2, py + ph / 2], box);
        if (o > bestIou) {
          bestIou = o;
          best = b;
        }
      }
      const t = [cx - gx, cy - gy, Math.sqrt((box[2] - box[0]) / imgW), Math.sqrt((box[3] - box[1]) / imgH)];
      for (let k = 0; k < 4; k++) {
        tBox[at(i, best, k, cell)] = t[k]!;
        mCoord[at(i, best, k, cell)] = lc;
      }
      tBox[at(i, best, 4, cell)] = Math.max(bestIou, 0);
      mConf[at(i, best, 4, cell)] = 1;
      for (let c = 0; c < C; c++) {
        tCls[(i * C + c) * hw + cell] = c === targets[i]!.labels[k] ? 1 : 0;
        mCls[(i * C + c) * hw + cell] = 1;
      }
    });
  }
  const shape5 = [n, B, 5, H, W];
  // x, y as predicted; w, h compared through their square roots (the decks' √w, √h).
  const xy = narrow(boxes, 2, 0, 2);
  const wh = narrow(boxes, 2, 2, 2).add(1e-9).pow(0.5);
  const conf = narrow(boxes, 2, 4, 1);
  const T = new Tensor(tBox, shape5);
  const M = new Tensor(mCoord, shape5);
  const MC = new Tensor(mConf, shape5);
  const coord = sum(square(xy.sub(narrow(T, 2, 0, 2))).mul(narrow(M, 2, 0, 2))).add(
    sum(square(wh.sub(narrow(T, 2, 2, 2))).mul(narrow(M, 2, 2, 2))),
  );
  const confLoss = sum(square(conf.sub(narrow(T, 2, 4, 1))).mul(narrow(MC, 2, 4, 1)));
  const cls = sum(square(probs.sub(new Tensor(tCls, [n, C, H, W]))).mul(new Tensor(mCls, [n, C, H, W])));
  return coord.add(confLoss).add(cls).div(n);
}

/** Options of {@link yoloV2Loss} and {@link decodeYoloV1}. */
export interface YoloV2LossOptions extends YoloLossOptions {
  /** Anchor sizes [w, h] in grid cells. */
  anchors: readonly (readonly [number, number])[];
  numClasses: number;
  /** Input pixels per grid cell. */
  stride: number;
}

/**
 * An anchor-based (YOLOv2/v3-style) loss on a head `pred` [N, A·(5 + C), S, S] laid out as
 * {@link decodeYolo} reads it: each object goes to the cell holding its centre and the anchor whose
 * shape fits it best (IoU of sizes); that predictor learns σ(tx), σ(ty) → the centre's offset in the
 * cell and tw, th → log(size / anchor) (squared errors weighted λcoord), objectness 1 (logistic
 * loss) and its class (cross-entropy); every other predictor learns objectness 0, weighted
 * λnoobj. Summed and divided by N.
 */
export function yoloV2Loss(pred: Tensor, targets: readonly YoloTarget[], opts: YoloV2LossOptions): Tensor {
  const op = 'yoloV2Loss';
  const A = opts.anchors.length;
  const C = opts.numClasses;
  const per = 5 + C;
  const [n, H, W] = gridOf(op, pred, A * per);
  checkTargets(op, targets, n, C);
  const lc = opts.lambdaCoord ?? 5;
  const ln = opts.lambdaNoobj ?? 0.5;
  const hw = H * W;
  const tBox = new Float32Array(n * A * 4 * hw);
  const mBox = new Float32Array(n * A * 4 * hw);
  const mObj = new Float32Array(n * A * hw);
  const mNoobj = new Float32Array(n * A * hw).fill(ln);
  const tCls = new Float32Array(n * A * C * hw);
  for (let i = 0; i < n; i++) {
    targets[i]!.boxes.forEach((box, k) => {
      const cx = (box[0] + box[2]) / 2 / opts.stride;
      const cy = (box[1] + box[3]) / 2 / opts.stride;
      const w = (box[2] - box[0]) / opts.stride;
      const h = (box[3] - box[1]) / opts.stride;
      const gx = Math.min(Math.floor(cx), W - 1);
      const gy = Math.min(Math.floor(cy), H - 1);
      const cell = gy * W + gx;
      let a = 0;
      opts.anchors.forEach((anc, j) => {
        if (shapeIou([w, h], anc) > shapeIou([w, h], opts.anchors[a]!)) a = j;
      });
      const t = [cx - gx, cy - gy, Math.log(w / opts.anchors[a]![0]), Math.log(h / opts.anchors[a]![1])];
      for (let q = 0; q < 4; q++) {
        tBox[((i * A + a) * 4 + q) * hw + cell] = t[q]!;
        mBox[((i * A + a) * 4 + q) * hw + cell] = lc;
      }
      mObj[(i * A + a) * hw + cell] = 1;
      mNoobj[(i * A + a) * hw + cell] = 0;
      for (let c = 0; c < C; c++)
        tCls[((i * A + a) * C + c) * hw + cell] = c === targets[i]!.labels[k] ? 1 : 0;
    });
  }
  const p = pred.reshape([n, A, per, H, W]);
  const xy = sigmoid(narrow(p, 2, 0, 2));
  const twh = narrow(p, 2, 2, 2);
  const obj = narrow(p, 2, 4, 1);
  const T = new Tensor(tBox, [n, A, 4, H, W]);
  const M = new Tensor(mBox, [n, A, 4, H, W]);
  const coord = sum(square(xy.sub(narrow(T, 2, 0, 2))).mul(narrow(M, 2, 0, 2))).add(
    sum(square(twh.sub(narrow(T, 2, 2, 2))).mul(narrow(M, 2, 2, 2))),
  );
  // Logistic loss on the objectness logit: softplus(o) − o·t.
  const MO = new Tensor(mObj, [n, A, 1, H, W]);
  const sp = softplus(obj);
  const objLoss = sum(sp.sub(obj).mul(MO)).add(sum(sp.mul(new Tensor(mNoobj, [n, A, 1, H, W]))));
  const clsLoss =
    C > 0 ? sum(logSoftmax(narrow(p, 2, 5, C), 2).mul(new Tensor(tCls, [n, A, C, H, W]))).neg() : null;
  const total = coord.add(objLoss);
  return (clsLoss ? total.add(clsLoss) : total).div(n);
}

/**
 * Decode a YOLOv1 head [N, B·5 + C, S, S] (as {@link yoloV1Loss} trains it): each of the B boxes of
 * a cell scores confidence × its cell's best class probability; boxes at or above `scoreThreshold`
 * are returned (run NMS next).
 */
export function decodeYoloV1(
  pred: Tensor,
  opts: { boxesPerCell: number; numClasses: number; stride: number; scoreThreshold?: number },
): Detections[] {
  const B = opts.boxesPerCell;
  const C = opts.numClasses;
  const [n, H, W] = gridOf('decodeYoloV1', pred, B * 5 + C);
  const boxes = sigmoid(narrow(pred, 1, 0, B * 5)).data;
  const probs = softmax(narrow(pred, 1, B * 5, C), 1).data;
  const hw = H * W;
  const thr = opts.scoreThreshold ?? 0.5;
  const out: Detections[] = [];
  for (let i = 0; i < n; i++) {
    const d: Detections = { boxes: [], scores: [], labels: [] };
    for (let cell = 0; cell < hw; cell++) {
      let label = 0;
      for (let c = 1; c < C; c++)
        if (probs[(i * C + c) * hw + cell]! > probs[(i * C + label) * hw + cell]!) label = c;
      const pc = probs[(i * C + label) * hw + cell]!;
      for (let b = 0; b < B; b++) {
        const v = (k: number) => boxes[((i * B + b) * 5 + k) * hw + cell]!;
        const score = v(4) * pc;
        if (!(score >= thr)) continue;
        const cx = ((cell % W) + v(0)) * opts.stride;
        const cy = (Math.floor(cell / W) + v(1)) * opts.stride;
        const w = v(2) * W * opts.stride;
        const h = v(3) * H * opts.stride;
        d.boxes.push([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]);
        d.scores.push(score);
        d.labels.push(label);
      }
    }
    out.push(d);
  }
  return out;
}
