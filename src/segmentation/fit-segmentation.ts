/**
 * A training loop for semantic segmentation: per-pixel losses over batches of images and masks,
 * and the pixel metrics of a held-out set.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { diceLoss } from '../ops/dice-loss.js';
import { add } from '../ops/elementwise.js';
import { focalLoss } from '../ops/focal-loss.js';
import { crossEntropy } from '../ops/loss.js';
import { Adam } from '../optim/adam.js';
import { CosineAnnealingLR } from '../optim/schedules/cosine-annealing-lr.js';
import { tensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ConfusionMatrix } from '../train/metrics.js';
import { pixelConfusionMatrix, segmentationScores, type SegmentationScores } from './metrics.js';
import type { PairedTransform } from './paired-augment.js';
import type { SegmentationDataset } from './segmentation-dataset.js';

/** The per-pixel losses {@link fitSegmentation} can minimize. */
export type SegmentationLoss = 'cross-entropy' | 'dice' | 'focal' | 'cross-entropy+dice';

/** Options of {@link fitSegmentation}. */
export interface FitSegmentationOptions {
  /** Passes over the training set (default 5). */
  epochs?: number;
  /** Images per step (default 16). */
  batchSize?: number;
  /** Adam's peak learning rate, decayed to 0 by a per-step cosine schedule (default 0.003). */
  lr?: number;
  /** Loss (default `'cross-entropy+dice'`: their sum). */
  loss?: SegmentationLoss;
  /** Class weights [numClasses] of the cross-entropy / focal loss (e.g. to favour rare classes). */
  classWeights?: readonly number[];
  /** Paired augmentation of the training samples. */
  transform?: PairedTransform;
  /** Seed of the shuffling and augmentation (default 0). */
  seed?: number;
  /** Called after every epoch with its mean training loss and the seconds it took. */
  onEpoch?: (epoch: number, loss: number, seconds: number) => void;
}

/** The loss of logits [N, C, H, W] against masks [N, H, W]. */
export function segmentationLoss(
  logits: Tensor,
  masks: Tensor,
  kind: SegmentationLoss,
  opts: { weight?: Tensor; ignoreIndex?: number } = {},
): Tensor {
  const o = {
    ...(opts.weight ? { weight: opts.weight } : {}),
    ...(opts.ignoreIndex !== undefined ? { ignoreIndex: opts.ignoreIndex } : {}),
  };
  const di = opts.ignoreIndex !== undefined ? { ignoreIndex: opts.ignoreIndex } : {};
  switch (kind) {
    case 'cross-entropy':
      return crossEntropy(logits, masks, o);
    case 'dice':
      return diceLoss(logits, masks, di);
    case 'focal':
      return focalLoss(logits, masks, o);
    case 'cross-entropy+dice':
      return add(crossEntropy(logits, masks, o), diceLoss(logits, masks, di));
    default:
      throw new ValueError(
        'segmentationLoss',
        `unknown loss ${JSON.stringify(kind)}; expected 'cross-entropy', 'dice', 'focal' or 'cross-entropy+dice'`,
      );
  }
}

/**
 * Train `model` (images [N, C, H, W] -> class scores [N, numClasses, H, W]) on a segmentation
 * dataset with Adam and a per-step cosine learning-rate decay. Returns each epoch's mean loss.
 */
export function fitSegmentation(
  model: Module,
  data: SegmentationDataset,
  opts: FitSegmentationOptions = {},
): number[] {
  const epochs = opts.epochs ?? 5;
  const batchSize = opts.batchSize ?? 16;
  const kind = opts.loss ?? 'cross-entropy+dice';
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new ValueError('fitSegmentation', `epochs must be a positive integer, got ${epochs}`);
  const weight = opts.classWeights ? tensor([...opts.classWeights]) : undefined;
  const optimizer = new Adam(model.parameters(), { lr: opts.lr ?? 0.003 });
  const steps = epochs * Math.ceil(data.length / batchSize);
  const schedule = new CosineAnnealingLR(optimizer, { tMax: steps });
  const history: number[] = [];
  model.train();
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    let total = 0;
    let count = 0;
    for (const { x, y } of data.batches({
      batchSize,
      shuffle: true,
      seed: (opts.seed ?? 0) * 1000 + e,
      ...(opts.transform ? { transform: opts.transform } : {}),
    })) {
      optimizer.zeroGrad();
      const loss = segmentationLoss(model.forward(x), y, kind, {
        ...(weight ? { weight } : {}),
        ...(data.ignoreIndex !== undefined ? { ignoreIndex: data.ignoreIndex } : {}),
      });
      loss.backward();
      optimizer.step();
      schedule.step();
      total += loss.item() * x.shape[0]!;
      count += x.shape[0]!;
    }
    history.push(total / count);
    opts.onEpoch?.(e + 1, total / count, (performance.now() - t0) / 1000);
  }
  model.eval();
  return history;
}

/** The pixel confusion matrix and scores of `model` on a dataset (eval mode, no gradients). */
export function evaluateSegmentation(
  model: Module,
  data: SegmentationDataset,
  batchSize = 32,
): { confusion: ConfusionMatrix; scores: SegmentationScores } {
  const k = data.numClasses;
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    for (const { x, y } of data.batches({ batchSize })) {
      const cm = pixelConfusionMatrix(
        model.forward(x),
        y,
        k,
        data.ignoreIndex !== undefined ? { ignoreIndex: data.ignoreIndex } : {},
      );
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) counts[a]![b]! += cm.counts[a]![b]!;
    }
  });
  if (wasTraining) model.train();
  const confusion = { numClasses: k, counts };
  return { confusion, scores: segmentationScores(confusion) };
}
