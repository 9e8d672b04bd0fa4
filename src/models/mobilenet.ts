import { ValueError } from '../errors.js';
import { ReLU, ReLU6 } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { Graph } from '../nn/graph.js';
import { Linear } from '../nn/linear.js';
import { Add } from '../nn/merge.js';
import type { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { AdaptiveAvgPool2d } from '../nn/pooling.js';
import { Flatten } from '../nn/reshape-layers.js';
import { Sequential } from '../nn/sequential.js';
import {
  buildZooModel,
  initWeights,
  resolveZooOptions,
  type InitScheme,
  type ZooOptions,
} from './zoo-options.js';

/** Options of the MobileNets. */
export interface MobileNetOptions extends ZooOptions {
  /** The width multiplier α: every layer's channels are scaled by it (default 1). */
  widthMultiplier?: number;
  /** Dropout before the classifier (default 0.2 for v2, 0 for v1 as in the paper). */
  dropout?: number;
}

/**
 * `v` rounded to the nearest multiple of `divisor`, never below `minValue` nor more than 10% below
 * `v` (torchvision's `_make_divisible`, used to scale channel counts by the width multiplier).
 */
export function makeDivisible(v: number, divisor = 8, minValue: number = divisor): number {
  let r = Math.max(minValue, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  if (r < 0.9 * v) r += divisor;
  return r;
}

/**
 * Convolution (no bias, padding (k-1)/2) + batch norm + activation, as torchvision's
 * `Conv2dNormActivation` (children '0', '1', '2').
 */
export function convBnAct(
  inC: number,
  outC: number,
  k: number,
  stride: number,
  groups: number,
  act: () => Module,
): Sequential {
  return new Sequential(
    new Conv2d(inC, outC, k, { stride, padding: (k - 1) / 2, groups, bias: false }),
    new BatchNorm2d(outC),
    act(),
  );
}

/**
 * MobileNetV2's inverted residual block (Sandler et al., 2018), as a {@link Graph}: `conv` =
 * 1x1 expansion by `expandRatio` (skipped when it is 1) - 3x3 depthwise (stride) - 1x1 linear
 * projection + batch norm, with a residual addition when the stride is 1 and the channels match.
 */
export class InvertedResidual extends Graph {
  constructor(inp: number, oup: number, stride: number, expandRatio: number) {
    super();
    const hidden = Math.round(inp * expandRatio);
    const layers: Module[] = [];
    if (expandRatio !== 1) layers.push(convBnAct(inp, hidden, 1, 1, 1, () => new ReLU6()));
    layers.push(
      convBnAct(hidden, hidden, 3, stride, hidden, () => new ReLU6()),
      new Conv2d(hidden, oup, 1, { bias: false }),
      new BatchNorm2d(oup),
    );
    const x = this.input();
    const y = this.add('conv', new Sequential(...layers), x);
    this.output(stride === 1 && inp === oup ? this.add('add', new Add(), x, y) : y);
  }
}

const MOBILENET_INIT: InitScheme = {
  conv: 'kaimingNormalFanOut',
  convBias: 'zeros',
  linear: { normalStd: 0.01 },
  linearBias: 'zeros',
};

function widthOf(name: string, opts: MobileNetOptions): number {
  const a = opts.widthMultiplier ?? 1;
  if (typeof a !== 'number' || !(a > 0) || !Number.isFinite(a))
    throw new ValueError(
      name,
      `widthMultiplier must be a positive number, got ${JSON.stringify(a)}. Fix: use e.g. 1, 0.75, 0.5`,
    );
  return a;
}

/**
 * MobileNetV2 as torchvision builds it: `features` (a 3x3 stride-2 stem, 17 inverted residual
 * blocks with expansion t, channels c, repeats n, stride s from the paper's Table 2, a 1x1
 * convolution to 1280), global average pooling, `classifier` (dropout, linear).
 */
export class MobileNetV2 extends Sequential {
  constructor(inChannels: number, numClasses: number, width: number, dropout: number) {
    const settings: readonly [number, number, number, number][] = [
      [1, 16, 1, 1],
      [6, 24, 2, 2],
      [6, 32, 3, 2],
      [6, 64, 4, 2],
      [6, 96, 3, 1],
      [6, 160, 3, 2],
      [6, 320, 1, 1],
    ];
    let inputChannel = makeDivisible(32 * width);
    const lastChannel = makeDivisible(1280 * Math.max(1, width));
    const features = new Sequential(convBnAct(inChannels, inputChannel, 3, 2, 1, () => new ReLU6()));
    for (const [t, c, n, s] of settings) {
      const out = makeDivisible(c * width);
      for (let i = 0; i < n; i++) {
        features.append(new InvertedResidual(inputChannel, out, i === 0 ? s : 1, t));
        inputChannel = out;
      }
    }
    features.append(convBnAct(inputChannel, lastChannel, 1, 1, 1, () => new ReLU6()));
    super({
      features,
      avgpool: new AdaptiveAvgPool2d([1, 1]),
      flatten: new Flatten(1),
      classifier: new Sequential(new Dropout(dropout), new Linear(lastChannel, numClasses)),
    });
  }
}

/**
 * MobileNetV2 (see {@link MobileNetV2}): 3,504,872 parameters, 300.8 M multiply-adds at 224x224.
 * torchvision's initialization (He-normal fan-out convolutions, N(0, 0.01) classifier).
 */
export function mobilenet_v2(opts: MobileNetOptions = {}): MobileNetV2 {
  const o = resolveZooOptions('mobilenet_v2', opts, {}, ['widthMultiplier', 'dropout']);
  const width = widthOf('mobilenet_v2', opts);
  return buildZooModel(
    o,
    [o.inChannels, 224, 224],
    () => new MobileNetV2(o.inChannels, o.numClasses, width, opts.dropout ?? 0.2),
    (m) => initWeights(m, MOBILENET_INIT),
  );
}

/**
 * MobileNetV1 (Howard et al., 2017, Table 1): a 3x3 stride-2 convolution to 32 channels, then 13
 * depthwise separable convolutions (3x3 depthwise - BN - ReLU - 1x1 pointwise - BN - ReLU, each a
 * Sequential with children '0'..'5'), global average pooling and `classifier` (dropout, linear). The paper's table
 * prints stride 2 for the second-to-last depthwise layer, but its feature maps (7x7 in, 7x7 out) and
 * every implementation use stride 1 there. No torchvision counterpart: keys are `features.i.j`.
 *
 * Parameters (hand count in the test): 4,231,976 with 1000 classes (the paper: "4.2 million"),
 * 568.7 M multiply-adds at 224x224 (the paper: 569 M).
 */
export class MobileNetV1 extends Sequential {
  constructor(inChannels: number, numClasses: number, width: number, dropout: number) {
    const c = (v: number): number => makeDivisible(v * width);
    // [output channels, stride] of each depthwise separable layer.
    const blocks: readonly [number, number][] = [
      [64, 1],
      [128, 2],
      [128, 1],
      [256, 2],
      [256, 1],
      [512, 2],
      [512, 1],
      [512, 1],
      [512, 1],
      [512, 1],
      [512, 1],
      [1024, 2],
      [1024, 1],
    ];
    const features = new Sequential(convBnAct(inChannels, c(32), 3, 2, 1, () => new ReLU()));
    let inC = c(32);
    for (const [out, stride] of blocks) {
      const o = c(out);
      features.append(
        new Sequential(
          new Conv2d(inC, inC, 3, { stride, padding: 1, groups: inC, bias: false }),
          new BatchNorm2d(inC),
          new ReLU(),
          new Conv2d(inC, o, 1, { bias: false }),
          new BatchNorm2d(o),
          new ReLU(),
        ),
      );
      inC = o;
    }
    super({
      features,
      avgpool: new AdaptiveAvgPool2d([1, 1]),
      flatten: new Flatten(1),
      classifier: new Sequential(new Dropout(dropout), new Linear(inC, numClasses)),
    });
  }
}

/** MobileNetV1 (see {@link MobileNetV1}), initialized like torchvision's MobileNetV2. */
export function mobilenet_v1(opts: MobileNetOptions = {}): MobileNetV1 {
  const o = resolveZooOptions('mobilenet_v1', opts, {}, ['widthMultiplier', 'dropout']);
  const width = widthOf('mobilenet_v1', opts);
  return buildZooModel(
    o,
    [o.inChannels, 224, 224],
    () => new MobileNetV1(o.inChannels, o.numClasses, width, opts.dropout ?? 0),
    (m) => initWeights(m, MOBILENET_INIT),
  );
}
