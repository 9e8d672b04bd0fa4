import { ReLU } from '../nn/activation-layers.js';
import { Conv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/pooling.js';
import { Flatten } from '../nn/reshape-layers.js';
import { Sequential } from '../nn/sequential.js';
import { buildZooModel, resolveZooOptions, type ZooOptions } from './zoo-options.js';

/** Options of {@link alexnet}. */
export interface AlexNetOptions extends ZooOptions {
  /** Dropout probability in the classifier (default 0.5). */
  dropout?: number;
}

/**
 * AlexNet as torchvision builds it (the single-GPU "one weird trick" variant of Krizhevsky 2014:
 * 64-192-384-256-256 filters, no local response normalization), `features`, `avgpool` (adaptive to
 * 6x6), `classifier`. Conv1 is 11x11 stride 4 with padding 2; the decks' CONV1 (96 filters on
 * 227x227, 34,944 parameters) is the original two-GPU paper's. 61,100,840 parameters; the smallest
 * input it accepts is 63x63.
 */
export class AlexNet extends Sequential {
  constructor(inChannels: number, numClasses: number, dropout: number) {
    super({
      features: new Sequential(
        new Conv2d(inChannels, 64, 11, { stride: 4, padding: 2 }),
        new ReLU(),
        new MaxPool2d(3, { stride: 2 }),
        new Conv2d(64, 192, 5, { padding: 2 }),
        new ReLU(),
        new MaxPool2d(3, { stride: 2 }),
        new Conv2d(192, 384, 3, { padding: 1 }),
        new ReLU(),
        new Conv2d(384, 256, 3, { padding: 1 }),
        new ReLU(),
        new Conv2d(256, 256, 3, { padding: 1 }),
        new ReLU(),
        new MaxPool2d(3, { stride: 2 }),
      ),
      avgpool: new AdaptiveAvgPool2d([6, 6]),
      flatten: new Flatten(1),
      classifier: new Sequential(
        new Dropout(dropout),
        new Linear(256 * 6 * 6, 4096),
        new ReLU(),
        new Dropout(dropout),
        new Linear(4096, 4096),
        new ReLU(),
        new Linear(4096, numClasses),
      ),
    });
  }
}

/** AlexNet (torchvision's layout and keys): 61,100,840 parameters with 1000 classes. */
export function alexnet(opts: AlexNetOptions = {}): AlexNet {
  const o = resolveZooOptions('alexnet', opts, {}, ['dropout']);
  return buildZooModel(
    o,
    [o.inChannels, 224, 224],
    () => new AlexNet(o.inChannels, o.numClasses, opts.dropout ?? 0.5),
  );
}
