import { ValueError } from '../errors.js';
import { Hardsigmoid, Hardswish, ReLU } from '../nn/activation-layers.js';
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
import { makeDivisible, type MobileNetOptions } from './mobilenet.js';
import { SqueezeExcitation } from './senet.js';
import { buildZooModel, initWeights, resolveZooOptions } from './zoo-options.js';

/** MobileNetV3's batch norm: eps 0.001, momentum 0.01 (torchvision's `norm_layer`). */
function bn(c: number): BatchNorm2d {
  return new BatchNorm2d(c, { eps: 0.001, momentum: 0.01 });
}

/**
 * torchvision's `Conv2dNormActivation` with MobileNetV3's batch norm: convolution (no bias, padding
 * (k-1)/2·dilation) - batch norm - activation (none for the linear projection).
 */
function convBn(
  inC: number,
  outC: number,
  k: number,
  o: { stride?: number; groups?: number; dilation?: number; act: (() => Module) | null },
): Sequential {
  const dilation = o.dilation ?? 1;
  const seq = new Sequential(
    new Conv2d(inC, outC, k, {
      stride: o.stride ?? 1,
      padding: ((k - 1) / 2) * dilation,
      dilation,
      groups: o.groups ?? 1,
      bias: false,
    }),
    bn(outC),
  );
  if (o.act) seq.append(o.act());
  return seq;
}

/** One row of MobileNetV3's block table (torchvision's `InvertedResidualConfig`). */
export interface MobileNetV3BlockConfig {
  inChannels: number;
  kernel: number;
  expanded: number;
  outChannels: number;
  /** Squeeze-excitation (hard-sigmoid gate) after the depthwise convolution. */
  se: boolean;
  /** Hard swish (`'HS'`) or ReLU (`'RE'`). */
  activation: 'HS' | 'RE';
  stride: number;
  dilation: number;
}

/**
 * MobileNetV3's inverted residual block (Howard et al., 2019), as torchvision builds it: `block` =
 * 1x1 expansion (skipped when it would not change the channels) - kxk depthwise (stride, or dilation
 * instead of stride) - squeeze-excitation (optional, hard-sigmoid gate) - 1x1 linear projection,
 * plus the input when the stride is 1 and the channels match.
 */
export class MobileNetV3Block extends Graph {
  /** Channels of the output. */
  readonly outChannels: number;
  /** Whether the block's configured stride is 2: torchvision's `_is_cn`, where a new stage starts. */
  readonly startsStage: boolean;

  constructor(c: MobileNetV3BlockConfig) {
    super();
    const act = c.activation === 'HS' ? () => new Hardswish() : () => new ReLU();
    const layers: Module[] = [];
    if (c.expanded !== c.inChannels) layers.push(convBn(c.inChannels, c.expanded, 1, { act }));
    layers.push(
      convBn(c.expanded, c.expanded, c.kernel, {
        stride: c.dilation > 1 ? 1 : c.stride,
        dilation: c.dilation,
        groups: c.expanded,
        act,
      }),
    );
    if (c.se)
      layers.push(
        new SqueezeExcitation(c.expanded, makeDivisible(Math.floor(c.expanded / 4)), new Hardsigmoid()),
      );
    layers.push(convBn(c.expanded, c.outChannels, 1, { act: null }));
    const x = this.input();
    const y = this.add('block', new Sequential(...layers), x);
    this.output(c.stride === 1 && c.inChannels === c.outChannels ? this.add('add', new Add(), x, y) : y);
    this.outChannels = c.outChannels;
    this.startsStage = c.stride > 1;
  }
}

/** The two sizes of MobileNetV3. */
export type MobileNetV3Arch = 'large' | 'small';

type Row = [number, number, number, number, boolean, 'HS' | 'RE', number, number];

/** Block table (in, kernel, expanded, out, SE, activation, stride, dilation) and last channels. */
function table(arch: MobileNetV3Arch, dilation: number): { rows: Row[]; lastChannel: number } {
  const d = dilation;
  if (arch === 'large') {
    return {
      rows: [
        [16, 3, 16, 16, false, 'RE', 1, 1],
        [16, 3, 64, 24, false, 'RE', 2, 1],
        [24, 3, 72, 24, false, 'RE', 1, 1],
        [24, 5, 72, 40, true, 'RE', 2, 1],
        [40, 5, 120, 40, true, 'RE', 1, 1],
        [40, 5, 120, 40, true, 'RE', 1, 1],
        [40, 3, 240, 80, false, 'HS', 2, 1],
        [80, 3, 200, 80, false, 'HS', 1, 1],
        [80, 3, 184, 80, false, 'HS', 1, 1],
        [80, 3, 184, 80, false, 'HS', 1, 1],
        [80, 3, 480, 112, true, 'HS', 1, 1],
        [112, 3, 672, 112, true, 'HS', 1, 1],
        [112, 5, 672, 160, true, 'HS', 2, d],
        [160, 5, 960, 160, true, 'HS', 1, d],
        [160, 5, 960, 160, true, 'HS', 1, d],
      ],
      lastChannel: 1280,
    };
  }
  return {
    rows: [
      [16, 3, 16, 16, true, 'RE', 2, 1],
      [16, 3, 72, 24, false, 'RE', 2, 1],
      [24, 3, 88, 24, false, 'RE', 1, 1],
      [24, 5, 96, 40, true, 'HS', 2, 1],
      [40, 5, 240, 40, true, 'HS', 1, 1],
      [40, 5, 240, 40, true, 'HS', 1, 1],
      [40, 5, 120, 48, true, 'HS', 1, 1],
      [48, 5, 144, 48, true, 'HS', 1, 1],
      [48, 5, 288, 96, true, 'HS', 2, d],
      [96, 5, 576, 96, true, 'HS', 1, d],
      [96, 5, 576, 96, true, 'HS', 1, d],
    ],
    lastChannel: 1024,
  };
}

/**
 * MobileNetV3's `features`: a 3x3 stride-2 stem to 16 channels (hard swish), the inverted residual
 * blocks of the paper's Table 1 (large) or Table 2 (small), and a 1x1 convolution to 6x the last
 * block's channels (hard swish). `dilated` replaces the last stage's stride by dilation 2 (output
 * stride 16, for segmentation: torchvision's `dilated=True`). Returns the features and the channels
 * of the classifier's hidden layer.
 */
export function mobileNetV3Features(
  arch: MobileNetV3Arch,
  inChannels: number,
  width = 1,
  dilated = false,
): { features: Sequential; lastChannel: number } {
  const adjust = (c: number): number => makeDivisible(c * width);
  const { rows, lastChannel } = table(arch, dilated ? 2 : 1);
  const first = adjust(rows[0]![0]);
  const features = new Sequential(convBn(inChannels, first, 3, { stride: 2, act: () => new Hardswish() }));
  for (const [inC, kernel, expanded, outC, se, activation, stride, dilation] of rows) {
    features.append(
      new MobileNetV3Block({
        inChannels: adjust(inC),
        kernel,
        expanded: adjust(expanded),
        outChannels: adjust(outC),
        se,
        activation,
        stride,
        dilation,
      }),
    );
  }
  const lastIn = adjust(rows[rows.length - 1]![3]);
  features.append(convBn(lastIn, 6 * lastIn, 1, { act: () => new Hardswish() }));
  return { features, lastChannel: adjust(lastChannel) };
}

/**
 * MobileNetV3 (Howard et al., 2019, "Searching for MobileNetV3") as torchvision builds it:
 * `features` (see {@link mobileNetV3Features}), global average pooling, and `classifier` (linear to
 * 1280 (large) or 1024 (small), hard swish, dropout, linear). State-dict keys and parameter counts
 * equal torchvision's.
 */
export class MobileNetV3 extends Sequential {
  constructor(arch: MobileNetV3Arch, inChannels: number, numClasses: number, width: number, dropout: number) {
    const { features, lastChannel } = mobileNetV3Features(arch, inChannels, width);
    const lastConv = (features.at(-1) as Sequential).at(0) as Conv2d;
    super({
      features,
      avgpool: new AdaptiveAvgPool2d([1, 1]),
      flatten: new Flatten(1),
      classifier: new Sequential(
        new Linear(lastConv.outChannels, lastChannel),
        new Hardswish(),
        new Dropout(dropout),
        new Linear(lastChannel, numClasses),
      ),
    });
  }
}

function build(name: string, arch: MobileNetV3Arch, opts: MobileNetOptions): MobileNetV3 {
  const o = resolveZooOptions(name, opts, {}, ['widthMultiplier', 'dropout']);
  const width = opts.widthMultiplier ?? 1;
  if (typeof width !== 'number' || !(width > 0) || !Number.isFinite(width)) {
    throw new ValueError(name, `widthMultiplier must be a positive number, got ${JSON.stringify(width)}`);
  }
  return buildZooModel(
    o,
    [o.inChannels, 224, 224],
    () => new MobileNetV3(arch, o.inChannels, o.numClasses, width, opts.dropout ?? 0.2),
    (m) => initWeights(m, MOBILENET_V3_INIT),
  );
}

/** torchvision's MobileNetV3 initialization: He-normal fan-out convolutions, N(0, 0.01) linear layers. */
export const MOBILENET_V3_INIT = {
  conv: 'kaimingNormalFanOut',
  convBias: 'zeros',
  linear: { normalStd: 0.01 },
  linearBias: 'zeros',
} as const;

/** MobileNetV3-Large: 5,483,032 parameters, 217 M multiply-adds at 224x224. */
export function mobilenet_v3_large(opts: MobileNetOptions = {}): MobileNetV3 {
  return build('mobilenet_v3_large', 'large', opts);
}

/** MobileNetV3-Small: 2,542,856 parameters, 56 M multiply-adds at 224x224. */
export function mobilenet_v3_small(opts: MobileNetOptions = {}): MobileNetV3 {
  return build('mobilenet_v3_small', 'small', opts);
}
