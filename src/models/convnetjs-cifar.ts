import { ReLU } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import { MaxPool2d } from '../nn/pooling.js';
import { Flatten } from '../nn/reshape-layers.js';
import { Sequential } from '../nn/sequential.js';
import { buildZooModel, resolveZooOptions, type ZooOptions } from './zoo-options.js';

/**
 * The network of Karpathy's ConvNetJS CIFAR-10 browser demo (shown in the decks), layer for layer:
 * ```
 * {type:'input', out_sx:32, out_sy:32, out_depth:3}
 * {type:'conv', sx:5, filters:16, stride:1, pad:2, activation:'relu'}
 * {type:'pool', sx:2, stride:2}
 * {type:'conv', sx:5, filters:20, stride:1, pad:2, activation:'relu'}
 * {type:'pool', sx:2, stride:2}
 * {type:'conv', sx:5, filters:20, stride:1, pad:2, activation:'relu'}
 * {type:'pool', sx:2, stride:2}
 * {type:'softmax', num_classes:10}
 * ```
 * ConvNetJS' softmax layer contains the fully connected layer from the 4x4x20 maps to the classes;
 * here `fc` returns logits (apply softmax or use cross-entropy). Parameters: 1,216 + 8,020 + 10,020
 * + 3,210 = 22,466.
 */
export class ConvNetJSCifar10 extends Sequential {
  constructor(inChannels: number, numClasses: number) {
    super({
      conv1: new Conv2d(inChannels, 16, 5, { padding: 2 }),
      relu1: new ReLU(),
      pool1: new MaxPool2d(2, { stride: 2 }),
      conv2: new Conv2d(16, 20, 5, { padding: 2 }),
      relu2: new ReLU(),
      pool2: new MaxPool2d(2, { stride: 2 }),
      conv3: new Conv2d(20, 20, 5, { padding: 2 }),
      relu3: new ReLU(),
      pool3: new MaxPool2d(2, { stride: 2 }),
      flatten: new Flatten(1),
      fc: new Linear(20 * 4 * 4, numClasses),
    });
  }
}

/** The ConvNetJS CIFAR-10 demo network (see {@link ConvNetJSCifar10}): 3x32x32 input, 10 classes. */
export function convnetjs_cifar10(opts: ZooOptions = {}): ConvNetJSCifar10 {
  const o = resolveZooOptions('convnetjs_cifar10', opts, { numClasses: 10 });
  return buildZooModel(o, [o.inChannels, 32, 32], () => new ConvNetJSCifar10(o.inChannels, o.numClasses));
}
