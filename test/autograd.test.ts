import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../src/index.js';

describe('autograd engine', () => {
  it('matches hand-derived gradients of a matrix product', () => {
    // d/dA sum(A·B) = 1·Bᵀ: every row of the gradient is the row sums of B.
    const a = st.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      undefined,
      { requiresGrad: true },
    );
    const b = st.tensor([
      [5, 6],
      [7, 8],
    ]);
    const c = a.matmul(b).sum();
    assert.equal(c.item(), 1 * 5 + 2 * 7 + 1 * 6 + 2 * 8 + 3 * 5 + 4 * 7 + 3 * 6 + 4 * 8);
    c.backward();
    assert.deepEqual(a.grad!.toArray(), [
      [11, 15],
      [11, 15],
    ]);
  });

  it('accumulates gradients across backward calls and zeroGrad clears them', () => {
    const x = st.tensor([3], undefined, { requiresGrad: true });
    x.mul(x).sum().backward();
    x.mul(x).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [12]);
    x.zeroGrad();
    assert.equal(x.grad, null);
  });

  it('sums gradients of a tensor used on several paths', () => {
    const x = st.tensor([2], undefined, { requiresGrad: true });
    // y = x*x + 3x  => dy/dx = 2x + 3 = 7
    x.mul(x).add(x.mul(3)).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [7]);
  });

  it('backward with an explicit gradient (vector-Jacobian product)', () => {
    const x = st.tensor([1, 2, 3], undefined, { requiresGrad: true });
    x.mul(x).backward(st.tensor([1, 10, 100]));
    assert.deepEqual(x.grad!.toArray(), [2, 40, 600]);
  });

  it('refuses backward of a non-scalar without a gradient, naming the fix', () => {
    const x = st.tensor([1, 2], undefined, { requiresGrad: true });
    assert.throws(() => x.mul(2).backward(), /one-element tensor.*\.sum\(\)/);
  });

  it('refuses backward when nothing requires a gradient', () => {
    assert.throws(() => st.tensor([1]).sum().backward(), /requiresGrad/);
  });

  it('noGrad records nothing; detach cuts the graph', () => {
    const x = st.tensor([1, 2], undefined, { requiresGrad: true });
    const y = st.noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(x.mul(2).detach().requiresGrad, false);
    assert.equal(st.isGradEnabled(), true);
  });

  it('gives gradients with respect to inputs (what saliency maps need)', () => {
    const img = st.tensor([0.5, -1, 2], undefined, { requiresGrad: true });
    const w = st.tensor([1, 2, 3]);
    img.mul(w).relu().sum().backward();
    assert.deepEqual(img.grad!.toArray(), [1, 0, 3]);
  });

  it('gradcheck catches a wrong backward', () => {
    const x = st.randn([4], { dtype: 'float64', requiresGrad: true, seed: 3 });
    assert.equal(
      st.gradcheck((t) => t.mul(t).sum(), [x]),
      true,
    );
    // A deliberately wrong function pair: forward x², backward from a different graph.
    const broken = (t: st.Tensor) => {
      const out = st.noGrad(() => t.mul(t)).add(t.mul(0));
      return out;
    };
    assert.equal(st.gradcheck(broken, [x], { raiseException: false }), false);
  });
});
