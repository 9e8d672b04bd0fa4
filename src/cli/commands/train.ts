import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';
import { closest } from '../did-you-mean.js';
import { applyRuntimeOptions, runtimeOptions } from '../runtime-options.js';
import { AUGMENTATION_NAMES, AUGMENTATIONS, trainingTransform } from './augmentations.js';
import { classReport, formatClassReport } from './class-report.js';
import {
  DATASET_NAMES,
  defaultRunDir,
  isDatasetName,
  loadLabelledImages,
  namedDatasetOptions,
} from './image-data.js';
import { checkInputFits } from './input-size.js';
import { readRun, saveRun, type TrainingState } from './run-dir.js';
import { SEGMENTATION_CANVASES, trainSegmentation } from './train-segmentation.js';
import { trainPretrainedCommand, trainPretrainedHelp } from './train-pretrained.js';
import { trainYoloCommand, trainYoloHelp } from './train-yolo.js';

const specs = {
  data: {
    type: 'string',
    valueName: 'FOLDER',
    help: 'training images: a folder with one sub-folder of images per class, or mnist / fashion-mnist (overrides --dataset)',
  },
  dataset: {
    type: 'string',
    help: 'a named dataset, used when --data is not given',
    choices: [...DATASET_NAMES, 'mnist-segmentation'],
    default: 'mnist',
  },
  size: {
    type: 'int',
    help: "side of the square images a folder is resized to, default: the model's own input size",
    min: 1,
  },
  channels: { type: 'string', help: "colour of a folder's images", choices: ['rgb', 'gray'], default: 'rgb' },
  augment: {
    type: 'list',
    help: `random changes to the training images: ${AUGMENTATION_NAMES.map((n) => `${n} (${AUGMENTATIONS[n]})`).join('; ')}`,
    choices: AUGMENTATION_NAMES,
  },
  'val-split': {
    type: 'number',
    help: 'hold out this fraction of the training images (stratified by class) and score the model on them after every epoch',
    min: 0,
    max: 0.9,
    default: 0,
  },
  epochs: {
    type: 'int',
    help: 'passes over the training images; with --resume, the new total',
    min: 1,
    default: 2,
  },
  'batch-size': { type: 'int', help: 'images per step', min: 1, default: 64 },
  lr: { type: 'number', help: 'peak learning rate, more than 0', default: 0.002 },
  optimizer: { type: 'string', help: 'optimizer', choices: ['adam', 'sgd'], default: 'adam' },
  schedule: {
    type: 'string',
    help: 'learning-rate schedule: cosine decays to 0 over all steps; none keeps --lr',
    choices: ['cosine', 'none'],
    default: 'cosine',
  },
  seed: {
    type: 'int',
    help: 'seed of the initial weights, the validation split and the shuffling',
    default: 0,
  },
  out: {
    type: 'string',
    valueName: 'DIR',
    help: 'run directory, written after every epoch: the model with its class names and preprocessing, and the optimizer state for --resume (default: runs/<model>-<data folder name>)',
  },
  resume: {
    type: 'string',
    valueName: 'DIR',
    help: 'continue the run in this directory where it stopped (weights, optimizer state, schedule, epoch) with its own settings',
  },
  ...namedDatasetOptions,
  ...runtimeOptions,
} satisfies Record<string, OptionSpec>;

/** Options that may be given with --resume (everything else comes from the run). */
const RESUME_OPTIONS = new Set([
  'resume',
  'epochs',
  'test-limit',
  'fashion-mnist-path',
  'backend',
  'threads',
]);

/** Help of `stride train`. */
export const trainHelp = `stride train <model> --data <folder> [options]
stride train <model> --dataset mnist|fashion-mnist [options]
stride train --resume <run-dir> [--epochs N]

Train a zoo model on a folder of images (one sub-folder per class, e.g. photos/cat/*.jpg and
photos/dog/*.jpg; JPEG and PNG), resized to the model's input size or --size, or on MNIST /
Fashion-MNIST. Images are normalized with the mean and std of the training images. Prints
per-epoch loss and accuracy, then accuracy, a per-class report and the confusion matrix on the
held-out images (--val-split) or the dataset's test split, and saves the run directory after every
epoch. 'stride evaluate' and 'stride predict' take the run directory as the model: it records the
class names and the preprocessing.

A model that cannot take the image size (AlexNet at 32x32) is refused before training, with the
smallest size it accepts.

  <model>  a zoo model ('stride models' lists them); lenet5 on 28x28 images is its MNIST variant;
           yolo with --dataset mnist-detection trains a detector (options below); with
           --dataset mnist-segmentation a segmentation model, e.g. unet (MNIST digits on 48x48
           canvases, per-pixel labels; --train-limit/--test-limit count canvases, default
           ${SEGMENTATION_CANVASES.train}/${SEGMENTATION_CANVASES.test})

${formatOptions(specs)}

${trainYoloHelp}

${trainPretrainedHelp}`;

/** The zoo model for images of `size`; LeNet-5 at 28x28 is its MNIST ('modern') variant, padding 2 in conv1. */
function buildModel(
  name: string,
  size: number,
  opts: st.ZooOptions & Readonly<Record<string, unknown>>,
): st.Module {
  return name === 'lenet5' && size === 28
    ? st.models.lenet5({ ...opts, variant: 'modern' })
    : st.getModel(name, opts);
}

/** A zoo name from the command line, with "did you mean" for a typo. */
function zooName(arg: string | undefined): string {
  if (arg === undefined)
    throw new UsageError('train needs a model name, e.g. stride train resnet18 --data photos/');
  if (st.modelNames.includes(arg)) return arg;
  const guess = closest(arg, st.modelNames);
  throw new UsageError(
    `no zoo model '${arg}'${guess ? `; did you mean ${guess}?` : ''} ('stride models' lists them)`,
  );
}

/** `stride train <model> --data photos/ ...` */
export async function trainCommand(argv: readonly string[]): Promise<void> {
  if (argv[0] === 'yolo') return trainYoloCommand(argv.slice(1)); // detection: see train-yolo.ts
  // Transfer learning on a pretrained backbone: see train-pretrained.ts.
  if (argv.some((a) => a === '--pretrained' || a.startsWith('--pretrained=')))
    return trainPretrainedCommand(argv);
  const { positional, options, given } = parseArgs(argv, specs);
  applyRuntimeOptions(options);
  if (options.dataset === 'mnist-segmentation' && options.data === undefined) {
    if (positional.length !== 1) throw new UsageError('train needs exactly one model name');
    return trainSegmentation(positional[0]!, options); // segmentation: see train-segmentation.ts
  }
  if (positional.length > 1)
    throw new UsageError(`train takes one model, got ${positional.length}: ${positional.join(' ')}`);

  // The run's settings: from the command line, or from the run being resumed.
  let state: TrainingState;
  let resumed: st.LoadedModel | null = null;
  let runDir: string;
  if (options.resume !== undefined) {
    const extra = [...given].filter((k) => !RESUME_OPTIONS.has(k));
    if (extra.length > 0) {
      throw new UsageError(
        `--resume continues a run with its own settings; ${extra.map((k) => `--${k}`).join(', ')} cannot change (only --epochs, the new total)`,
      );
    }
    const run = readRun(options.resume);
    resumed = run.loaded;
    state = run.state;
    if (positional[0] !== undefined && positional[0] !== state.model)
      throw new UsageError(`the run in '${options.resume}' trains ${state.model}, not ${positional[0]}`);
    if (given.has('epochs')) {
      if (options.epochs <= state.epochsDone) {
        throw new UsageError(
          `--epochs ${options.epochs} is not more than the ${state.epochsDone} epochs the run has done`,
        );
      }
      state.epochs = options.epochs;
    }
    if (state.epochsDone >= state.epochs) {
      throw new UsageError(
        `the run in '${options.resume}' has finished its ${state.epochs} epochs; pass --epochs N (the new total) to train further`,
      );
    }
    runDir = options.resume;
  } else {
    const model = zooName(positional[0]);
    const data = options.data ?? options.dataset;
    if (isDatasetName(data) && given.has('size'))
      throw new UsageError(`--size applies to image folders; ${data} images are 28x28`);
    if (!(options.lr > 0)) throw new UsageError(`--lr must be more than 0; got ${options.lr}`);
    const inChannels = isDatasetName(data) || options.channels === 'gray' ? 1 : 3;
    const probeSize = isDatasetName(data) ? 28 : options.size;
    const probe = buildModel(model, probeSize ?? 0, { init: false, inChannels });
    const size = probeSize ?? st.getDefaultInputShape(probe)?.[1];
    if (size === undefined) throw new UsageError(`${model} records no input size; pass --size N`);
    checkInputFits(
      model,
      buildModel(model, size, { init: false, inChannels }),
      [inChannels, size, size],
      (s) =>
        isDatasetName(data)
          ? `train it on a folder of larger images with --data <folder> --size ${s}`
          : `pass --size ${s} or more, or pick a model made for small images`,
    );
    state = {
      model,
      data,
      size,
      channels: isDatasetName(data) ? 'gray' : (options.channels as 'rgb' | 'gray'),
      valSplit: options['val-split'],
      augment: options.augment ?? [],
      batchSize: options['batch-size'],
      lr: options.lr,
      optimizer: options.optimizer,
      schedule: options.schedule,
      seed: options.seed,
      trainLimit: options['train-limit'] ?? null,
      mean: [],
      std: [],
      epochs: options.epochs,
      epochsDone: 0,
      scheduler: null,
    };
    runDir = options.out ?? defaultRunDir(model, data);
  }

  const images = await loadLabelledImages(state.data, {
    size: state.size,
    channels: state.channels,
    splits: ['train', 'test'],
    trainLimit: state.trainLimit ?? undefined,
    testLimit: options['test-limit'],
    fashionMnistPath: options['fashion-mnist-path'],
  });
  const all = images.train;
  const classNames = all.classNames ? [...all.classNames] : Array.from({ length: all.numClasses }, String);
  const inChannels = all.sampleShape[0]!;

  // Hold out validation images, then normalize with statistics of the training images only.
  let trainIdx: Int32Array | null = null;
  let valIdx: Int32Array | null = null;
  if (state.valSplit > 0) {
    const split = st.trainValidationSplit(all, state.valSplit, { seed: state.seed, stratified: true });
    trainIdx = split.train.indices;
    valIdx = split.validation.indices;
  }
  if (state.mean.length === 0) {
    const stats = st.channelMeanStd(trainIdx ? new st.Subset(all, trainIdx) : all);
    state.mean = stats.mean;
    state.std = stats.std;
  }
  const stats = { mean: state.mean, std: state.std };
  const normalized = st.normalizeDataset(all, stats);
  const trainCount = trainIdx?.length ?? all.length;
  const train: st.TrainData =
    state.augment.length > 0
      ? new st.DataLoader(trainIdx ? new st.Subset(all, trainIdx) : all, {
          batchSize: state.batchSize,
          shuffle: true,
          seed: state.seed + state.epochsDone,
          transform: trainingTransform(state.augment, state.size, inChannels, stats),
        })
      : trainIdx
        ? new st.Subset(normalized, trainIdx)
        : normalized;
  const validation = valIdx ? new st.Subset(normalized, valIdx) : null;
  const test = images.test ? st.normalizeDataset(images.test, stats) : null;

  let model: st.Module;
  if (resumed) {
    model = resumed.model.train();
    const saved = JSON.stringify(classNames);
    const before = resumed.config.metadata['stride.classNames'];
    if (before !== undefined && before !== saved)
      throw new UsageError(
        `the classes in ${state.data} changed since the run started (${before} -> ${saved})`,
      );
  } else {
    st.manualSeed(state.seed);
    model = buildModel(state.model, state.size, { numClasses: classNames.length, inChannels });
  }

  const optimizer =
    state.optimizer === 'sgd'
      ? new st.SGD(model.parameters(), { lr: state.lr, momentum: 0.9 })
      : new st.Adam(model.parameters(), { lr: state.lr });
  if (resumed) optimizer.loadStateDict(resumed.optimizer!.state);
  const stepsPerEpoch = Math.ceil(trainCount / state.batchSize);
  const callbacks: st.Callback[] = [];
  let scheduler: st.lrScheduler.CosineAnnealingLR | null = null;
  if (state.schedule === 'cosine') {
    scheduler = new st.lrScheduler.CosineAnnealingLR(optimizer, { tMax: state.epochs * stepsPerEpoch });
    // A longer --epochs on resume stretches the remaining decay over the new total.
    if (state.scheduler)
      scheduler.loadStateDict({ ...state.scheduler, options: scheduler.stateDict().options });
    callbacks.push(new st.LearningRateScheduler(scheduler, { perStep: true }));
  }
  // How the model is fed and what it answers, saved with it for evaluate, predict and convert.
  st.setModelCard(model, {
    task: 'classification',
    classNames,
    preprocessing: {
      size: [state.size, state.size],
      channels: inChannels,
      colorOrder: 'rgb',
      scale: 1 / 255,
      mean: state.mean,
      std: state.std,
      fit: 'fill',
    },
  });
  const startEpoch = state.epochsDone;
  callbacks.push({
    onEpochEnd: (epoch) => {
      state.epochsDone = startEpoch + epoch + 1;
      state.scheduler = scheduler?.stateDict() ?? null;
      saveRun(runDir, model, optimizer, state, { numClasses: classNames.length, inChannels });
      if (resumed) console.log(`saved ${runDir} after epoch ${state.epochsDone} of ${state.epochs}`);
    },
  });

  console.log(
    `${state.model} on ${images.name}: ${trainCount} training / ${validation?.length ?? 0} validation / ${test?.length ?? 0} test images ` +
      `of ${inChannels}x${state.size}x${state.size}, ${classNames.length} classes; ${model.numParameters()} parameters; ` +
      `backend ${st.backend()}; normalized with training mean ${stats.mean.map((v) => v.toFixed(4)).join(',')}, ` +
      `std ${stats.std.map((v) => v.toFixed(4)).join(',')}`,
  );
  if (resumed) console.log(`resuming ${runDir} after epoch ${startEpoch} of ${state.epochs}`);
  const t0 = performance.now();
  const history = await model.fit(train, {
    optimizer,
    epochs: state.epochs - startEpoch,
    batchSize: state.batchSize,
    seed: state.seed + startEpoch,
    metrics: ['accuracy'],
    ...(validation ? { validationData: validation } : {}),
    callbacks,
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `training time: ${seconds.toFixed(1)} s (${(((state.epochs - startEpoch) * trainCount) / seconds).toFixed(0)} images/s)`,
  );
  console.log(`run directory: ${runDir}`);

  const heldOut = test ?? validation;
  if (!heldOut) {
    console.log(`plots: ${(await st.viz.writeTrainingPlots(runDir, history)).join(', ')}`);
    console.log(
      'no images were held out; pass --val-split 0.1 to score the model on images it did not train on',
    );
    return;
  }
  const r = classReport(model, heldOut, classNames);
  console.log(formatClassReport(r));
  console.log(`plots: ${(await st.viz.writeTrainingPlots(runDir, history, r.confusion)).join(', ')}`);
  console.log(`${test ? 'test' : 'validation'} accuracy: ${(r.accuracy * 100).toFixed(2)}%`);
}
