import { ReLU, Sigmoid } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { AdaptiveAvgPool2d } from '../nn/pooling.js';
import { Sequential } from '../nn/sequential.js';
import { add, mul } from '../ops/elementwise.js';
import { upsample } from '../ops/upsample.js';
import type { Tensor } from '../tensor/tensor.js';
import { MOBILENET_V3_INIT, MobileNetV3Block, mobileNetV3Features } from './mobilenet-v3.js';
import { SegmentationModel } from './segmentation-model.js';
import { buildZooModel, initWeights, resolveZooOptions, type ZooOptions } from './zoo-options.js';

/**
 * The Lite R-ASPP head of MobileNetV3's paper: `cbr` (1x1 conv, BN, ReLU) on the high-level
 * features, gated per channel by `scale` (global pooling, 1x1 conv, sigmoid), upsampled to the
 * low-level features' size and scored by `high_classifier`, plus `low_classifier`'s scores of the
 * low-level features.
 */
export class LRASPPHead extends Module {
  cbr: Sequential;
  scale: Sequential;
  low_classifier: Conv2d;
  high_classifier: Conv2d;

  constructor(lowChannels: number, highChannels: number, numClasses: number, interChannels = 128) {
    super();
    this.cbr = new Sequential(
      new Conv2d(highChannels, interChannels, 1, { bias: false }),
      new BatchNorm2d(interChannels),
      new ReLU(),
    );
    this.scale = new Sequential(
      new AdaptiveAvgPool2d([1, 1]),
      new Conv2d(highChannels, interChannels, 1, { bias: false }),
      new Sigmoid(),
    );
    this.low_classifier = new Conv2d(lowChannels, numClasses, 1);
    this.high_classifier = new Conv2d(interChannels, numClasses, 1);
  }

  /** Scores at the low-level features' resolution. */
  forward(low: Tensor, high: Tensor): Tensor {
    let x = mul(this.cbr.forward(high), this.scale.forward(high));
    x = upsample(x, { size: [low.shape[2]!, low.shape[3]!], mode: 'bilinear' });
    return add(this.low_classifier.forward(low), this.high_classifier.forward(x));
  }
}

/**
 * LR-ASPP with a MobileNetV3-Large backbone (Howard et al. 2019), as torchvision's
 * `lraspp_mobilenet_v3_large`: the backbone's last stage dilated (output stride 16); the head reads
 * the stage-C2 block's output (stride 8, 40 channels) and the final 960-channel features. State-dict
 * keys and parameter counts equal torchvision's (3,221,538 parameters with 21 classes).
 */
export function lraspp_mobilenet_v3_large(opts: ZooOptions = {}): SegmentationModel {
  const o = resolveZooOptions('lraspp_mobilenet_v3_large', opts, { numClasses: 21 });
  return buildZooModel(
    o,
    [o.inChannels, 520, 520],
    () => {
      const { features } = mobileNetV3Features('large', o.inChannels, 1, true);
      const layers = features.children();
      // torchvision: stage starts are the stem, every block with stride 2, and the last layer;
      // the low-level tap is the fourth from the end, the high-level one the last.
      const stages = [
        0,
        ...layers.flatMap((m, i) => (m instanceof MobileNetV3Block && m.startsStage ? [i] : [])),
        layers.length - 1,
      ];
      const lowPos = stages[stages.length - 4]!;
      const highPos = stages[stages.length - 1]!;
      const lowChannels = (layers[lowPos] as MobileNetV3Block).outChannels;
      const lastConv = (layers[highPos] as Sequential).at(0) as Conv2d;
      return new SegmentationModel(
        features,
        new LRASPPHead(lowChannels, lastConv.outChannels, o.numClasses),
        [String(lowPos), String(highPos)],
      );
    },
    (m) =>
      initWeights(m, MOBILENET_V3_INIT, (mod) =>
        mod instanceof Conv2d && !m.backbone.modules().includes(mod)
          ? { conv: 'default', convBias: 'default', linear: 'default', linearBias: 'default' }
          : null,
      ),
  );
}
