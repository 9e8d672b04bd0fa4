import type { FixtureTensor } from './fixtures.js';

/**
 * One PyTorch normalization case of `test/fixtures/norm.json` (scripts/fixtures/gen_norm.py):
 * inputs, the upstream gradient, and PyTorch's outputs, gradients and running statistics.
 */
export interface NormCase<A = Record<string, number | boolean | number[]>> {
  op: string;
  name: string;
  args: A;
  x: FixtureTensor;
  grad: FixtureTensor;
  out: FixtureTensor;
  dx: FixtureTensor;
  weight?: FixtureTensor;
  bias?: FixtureTensor;
  dweight?: FixtureTensor;
  dbias?: FixtureTensor;
  runningMean?: FixtureTensor;
  runningVar?: FixtureTensor;
  runningMeanAfter?: FixtureTensor;
  runningVarAfter?: FixtureTensor;
}

/** The arguments of a batch-norm case. */
export type BatchNormArgs = { training: boolean; momentum: number; eps: number };
