import { join } from 'node:path';
import * as st from '../../node.js';
import { trainYolo, evaluateYolo } from '../../detection/train-yolo.js';
import { writeFileAtomic } from '../../io/atomic-write-node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';

const specs = {
  dataset: {
    type: 'string',
    help: 'training data',
    choices: ['mnist-detection'],
    default: 'mnist-detection',
  },
  head: {
    type: 'string',
    help: "v2: anchors from k-means; v1: the decks' grid head",
    choices: ['v2', 'v1'],
    default: 'v2',
  },
  epochs: { type: 'int', help: 'passes over the training canvases', default: 6 },
  'train-count': { type: 'int', help: 'training canvases (MNIST training digits)', default: 3000 },
  'test-count': { type: 'int', help: 'held-out canvases (MNIST test digits)', default: 500 },
  'batch-size': { type: 'int', help: 'canvases per step', default: 32 },
  lr: { type: 'number', help: 'peak Adam learning rate (cosine decay)', default: 0.003 },
  seed: { type: 'int', help: 'seed for initialization and shuffling', default: 0 },
  out: {
    type: 'string',
    help: 'directory for the model and its anchors',
    default: 'runs/yolo-mnist-detection',
  },
} satisfies Record<string, OptionSpec>;

/** Help of `stride train yolo`. */
export const trainYoloHelp = `stride train yolo --dataset mnist-detection [options]

Train a small YOLO on 64x64 canvases holding 1-3 MNIST digits at random positions and sizes
(seeded; training canvases use MNIST's training digits, test canvases its test digits), then
print the VOC mAP@0.5 and per-class AP on the held-out canvases and save the model.

${formatOptions(specs)}`;

/** `stride train yolo ...` */
export async function trainYoloCommand(argv: readonly string[]): Promise<void> {
  const { positional, options } = parseArgs(argv, specs);
  if (positional.length > 0)
    throw new UsageError(`train yolo takes no further arguments, got '${positional.join(' ')}'`);
  const o = <T>(k: keyof typeof specs) => (options[k] ?? specs[k].default) as T;
  const epochs = o<number>('epochs');
  const trainCount = o<number>('train-count');
  const testCount = o<number>('test-count');
  if (epochs < 1 || trainCount < 1 || testCount < 1)
    throw new UsageError('--epochs and the counts must be at least 1');
  const head = o<'v1' | 'v2'>('head');
  const seed = o<number>('seed');
  const train = st.loadMnistDetection({ split: 'train', count: trainCount });
  const test = st.loadMnistDetection({ split: 'test', count: testCount });
  console.log(`training a YOLO${head} head on ${train.length} canvases, testing on ${test.length}`);
  const t0 = performance.now();
  const model = trainYolo(train, {
    head,
    numClasses: 10,
    epochs,
    batchSize: o<number>('batch-size'),
    lr: o<number>('lr'),
    seed,
    onEpoch: (e, loss, s) => console.log(`epoch ${e}/${epochs}  loss ${loss.toFixed(4)}  ${s.toFixed(1)} s`),
  });
  const seconds = (performance.now() - t0) / 1000;
  const r = evaluateYolo(model, test);
  console.log(
    st.formatTable(
      ['digit', 'AP@0.5'],
      r.ap.map((v, c) => [String(c), v.toFixed(4)]),
    ),
  );
  console.log(`training time: ${seconds.toFixed(1)} s`);
  console.log(`test mAP@0.5: ${(100 * r.map).toFixed(2)}%`);
  const out = o<string>('out');
  st.save(model.net, join(out, 'model'));
  writeFileAtomic(
    join(out, 'yolo.json'),
    JSON.stringify(
      {
        head,
        numClasses: 10,
        stride: model.stride,
        anchors: model.anchors,
        boxesPerCell: model.boxesPerCell,
      },
      null,
      2,
    ),
  );
  console.log(`saved ${join(out, 'model')} and ${join(out, 'yolo.json')}`);
}
