import * as st from '../../src/index.js';
import { assertClose } from './assert-close.js';
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

/**
 * Run one fixture case through `run` (given the input, weight, bias and running buffers as fresh
 * tensors, the first three requiring gradients) and compare the output, the gradients of the
 * input, weight and bias, and the updated running statistics with PyTorch's.
 */
export function checkNormCase<A>(
  c: NormCase<A>,
  run: (
    x: st.Tensor,
    weight: st.Tensor | null,
    bias: st.Tensor | null,
    runningMean: st.Tensor | null,
    runningVar: st.Tensor | null,
  ) => st.Tensor,
): void {
  const leaf = (f: FixtureTensor | undefined, grad = false): st.Tensor | null =>
    f ? st.tensor(f.data, f.shape, { requiresGrad: grad }) : null;
  const x = leaf(c.x, true)!;
  const w = leaf(c.weight, true);
  const b = leaf(c.bias, true);
  const rm = leaf(c.runningMean);
  const rv = leaf(c.runningVar);
  const y = run(x, w, b, rm, rv);
  const tol = { rtol: 1e-4, atol: 1e-5 };
  assertClose(y, c.out.data, { ...tol, msg: 'output' });
  y.backward(st.tensor(c.grad.data, c.grad.shape));
  assertClose(x.grad!, c.dx.data, { rtol: 1e-4, atol: 1e-4, msg: 'dx' });
  if (w) assertClose(w.grad!, c.dweight!.data, { ...tol, msg: 'dweight' });
  if (b) assertClose(b.grad!, c.dbias!.data, { ...tol, msg: 'dbias' });
  if (rm) assertClose(rm, c.runningMeanAfter!.data, { ...tol, msg: 'running mean' });
  if (rv) assertClose(rv, c.runningVarAfter!.data, { ...tol, msg: 'running var' });
}
