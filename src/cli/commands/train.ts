import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';

const specs = {
  dataset: { type: 'string', help: 'training data', choices: ['mnist', 'fashion-mnist'], default: 'mnist' },
  epochs: { type: 'int', help: 'passes over the training set', default: 2 },
  'batch-size': { type: 'int', help: 'samples per step', default: 64 },
  lr: { type: 'number', help: 'peak learning rate', default: 0.002 },
  optimizer: { type: 'string', help: 'optimizer', choices: ['adam', 'sgd'], default: 'adam' },
  schedule: {
    type: 'string',
    help: 'learning-rate schedule: cosine decays to 0 over all steps; none keeps --lr',
    choices: ['cosine', 'none'],
    default: 'cosine',
  },
  seed: { type: 'int', help: 'seed for initialization and shuffling', default: 0 },
  'validation-split': {
    type: 'number',
    help: 'hold out this fraction of the training set to pick the best epoch',
    default: 0,
  },
  'train-limit': { type: 'int', help: 'use only the first N training images (quick runs)' },
  'test-limit': { type: 'int', help: 'use only the first N test images' },
  out: { type: 'string', help: 'directory for the checkpoint', default: 'runs/<model>-<dataset>' },
  'fashion-mnist-path': {
    type: 'string',
    help: 'folder with the Fashion-MNIST IDX files (default: Debian dataset-fashion-mnist)',
  },
} satisfies Record<string, OptionSpec>;

/** One-paragraph help of `stride train`. */
export const trainHelp = `stride train <model> [options]

Train a model from the zoo on a real dataset, print per-epoch loss and accuracy, the test
accuracy and a confusion matrix, and save a checkpoint.

  <model>  a zoo model that accepts 1-channel 28x28 input, e.g. lenet5 (its MNIST variant)

${formatOptions(specs)}`;

/** `stride train <model> --dataset mnist ...` */
export async function trainCommand(argv: readonly string[]): Promise<void> {
  const { positional, options } = parseArgs(argv, specs);
  if (positional.length !== 1)
    throw new UsageError(`train needs exactly one model name, got ${positional.length}`);
  const modelName = positional[0]!;
  const dataset = (options['dataset'] as string | undefined) ?? 'mnist';
  const epochs = (options['epochs'] as number | undefined) ?? 2;
  const batchSize = (options['batch-size'] as number | undefined) ?? 64;
  const lr = (options['lr'] as number | undefined) ?? 0.002;
  const seed = (options['seed'] as number | undefined) ?? 0;
  const valSplit = (options['validation-split'] as number | undefined) ?? 0;
  const outDir = (options['out'] as string | undefined) ?? join('runs', `${modelName}-${dataset}`);
  if (epochs < 1) throw new UsageError('--epochs must be at least 1');
  if (batchSize < 1) throw new UsageError('--batch-size must be at least 1');
  if (!(lr > 0)) throw new UsageError('--lr must be positive');
  if (!(valSplit >= 0 && valSplit < 1)) throw new UsageError('--validation-split must be in [0, 1)');

  st.manualSeed(seed);
  const trainLimit = options['train-limit'] as number | undefined;
  const testLimit = options['test-limit'] as number | undefined;
  const load = (split: 'train' | 'test', limit: number | undefined) =>
    dataset === 'mnist'
      ? st.loadMnist({ split, ...(limit !== undefined ? { limit } : {}) })
      : st.loadFashionMnist({
          split,
          ...(limit !== undefined ? { limit } : {}),
          ...(options['fashion-mnist-path'] ? { path: options['fashion-mnist-path'] as string } : {}),
        });
  const trainSet = load('train', trainLimit);
  const testSet = load('test', testLimit);
  // LeNet-5 on 28x28 digits is its MNIST ('modern') variant: padding 2 in the first convolution.
  const model =
    modelName === 'lenet5'
      ? st.models.lenet5({ numClasses: trainSet.numClasses, inChannels: 1, variant: 'modern' })
      : st.models.getModel(modelName, { numClasses: trainSet.numClasses, inChannels: 1 });

  // Normalize with statistics of the training images only (not the validation or test images).
  let trainIdx: Int32Array | null = null;
  let valIdx: Int32Array | null = null;
  if (valSplit > 0) {
    const split = st.trainValidationSplit(trainSet, valSplit, { seed, stratified: true });
    trainIdx = split.train.indices;
    valIdx = split.validation.indices;
  }
  const stats = st.channelMeanStd(trainIdx ? new st.Subset(trainSet, trainIdx) : trainSet);
  const trainNorm = st.normalizeDataset(trainSet, stats);
  const train: st.Dataset = trainIdx ? new st.Subset(trainNorm, trainIdx) : trainNorm;
  const validation: st.Dataset | undefined = valIdx ? new st.Subset(trainNorm, valIdx) : undefined;
  const test = st.normalizeDataset(testSet, stats);
  console.log(
    `${modelName} on ${dataset}: ${train.length} training / ${validation?.length ?? 0} validation / ${test.length} test images; ` +
      `${model.numParameters()} parameters; backend ${st.backend()}; ` +
      `normalized with training mean ${stats.mean.map((v) => v.toFixed(4)).join(',')}, std ${stats.std.map((v) => v.toFixed(4)).join(',')}`,
  );

  const optimizer =
    options['optimizer'] === 'sgd'
      ? new st.SGD(model.parameters(), { lr, momentum: 0.9 })
      : new st.Adam(model.parameters(), { lr });
  mkdirSync(outDir, { recursive: true });
  const checkpointPath = join(outDir, 'model');
  const callbacks: st.Callback[] = [];
  if ((options['schedule'] ?? 'cosine') === 'cosine') {
    const stepsPerEpoch = Math.ceil(train.length / batchSize);
    const cosine = new st.lrScheduler.CosineAnnealingLR(optimizer, { tMax: epochs * stepsPerEpoch });
    callbacks.push(new st.LearningRateScheduler(cosine, { perStep: true }));
  }
  if (validation) {
    callbacks.push(
      new st.ModelCheckpoint({
        path: checkpointPath,
        monitor: 'val_accuracy',
        save: (m, p) => st.save(m, p, { optimizer }),
      }),
    );
  }
  const t0 = performance.now();
  const history = await model.fit(train, {
    optimizer,
    epochs,
    batchSize,
    seed,
    metrics: ['accuracy'],
    ...(validation ? { validationData: validation } : {}),
    callbacks,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (!validation) st.save(model, checkpointPath, { optimizer });
  else model.loadStateDict(st.load(checkpointPath).stateDict());

  const logits = model.predict(test);
  const labels = st.tensor(Array.from(testSet.labels));
  const cm = st.confusionMatrix(logits, labels, trainSet.numClasses);
  const acc = st.accuracy(logits, labels);
  console.log(
    `training time: ${seconds.toFixed(1)} s (${((epochs * train.length) / seconds).toFixed(0)} images/s)`,
  );
  console.log('confusion matrix (rows: true class, columns: predicted):');
  console.log(st.formatConfusionMatrix(cm, trainSet.classNames ? [...trainSet.classNames] : undefined));
  console.log(`checkpoint: ${checkpointPath}`);
  console.log(`plots: ${(await st.viz.writeTrainingPlots(outDir, history, cm)).join(', ')}`);
  console.log(`test accuracy: ${(acc * 100).toFixed(2)}%`);
}
