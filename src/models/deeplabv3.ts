import { ReLU } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { AdaptiveAvgPool2d } from '../nn/pooling.js';
import { Sequential } from '../nn/sequential.js';
import { concat } from '../ops/shape-ops.js';
import { upsample } from '../ops/upsample.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  dilatedResNet50Backbone,
  FCNHead,
  initSegmentationModel,
  type SegmentationZooOptions,
} from './fcn.js';
import { SegmentationModel } from './segmentation-model.js';
import { buildZooModel, resolveZooOptions } from './zoo-options.js';

/** Layers that each read the same input, their outputs concatenated along the channels ('0', '1', ...). */
export class ParallelConcat extends Sequential {
  /** concat([branch(x) for each branch], dim 1). */
  override forward(x: Tensor): Tensor {
    return concat(
      this.children().map((m) => m.forward(x)),
      1,
    );
  }
}

/** ASPP's image-level branch: global average pooling, 1x1 conv, BN, ReLU, upsampled back to the input's size. */
export class ASPPPooling extends Sequential {
  constructor(inChannels: number, outChannels: number) {
    super(
      new AdaptiveAvgPool2d([1, 1]),
      new Conv2d(inChannels, outChannels, 1, { bias: false }),
      new BatchNorm2d(outChannels),
      new ReLU(),
    );
  }

  /** The pooled features, bilinearly spread over the input's H x W. */
  override forward(x: Tensor): Tensor {
    const y = super.forward(x);
    return upsample(y, { size: [x.shape[2]!, x.shape[3]!], mode: 'bilinear' });
  }
}

/**
 * Atrous spatial pyramid pooling (Chen et al. 2017, DeepLabV3), as torchvision builds it: `convs` =
 * a 1x1 branch, one 3x3 branch per atrous rate (dilation = padding = rate) and an image-pooling
 * branch, each to 256 channels with BN and ReLU; their concatenation is `project`ed by a 1x1
 * convolution (BN, ReLU, dropout 0.5).
 */
export class ASPP extends Module {
  convs: ParallelConcat;
  project: Sequential;

  constructor(inChannels: number, rates: readonly number[], outChannels = 256) {
    super();
    const cbr = (k: number, rate: number): Sequential =>
      new Sequential(
        new Conv2d(inChannels, outChannels, k, { padding: k === 1 ? 0 : rate, dilation: rate, bias: false }),
        new BatchNorm2d(outChannels),
        new ReLU(),
      );
    this.convs = new ParallelConcat(
      cbr(1, 1),
      ...rates.map((r) => cbr(3, r)),
      new ASPPPooling(inChannels, outChannels),
    );
    this.project = new Sequential(
      new Conv2d((rates.length + 2) * outChannels, outChannels, 1, { bias: false }),
      new BatchNorm2d(outChannels),
      new ReLU(),
      new Dropout(0.5),
    );
  }

  /** The projected multi-rate features. */
  forward(x: Tensor): Tensor {
    return this.project.forward(this.convs.forward(x));
  }
}

/** torchvision's `DeepLabHead`: ASPP (rates 12, 24, 36), 3x3 conv, BN, ReLU, 1x1 conv to the classes. */
export class DeepLabHead extends Sequential {
  constructor(inChannels: number, numClasses: number) {
    super(
      new ASPP(inChannels, [12, 24, 36]),
      new Conv2d(256, 256, 3, { padding: 1, bias: false }),
      new BatchNorm2d(256),
      new ReLU(),
      new Conv2d(256, numClasses, 1),
    );
  }
}

/**
 * DeepLabV3-ResNet50 (Chen et al. 2017) as torchvision builds it: a dilated ResNet-50 backbone
 * (output stride 8) and a {@link DeepLabHead} on `layer4`, scores bilinearly resized to the input.
 * State-dict keys and parameter counts equal torchvision's `deeplabv3_resnet50` (39,638,869
 * parameters with 21 classes). Default 21 classes (PASCAL VOC).
 */
export function deeplabv3_resnet50(opts: SegmentationZooOptions = {}): SegmentationModel {
  const o = resolveZooOptions('deeplabv3_resnet50', opts, { numClasses: 21 }, ['auxLoss']);
  return buildZooModel(
    o,
    [o.inChannels, 520, 520],
    () =>
      new SegmentationModel(
        dilatedResNet50Backbone(o.inChannels),
        new DeepLabHead(2048, o.numClasses),
        ['layer4'],
        opts.auxLoss ? { tap: 'layer3', classifier: new FCNHead(1024, o.numClasses) } : undefined,
      ),
    initSegmentationModel,
  );
}
