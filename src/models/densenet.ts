import { ReLU } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { Graph, type GraphNode } from '../nn/graph.js';
import { Linear } from '../nn/linear.js';
import { Concat } from '../nn/merge.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from '../nn/pooling.js';
import { Flatten } from '../nn/reshape-layers.js';
import { Sequential } from '../nn/sequential.js';
import { buildZooModel, initWeights, resolveZooOptions, type ZooOptions } from './zoo-options.js';

/**
 * One layer of a dense block: BN - ReLU - 1x1 convolution to bnSize·growth channels - BN - ReLU -
 * 3x3 convolution to `growthRate` new channels (torchvision's `_DenseLayer`: `norm1`, `relu1`,
 * `conv1`, `norm2`, `relu2`, `conv2`), then dropout when `dropRate` > 0.
 */
export class DenseLayer extends Sequential {
  constructor(inC: number, growthRate: number, bnSize: number, dropRate: number) {
    super({
      norm1: new BatchNorm2d(inC),
      relu1: new ReLU(),
      conv1: new Conv2d(inC, bnSize * growthRate, 1, { bias: false }),
      norm2: new BatchNorm2d(bnSize * growthRate),
      relu2: new ReLU(),
      conv2: new Conv2d(bnSize * growthRate, growthRate, 3, { padding: 1, bias: false }),
      ...(dropRate > 0 ? { dropout: new Dropout(dropRate) } : {}),
    });
  }
}

/**
 * A dense block (Huang et al., 2017) as a {@link Graph}: layer i reads the concatenation of the
 * block's input and the outputs of layers 1..i-1 (`catI` nodes); the block returns the
 * concatenation of all of them: inC + numLayers · growthRate channels.
 */
export class DenseBlock extends Graph {
  constructor(numLayers: number, inC: number, growthRate: number, bnSize: number, dropRate: number) {
    super();
    const x = this.input();
    const features: GraphNode[] = [x];
    for (let i = 0; i < numLayers; i++) {
      const layerInput = i === 0 ? x : this.add(`cat${i + 1}`, new Concat(1), ...features);
      const layer = new DenseLayer(inC + i * growthRate, growthRate, bnSize, dropRate);
      features.push(this.add(`denselayer${i + 1}`, layer, layerInput));
    }
    this.output(this.add('cat', new Concat(1), ...features));
  }
}

/** Between dense blocks: BN - ReLU - 1x1 convolution (halving the channels) - 2x2 average pool. */
export class Transition extends Sequential {
  constructor(inC: number, outC: number) {
    super({
      norm: new BatchNorm2d(inC),
      relu: new ReLU(),
      conv: new Conv2d(inC, outC, 1, { bias: false }),
      pool: new AvgPool2d(2, { stride: 2 }),
    });
  }
}

/**
 * DenseNet-BC as torchvision builds it: `features` (stem conv0-norm0-relu0-pool0, dense blocks
 * with transitions between them, norm5), ReLU, global average pooling, `classifier`. State-dict keys
 * equal torchvision's (`features.denseblock1.denselayer1.norm1.weight`, ...).
 */
export class DenseNet extends Sequential {
  constructor(
    blockConfig: readonly number[],
    opts: {
      inChannels: number;
      numClasses: number;
      growthRate: number;
      numInitFeatures: number;
      bnSize: number;
      dropRate: number;
    },
  ) {
    const features = new Sequential({
      conv0: new Conv2d(opts.inChannels, opts.numInitFeatures, 7, { stride: 2, padding: 3, bias: false }),
      norm0: new BatchNorm2d(opts.numInitFeatures),
      relu0: new ReLU(),
      pool0: new MaxPool2d(3, { stride: 2, padding: 1 }),
    });
    let c = opts.numInitFeatures;
    blockConfig.forEach((numLayers, i) => {
      features.append(
        new DenseBlock(numLayers, c, opts.growthRate, opts.bnSize, opts.dropRate),
        `denseblock${i + 1}`,
      );
      c += numLayers * opts.growthRate;
      if (i !== blockConfig.length - 1) {
        features.append(new Transition(c, Math.floor(c / 2)), `transition${i + 1}`);
        c = Math.floor(c / 2);
      }
    });
    features.append(new BatchNorm2d(c), 'norm5');
    super({
      features,
      relu: new ReLU(),
      avgpool: new AdaptiveAvgPool2d([1, 1]),
      flatten: new Flatten(1),
      classifier: new Linear(c, opts.numClasses),
    });
  }
}

/** Options of the DenseNets. */
export interface DenseNetOptions extends ZooOptions {
  /** Dropout after each dense layer (default 0). */
  dropRate?: number;
}

function densenet(name: string, blockConfig: readonly number[], opts: DenseNetOptions): DenseNet {
  const o = resolveZooOptions(name, opts, {}, ['dropRate']);
  return buildZooModel(
    o,
    [o.inChannels, 224, 224],
    () =>
      new DenseNet(blockConfig, {
        inChannels: o.inChannels,
        numClasses: o.numClasses,
        growthRate: 32,
        numInitFeatures: 64,
        bnSize: 4,
        dropRate: opts.dropRate ?? 0,
      }),
    (m) =>
      initWeights(m, {
        conv: 'kaimingNormalFanIn',
        convBias: 'zeros',
        linear: 'default',
        linearBias: 'zeros',
      }),
  );
}

/** DenseNet-121 (blocks of 6, 12, 24, 16 layers, growth 32): 7,978,856 parameters. */
export function densenet121(opts: DenseNetOptions = {}): DenseNet {
  return densenet('densenet121', [6, 12, 24, 16], opts);
}

/** DenseNet-169 (blocks of 6, 12, 32, 32 layers): 14,149,480 parameters. */
export function densenet169(opts: DenseNetOptions = {}): DenseNet {
  return densenet('densenet169', [6, 12, 32, 32], opts);
}
