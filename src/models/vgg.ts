import { Conv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/pooling.js';
import { ReLU } from '../nn/activation-layers.js';
import { Flatten } from '../nn/reshape-layers.js';
import { Sequential } from '../nn/sequential.js';
import { buildZooModel, initWeights, resolveZooOptions, type ZooOptions } from './zoo-options.js';

/** Options of the VGG family. */
export interface VggOptions extends ZooOptions {
  /** Dropout probability in the classifier (default 0.5). */
  dropout?: number;
}

/** A stage of a VGG configuration: a 3x3 convolution's output channels, or 'M' for a 2x2 max pool. */
type VggLayer = number | 'M';

/** Simonyan & Zisserman's configurations A (11 layers), B (13), D (16) and E (19). */
const CONFIGS: Record<'A' | 'B' | 'D' | 'E', readonly VggLayer[]> = {
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

/**
 * VGG (Simonyan & Zisserman, 2014), as torchvision builds it: `features` (3x3 convolutions with
 * padding 1, each followed by ReLU, or by batch norm and ReLU in the `_bn` variants; 2x2 max pools),
 * `avgpool` (adaptive to 7x7, so any input of at least 32x32 works), `classifier` (4096, 4096,
 * classes, with dropout). State-dict keys and parameter counts equal torchvision's.
 */
export class VGG extends Sequential {
  constructor(features: Sequential, numClasses: number, dropout: number) {
    super({
      features,
      avgpool: new AdaptiveAvgPool2d([7, 7]),
      flatten: new Flatten(1),
      classifier: new Sequential(
        new Linear(512 * 7 * 7, 4096),
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

function makeFeatures(cfg: readonly VggLayer[], inChannels: number, batchNorm: boolean): Sequential {
  const layers: Module[] = [];
  let c = inChannels;
  for (const v of cfg) {
    if (v === 'M') {
      layers.push(new MaxPool2d(2, { stride: 2 }));
      continue;
    }
    layers.push(new Conv2d(c, v, 3, { padding: 1 }));
    if (batchNorm) layers.push(new BatchNorm2d(v));
    layers.push(new ReLU());
    c = v;
  }
  return new Sequential(...layers);
}

function vgg(name: string, cfg: keyof typeof CONFIGS, batchNorm: boolean, opts: VggOptions): VGG {
  const o = resolveZooOptions(name, opts, {}, ['dropout']);
  const p = opts.dropout ?? 0.5;
  return buildZooModel(
    o,
    [o.inChannels, 224, 224],
    () => new VGG(makeFeatures(CONFIGS[cfg], o.inChannels, batchNorm), o.numClasses, p),
    (m) =>
      initWeights(m, {
        conv: 'kaimingNormalFanOut',
        convBias: 'zeros',
        linear: { normalStd: 0.01 },
        linearBias: 'zeros',
      }),
  );
}

/** VGG-11 (configuration A): 132,863,336 parameters with 1000 classes. */
export function vgg11(opts: VggOptions = {}): VGG {
  return vgg('vgg11', 'A', false, opts);
}

/** VGG-11 with batch normalization: 132,868,840 parameters. */
export function vgg11_bn(opts: VggOptions = {}): VGG {
  return vgg('vgg11_bn', 'A', true, opts);
}

/** VGG-13 (configuration B): 133,047,848 parameters. */
export function vgg13(opts: VggOptions = {}): VGG {
  return vgg('vgg13', 'B', false, opts);
}

/** VGG-13 with batch normalization: 133,053,736 parameters. */
export function vgg13_bn(opts: VggOptions = {}): VGG {
  return vgg('vgg13_bn', 'B', true, opts);
}

/**
 * VGG-16 (configuration D), the decks' table: 138,357,544 parameters (blocks 38,720 / 221,440 /
 * 1,475,328 / 5,899,776 / 7,079,424; classifier 102,764,544 / 16,781,312 / 4,097,000).
 */
export function vgg16(opts: VggOptions = {}): VGG {
  return vgg('vgg16', 'D', false, opts);
}

/** VGG-16 with batch normalization: 138,365,992 parameters. */
export function vgg16_bn(opts: VggOptions = {}): VGG {
  return vgg('vgg16_bn', 'D', true, opts);
}

/** VGG-19 (configuration E): 143,667,240 parameters. */
export function vgg19(opts: VggOptions = {}): VGG {
  return vgg('vgg19', 'E', false, opts);
}

/** VGG-19 with batch normalization: 143,678,248 parameters. */
export function vgg19_bn(opts: VggOptions = {}): VGG {
  return vgg('vgg19_bn', 'E', true, opts);
}
