import { noGrad } from '../autograd/grad-mode.js';
import type { TensorDataset } from '../data/dataset.js';
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { contrastiveLossFromDistances } from './contrastive-loss.js';
import { pairwiseDistances } from './pairwise-distances.js';
import { tripletMiningLoss, type TripletMining } from './triplet-mining.js';

/** Options of {@link trainEmbedding}. */
export interface TrainEmbeddingOptions {
  /**
   * The loss: a triplet loss with online mining (`'batch-hard'`, `'batch-all'`, `'semi-hard'`), or
   * `'contrastive'` (the Siamese loss over every pair in the batch).
   */
  loss: TripletMining | 'contrastive';
  /** Margin of the loss (default 0.2 for triplet losses, 1 for contrastive). */
  margin?: number;
  /** Optimizer steps. */
  steps: number;
  /** P: classes (identities) per batch (default 8). */
  classesPerBatch?: number;
  /** K: images per class in a batch (default 4); a batch holds P·K images. */
  samplesPerClass?: number;
  /** Default: Adam with lr 1e-3 over the model's parameters. */
  optimizer?: Optimizer;
  /** Seed of the batch sampler (default 0). */
  seed?: number;
  /** Called after every step with its loss. */
  onStep?: (step: number, loss: number) => void;
}

/**
 * Train `model` (images -> embeddings [B, D]) as a Siamese / triplet network: every step draws a
 * "PK" batch (P classes, K images of each; Hermans et al. 2017) so that every image has positives
 * and negatives in the batch, embeds it with the one shared network, and minimizes the chosen
 * loss. Returns the loss of every step.
 */
export function trainEmbedding(model: Module, data: TensorDataset, options: TrainEmbeddingOptions): number[] {
  const op = 'trainEmbedding';
  const p = options.classesPerBatch ?? 8;
  const k = options.samplesPerClass ?? 4;
  if (!Number.isInteger(options.steps) || options.steps < 1) {
    throw new ValueError(op, `steps must be an integer >= 1, got ${options.steps}`);
  }
  const byClass = new Map<number, number[]>();
  data.labels.forEach((y, i) => {
    const list = byClass.get(y);
    if (list) list.push(i);
    else byClass.set(y, [i]);
  });
  const classes = [...byClass.keys()].filter((c) => byClass.get(c)!.length >= 2);
  if (classes.length < 2 || p < 2 || k < 2 || p > classes.length) {
    throw new ValueError(
      op,
      `a batch needs at least 2 classes of at least 2 images: got P=${p}, K=${k}, and ${classes.length} classes with 2 or more images. ` +
        'Fix: lower classesPerBatch or use a dataset with more identities',
    );
  }
  const mining = options.loss;
  if (!['batch-hard', 'batch-all', 'semi-hard', 'contrastive'].includes(mining)) {
    throw new ValueError(
      op,
      `loss must be 'batch-hard', 'batch-all', 'semi-hard' or 'contrastive', got ${JSON.stringify(mining)}`,
    );
  }
  const margin = options.margin ?? (mining === 'contrastive' ? 1 : 0.2);
  const optimizer = options.optimizer ?? new Adam(model.parameters(), { lr: 1e-3 });
  const rng = new Rng(options.seed ?? 0);
  const b = p * k;
  const size = data.sampleSize;
  const losses: number[] = [];
  model.train();
  for (let step = 1; step <= options.steps; step++) {
    // P distinct classes, K images of each (without replacement when the class has K).
    const pool = [...classes];
    const x = new Float32Array(b * size);
    const labels = new Int32Array(b);
    for (let c = 0; c < p; c++) {
      const cls = pool.splice(rng.int(0, pool.length), 1)[0]!;
      const members = [...byClass.get(cls)!];
      for (let j = 0; j < k; j++) {
        const pick =
          members.length > 0
            ? members.splice(rng.int(0, members.length), 1)[0]!
            : byClass.get(cls)![rng.int(0, byClass.get(cls)!.length)]!;
        const row = c * k + j;
        x.set(data.data.subarray(pick * size, (pick + 1) * size), row * size);
        labels[row] = cls;
      }
    }
    optimizer.zeroGrad();
    const emb = model.forward(new Tensor(x, [b, ...data.sampleShape]));
    let loss: Tensor;
    if (mining === 'contrastive') {
      const same = new Float32Array(b * b);
      const upper = new Float32Array(b * b);
      for (let i = 0; i < b; i++)
        for (let j = i + 1; j < b; j++) {
          upper[i * b + j] = 1;
          same[i * b + j] = labels[i] === labels[j] ? 1 : 0;
        }
      const per = contrastiveLossFromDistances(pairwiseDistances(emb), new Tensor(same, [b, b]), {
        margin,
        reduction: 'none',
      });
      loss = mul(sum(mul(per, new Tensor(upper, [b, b]))), 2 / (b * (b - 1)));
    } else {
      loss = tripletMiningLoss(emb, labels, mining, { margin });
    }
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
    options.onStep?.(step, losses[losses.length - 1]!);
  }
  return losses;
}

/** Embed every item of `data` with `model` in evaluation mode: a Float32Array of N·D values and D. */
export function embedDataset(
  model: Module,
  data: TensorDataset,
  batchSize = 256,
): { embeddings: Float32Array; dim: number } {
  model.eval();
  const n = data.length;
  const size = data.sampleSize;
  let out: Float32Array | null = null;
  let dim = 0;
  noGrad(() => {
    for (let s = 0; s < n; s += batchSize) {
      const m = Math.min(batchSize, n - s);
      const e = model.forward(
        new Tensor(data.data.slice(s * size, (s + m) * size), [m, ...data.sampleShape]),
      );
      if (out === null) {
        dim = e.size / m;
        out = new Float32Array(n * dim);
      }
      out.set(e.data, s * dim);
    }
  });
  return { embeddings: out ?? new Float32Array(0), dim };
}
