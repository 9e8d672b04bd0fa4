import { ValueError } from '../errors.js';
import { ReLU } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { Graph } from '../nn/graph.js';
import { constant } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Add } from '../nn/merge.js';
import type { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/pooling.js';
import { Flatten } from '../nn/reshape-layers.js';
import { Sequential } from '../nn/sequential.js';
import { buildZooModel, initWeights, resolveZooOptions, type ZooOptions } from './zoo-options.js';

/**
 * Where a downsampling bottleneck puts its stride: `'v1.5'` (torchvision's, the default) on the 3x3
 * convolution, `'v1'` (the ResNet paper's and Caffe's) on the first 1x1 convolution. Parameters are
 * the same; v1 does fewer multiply-adds (ResNet-50: 3.86 G instead of 4.09 G, the paper's "3.8").
 */
export type ResNetVariant = 'v1.5' | 'v1';

/** Options of the ResNet family. */
export interface ResNetOptions extends ZooOptions {
  /** Stride placement in bottleneck blocks (default `'v1.5'`); no effect on ResNet-18/34. */
  variant?: ResNetVariant;
  /**
   * Start each residual branch's last batch norm at zero, so every block begins as the identity
   * (torchvision's `zero_init_residual`; default false).
   */
  zeroInitResidual?: boolean;
}

/** Geometry of one residual block, as `_make_layer` passes it in torchvision. */
export interface BlockConfig {
  /** Input channels. */
  inplanes: number;
  /** Base channels of the block (the output has planes · expansion). */
  planes: number;
  /** Stride of the block (2 at the start of stages 2-4). */
  stride: number;
  /** The projection shortcut (1x1 convolution + batch norm), or null for the identity. */
  downsample: Sequential | null;
  /** Groups of the 3x3 convolution (ResNeXt's cardinality). */
  groups: number;
  /** Channels per group at planes = 64 (64; 128 for Wide ResNet; 4 for ResNeXt-32x4d). */
  baseWidth: number;
  /** Stride placement. */
  variant: ResNetVariant;
  /** Channel attention inserted after the branch's last batch norm (SE-ResNet), or none. */
  attention?: (channels: number) => Module;
  /** Dilation of the 3x3 convolution (default 1; >1 in the dilated stages of segmentation backbones). */
  dilation?: number;
}

function conv3x3(inC: number, outC: number, stride = 1, groups = 1, dilation = 1): Conv2d {
  return new Conv2d(inC, outC, 3, { stride, padding: dilation, dilation, groups, bias: false });
}

function conv1x1(inC: number, outC: number, stride = 1): Conv2d {
  return new Conv2d(inC, outC, 1, { stride, bias: false });
}

/**
 * ResNet's basic block (two 3x3 convolutions, expansion 1), as a {@link Graph}: the branch
 * conv1-bn1-relu-conv2-bn2 plus the shortcut (identity or `downsample`), added, then ReLU.
 */
export class BasicBlock extends Graph {
  /** Output channels per `planes`. */
  static readonly expansion = 1;

  constructor(c: BlockConfig) {
    super();
    if (c.groups !== 1 || c.baseWidth !== 64 || (c.dilation ?? 1) !== 1) {
      throw new ValueError(
        'BasicBlock',
        'the basic block supports only groups = 1, baseWidth = 64 and dilation 1, as in torchvision',
      );
    }
    const x = this.input();
    const relu = new ReLU();
    let h = this.add('conv1', conv3x3(c.inplanes, c.planes, c.stride), x);
    h = this.add('bn1', new BatchNorm2d(c.planes), h);
    h = this.add('relu', relu, h);
    h = this.add('conv2', conv3x3(c.planes, c.planes), h);
    h = this.add('bn2', new BatchNorm2d(c.planes), h);
    if (c.attention) h = this.add('se', c.attention(c.planes), h);
    const shortcut = c.downsample ? this.add('downsample', c.downsample, x) : x;
    h = this.add('add', new Add(), h, shortcut);
    this.output(this.add(relu, h));
  }
}

/**
 * ResNet's bottleneck block (1x1 reduce, 3x3, 1x1 expand; expansion 4), as a {@link Graph}. The
 * 3x3 convolution has `groups` groups of width·groups channels, width = planes · baseWidth / 64
 * (wider for Wide ResNet, grouped for ResNeXt). The stride sits on the 3x3 convolution (v1.5) or on
 * conv1 (v1).
 */
export class Bottleneck extends Graph {
  /** Output channels per `planes`. */
  static readonly expansion = 4;

  constructor(c: BlockConfig) {
    super();
    const width = Math.floor(c.planes * (c.baseWidth / 64)) * c.groups;
    const out = c.planes * Bottleneck.expansion;
    const [s1, s2] = c.variant === 'v1' ? [c.stride, 1] : [1, c.stride];
    const x = this.input();
    const relu = new ReLU();
    let h = this.add('conv1', conv1x1(c.inplanes, width, s1), x);
    h = this.add('bn1', new BatchNorm2d(width), h);
    h = this.add('relu', relu, h);
    h = this.add('conv2', conv3x3(width, width, s2, c.groups, c.dilation ?? 1), h);
    h = this.add('bn2', new BatchNorm2d(width), h);
    h = this.add(relu, h);
    h = this.add('conv3', conv1x1(width, out), h);
    h = this.add('bn3', new BatchNorm2d(out), h);
    if (c.attention) h = this.add('se', c.attention(out), h);
    const shortcut = c.downsample ? this.add('downsample', c.downsample, x) : x;
    h = this.add('add', new Add(), h, shortcut);
    this.output(this.add(relu, h));
  }
}

/** The block class of a ResNet: {@link BasicBlock} or {@link Bottleneck}. */
export type BlockType = typeof BasicBlock | typeof Bottleneck;

/** Architecture of a ResNet: block type, blocks per stage and the bottleneck's grouping. */
export interface ResNetConfig {
  block: BlockType;
  layers: readonly [number, number, number, number];
  groups?: number;
  baseWidth?: number;
  variant?: ResNetVariant;
  attention?: (channels: number) => Module;
  /**
   * For stages 2-4: replace the stage's stride 2 by dilation (torchvision's
   * `replace_stride_with_dilation`; FCN and DeepLabV3 use [false, true, true], output stride 8).
   */
  replaceStrideWithDilation?: readonly [boolean, boolean, boolean];
}

/**
 * ResNet (He et al., 2015) as torchvision builds it: stem `conv1` (7x7 stride 2) - `bn1` - `relu` -
 * `maxpool` (3x3 stride 2), four stages `layer1`..`layer4` of residual blocks (64, 128, 256, 512
 * planes; stride 2 at the start of stages 2-4, with a 1x1 projection shortcut where the shape
 * changes), global average pooling and `fc`. State-dict keys and parameter counts equal torchvision's.
 */
export class ResNet extends Sequential {
  constructor(cfg: ResNetConfig, inChannels: number, numClasses: number) {
    const groups = cfg.groups ?? 1;
    const baseWidth = cfg.baseWidth ?? 64;
    const variant = cfg.variant ?? 'v1.5';
    const expansion = cfg.block.expansion;
    let inplanes = 64;
    let dilation = 1;
    const makeLayer = (planes: number, blocks: number, stride: number, dilate = false): Sequential => {
      const previousDilation = dilation;
      if (dilate) {
        dilation *= stride;
        stride = 1;
      }
      const downsample =
        stride !== 1 || inplanes !== planes * expansion
          ? new Sequential(conv1x1(inplanes, planes * expansion, stride), new BatchNorm2d(planes * expansion))
          : null;
      const layer = new Sequential();
      const common = { groups, baseWidth, variant, attention: cfg.attention };
      layer.append(
        new cfg.block({ inplanes, planes, stride, downsample, ...common, dilation: previousDilation }),
      );
      inplanes = planes * expansion;
      for (let i = 1; i < blocks; i++)
        layer.append(new cfg.block({ inplanes, planes, stride: 1, downsample: null, ...common, dilation }));
      return layer;
    };
    super({
      conv1: new Conv2d(inChannels, 64, 7, { stride: 2, padding: 3, bias: false }),
      bn1: new BatchNorm2d(64),
      relu: new ReLU(),
      maxpool: new MaxPool2d(3, { stride: 2, padding: 1 }),
      layer1: makeLayer(64, cfg.layers[0], 1),
      layer2: makeLayer(128, cfg.layers[1], 2, cfg.replaceStrideWithDilation?.[0]),
      layer3: makeLayer(256, cfg.layers[2], 2, cfg.replaceStrideWithDilation?.[1]),
      layer4: makeLayer(512, cfg.layers[3], 2, cfg.replaceStrideWithDilation?.[2]),
      avgpool: new AdaptiveAvgPool2d([1, 1]),
      flatten: new Flatten(1),
      fc: new Linear(512 * expansion, numClasses),
    });
  }
}

/**
 * Build a ResNet-family model under zoo function `name`: torchvision's initialization (He-normal
 * fan-out convolutions, batch norm 1/0, default linear), optionally zero-initialized residual ends.
 */
export function buildResNet(name: string, cfg: ResNetConfig, opts: ResNetOptions): ResNet {
  const o = resolveZooOptions(name, opts, {}, ['variant', 'zeroInitResidual']);
  const variant = opts.variant ?? cfg.variant ?? 'v1.5';
  if (variant !== 'v1.5' && variant !== 'v1')
    throw new ValueError(name, `variant must be 'v1.5' or 'v1', got ${JSON.stringify(variant)}`);
  return buildZooModel(
    o,
    [o.inChannels, 224, 224],
    () => new ResNet({ ...cfg, variant }, o.inChannels, o.numClasses),
    (m) => {
      initWeights(m, {
        conv: 'kaimingNormalFanOut',
        convBias: 'zeros',
        linear: 'default',
        linearBias: 'default',
      });
      if (opts.zeroInitResidual) {
        for (const block of m.modules()) {
          const last = block instanceof Bottleneck ? 'bn3' : block instanceof BasicBlock ? 'bn2' : null;
          const bn = last ? block.getSubmodule(last) : null;
          if (bn instanceof BatchNorm2d && bn.weight) constant(bn.weight, 0);
        }
      }
    },
  );
}

/** ResNet-18: 11,689,512 parameters, 1.8 G multiply-adds at 224x224. */
export function resnet18(opts: ResNetOptions = {}): ResNet {
  return buildResNet('resnet18', { block: BasicBlock, layers: [2, 2, 2, 2] }, opts);
}

/** ResNet-34: 21,797,672 parameters, 3.6 G multiply-adds. */
export function resnet34(opts: ResNetOptions = {}): ResNet {
  return buildResNet('resnet34', { block: BasicBlock, layers: [3, 4, 6, 3] }, opts);
}

/** ResNet-50: 25,557,032 parameters; 4.1 G multiply-adds (v1.5), 3.9 G (v1, the paper's 3.8). */
export function resnet50(opts: ResNetOptions = {}): ResNet {
  return buildResNet('resnet50', { block: Bottleneck, layers: [3, 4, 6, 3] }, opts);
}

/** ResNet-101: 44,549,160 parameters; 7.8 G multiply-adds (v1.5), 7.6 G (v1). */
export function resnet101(opts: ResNetOptions = {}): ResNet {
  return buildResNet('resnet101', { block: Bottleneck, layers: [3, 4, 23, 3] }, opts);
}

/** ResNet-152: 60,192,808 parameters; 11.5 G multiply-adds (v1.5), 11.3 G (v1). */
export function resnet152(opts: ResNetOptions = {}): ResNet {
  return buildResNet('resnet152', { block: Bottleneck, layers: [3, 8, 36, 3] }, opts);
}

/** Wide ResNet-50-2 (Zagoruyko & Komodakis): bottlenecks twice as wide; 68,883,240 parameters. */
export function wide_resnet50_2(opts: ResNetOptions = {}): ResNet {
  return buildResNet('wide_resnet50_2', { block: Bottleneck, layers: [3, 4, 6, 3], baseWidth: 128 }, opts);
}

/** ResNeXt-50 32x4d (Xie et al.): 32 groups of 4 channels at planes 64; 25,028,904 parameters. */
export function resnext50_32x4d(opts: ResNetOptions = {}): ResNet {
  return buildResNet(
    'resnext50_32x4d',
    { block: Bottleneck, layers: [3, 4, 6, 3], groups: 32, baseWidth: 4 },
    opts,
  );
}
