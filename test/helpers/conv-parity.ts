import * as st from '../../src/index.js';
import { assertClose } from './assert-close.js';
import type { FixtureTensor } from './fixtures.js';

/** One PyTorch case of a weighted op: inputs, output, and gradients for the upstream gradient `dy`. */
export interface WeightedOpCase<O> {
  name: string;
  opts: O;
  x: FixtureTensor;
  weight: FixtureTensor;
  bias: FixtureTensor | null;
  y: FixtureTensor;
  dy: FixtureTensor;
  dx: FixtureTensor;
  dweight: FixtureTensor;
  dbias: FixtureTensor | null;
}

const leaf = (f: FixtureTensor) => st.tensor(f.data, f.shape, { requiresGrad: true });
const tol = { atol: 1e-4, rtol: 1e-4 };

/** Run `op` on a PyTorch case in float32 and compare the output and the x/weight/bias gradients. */
export function assertWeightedOpParity<O>(
  op: (x: st.Tensor, w: st.Tensor, b: st.Tensor | null, opts: O) => st.Tensor,
  c: WeightedOpCase<O>,
): void {
  const x = leaf(c.x);
  const w = leaf(c.weight);
  const b = c.bias ? leaf(c.bias) : null;
  const y = op(x, w, b, c.opts);
  assertClose(y, st.tensor(c.y.data, c.y.shape), { ...tol, msg: 'output' });
  y.backward(st.tensor(c.dy.data, c.dy.shape));
  assertClose(x.grad!, st.tensor(c.dx.data, c.dx.shape), { ...tol, msg: 'dx' });
  assertClose(w.grad!, st.tensor(c.dweight.data, c.dweight.shape), { ...tol, msg: 'dw' });
  if (b) assertClose(b.grad!, st.tensor(c.dbias!.data, c.dbias!.shape), { ...tol, msg: 'db' });
}
