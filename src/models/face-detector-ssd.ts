import { BatchNorm2d } from '../nn/normalization.js';
import { Graph, type GraphNode } from '../nn/graph.js';
import { ReLU6 } from '../nn/activation-layers.js';
import type { Tensor } from '../tensor/tensor.js';
import { tfConv, tfDepthwiseConv, weightGetter } from './tfjs-weight-layers.js';

/** The square input side face-api's SSD face detector runs at. */
export const SSD_FACE_INPUT_SIZE = 512;

/** The detector graph's outputs: per prediction head, box encodings then class logits (NCHW). */
export interface SsdFaceDetectorNet {
  /** Input [N, 3, 512, 512] with values in [-1, 1]; outputs the 12 maps of the six heads. */
  graph: Graph;
  /** The 5118 anchor boxes [ymin, xmin, ymax, xmax] in [0, 1] (face-api's `Output/extra_dim`). */
  anchors: Float32Array;
  /** Anchors per cell of each head (3 for the first, 6 for the others). */
  anchorsPerCell: number[];
}

/**
 * face-api's SSD MobileNetV1 face detector (`ssd_mobilenetv1_model`), rebuilt from its TF.js
 * weights as a Stride {@link Graph}: a MobileNetV1 backbone (depthwise + pointwise convolutions,
 * batch norm folded into the pointwise ones' offsets, ReLU6), eight extra pointwise layers, and six
 * box-prediction heads (on conv 11, conv 13 and the extra layers at strides 64 to 512 pixels).
 * Decoding the box encodings against the anchors and suppressing overlaps is
 * `decodeSsdFaces` in `src/faces/ssd-decode.ts`.
 */
export function ssdFaceDetector(
  weights: ReadonlyMap<string, Tensor>,
  opts: { file?: string } = {},
): SsdFaceDetectorNet {
  const get = weightGetter(weights, opts.file, 'ssd_mobilenetv1_model-weights_manifest.json');
  const g = new Graph();
  const input = g.input(undefined, 'image');
  const pointwise = (prefix: string, name: string, from: GraphNode, stride: number): GraphNode => {
    const conv = tfConv(get(`${prefix}/weights`), get(`${prefix}/convolution_bn_offset`), stride);
    return g.add(`${name}_relu6`, new ReLU6(), g.add(name, conv, from));
  };
  let x = pointwise('MobilenetV1/Conv2d_0_pointwise', 'conv_0', input, 2);
  let conv11: GraphNode | null = null;
  for (let i = 1; i <= 13; i++) {
    const p = `MobilenetV1/Conv2d_${i}_depthwise`;
    const stride = [2, 4, 6, 12].includes(i) ? 2 : 1;
    const dw = tfDepthwiseConv(get(`${p}/depthwise_weights`), stride);
    const gamma = get(`${p}/BatchNorm/gamma`);
    const bn = new BatchNorm2d(gamma.size, { eps: 0.0010000000474974513 });
    bn.weight!.data.set(gamma.data);
    bn.bias!.data.set(get(`${p}/BatchNorm/beta`).data);
    bn.runningMean!.data.set(get(`${p}/BatchNorm/moving_mean`).data);
    bn.runningVar!.data.set(get(`${p}/BatchNorm/moving_variance`).data);
    x = g.add(`conv_${i}_depthwise`, dw, x);
    x = g.add(`conv_${i}_bn`, bn, x);
    x = g.add(`conv_${i}_depthwise_relu6`, new ReLU6(), x);
    x = pointwise(`MobilenetV1/Conv2d_${i}_pointwise`, `conv_${i}_pointwise`, x, 1);
    if (i === 11) conv11 = x;
  }
  const extra: GraphNode[] = [];
  let y = x;
  for (let i = 0; i < 8; i++) {
    y = pointwise(`Prediction/Conv2d_${i}_pointwise`, `prediction_conv_${i}`, y, i % 2 === 1 ? 2 : 1);
    extra.push(y);
  }
  const sources = [conv11!, x, extra[1]!, extra[3]!, extra[5]!, extra[7]!];
  const outputs: GraphNode[] = [];
  const anchorsPerCell: number[] = [];
  sources.forEach((src, i) => {
    const p = `Prediction/BoxPredictor_${i}`;
    const box = tfConv(get(`${p}/BoxEncodingPredictor/weights`), get(`${p}/BoxEncodingPredictor/biases`), 1);
    const cls = tfConv(get(`${p}/ClassPredictor/weights`), get(`${p}/ClassPredictor/biases`), 1);
    outputs.push(g.add(`box_predictor_${i}_boxes`, box, src), g.add(`box_predictor_${i}_classes`, cls, src));
    anchorsPerCell.push(box.outChannels / 4);
  });
  g.output(...outputs);
  g.eval();
  return { graph: g, anchors: Float32Array.from(get('Output/extra_dim').data), anchorsPerCell };
}
