import { ValueError } from '../errors.js';
import { ReLU } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { Sequential } from '../nn/sequential.js';
import { traceForward } from '../inspect/trace.js';
import { add } from '../ops/elementwise.js';
import { upsample } from '../ops/upsample.js';
import type { Tensor } from '../tensor/tensor.js';
import { getDefaultInputShape } from '../nn/default-input.js';
import { Bottleneck, ResNet } from './resnet.js';
import { SegmentationModel } from './segmentation-model.js';
import { buildZooModel, initWeights, resolveZooOptions, type ZooOptions } from './zoo-options.js';

/** Options of the torchvision segmentation models. */
export interface SegmentationZooOptions extends ZooOptions {
  /**
   * Build torchvision's auxiliary FCN head on the backbone's `layer3` (`aux_classifier`, default
   * false as in torchvision without weights); {@link SegmentationModel.forwardAux} runs it.
   */
  auxLoss?: boolean;
}

/**
 * torchvision's `FCNHead`: 3x3 convolution to inChannels/4 (no bias) - batch norm - ReLU - dropout
 * 0.1 - 1x1 convolution to the class scores (children '0'..'4').
 */
export class FCNHead extends Sequential {
  constructor(inChannels: number, numClasses: number) {
    const inter = Math.floor(inChannels / 4);
    super(
      new Conv2d(inChannels, inter, 3, { padding: 1, bias: false }),
      new BatchNorm2d(inter),
      new ReLU(),
      new Dropout(0.1),
      new Conv2d(inter, numClasses, 1),
    );
  }
}

/**
 * ResNet-50 with stages 3 and 4 dilated instead of strided (output stride 8), as the torchvision
 * segmentation models use it: `conv1` .. `layer4` (no pooling or `fc`).
 */
export function dilatedResNet50Backbone(inChannels: number): Sequential {
  const r = new ResNet(
    { block: Bottleneck, layers: [3, 4, 6, 3], replaceStrideWithDilation: [false, true, true] },
    inChannels,
    1000,
  );
  return r.slice(0, 8);
}

/** torchvision's ResNet initialization (the backbone) and its default for the heads. */
export function initSegmentationModel(m: Module): void {
  initWeights(
    m,
    { conv: 'kaimingNormalFanOut', convBias: 'zeros', linear: 'default', linearBias: 'default' },
    (mod) =>
      isHeadConv(m, mod)
        ? { conv: 'default', convBias: 'default', linear: 'default', linearBias: 'default' }
        : null,
  );
}

/** Convolutions outside the backbone keep PyTorch's default initialization, as in torchvision. */
function isHeadConv(model: Module, mod: Module): boolean {
  if (!(model instanceof SegmentationModel) || !(mod instanceof Conv2d)) return false;
  return !model.backbone.modules().includes(mod);
}

/**
 * FCN-ResNet50 (Long et al. 2015, in torchvision's form): a dilated ResNet-50 backbone (output
 * stride 8) and an {@link FCNHead} on `layer4`, scores bilinearly resized to the input. State-dict
 * keys and parameter counts equal torchvision's `fcn_resnet50` (32,957,013 parameters with 21
 * classes). Default 21 classes (PASCAL VOC).
 */
export function fcn_resnet50(opts: SegmentationZooOptions = {}): SegmentationModel {
  const o = resolveZooOptions('fcn_resnet50', opts, { numClasses: 21 }, ['auxLoss']);
  return buildZooModel(
    o,
    [o.inChannels, 520, 520],
    () =>
      new SegmentationModel(
        dilatedResNet50Backbone(o.inChannels),
        new FCNHead(2048, o.numClasses),
        ['layer4'],
        opts.auxLoss ? { tap: 'layer3', classifier: new FCNHead(1024, o.numClasses) } : undefined,
      ),
    initSegmentationModel,
  );
}

/**
 * An FCN-8s head (Long et al. 2015): 1x1 score convolutions on the features at output strides 8,
 * 16 and 32; the stride-32 scores are upsampled (bilinear) and added to the stride-16 scores, that
 * sum upsampled and added to the stride-8 scores. Inputs: the three feature maps, finest first.
 * Children `score8`, `score16`, `score32`.
 */
export class FCN8sHead extends Module {
  score8: Conv2d;
  score16: Conv2d;
  score32: Conv2d;

  constructor(channels: readonly [number, number, number], numClasses: number) {
    super();
    this.score8 = new Conv2d(channels[0], numClasses, 1);
    this.score16 = new Conv2d(channels[1], numClasses, 1);
    this.score32 = new Conv2d(channels[2], numClasses, 1);
  }

  /** Fused scores at stride 8 from the stride-8, -16 and -32 features. */
  forward(f8: Tensor, f16: Tensor, f32: Tensor): Tensor {
    const up = (y: Tensor, like: Tensor): Tensor =>
      upsample(y, { size: [like.shape[2]!, like.shape[3]!], mode: 'bilinear' });
    const s16 = add(this.score16.forward(f16), up(this.score32.forward(f32), f16));
    return add(this.score8.forward(f8), up(s16, f8));
  }
}

/** Options of {@link fcn8s}. */
export interface Fcn8sOptions {
  /** Classes to score, including the background. */
  numClasses: number;
  /**
   * Per-image input shape to trace the backbone at, to find its stride-8/16/32 layers (default the
   * shape the backbone records, as every zoo model does, else [3, 224, 224]).
   */
  inputShape?: readonly number[];
}

/**
 * Put an {@link FCN8sHead} on a backbone: any Sequential whose direct children step down through
 * output strides 8, 16 and 32, such as a zoo classifier (`resnet18()`, `resnet50()`) or the
 * `features` of one (`vgg16().features`, `mobilenet_v2().features`). The backbone is traced once,
 * shape-only, to find the last child at each of those strides and its channels; layers after the
 * stride-32 one (pooling, classifier) are dropped. The result's `forward` gives scores at the
 * input's resolution.
 */
export function fcn8s(backbone: Sequential, opts: Fcn8sOptions): SegmentationModel {
  if (!(backbone instanceof Sequential)) {
    throw new ValueError('fcn8s', 'the backbone must be a Sequential (a zoo classifier or its features)');
  }
  const shape = opts.inputShape ?? getDefaultInputShape(backbone) ?? [3, 224, 224];
  const calls = traceForward(backbone, shape, {}, 'fcn8s').calls.filter((c) => c.depth === 1 && c.output);
  const inH = shape[shape.length - 2]!;
  const taps: string[] = [];
  const channels: number[] = [];
  for (const stride of [8, 16, 32]) {
    let found: [string, number] | null = null;
    for (const c of calls) {
      const out = c.output!.shape;
      if (out.length === 4 && Math.round(inH / out[2]!) === stride) found = [c.name, out[1]!];
    }
    if (!found) {
      throw new ValueError(
        'fcn8s',
        `no direct child of the backbone outputs stride-${stride} features at input ${JSON.stringify(shape)}. ` +
          'Fix: pass the Sequential whose children do the downsampling (e.g. vgg16().features)',
      );
    }
    taps.push(found[0]);
    channels.push(found[1]);
  }
  const names = backbone.namedChildren().map(([n]) => n);
  const trimmed = backbone.slice(0, names.indexOf(taps[2]!) + 1);
  return new SegmentationModel(
    trimmed,
    new FCN8sHead(channels as [number, number, number], opts.numClasses),
    taps,
  );
}
