import { weightGetter } from '../models/tfjs-weight-layers.js';
import { Conv2d, LeakyReLU, MaxPool2d, Sequential } from '../nn/index.js';
import { noGrad } from '../autograd/grad-mode.js';
import { ShapeError } from '../errors.js';
import { permute } from '../ops/shape-ops.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeYolo, type Detections } from './box-coder.js';
import { nms } from '../vision/nms.js';

/** face-api's tiny face detector anchors [w, h] in grid cells (Tiny-YOLOv2 style, 5 per cell). */
export const TINY_FACE_ANCHORS: readonly (readonly [number, number])[] = [
  [1.603231, 2.094468],
  [6.041143, 7.080126],
  [2.882459, 3.518061],
  [4.266906, 5.178857],
  [9.041765, 10.66308],
];
/** face-api's per-channel RGB mean, subtracted before dividing by 255. */
export const TINY_FACE_MEAN_RGB = [117.001, 114.697, 97.404] as const;
/** IoU threshold of face-api's non-maximum suppression for this detector. */
const TINY_FACE_IOU = 0.4;

/** Options of {@link TinyFaceDetector.detect}. */
export interface TinyFaceDetectOptions {
  /** Keep faces scoring above this (default 0.5, face-api's default). */
  scoreThreshold?: number;
}

/**
 * face-api's `tiny_face_detector` (a Tiny-YOLOv2 with depthwise-separable convolutions, one class,
 * five anchors) rebuilt as a Stride {@link Sequential} from its TF.js weights. `net` maps an
 * [N, 3, S, S] input, already normalized as face-api does ((RGB − mean) / 255), to the raw YOLO head
 * [N, 25, S/32, S/32]; {@link detect} adds the normalization, the YOLO decode and face-api's NMS.
 */
export class TinyFaceDetector {
  constructor(readonly net: Sequential) {}

  /**
   * Faces in RGB images `image` [N, 3, S, S] with values 0..255, S a multiple of 32 (face-api's
   * input sizes 128..608 are; resize and pad the photo to a square first). Boxes are in input pixels.
   */
  detect(image: Tensor, opts: TinyFaceDetectOptions = {}): Detections[] {
    if (
      image.ndim !== 4 ||
      image.shape[1] !== 3 ||
      image.shape[2] !== image.shape[3] ||
      image.shape[2]! % 32
    ) {
      throw new ShapeError(
        'TinyFaceDetector.detect',
        'the input must be a batch of square RGB images whose side is a multiple of 32',
        '[N, 3, S, S]',
        image.shape,
        'resize (and pad) the photo to e.g. 416x416',
      );
    }
    const mean = new Tensor(Float32Array.from(TINY_FACE_MEAN_RGB), [1, 3, 1, 1]);
    const raw = noGrad(() => this.net.forward(image.sub(mean).div(255)));
    const stride = image.shape[2]! / raw.shape[2]!;
    const thr = opts.scoreThreshold ?? 0.5;
    return decodeYolo(raw, { anchors: TINY_FACE_ANCHORS, numClasses: 0, stride, scoreThreshold: thr }).map(
      (d) => {
        // face-api keeps scores strictly above the threshold.
        const above = d.scores.map((s, i) => (s > thr ? i : -1)).filter((i) => i >= 0);
        const keep = nms(
          above.map((i) => d.boxes[i]!),
          above.map((i) => d.scores[i]!),
          { iouThreshold: TINY_FACE_IOU },
        ).map((k) => above[k]!);
        return {
          boxes: keep.map((i) => d.boxes[i]!),
          scores: keep.map((i) => d.scores[i]!),
          labels: keep.map(() => 0),
        };
      },
    );
  }
}

/**
 * Build face-api's tiny face detector from the weights of `tiny_face_detector_model-weights_manifest.json`
 * (decoded with `decodeTfjsWeights` / `loadTfjsWeights`): conv0 a plain 3x3 convolution, conv1..conv5
 * depthwise-separable, each followed by leaky ReLU (slope 0.1) and a 2x2 max pool ('same'; stride 1 after
 * conv5), then the 1x1 head conv8 with 5 anchors × (4 box values + objectness).
 */
export function tinyFaceDetectorFromTfjs(
  weights: ReadonlyMap<string, Tensor>,
  opts: { file?: string } = {},
): TinyFaceDetector {
  const get = weightGetter(weights, opts.file, 'tiny_face_detector_model-weights_manifest.json');
  const conv = (filters: Tensor, bias: Tensor | null, padding: number, groups = 1): Conv2d => {
    // TF.js [kh, kw, in, out] (depthwise: [kh, kw, in, 1]) -> Stride [out, in / groups, kh, kw].
    const [kh, kw, cin, cout] = filters.shape as [number, number, number, number];
    const outChannels = groups > 1 ? cin : cout;
    const layer = new Conv2d(cin, outChannels, [kh, kw], { padding, groups, bias: bias !== null });
    const perm = groups > 1 ? permute(filters, [2, 3, 0, 1]) : permute(filters, [3, 2, 0, 1]);
    layer.weight.data.set(perm.clone().data);
    if (bias) layer.bias!.data.set(bias.data);
    return layer;
  };
  const layers: Record<string, Conv2d | LeakyReLU | MaxPool2d> = {
    conv0: conv(get('conv0/filters'), get('conv0/bias'), 0),
    conv0_leaky: new LeakyReLU(0.1),
  };
  for (let i = 1; i <= 5; i++) {
    layers[`pool${i - 1}`] = new MaxPool2d(2, { stride: 2, padding: 'same' });
    const dw = get(`conv${i}/depthwise_filter`);
    layers[`conv${i}_depthwise`] = conv(dw, null, 1, dw.shape[2]!);
    layers[`conv${i}_pointwise`] = conv(get(`conv${i}/pointwise_filter`), get(`conv${i}/bias`), 0);
    layers[`conv${i}_leaky`] = new LeakyReLU(0.1);
  }
  layers.pool5 = new MaxPool2d(2, { stride: 1, padding: 'same' });
  layers.conv8 = conv(get('conv8/filters'), get('conv8/bias'), 0);
  return new TinyFaceDetector(new Sequential(layers).eval() as Sequential);
}
