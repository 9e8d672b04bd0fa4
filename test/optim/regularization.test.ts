// L1/L2 penalty helpers: values and gradients by hand, finite differences, and equivalence with
// the optimizers' weightDecay and l1 options.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

function f64(values: number[]): st.Tensor {
  return st.tensor(values, undefined, { dtype: 'float64', requiresGrad: true });
}

describe('l1Penalty / l2Penalty', () => {
  it('values and gradients by hand', () => {
    const a = f64([1, -2]);
    const b = f64([0.5, 0, -3]);
    // L1: 0.1·(1 + 2 + 0.5 + 0 + 3) = 0.65, gradient 0.1·sign(w)
    const l1 = st.optim.l1Penalty([a, b], 0.1);
    assertClose([l1.item()], [0.65], { atol: 1e-15 });
    l1.backward();
    assertClose(a.grad!.data, [0.1, -0.1], { atol: 1e-15 });
    assertClose(b.grad!.data, [0.1, 0, -0.1], { atol: 1e-15 });
    // L2: (0.2/2)·(1 + 4 + 0.25 + 0 + 9) = 1.425, gradient 0.2·w
    a.zeroGrad();
    b.zeroGrad();
    const l2 = st.l2Penalty([a, b], 0.2);
    assertClose([l2.item()], [1.425], { atol: 1e-15 });
    l2.backward();
    assertClose(a.grad!.data, [0.2, -0.4], { atol: 1e-15 });
    assertClose(b.grad!.data, [0.1, 0, -0.6], { atol: 1e-15 });
  });

  it('gradients agree with finite differences (float64)', () => {
    const w = f64([0.3, -1.2, 2.5]);
    assert.ok(st.gradcheck((x) => st.add(st.l2Penalty([x], 0.7), st.l1Penalty([x], 0.3)), [w]));
  });

  it('an empty parameter list gives 0; a negative coefficient is refused', () => {
    assert.equal(st.l1Penalty([], 1).item(), 0);
    assert.throws(() => st.l2Penalty([f64([1])], -1), st.ValueError);
  });

  it('adding l2Penalty(λ) to the loss = weightDecay λ; adding l1Penalty(μ) = the l1 option', () => {
    const target = st.tensor([0.2, -0.4, 1], undefined, { dtype: 'float64' });
    const loss = (w: st.Tensor) => st.sum(st.square(st.sub(w, target)));
    const viaLoss = f64([1, -2, 0.5]);
    const viaOption = f64([1, -2, 0.5]);
    const optLoss = new st.SGD([viaLoss], { lr: 0.1, momentum: 0.9 });
    const optOption = new st.SGD([viaOption], { lr: 0.1, momentum: 0.9, weightDecay: 0.3, l1: 0.05 });
    for (let i = 0; i < 4; i++) {
      optLoss.zeroGrad();
      st.add(loss(viaLoss), st.add(st.l2Penalty([viaLoss], 0.3), st.l1Penalty([viaLoss], 0.05))).backward();
      optLoss.step();
      optOption.zeroGrad();
      loss(viaOption).backward();
      optOption.step();
    }
    assertClose(viaOption.data, viaLoss.data, { atol: 1e-12, rtol: 1e-12 });
  });
});
