import {
  Add,
  AvgPool2d,
  Conv2d,
  GlobalAvgPool2d,
  Graph,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  ZeroPad2d,
  type GraphNode,
} from '../nn/index.js';
import { div, sub } from '../ops/elementwise.js';
import { pad, permute } from '../ops/shape-ops.js';
import { Tensor } from '../tensor/tensor.js';

/** The input size face-api's recognition network is built for (it resizes every face to it). */
export const FACE_RECOGNITION_INPUT_SIZE = 150;

/** face-api's per-channel RGB mean, subtracted before dividing by 255. */
const MEAN_RGB = [122.782, 117.001, 104.298];

const STAGES: readonly [string, 'residual' | 'down'][] = [
  ['conv32_1', 'residual'],
  ['conv32_2', 'residual'],
  ['conv32_3', 'residual'],
  ['conv64_down', 'down'],
  ['conv64_1', 'residual'],
  ['conv64_2', 'residual'],
  ['conv64_3', 'residual'],
  ['conv128_down', 'down'],
  ['conv128_1', 'residual'],
  ['conv128_2', 'residual'],
  ['conv256_down', 'down'],
  ['conv256_1', 'residual'],
  ['conv256_2', 'residual'],
  ['conv256_down_out', 'down'],
];

/**
 * face-api's input normalization, `(x - mean) / 255` per RGB channel, as one layer of the network
 * (the mean is a fixed buffer, not a parameter).
 */
export class FaceNormalize extends Module {
  /** The per-channel mean, shaped [3, 1, 1] to broadcast over NCHW images. */
  readonly mean: Tensor;

  constructor() {
    super();
    this.mean = this.registerBuffer('mean', new Tensor(Float32Array.from(MEAN_RGB), [3, 1, 1]));
  }

  /** `(x - mean) / 255`. */
  forward(x: Tensor): Tensor {
    return div(sub(x, this.mean), 255);
  }
}

/**
 * Append zero channels to images [N, C, H, W] (face-api's down-sampling shortcut widens this way
 * instead of with a 1x1 convolution).
 */
export class ZeroPadChannels extends Module {
  /** How many zero channels are appended after the existing ones. */
  readonly extra: number;

  constructor(extra: number) {
    super();
    this.extra = extra;
  }

  /** `x` followed by `extra` channels of zeros. */
  forward(x: Tensor): Tensor {
    return pad(x, [0, 0, 0, 0, 0, this.extra]);
  }

  override extraRepr(): string {
    return `extra=${this.extra}`;
  }
}

/**
 * The face recognition network of `@vladmandic/face-api` (a ResNet-34-like network producing a
 * 128-D face descriptor; two faces match when their descriptors are close), built as a Stride
 * {@link Graph} from face-api's weights, which `weight(name)` returns by their face-api names
 * (`conv32_1/conv1/conv/filters`, TensorFlow layout). It computes exactly what face-api's
 * `FaceRecognitionNet.forwardInput` computes on an already 150x150 RGB input with values 0..255,
 * given channels-first: `[N, 3, 150, 150]`. Convolution kernels are transposed to Stride's layout;
 * face-api's per-channel "scale" layers become depthwise 1x1 convolutions, so every weight trains.
 * `faceRecognitionNetFromTfjs` reads the weights from face-api's TF.js manifest.
 */
export function faceRecognitionNet(weight: (name: string) => Tensor): Graph {
  const get = weight;
  const g = new Graph();
  let size = FACE_RECOGNITION_INPUT_SIZE;
  const input = g.input([3, size, size], 'image');

  // (x - mean) / 255, as face-api's normalize().div(255).
  let x = g.add('normalize', new FaceNormalize(), input);

  /** conv (+bias) then the per-channel scale; TF 'same' or 'valid' padding. */
  const convLayer = (
    prefix: string,
    from: GraphNode,
    stride: number,
    padding: 'same' | 'valid',
    relu: boolean,
  ): GraphNode => {
    const k = get(`${prefix}/conv/filters`); // [kh, kw, in, out]
    const [kh, kw, cin, cout] = k.shape as [number, number, number, number];
    const conv = new Conv2d(cin, cout, [kh, kw], { stride, padding });
    conv.weight.data.set(permute(k, [3, 2, 0, 1]).clone().data);
    conv.bias!.data.set(get(`${prefix}/conv/bias`).data);
    const affine = new Conv2d(cout, cout, 1, { groups: cout });
    affine.weight.data.set(get(`${prefix}/scale/weights`).data);
    affine.bias!.data.set(get(`${prefix}/scale/biases`).data);
    const name = prefix.replace(/\//g, '_');
    let y = g.add(`${name}_conv`, conv, from);
    y = g.add(`${name}_scale`, affine, y);
    return relu ? g.add(`${name}_relu`, new ReLU(), y) : y;
  };

  x = convLayer('conv32_down', x, 2, 'valid', true);
  size = Math.floor((size - 7) / 2) + 1;
  x = g.add('pool', new MaxPool2d(3, { stride: 2 }), x);
  size = Math.floor((size - 3) / 2) + 1;
  let channels = 32;

  for (const [name, kind] of STAGES) {
    if (kind === 'residual') {
      let y = convLayer(`${name}/conv1`, x, 1, 'same', true);
      y = convLayer(`${name}/conv2`, y, 1, 'same', false);
      x = g.add(`${name}_relu`, new ReLU(), g.add(`${name}_add`, new Add(), y, x));
      continue;
    }
    let y = convLayer(`${name}/conv1`, x, 2, 'valid', true);
    y = convLayer(`${name}/conv2`, y, 1, 'same', false);
    const outSize = Math.floor((size - 3) / 2) + 1;
    const pooledSize = Math.floor(size / 2);
    // face-api pads the branch with a zero row and column when the pooled shortcut is larger.
    if (pooledSize > outSize)
      y = g.add(`${name}_pad`, new ZeroPad2d([0, pooledSize - outSize, 0, pooledSize - outSize]), y);
    let shortcut = g.add(`${name}_pool`, new AvgPool2d(2, { stride: 2 }), x);
    const outChannels = get(`${name}/conv2/conv/filters`).shape[3]!;
    if (outChannels > channels) {
      // ... and the shortcut with zero channels.
      shortcut = g.add(`${name}_pad_channels`, new ZeroPadChannels(outChannels - channels), shortcut);
    }
    x = g.add(`${name}_relu`, new ReLU(), g.add(`${name}_add`, new Add(), shortcut, y));
    size = Math.max(outSize, pooledSize);
    channels = outChannels;
  }
  x = g.add('mean', new GlobalAvgPool2d(), x);
  const fc = get('fc'); // [256, 128]
  const linear = new Linear(fc.shape[0]!, fc.shape[1]!, { bias: false });
  linear.weight.data.set(fc.transpose(0, 1).clone().data);
  g.output(g.add('fc', linear, x));
  return g.eval();
}
