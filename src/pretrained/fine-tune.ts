import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { BaseHyperParams, ParamGroupInput } from '../optim/optimizer.js';
import { compileNamePattern } from '../nn/name-pattern.js';
import type { BackboneBlock } from './pretrained-catalog.js';

/**
 * Freeze all of `model` (batch norm kept in evaluation mode, Keras-style), then unfreeze its top
 * `n` blocks (the last `n` of `blocks`, e.g. `st.pretrained.blocks(model)`), whose batch-norm
 * statistics stay frozen unless `opts.batchNorm` is `'train'`. Returns the unfrozen blocks, top
 * last.
 */
export function unfreezeTopBlocks(
  model: Module,
  blocks: readonly BackboneBlock[],
  n: number,
  opts: { batchNorm?: 'eval' | 'train' } = {},
): BackboneBlock[] {
  if (!Number.isInteger(n) || n < 0 || n > blocks.length)
    throw new ValueError(
      'unfreezeTopBlocks',
      `n must be an integer from 0 to ${blocks.length} (the number of blocks), got ${n}`,
    );
  model.freeze();
  const top = blocks.slice(blocks.length - n);
  for (const b of top) {
    model.unfreeze(b.patterns);
    // Unfreezing clears frozen statistics; Keras keeps them frozen while fine-tuning.
    if ((opts.batchNorm ?? 'eval') === 'eval') {
      const match = compileNamePattern(b.patterns);
      for (const [name, m] of model.namedModules())
        if (m.keepsRunningStatistics && match(name)) m.statisticsFrozen = true;
    }
  }
  return top;
}

/**
 * Discriminative learning rates: one optimizer parameter group per block of `blocks` (input to
 * output) with trainable parameters, the top block at `lr` and each block below `factor` times
 * smaller (`lr / factor`, `lr / factor^2`, ...), as the lectures recommend (factor 3 to 10). Add
 * the new head as its own group: `new st.SGD([...groups, { params: head.parameters(), lr: headLr }], ...)`.
 */
export function discriminativeParamGroups(
  model: Module,
  blocks: readonly BackboneBlock[],
  opts: { lr: number; factor: number },
): ParamGroupInput<BaseHyperParams>[] {
  if (!(opts.lr > 0) || !(opts.factor >= 1))
    throw new ValueError(
      'discriminativeParamGroups',
      `expected lr > 0 and factor >= 1, got lr ${opts.lr} and factor ${opts.factor}`,
    );
  const named = model.namedParameters();
  const groups: ParamGroupInput<BaseHyperParams>[] = [];
  let depth = 0;
  for (let i = blocks.length - 1; i >= 0; i--) {
    const match = compileNamePattern(blocks[i]!.patterns);
    const params = named.filter(([n, p]) => p.requiresGrad && match(n)).map(([, p]) => p);
    if (params.length === 0) continue;
    groups.unshift({ params, lr: opts.lr / opts.factor ** depth });
    depth++;
  }
  return groups;
}
