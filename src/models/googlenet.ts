import { ReLU } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { Graph } from '../nn/graph.js';
import { Linear } from '../nn/linear.js';
import { Concat } from '../nn/merge.js';
import { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/pooling.js';
import { Flatten } from '../nn/reshape-layers.js';
import { Sequential } from '../nn/sequential.js';
import type { Tensor } from '../tensor/tensor.js';
import { buildZooModel, initWeights, resolveZooOptions, type ZooOptions } from './zoo-options.js';

/** Convolution (no bias) + batch norm (eps 0.001) + ReLU: torchvision's `BasicConv2d` (`conv`, `bn`). */
export class BasicConv2d extends Sequential {
  constructor(
    inC: number,
    outC: number,
    kernelSize: number,
    opts: { stride?: number; padding?: number } = {},
  ) {
    super({
      conv: new Conv2d(inC, outC, kernelSize, {
        stride: opts.stride ?? 1,
        padding: opts.padding ?? 0,
        bias: false,
      }),
      bn: new BatchNorm2d(outC, { eps: 0.001 }),
      relu: new ReLU(),
    });
  }
}

/**
 * An Inception module (Szegedy et al., 2014) as a {@link Graph}: four parallel branches on the same
 * input, concatenated along channels: `branch1` 1x1; `branch2` 1x1 reduce then 3x3; `branch3` 1x1
 * reduce then a second "5x5" branch, which torchvision (and so this) builds as 3x3; `branch4` 3x3
 * max pool (stride 1) then a 1x1 projection. Output channels ch1x1 + ch3x3 + ch5x5 + poolProj.
 */
export class Inception extends Graph {
  constructor(
    inC: number,
    ch1x1: number,
    ch3x3red: number,
    ch3x3: number,
    ch5x5red: number,
    ch5x5: number,
    poolProj: number,
  ) {
    super();
    const x = this.input();
    const b1 = this.add('branch1', new BasicConv2d(inC, ch1x1, 1), x);
    const b2 = this.add(
      'branch2',
      new Sequential(new BasicConv2d(inC, ch3x3red, 1), new BasicConv2d(ch3x3red, ch3x3, 3, { padding: 1 })),
      x,
    );
    const b3 = this.add(
      'branch3',
      new Sequential(new BasicConv2d(inC, ch5x5red, 1), new BasicConv2d(ch5x5red, ch5x5, 3, { padding: 1 })),
      x,
    );
    const b4 = this.add(
      'branch4',
      new Sequential(
        new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }),
        new BasicConv2d(inC, poolProj, 1),
      ),
      x,
    );
    this.output(this.add('concat', new Concat(1), b1, b2, b3, b4));
  }
}

/**
 * An auxiliary classifier attached to an intermediate Inception output during training: 4x4
 * average pooling, 1x1 convolution to 128 channels, fc 2048 -> 1024, ReLU, dropout (0.7), fc to
 * the classes.
 */
export class InceptionAux extends Sequential {
  constructor(inC: number, numClasses: number, dropout: number) {
    super({
      avgpool: new AdaptiveAvgPool2d([4, 4]),
      conv: new BasicConv2d(inC, 128, 1),
      flatten: new Flatten(1),
      fc1: new Linear(2048, 1024),
      relu: new ReLU(),
      dropout: new Dropout(dropout),
      fc2: new Linear(1024, numClasses),
    });
  }
}

/** What {@link GoogLeNet.forwardWithAux} returns. */
export interface GoogLeNetOutputs {
  /** The main classifier's logits. */
  logits: Tensor;
  /** Logits of the auxiliary classifier on inception4a (null in eval mode or without aux heads). */
  aux1: Tensor | null;
  /** Logits of the auxiliary classifier on inception4d (null in eval mode or without aux heads). */
  aux2: Tensor | null;
}

/**
 * GoogLeNet (Inception v1) as torchvision builds it: a stem of BasicConv2d layers and ceil-mode max
 * pools, nine Inception modules, global average pooling, dropout 0.2 and `fc`; optionally the two
 * auxiliary classifiers `aux1`/`aux2`. State-dict keys equal torchvision's.
 *
 * `forward(x)` returns the main logits. In training mode, {@link forwardWithAux} also returns the
 * auxiliary logits (torchvision's `GoogLeNetOutputs`), for a loss such as
 * `main + 0.3 · (aux1 + aux2)`; in eval mode the auxiliary heads never run.
 */
export class GoogLeNet extends Module {
  conv1: BasicConv2d;
  maxpool1: MaxPool2d;
  conv2: BasicConv2d;
  conv3: BasicConv2d;
  maxpool2: MaxPool2d;
  inception3a: Inception;
  inception3b: Inception;
  maxpool3: MaxPool2d;
  inception4a: Inception;
  inception4b: Inception;
  inception4c: Inception;
  inception4d: Inception;
  inception4e: Inception;
  maxpool4: MaxPool2d;
  inception5a: Inception;
  inception5b: Inception;
  /** Auxiliary classifier on inception4a's output (null without aux heads). */
  aux1: InceptionAux | null;
  /** Auxiliary classifier on inception4d's output (null without aux heads). */
  aux2: InceptionAux | null;
  avgpool: AdaptiveAvgPool2d;
  flatten: Flatten;
  dropout: Dropout;
  fc: Linear;

  constructor(opts: {
    inChannels: number;
    numClasses: number;
    auxLogits: boolean;
    dropout: number;
    auxDropout: number;
  }) {
    super();
    this.conv1 = new BasicConv2d(opts.inChannels, 64, 7, { stride: 2, padding: 3 });
    this.maxpool1 = new MaxPool2d(3, { stride: 2, ceilMode: true });
    this.conv2 = new BasicConv2d(64, 64, 1);
    this.conv3 = new BasicConv2d(64, 192, 3, { padding: 1 });
    this.maxpool2 = new MaxPool2d(3, { stride: 2, ceilMode: true });
    this.inception3a = new Inception(192, 64, 96, 128, 16, 32, 32);
    this.inception3b = new Inception(256, 128, 128, 192, 32, 96, 64);
    this.maxpool3 = new MaxPool2d(3, { stride: 2, ceilMode: true });
    this.inception4a = new Inception(480, 192, 96, 208, 16, 48, 64);
    this.inception4b = new Inception(512, 160, 112, 224, 24, 64, 64);
    this.inception4c = new Inception(512, 128, 128, 256, 24, 64, 64);
    this.inception4d = new Inception(512, 112, 144, 288, 32, 64, 64);
    this.inception4e = new Inception(528, 256, 160, 320, 32, 128, 128);
    this.maxpool4 = new MaxPool2d(2, { stride: 2, ceilMode: true });
    this.inception5a = new Inception(832, 256, 160, 320, 32, 128, 128);
    this.inception5b = new Inception(832, 384, 192, 384, 48, 128, 128);
    this.aux1 = opts.auxLogits ? new InceptionAux(512, opts.numClasses, opts.auxDropout) : null;
    this.aux2 = opts.auxLogits ? new InceptionAux(528, opts.numClasses, opts.auxDropout) : null;
    this.avgpool = new AdaptiveAvgPool2d([1, 1]);
    this.flatten = new Flatten(1);
    this.dropout = new Dropout(opts.dropout);
    this.fc = new Linear(1024, opts.numClasses);
  }

  /** The main logits [N, numClasses]. */
  forward(x: Tensor): Tensor {
    return this.#run(x, false).logits;
  }

  /** The main logits plus, in training mode with aux heads, the two auxiliary classifiers' logits. */
  forwardWithAux(x: Tensor): GoogLeNetOutputs {
    return this.#run(x, this.training);
  }

  #run(input: Tensor, withAux: boolean): GoogLeNetOutputs {
    let x = this.maxpool1.forward(this.conv1.forward(input));
    x = this.maxpool2.forward(this.conv3.forward(this.conv2.forward(x)));
    x = this.maxpool3.forward(this.inception3b.forward(this.inception3a.forward(x)));
    x = this.inception4a.forward(x);
    const aux1 = withAux && this.aux1 ? this.aux1.forward(x) : null;
    x = this.inception4d.forward(this.inception4c.forward(this.inception4b.forward(x)));
    const aux2 = withAux && this.aux2 ? this.aux2.forward(x) : null;
    x = this.maxpool4.forward(this.inception4e.forward(x));
    x = this.inception5b.forward(this.inception5a.forward(x));
    x = this.dropout.forward(this.flatten.forward(this.avgpool.forward(x)));
    return { logits: this.fc.forward(x), aux1, aux2 };
  }
}

/** Options of {@link googlenet}. */
export interface GoogLeNetOptions extends ZooOptions {
  /** Build the two auxiliary classifiers (default true, as torchvision without pretrained weights). */
  auxLogits?: boolean;
  /** Dropout before `fc` (default 0.2). */
  dropout?: number;
  /** Dropout in the auxiliary classifiers (default 0.7). */
  auxDropout?: number;
}

/**
 * GoogLeNet (see {@link GoogLeNet}): 13,004,888 parameters with the auxiliary classifiers,
 * 6,624,904 without (`{auxLogits: false}`, torchvision's published count). Initialization as
 * torchvision: convolution and linear weights N(0, 0.01) (torchvision truncates at ±2, i.e. at 200
 * standard deviations, which never binds), batch norm 1/0.
 */
export function googlenet(opts: GoogLeNetOptions = {}): GoogLeNet {
  const o = resolveZooOptions('googlenet', opts, {}, ['auxLogits', 'dropout', 'auxDropout']);
  return buildZooModel(
    o,
    [o.inChannels, 224, 224],
    () =>
      new GoogLeNet({
        inChannels: o.inChannels,
        numClasses: o.numClasses,
        auxLogits: opts.auxLogits ?? true,
        dropout: opts.dropout ?? 0.2,
        auxDropout: opts.auxDropout ?? 0.7,
      }),
    (m) =>
      initWeights(m, {
        conv: { normalStd: 0.01 },
        convBias: 'default',
        linear: { normalStd: 0.01 },
        linearBias: 'default',
      }),
  );
}
