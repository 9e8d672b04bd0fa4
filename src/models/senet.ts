import { ReLU, Sigmoid } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { checkInt } from '../nn/layer-args.js';
import { Module } from '../nn/module.js';
import { AdaptiveAvgPool2d } from '../nn/pooling.js';
import { mul } from '../ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';
import { makeDivisible } from './mobilenet.js';
import { Bottleneck, buildResNet, type ResNet, type ResNetOptions } from './resnet.js';

/**
 * Squeeze-and-excitation (Hu et al., 2017): squeeze each channel to its mean (`avgpool`), excite
 * through a bottleneck of 1x1 convolutions (`fc1` C -> C/r, ReLU, `fc2` C/r -> C, sigmoid), and
 * scale the input's channels by the result. Parameters: 2·C·C/r + C/r + C. Names follow timm's
 * `SEModule` (`fc1`, `fc2`).
 */
export class SqueezeExcitation extends Module {
  /** Global average pooling to 1x1: the squeeze. */
  avgpool: AdaptiveAvgPool2d;
  /** Reduction C -> C/r. */
  fc1: Conv2d;
  /** Activation between the two. */
  relu: ReLU;
  /** Expansion C/r -> C. */
  fc2: Conv2d;
  /** Channel weights in (0, 1): sigmoid, or hard sigmoid in MobileNetV3. */
  gate: Module;

  /**
   * @param channels C
   * @param reduced channels of the bottleneck, C/r (SE-ResNet-50 uses C/16 rounded to a multiple of 8,
   *   as timm does)
   * @param gate the scale activation (default sigmoid; MobileNetV3 uses hard sigmoid, as torchvision's
   *   `SqueezeExcitation(scale_activation=nn.Hardsigmoid)`, whose keys `fc1`/`fc2` are the same)
   */
  constructor(channels: number, reduced: number, gate: Module = new Sigmoid()) {
    super();
    checkInt('SqueezeExcitation', 'channels', channels);
    checkInt('SqueezeExcitation', 'reduced', reduced);
    this.avgpool = new AdaptiveAvgPool2d([1, 1]);
    this.fc1 = new Conv2d(channels, reduced, 1);
    this.relu = new ReLU();
    this.fc2 = new Conv2d(reduced, channels, 1);
    this.gate = gate;
  }

  /** x · σ(fc2(relu(fc1(mean over H, W of x)))), per channel. */
  forward(x: Tensor): Tensor {
    const s = this.avgpool.forward(x);
    const w = this.gate.forward(this.fc2.forward(this.relu.forward(this.fc1.forward(s))));
    return mul(x, w);
  }
}

/**
 * SE-ResNet-50: ResNet-50 (torchvision's v1.5 layout and keys) with a squeeze-and-excitation module
 * `se` after each bottleneck's `bn3`, before the residual addition, as in the paper and timm's
 * `seresnet50` (whose keys it matches). Parameters: ResNet-50's 25,557,032 plus the SE modules'
 * 2,530,992 (hand count in the test) = 28,088,024.
 */
export function se_resnet50(opts: ResNetOptions = {}): ResNet {
  return buildResNet(
    'se_resnet50',
    {
      block: Bottleneck,
      layers: [3, 4, 6, 3],
      attention: (c) => new SqueezeExcitation(c, makeDivisible(c / 16)),
    },
    opts,
  );
}
