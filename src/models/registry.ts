import { ValueError } from '../errors.js';
import { summary } from '../inspect/summary.js';
import type { Module } from '../nn/module.js';
import { alexnet } from './alexnet.js';
import { convnetjs_cifar10 } from './convnetjs-cifar.js';
import { getDefaultInputShape } from '../nn/default-input.js';
import { densenet121, densenet169 } from './densenet.js';
import { googlenet } from './googlenet.js';
import { lenet5 } from './lenet.js';
import { mobilenet_v1, mobilenet_v2 } from './mobilenet.js';
import { mobilenet_v3_large, mobilenet_v3_small } from './mobilenet-v3.js';
import { deeplabv3_resnet50 } from './deeplabv3.js';
import { fcn_resnet50 } from './fcn.js';
import { lraspp_mobilenet_v3_large } from './lraspp.js';
import { unet } from './unet.js';
import {
  resnet101,
  resnet152,
  resnet18,
  resnet34,
  resnet50,
  resnext50_32x4d,
  wide_resnet50_2,
} from './resnet.js';
import { se_resnet50 } from './senet.js';
import { squeezenet1_0, squeezenet1_1 } from './squeezenet.js';
import { vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn } from './vgg.js';
import { zfnet } from './zfnet.js';
import type { ZooOptions } from './zoo-options.js';

/** A zoo function: options in, freshly built model out. */
export type ModelFactory = (opts?: ZooOptions) => Module;

interface Entry {
  family: string;
  source: string;
  build: ModelFactory;
}

const ENTRIES: Readonly<Record<string, Entry>> = {
  lenet5: { family: 'LeNet', source: 'LeCun et al. 1998 (common re-implementation)', build: lenet5 },
  alexnet: { family: 'AlexNet', source: 'torchvision', build: alexnet },
  zfnet: { family: 'ZFNet', source: 'Zeiler & Fergus 2013', build: zfnet },
  vgg11: { family: 'VGG', source: 'torchvision', build: vgg11 },
  vgg11_bn: { family: 'VGG', source: 'torchvision', build: vgg11_bn },
  vgg13: { family: 'VGG', source: 'torchvision', build: vgg13 },
  vgg13_bn: { family: 'VGG', source: 'torchvision', build: vgg13_bn },
  vgg16: { family: 'VGG', source: 'torchvision', build: vgg16 },
  vgg16_bn: { family: 'VGG', source: 'torchvision', build: vgg16_bn },
  vgg19: { family: 'VGG', source: 'torchvision', build: vgg19 },
  vgg19_bn: { family: 'VGG', source: 'torchvision', build: vgg19_bn },
  googlenet: { family: 'GoogLeNet', source: 'torchvision', build: googlenet },
  resnet18: { family: 'ResNet', source: 'torchvision', build: resnet18 },
  resnet34: { family: 'ResNet', source: 'torchvision', build: resnet34 },
  resnet50: { family: 'ResNet', source: 'torchvision', build: resnet50 },
  resnet101: { family: 'ResNet', source: 'torchvision', build: resnet101 },
  resnet152: { family: 'ResNet', source: 'torchvision', build: resnet152 },
  wide_resnet50_2: { family: 'ResNet', source: 'torchvision', build: wide_resnet50_2 },
  resnext50_32x4d: { family: 'ResNet', source: 'torchvision', build: resnext50_32x4d },
  se_resnet50: { family: 'SENet', source: 'Hu et al. 2017 (timm keys)', build: se_resnet50 },
  mobilenet_v1: { family: 'MobileNet', source: 'Howard et al. 2017', build: mobilenet_v1 },
  mobilenet_v2: { family: 'MobileNet', source: 'torchvision', build: mobilenet_v2 },
  mobilenet_v3_large: { family: 'MobileNet', source: 'torchvision', build: mobilenet_v3_large },
  mobilenet_v3_small: { family: 'MobileNet', source: 'torchvision', build: mobilenet_v3_small },
  densenet121: { family: 'DenseNet', source: 'torchvision', build: densenet121 },
  densenet169: { family: 'DenseNet', source: 'torchvision', build: densenet169 },
  squeezenet1_0: { family: 'SqueezeNet', source: 'torchvision', build: squeezenet1_0 },
  squeezenet1_1: { family: 'SqueezeNet', source: 'torchvision', build: squeezenet1_1 },
  convnetjs_cifar10: { family: 'ConvNetJS', source: 'ConvNetJS CIFAR-10 demo', build: convnetjs_cifar10 },
  fcn_resnet50: { family: 'Segmentation', source: 'torchvision', build: fcn_resnet50 },
  deeplabv3_resnet50: { family: 'Segmentation', source: 'torchvision', build: deeplabv3_resnet50 },
  lraspp_mobilenet_v3_large: {
    family: 'Segmentation',
    source: 'torchvision',
    build: lraspp_mobilenet_v3_large,
  },
  unet: { family: 'Segmentation', source: 'Ronneberger et al. 2015 (padded, batch norm)', build: unet },
};

/** Names of every zoo model, spelled as torchvision spells them where it has the model. */
export const modelNames: readonly string[] = Object.freeze(Object.keys(ENTRIES));

/**
 * Build a zoo model by name (`'resnet50'`), e.g. for a command line or a saved model's
 * architecture; options as the zoo function takes them, family options included
 * (`getModel('lenet5', {variant: 'modern'})`). Throws a ValueError listing the names for an
 * unknown one.
 */
export function getModel(name: string, opts: ZooOptions & Readonly<Record<string, unknown>> = {}): Module {
  const entry = Object.hasOwn(ENTRIES, name) ? ENTRIES[name] : undefined;
  if (!entry) {
    const close = modelNames.filter((n) => n.startsWith(name.slice(0, 3).toLowerCase()));
    throw new ValueError(
      'getModel',
      `no zoo model named ${JSON.stringify(name)}${close.length > 0 ? `; did you mean ${close.join(', ')}?` : ''} ` +
        `The zoo has: ${modelNames.join(', ')}`,
    );
  }
  return entry.build(opts);
}

/** One line of {@link listModels}. */
export interface ModelInfo {
  /** Zoo name (`'resnet50'`). */
  name: string;
  /** Family (`'ResNet'`). */
  family: string;
  /** Where the architecture (and its parameter count) comes from. */
  source: string;
  /** Default per-image input shape. */
  inputShape: number[];
  /** Classes of the default build. */
  numClasses: number;
  /** All parameters of the default build. */
  params: number;
  /** Parameters the eval-mode forward pass uses (less than `params` for GoogLeNet's auxiliary heads). */
  forwardParams: number;
  /** Multiply-adds per image at the default input size, eval mode. */
  macs: number;
}

/**
 * The zoo with each model's parameter count and multiply-adds at its default input size (what
 * `stride models` prints). Every number is measured on the model itself: each is built without
 * drawing weights and traced shape-only by {@link summary}, so the whole list takes about a second.
 */
export function listModels(): ModelInfo[] {
  return modelNames.map((name) => {
    const entry = ENTRIES[name]!;
    const model = entry.build({ init: false });
    const s = summary(model);
    return {
      name,
      family: entry.family,
      source: entry.source,
      inputShape: [...(getDefaultInputShape(model) ?? s.inputShape)],
      numClasses: s.outputShape[s.outputShape.length - 1] ?? 1,
      params: s.totalParams,
      forwardParams: s.totalParams - s.notRun.reduce((a, m) => a + m.params, 0),
      macs: s.macs,
    };
  });
}
