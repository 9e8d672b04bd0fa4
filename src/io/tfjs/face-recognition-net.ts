import {
  Add,
  AvgPool2d,
  Conv2d,
  GlobalAvgPool2d,
  Graph,
  Linear,
  MaxPool2d,
  ReLU,
  ZeroPad2d,
  type GraphNode,
} from '../../nn/index.js';
import { permute } from '../../ops/shape-ops.js';
import { Tensor } from '../../tensor/tensor.js';
import { ModelFileError } from '../model-file-error.js';
import { OnnxOp } from '../onnx/onnx-op-layer.js';
import { findWeight } from './tfjs-weights.js';

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
 * The face recognition network of `@vladmandic/face-api` (a ResNet-34-like network producing a
 * 128-D face descriptor; two faces match when their descriptors are close), rebuilt as a Stride
 * {@link Graph} from its TF.js weights (`face_recognition_model-weights_manifest.json` and its
 * shard, decoded with `decodeTfjsWeights`). It computes exactly what face-api's
 * `FaceRecognitionNet.forwardInput` computes on an already 150x150 RGB input with values 0..255,
 * given channels-first: `[N, 3, 150, 150]`. Convolution kernels are transposed to Stride's layout;
 * face-api's per-channel "scale" layers become depthwise 1x1 convolutions, so every weight trains.
 */
export function faceRecognitionNetFromTfjs(
  weights: ReadonlyMap<string, Tensor>,
  opts: { file?: string } = {},
): Graph {
  const get = (name: string): Tensor =>
    findWeight(weights, name) ??
    ((): never => {
      throw new ModelFileError(
        'importTfjs',
        opts.file,
        `the weights lack '${name}'`,
        'load face_recognition_model-weights_manifest.json with its shard',
      );
    })();
  const g = new Graph();
  let size = FACE_RECOGNITION_INPUT_SIZE;
  const input = g.input([3, size, size], 'image');

  // (x - mean) / 255, as face-api's normalize().div(255).
  const mean = new Tensor(Float32Array.from(MEAN_RGB), [3, 1, 1]);
  const scale = new Tensor(Float32Array.from([255]), []);
  let x = g.add(
    'normalize',
    new OnnxOp(
      'Sub',
      13,
      new Map(),
      [
        { kind: 'input', index: 0 },
        { kind: 'const', name: 'c1' },
      ],
      new Map([['c1', { tensor: mean, trainable: false }]]),
    ),
    input,
  );
  x = g.add(
    'scale_255',
    new OnnxOp(
      'Div',
      13,
      new Map(),
      [
        { kind: 'input', index: 0 },
        { kind: 'const', name: 'c1' },
      ],
      new Map([['c1', { tensor: scale, trainable: false }]]),
    ),
    x,
  );

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
      // ... and the shortcut with zero channels (ONNX Pad order: begins then ends of N, C, H, W).
      const pads = new Tensor(Float32Array.from([0, 0, 0, 0, 0, outChannels - channels, 0, 0]), [8]);
      const pad = new OnnxOp(
        'Pad',
        13,
        new Map(),
        [
          { kind: 'input', index: 0 },
          { kind: 'const', name: 'c1' },
        ],
        new Map([['c1', { tensor: pads, trainable: false }]]),
      );
      shortcut = g.add(`${name}_pad_channels`, pad, shortcut);
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
