import { ReLU } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { Graph } from '../nn/graph.js';
import { Concat } from '../nn/merge.js';
import type { Module } from '../nn/module.js';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/pooling.js';
import { Flatten } from '../nn/reshape-layers.js';
import { Sequential } from '../nn/sequential.js';
import { buildZooModel, initWeights, resolveZooOptions, type ZooOptions } from './zoo-options.js';

/**
 * SqueezeNet's Fire module (Iandola et al., 2016) as a {@link Graph}: a 1x1 `squeeze` convolution
 * then two parallel expand convolutions, `expand1x1` and `expand3x3` (padding 1), each with ReLU,
 * concatenated along channels.
 */
export class Fire extends Graph {
  constructor(inplanes: number, squeeze: number, expand1x1: number, expand3x3: number) {
    super();
    const x = this.input();
    let s = this.add('squeeze', new Conv2d(inplanes, squeeze, 1), x);
    s = this.add('squeeze_activation', new ReLU(), s);
    let e1 = this.add('expand1x1', new Conv2d(squeeze, expand1x1, 1), s);
    e1 = this.add('expand1x1_activation', new ReLU(), e1);
    let e3 = this.add('expand3x3', new Conv2d(squeeze, expand3x3, 3, { padding: 1 }), s);
    e3 = this.add('expand3x3_activation', new ReLU(), e3);
    this.output(this.add('concat', new Concat(1), e1, e3));
  }
}

/**
 * SqueezeNet as torchvision builds it: `features` (stem convolution, ceil-mode 3x3 max pools, eight
 * Fire modules) and `classifier` (dropout, a 1x1 convolution to the classes, ReLU, global average
 * pooling); no fully connected layer. Version 1.0 is the paper's; 1.1 has a 3x3 stem and earlier
 * pools, for 2.4x fewer multiply-adds at the same accuracy.
 */
export class SqueezeNet extends Sequential {
  constructor(version: '1_0' | '1_1', inChannels: number, numClasses: number, dropout: number) {
    const pool = (): MaxPool2d => new MaxPool2d(3, { stride: 2, ceilMode: true });
    const layers: Module[] =
      version === '1_0'
        ? [
            new Conv2d(inChannels, 96, 7, { stride: 2 }),
            new ReLU(),
            pool(),
            new Fire(96, 16, 64, 64),
            new Fire(128, 16, 64, 64),
            new Fire(128, 32, 128, 128),
            pool(),
            new Fire(256, 32, 128, 128),
            new Fire(256, 48, 192, 192),
            new Fire(384, 48, 192, 192),
            new Fire(384, 64, 256, 256),
            pool(),
            new Fire(512, 64, 256, 256),
          ]
        : [
            new Conv2d(inChannels, 64, 3, { stride: 2 }),
            new ReLU(),
            pool(),
            new Fire(64, 16, 64, 64),
            new Fire(128, 16, 64, 64),
            pool(),
            new Fire(128, 32, 128, 128),
            new Fire(256, 32, 128, 128),
            pool(),
            new Fire(256, 48, 192, 192),
            new Fire(384, 48, 192, 192),
            new Fire(384, 64, 256, 256),
            new Fire(512, 64, 256, 256),
          ];
    super({
      features: new Sequential(...layers),
      classifier: new Sequential(
        new Dropout(dropout),
        new Conv2d(512, numClasses, 1),
        new ReLU(),
        new AdaptiveAvgPool2d([1, 1]),
      ),
      flatten: new Flatten(1),
    });
  }
}

/** Options of the SqueezeNets. */
export interface SqueezeNetOptions extends ZooOptions {
  /** Dropout before the final convolution (default 0.5). */
  dropout?: number;
}

function squeezenet(name: string, version: '1_0' | '1_1', opts: SqueezeNetOptions): SqueezeNet {
  const o = resolveZooOptions(name, opts, {}, ['dropout']);
  return buildZooModel(
    o,
    [o.inChannels, 224, 224],
    () => new SqueezeNet(version, o.inChannels, o.numClasses, opts.dropout ?? 0.5),
    (m) => {
      const finalConv = m.getSubmodule('classifier.1');
      initWeights(
        m,
        { conv: 'kaimingUniform', convBias: 'zeros', linear: 'default', linearBias: 'default' },
        (mod) =>
          mod === finalConv
            ? { conv: { normalStd: 0.01 }, convBias: 'zeros', linear: 'default', linearBias: 'default' }
            : null,
      );
    },
  );
}

/** SqueezeNet 1.0: 1,248,424 parameters. */
export function squeezenet1_0(opts: SqueezeNetOptions = {}): SqueezeNet {
  return squeezenet('squeezenet1_0', '1_0', opts);
}

/** SqueezeNet 1.1: 1,235,496 parameters, 2.4x fewer multiply-adds than 1.0. */
export function squeezenet1_1(opts: SqueezeNetOptions = {}): SqueezeNet {
  return squeezenet('squeezenet1_1', '1_1', opts);
}
