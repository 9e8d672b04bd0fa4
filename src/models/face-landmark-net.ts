import { ReLU } from '../nn/activation-layers.js';
import { Graph, type GraphNode } from '../nn/graph.js';
import { Linear } from '../nn/linear.js';
import { Add } from '../nn/merge.js';
import { AvgPool2d } from '../nn/pooling.js';
import { Flatten } from '../nn/reshape-layers.js';
import type { Tensor } from '../tensor/tensor.js';
import { tfConv, tfDepthwiseConv, weightGetter } from './tfjs-weight-layers.js';

/** The square input side of face-api's 68-point landmark network. */
export const FACE_LANDMARK_INPUT_SIZE = 112;

/**
 * face-api's 68-point face landmark network (`face_landmark_68_model`), rebuilt from its TF.js
 * weights as a Stride {@link Graph}: four densely connected blocks of four convolutions each
 * (the first a 3x3 stride-2 convolution, the others depthwise-separable: depthwise 3x3, pointwise
 * 1x1 plus bias; each block's later layers read the ReLU of the sum of the earlier outputs), a 7x7
 * average pool and a 256 -> 136 fully connected layer. Input `[N, 3, 112, 112]` already
 * normalized as face-api does (`(rgb − [122.782, 117.001, 104.298]) / 255`); output `[N, 136]`,
 * the (x, y) of the 68 points relative to the input square.
 */
export function faceLandmarkNet(weights: ReadonlyMap<string, Tensor>, opts: { file?: string } = {}): Graph {
  const get = weightGetter(weights, opts.file, 'face_landmark_68_model-weights_manifest.json');
  const g = new Graph();
  let x: GraphNode = g.input(undefined, 'face');
  const separable = (prefix: string, name: string, from: GraphNode, stride: number): GraphNode => {
    const dw = g.add(`${name}_depthwise`, tfDepthwiseConv(get(`${prefix}/depthwise_filter`), stride), from);
    return g.add(
      `${name}_pointwise`,
      tfConv(get(`${prefix}/pointwise_filter`), get(`${prefix}/bias`), 1),
      dw,
    );
  };
  for (let b = 0; b < 4; b++) {
    const p = `dense${b}`;
    const first =
      b === 0
        ? g.add(`${p}_conv0`, tfConv(get(`${p}/conv0/filters`), get(`${p}/conv0/bias`), 2), x)
        : separable(`${p}/conv0`, `${p}_conv0`, x, 2);
    const out1 = g.add(`${p}_conv0_relu`, new ReLU(), first);
    const out2 = separable(`${p}/conv1`, `${p}_conv1`, out1, 1);
    const in3 = g.add(`${p}_in3`, new ReLU(), g.add(`${p}_sum12`, new Add(), out1, out2));
    const out3 = separable(`${p}/conv2`, `${p}_conv2`, in3, 1);
    // face-api adds out1 + (out2 + out3) and out1 + (out2 + (out3 + out4)), in that order.
    const s23 = g.add(`${p}_sum23`, new Add(), out2, out3);
    const in4 = g.add(`${p}_in4`, new ReLU(), g.add(`${p}_sum123`, new Add(), out1, s23));
    const out4 = separable(`${p}/conv3`, `${p}_conv3`, in4, 1);
    const s34 = g.add(`${p}_sum34`, new Add(), out3, out4);
    const s234 = g.add(`${p}_sum234`, new Add(), out2, s34);
    x = g.add(`${p}_out`, new ReLU(), g.add(`${p}_sum1234`, new Add(), out1, s234));
  }
  x = g.add('pool', new AvgPool2d(7, { stride: 2 }), x);
  x = g.add('flatten', new Flatten(), x);
  const w = get('fc/weights'); // [256, 136]
  const fc = new Linear(w.shape[0]!, w.shape[1]!);
  fc.weight.data.set(w.transpose(0, 1).clone().data);
  fc.bias!.data.set(get('fc/bias').data);
  g.output(g.add('fc', fc, x));
  return g.eval();
}
