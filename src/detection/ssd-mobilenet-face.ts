import { noGrad } from '../autograd/grad-mode.js';
import { weightGetter } from '../models/tfjs-weight-layers.js';
import { ShapeError } from '../errors.js';
import { Conv2d, Graph, ReLU6, type GraphNode } from '../nn/index.js';
import { permute } from '../ops/shape-ops.js';
import { Tensor } from '../tensor/tensor.js';
import { nms } from '../vision/nms.js';
import type { Detections } from './box-coder.js';
import { decodeBoxes } from './box-coder.js';

/** face-api's batch-norm epsilon (float32 0.001). */
const BN_EPS = 0.0010000000474974513;
/** MobileNetV1 layers 1..13 whose depthwise convolution has stride 2. */
const STRIDE2 = new Set([2, 4, 6, 12]);

/** Options of {@link SsdMobilenetFaceDetector.detect} (face-api's defaults). */
export interface SsdFaceDetectOptions {
  /** Keep faces scoring above this (default 0.5). */
  scoreThreshold?: number;
  /** NMS IoU threshold (default 0.5). */
  iouThreshold?: number;
  /** At most this many faces (default 100). */
  maxDetections?: number;
}

/**
 * face-api's `ssd_mobilenetv1` face detector: a MobileNetV1 backbone (batch norm folded into the
 * convolutions, ReLU6), SSD's extra layers and six box predictors (3 anchors on the 32x32 map, 6 on
 * the others: 5118 anchors at 512x512), rebuilt as a Stride {@link Graph} whose 12 outputs are the
 * box encodings and class logits of each level (channels-first). {@link detect} decodes them against
 * the anchors shipped with the weights (SSD offsets, variances 0.1 / 0.2) and runs face-api's NMS.
 */
export class SsdMobilenetFaceDetector {
  readonly inputSize = 512;

  constructor(
    readonly net: Graph,
    /** Anchors [5118, 4] as (y1, x1, y2, x2) relative to the image. */
    readonly anchors: Tensor,
  ) {}

  /** Box encodings [K, 4] (ty, tx, th, tw) and face logits [K] in anchor order (face-api's reshape order). */
  raw(image: Tensor): { encodings: Tensor; logits: Float32Array } {
    if (image.ndim !== 4 || image.shape[0] !== 1 || image.shape[1] !== 3) {
      throw new ShapeError(
        'SsdMobilenetFaceDetector',
        'expected one RGB image',
        '[1, 3, 512, 512]',
        image.shape,
      );
    }
    const outs = noGrad(() => this.net.forwardAll(image.div(127.5).sub(1)));
    const enc: number[] = [];
    const logits: number[] = [];
    for (let l = 0; l < 6; l++) {
      const box = outs[2 * l]!;
      const cls = outs[2 * l + 1]!;
      const [, cb, H, W] = box.shape as [number, number, number, number];
      const A = cb / 4;
      for (let p = 0; p < H * W; p++) {
        for (let a = 0; a < A; a++) {
          for (let k = 0; k < 4; k++) enc.push(box.data[(a * 4 + k) * H * W + p]!);
          logits.push(cls.data[(a * 3 + 1) * H * W + p]!);
        }
      }
    }
    return {
      encodings: new Tensor(Float32Array.from(enc), [enc.length / 4, 4]),
      logits: Float32Array.from(logits),
    };
  }

  /** Faces in one RGB image [1, 3, 512, 512] (values 0..255), boxes (x1, y1, x2, y2) in input pixels. */
  detect(image: Tensor, opts: SsdFaceDetectOptions = {}): Detections {
    const { encodings, logits } = this.raw(image);
    const boxes = decodeBoxes(encodings, this.anchors); // (y1, x1, y2, x2), relative
    const thr = opts.scoreThreshold ?? 0.5;
    const S = image.shape[2]!;
    const cand: number[] = [];
    const scores = Array.from(logits, (v) => 1 / (1 + Math.exp(-v)));
    scores.forEach((s, i) => {
      if (s > thr) cand.push(i);
    });
    const corner = (i: number): [number, number, number, number] => {
      const b = boxes.data;
      return [b[4 * i + 1]!, b[4 * i]!, b[4 * i + 3]!, b[4 * i + 2]!];
    };
    const keep = nms(
      cand.map((i) => corner(i)),
      cand.map((i) => scores[i]!),
      { iouThreshold: opts.iouThreshold ?? 0.5, maxDetections: opts.maxDetections ?? 100 },
    ).map((k) => cand[k]!);
    const clip = (v: number) => Math.min(Math.max(v, 0), 1) * S;
    return {
      boxes: keep.map((i) => corner(i).map(clip) as [number, number, number, number]),
      scores: keep.map((i) => scores[i]!),
      labels: keep.map(() => 0),
    };
  }
}

/**
 * Build face-api's SSD MobileNetV1 face detector from the weights of
 * `ssd_mobilenetv1_model-weights_manifest.json` (see {@link SsdMobilenetFaceDetector}).
 */
export function ssdMobilenetFaceFromTfjs(
  weights: ReadonlyMap<string, Tensor>,
  opts: { file?: string } = {},
): SsdMobilenetFaceDetector {
  const get = weightGetter(weights, opts.file, 'ssd_mobilenetv1_model-weights_manifest.json');
  const g = new Graph();
  const input = g.input([3, 512, 512], 'image');
  let n = 0;
  /** A TF 'same' convolution with kernel [kh, kw, in, out] (depthwise: [kh, kw, c, 1]), optional bias. */
  const conv = (
    from: GraphNode,
    k: Tensor,
    bias: Float32Array | null,
    stride: number,
    depthwise = false,
    scale?: Float32Array,
  ) => {
    const [kh, kw, cin, cout] = k.shape as [number, number, number, number];
    const out = depthwise ? cin : cout;
    const layer = new Conv2d(cin, out, [kh, kw], {
      stride,
      padding: 'same',
      groups: depthwise ? cin : 1,
      bias: bias !== null,
    });
    const w = (depthwise ? permute(k, [2, 3, 0, 1]) : permute(k, [3, 2, 0, 1])).clone();
    if (scale) {
      const per = w.size / out;
      for (let o = 0; o < out; o++) for (let j = 0; j < per; j++) w.data[o * per + j]! *= scale[o]!;
    }
    layer.weight.data.set(w.data);
    if (bias) layer.bias!.data.set(bias);
    return g.add(`conv${n++}`, layer, from);
  };
  const relu6 = (x: GraphNode) => g.add(`relu6_${n++}`, new ReLU6(), x);
  /** face-api's pointwiseConvLayer: conv + batch-norm offset, ReLU6. */
  const pointwise = (from: GraphNode, prefix: string, stride: number) =>
    relu6(
      conv(
        from,
        get(`${prefix}/weights`),
        Float32Array.from(get(`${prefix}/convolution_bn_offset`).data),
        stride,
      ),
    );
  /** face-api's depthwiseConvLayer: depthwise conv, batch norm (folded), ReLU6. */
  const depthwise = (from: GraphNode, prefix: string, stride: number) => {
    const gamma = get(`${prefix}/BatchNorm/gamma`).data;
    const beta = get(`${prefix}/BatchNorm/beta`).data;
    const mean = get(`${prefix}/BatchNorm/moving_mean`).data;
    const variance = get(`${prefix}/BatchNorm/moving_variance`).data;
    const scale = Float32Array.from(gamma, (gm, c) => gm / Math.sqrt(variance[c]! + BN_EPS));
    const bias = Float32Array.from(beta, (b, c) => b - mean[c]! * scale[c]!);
    return relu6(conv(from, get(`${prefix}/depthwise_weights`), bias, stride, true, scale));
  };
  let x = pointwise(input, 'MobilenetV1/Conv2d_0_pointwise', 2);
  let conv11: GraphNode | null = null;
  for (let layer = 1; layer <= 13; layer++) {
    x = depthwise(x, `MobilenetV1/Conv2d_${layer}_depthwise`, STRIDE2.has(layer) ? 2 : 1);
    x = pointwise(x, `MobilenetV1/Conv2d_${layer}_pointwise`, 1);
    if (layer === 11) conv11 = x;
  }
  const taps = [conv11!, x];
  let p = x;
  for (let i = 0; i < 8; i++) {
    p = pointwise(p, `Prediction/Conv2d_${i}_pointwise`, i % 2 === 1 ? 2 : 1);
    if (i % 2 === 1) taps.push(p);
  }
  const outs: GraphNode[] = [];
  taps.forEach((t, l) => {
    for (const what of ['BoxEncodingPredictor', 'ClassPredictor']) {
      const prefix = `Prediction/BoxPredictor_${l}/${what}`;
      outs.push(conv(t, get(`${prefix}/weights`), Float32Array.from(get(`${prefix}/biases`).data), 1));
    }
  });
  g.output(...outs);
  const anchors = get('Output/extra_dim');
  return new SsdMobilenetFaceDetector(g.eval() as Graph, anchors.reshape([anchors.size / 4, 4]));
}
