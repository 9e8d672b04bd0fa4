import { ReLU } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import { LocalResponseNorm } from '../nn/normalization.js';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/pooling.js';
import { Flatten } from '../nn/reshape-layers.js';
import { Sequential } from '../nn/sequential.js';
import { buildZooModel, initWeights, resolveZooOptions, type ZooOptions } from './zoo-options.js';

/** Options of {@link zfnet}. */
export interface ZFNetOptions extends ZooOptions {
  /** Dropout probability in the classifier (default 0.5). */
  dropout?: number;
}

/**
 * ZFNet (Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks", 2013, Fig. 3):
 * AlexNet with a 7x7 stride-2 first layer instead of 11x11 stride 4, a stride-2 second layer, and
 * dense (ungrouped) layers 3-5 of 384, 384 and 256 filters. Feature maps follow the paper's figure:
 * 224 -> 110 -> 55 -> 26 -> 13 -> 13 -> 13 -> 6 (the first two pools use padding 1 to get 55 and 13);
 * contrast normalization after the first two pools is local response normalization (size 5,
 * alpha 1e-4, beta 0.75, k 2, AlexNet's). Keys follow torchvision's AlexNet layout (`features`,
 * `avgpool`, `classifier`); the adaptive 6x6 pool makes it accept other input sizes.
 *
 * Parameters (hand count, see the test): 62,357,608 with 1000 classes.
 */
export class ZFNet extends Sequential {
  constructor(inChannels: number, numClasses: number, dropout: number) {
    const lrn = (): LocalResponseNorm => new LocalResponseNorm(5, { alpha: 1e-4, beta: 0.75, k: 2 });
    super({
      features: new Sequential(
        new Conv2d(inChannels, 96, 7, { stride: 2, padding: 1 }),
        new ReLU(),
        new MaxPool2d(3, { stride: 2, padding: 1 }),
        lrn(),
        new Conv2d(96, 256, 5, { stride: 2 }),
        new ReLU(),
        new MaxPool2d(3, { stride: 2, padding: 1 }),
        lrn(),
        new Conv2d(256, 384, 3, { padding: 1 }),
        new ReLU(),
        new Conv2d(384, 384, 3, { padding: 1 }),
        new ReLU(),
        new Conv2d(384, 256, 3, { padding: 1 }),
        new ReLU(),
        new MaxPool2d(3, { stride: 2 }),
      ),
      avgpool: new AdaptiveAvgPool2d([6, 6]),
      flatten: new Flatten(1),
      classifier: new Sequential(
        new Linear(256 * 6 * 6, 4096),
        new ReLU(),
        new Dropout(dropout),
        new Linear(4096, 4096),
        new ReLU(),
        new Dropout(dropout),
        new Linear(4096, numClasses),
      ),
    });
  }
}

/**
 * ZFNet, 224x224 input. Initialization: He-normal convolutions and N(0, 0.01) linear layers with
 * zero biases (VGG's torchvision scheme; the paper's constant 1e-2 scale does not train from scratch
 * without its exact schedule).
 */
export function zfnet(opts: ZFNetOptions = {}): ZFNet {
  const o = resolveZooOptions('zfnet', opts, {}, ['dropout']);
  return buildZooModel(
    o,
    [o.inChannels, 224, 224],
    () => new ZFNet(o.inChannels, o.numClasses, opts.dropout ?? 0.5),
    (m) =>
      initWeights(m, {
        conv: 'kaimingNormalFanOut',
        convBias: 'zeros',
        linear: { normalStd: 0.01 },
        linearBias: 'zeros',
      }),
  );
}
