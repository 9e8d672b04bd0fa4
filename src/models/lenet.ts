import { ReLU, Tanh } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import { AvgPool2d, MaxPool2d } from '../nn/pooling.js';
import { Flatten } from '../nn/reshape-layers.js';
import { Sequential } from '../nn/sequential.js';
import { ValueError } from '../errors.js';
import { buildZooModel, resolveZooOptions, type ZooOptions } from './zoo-options.js';

/** Options of {@link lenet5}. */
export interface LeNet5Options extends ZooOptions {
  /**
   * `'classic'` (default): LeCun et al. 1998 on 32x32 images, tanh and average pooling, as commonly
   * re-implemented; `'modern'`: the MNIST variant on 28x28 images (padding 2 in the first
   * convolution), ReLU and max pooling.
   */
  variant?: 'classic' | 'modern';
}

/**
 * LeNet-5 as it is commonly re-implemented: C1 6@5x5, S2 2x2 pooling, C3 16@5x5, S4 2x2 pooling,
 * C5 120 units, F6 84 units, 10 outputs. Differences from the 1998 paper, which the common
 * re-implementations share: C3 connects to all six S2 maps (the paper wires each C3 map to a subset:
 * 1,516 parameters instead of 2,416), S2/S4 pool without the paper's trainable coefficient and bias,
 * and the output is a linear layer (logits for a softmax) instead of Euclidean RBF units. Both
 * variants have 61,706 parameters: C1 156 + C3 2,416 + C5 48,120 + F6 10,164 + output 850.
 */
export class LeNet5 extends Sequential {
  constructor(variant: 'classic' | 'modern', inChannels: number, numClasses: number) {
    if (variant === 'classic') {
      super({
        c1: new Conv2d(inChannels, 6, 5),
        act1: new Tanh(),
        s2: new AvgPool2d(2, { stride: 2 }),
        c3: new Conv2d(6, 16, 5),
        act3: new Tanh(),
        s4: new AvgPool2d(2, { stride: 2 }),
        c5: new Conv2d(16, 120, 5),
        act5: new Tanh(),
        flatten: new Flatten(1),
        f6: new Linear(120, 84),
        act6: new Tanh(),
        output: new Linear(84, numClasses),
      });
    } else {
      super({
        conv1: new Conv2d(inChannels, 6, 5, { padding: 2 }),
        relu1: new ReLU(),
        pool1: new MaxPool2d(2, { stride: 2 }),
        conv2: new Conv2d(6, 16, 5),
        relu2: new ReLU(),
        pool2: new MaxPool2d(2, { stride: 2 }),
        flatten: new Flatten(1),
        fc1: new Linear(16 * 5 * 5, 120),
        relu3: new ReLU(),
        fc2: new Linear(120, 84),
        relu4: new ReLU(),
        fc3: new Linear(84, numClasses),
      });
    }
  }
}

/**
 * LeNet-5 (see {@link LeNet5}): `lenet5()` is the classic 1x32x32 network, `lenet5({variant:
 * 'modern'})` the 1x28x28 MNIST one. Defaults: 10 classes, 1 input channel; PyTorch's default layer
 * initialization.
 */
export function lenet5(opts: LeNet5Options = {}): LeNet5 {
  const variant = opts.variant ?? 'classic';
  if (variant !== 'classic' && variant !== 'modern') {
    throw new ValueError('lenet5', `variant must be 'classic' or 'modern', got ${JSON.stringify(variant)}`);
  }
  const o = resolveZooOptions('lenet5', opts, { numClasses: 10, inChannels: 1 }, ['variant']);
  const size = variant === 'classic' ? 32 : 28;
  return buildZooModel(o, [o.inChannels, size, size], () => new LeNet5(variant, o.inChannels, o.numClasses));
}
