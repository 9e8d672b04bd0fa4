// Node-only: bottleneck features computed once and kept in a safetensors file.
import { existsSync } from 'node:fs';
import { ValueError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write-node.js';
import { readModelFile } from '../io/read-file-node.js';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../autograd/grad-mode.js';
import { concat } from '../ops/shape-ops.js';
import { Tensor } from '../tensor/tensor.js';

/** Options of {@link cachedFeatures}. */
export interface CachedFeaturesOptions {
  /**
   * What the features depend on (backbone name, layer, input size, data set and split...). A cache
   * file written under another key is recomputed, never silently reused.
   */
  key: string;
  /** Images per forward pass (default 32). */
  batchSize?: number;
  /** Called after each batch with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Bottleneck features of `inputs` (`[N, ...]`, already preprocessed) through `extractor` (run in
 * evaluation mode, without gradients), computed once and saved to the safetensors file `file`
 * (tensor `features`, metadata `stride.features_key` = `opts.key`, written atomically). A later
 * call with the same file and key reads them back instead; another key recomputes and overwrites.
 * `inputs` may be a function returning the batch `[start, end)`, so the images need not all be in
 * memory: pass `count` then.
 */
export function cachedFeatures(
  file: string,
  extractor: Module,
  inputs: Tensor | { count: number; batch: (start: number, end: number) => Tensor },
  opts: CachedFeaturesOptions,
): Tensor {
  const op = 'cachedFeatures';
  if (typeof opts.key !== 'string' || opts.key === '')
    throw new ValueError(op, 'needs a non-empty key naming what the features depend on');
  if (existsSync(file)) {
    const { tensors, metadata } = decodeSafetensors(readModelFile(file, op), { copy: true });
    const features = tensors.get('features');
    if (metadata['stride.features_key'] === opts.key && features) return features;
  }
  const count = inputs instanceof Tensor ? inputs.shape[0]! : inputs.count;
  const batch = inputs instanceof Tensor ? (s: number, e: number) => inputs.slice(0, s, e) : inputs.batch;
  const size = opts.batchSize ?? 32;
  if (!Number.isInteger(size) || size < 1)
    throw new ValueError(op, `batchSize must be a positive integer, got ${size}`);
  const wasTraining = extractor.training;
  extractor.eval();
  const parts: Tensor[] = [];
  try {
    noGrad(() => {
      for (let s = 0; s < count; s += size) {
        const e = Math.min(count, s + size);
        parts.push(extractor.forward(batch(s, e)).clone());
        opts.onProgress?.(e, count);
      }
    });
  } finally {
    extractor.train(wasTraining);
  }
  if (parts.length === 0) throw new ValueError(op, 'got no inputs (0 images)');
  const features = parts.length === 1 ? parts[0]! : concat(parts, 0);
  writeFileAtomic(file, encodeSafetensors({ features }, { metadata: { 'stride.features_key': opts.key } }));
  return features;
}
