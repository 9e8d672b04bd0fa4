import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

const f64 = (shape: number[], seed: number, offset = 0) => {
  const t = st.randn(shape, { dtype: 'float64', seed });
  if (offset !== 0) for (let i = 0; i < t.size; i++) t.data[i]! += offset;
  return t.requiresGrad_();
};

describe('element-wise ops', () => {
  it('broadcast like NumPy', () => {
    const a = st.tensor([[1], [2], [3]]); // [3,1]
    const b = st.tensor([10, 20]); // [2]
    assert.deepEqual(a.add(b).toArray(), [
      [11, 21],
      [12, 22],
      [13, 23],
    ]);
    assert.deepEqual(st.sub(5, st.tensor([1, 2])).toArray(), [4, 3]);
    const c = st.ones([2, 1, 3]).mul(st.arange(4).reshape(4, 1));
    assert.deepEqual([...c.shape], [2, 4, 3]);
    assert.deepEqual(c.slice(1, 3, 4).toArray(), [[[3, 3, 3]], [[3, 3, 3]]]);
    assert.throws(() => st.ones([2, 3]).add(st.ones([4])), /cannot be broadcast.*\[2, 3\].*\[4\]/);
  });

  it('refuses mixed dtypes with the fix', () => {
    assert.throws(() => st.ones([2]).add(st.ones([2], { dtype: 'float64' })), /dtype mismatch.*\.to\(/);
  });

  it('computes the unary functions', () => {
    const x = st.tensor([-2, -0.5, 0, 0.5, 2]);
    assertClose(x.abs(), [2, 0.5, 0, 0.5, 2]);
    assertClose(x.relu(), [0, 0, 0, 0.5, 2]);
    assertClose(
      x.sigmoid(),
      [-2, -0.5, 0, 0.5, 2].map((v) => 1 / (1 + Math.exp(-v))),
    );
    assertClose(x.tanh(), [-2, -0.5, 0, 0.5, 2].map(Math.tanh));
    assertClose(x.exp(), [-2, -0.5, 0, 0.5, 2].map(Math.exp));
    assertClose(x.clamp(-1, 1), [-1, -0.5, 0, 0.5, 1]);
    assertClose(st.tensor([1, 4, 9]).sqrt(), [1, 2, 3]);
    assertClose(st.tensor([1, Math.E]).log(), [0, 1]);
    assertClose(st.tensor([2, 3]).pow(3), [8, 27]);
    assertClose(st.pow(st.tensor([2, 3]), st.tensor([2, 0.5])), [4, Math.sqrt(3)]);
    assertClose(st.sigmoid(st.tensor([-1000, 1000])), [0, 1]);
  });

  it('compares and selects', () => {
    const a = st.tensor([1, 2, 3]);
    assert.deepEqual(a.gt(2).toArray(), [0, 0, 1]);
    assert.deepEqual(a.le(2).toArray(), [1, 1, 0]);
    assert.deepEqual(a.eq(st.tensor([1, 0, 3])).toArray(), [1, 0, 1]);
    assert.deepEqual(st.where(a.ge(2), a, st.tensor(-1)).toArray(), [-1, 2, 3]);
    assert.deepEqual(st.maximum(a, 2).toArray(), [2, 2, 3]);
    assert.deepEqual(st.minimum(a, 2).toArray(), [1, 2, 2]);
  });

  it('passes finite-difference gradient checks (float64, with broadcasting)', () => {
    const a = f64([2, 3], 1);
    const b = f64([3], 2);
    const pos = f64([2, 3], 3, 3); // positive: log, sqrt, pow
    const col = f64([2, 1], 4, 3);
    assert.ok(st.gradcheck((x, y) => x.add(y), [a, b]));
    assert.ok(st.gradcheck((x, y) => x.sub(y), [a, b]));
    assert.ok(st.gradcheck((x, y) => x.mul(y), [a, b]));
    assert.ok(st.gradcheck((x, y) => x.div(y), [a, col]));
    assert.ok(st.gradcheck((x, y) => st.pow(x, y), [pos, b]));
    assert.ok(st.gradcheck((x) => x.pow(3), [a]));
    assert.ok(st.gradcheck((x) => x.pow(-1.5), [pos]));
    assert.ok(st.gradcheck((x) => x.neg().exp(), [a]));
    assert.ok(st.gradcheck((x) => x.log(), [pos]));
    assert.ok(st.gradcheck((x) => x.sqrt(), [pos]));
    assert.ok(st.gradcheck((x) => x.abs(), [a]));
    assert.ok(st.gradcheck((x) => st.square(x), [a]));
    assert.ok(st.gradcheck((x) => x.relu(), [a]));
    assert.ok(st.gradcheck((x) => x.sigmoid(), [a]));
    assert.ok(st.gradcheck((x) => x.tanh(), [a]));
    assert.ok(st.gradcheck((x) => x.clamp(-0.5, 0.5), [a]));
    assert.ok(st.gradcheck((x, y) => st.maximum(x, y), [a, b]));
    assert.ok(st.gradcheck((x, y) => st.minimum(x, y), [a, b]));
    assert.ok(st.gradcheck((x, y) => st.where(x.gt(0), x, y), [a, b]));
    assert.ok(st.gradcheck((x) => x.clone().mul(2), [a]));
  });

  it("relu's gradient is PyTorch's threshold_backward: the upstream gradient where x > 0, else 0", () => {
    const x = st.tensor([-1, 0, 2, Number.NaN, 3]).requiresGrad_();
    st.relu(x).backward(st.tensor([1, 1, 1, 1, Number.NaN]));
    // Masked positions are 0 even for a NaN upstream gradient; x = 0 and x = NaN pass nothing.
    assert.deepEqual(Array.from(x.grad!.data), [0, 0, 1, 0, Number.NaN]);
    const y = st.tensor([-2, 5]).requiresGrad_();
    st.relu(y).backward(st.tensor([Number.NaN, 4]));
    assert.deepEqual(Array.from(y.grad!.data), [0, 4]);
  });

  it('casts between dtypes and passes gradients back through the cast', () => {
    const x = st.tensor([1.5, -2], undefined, { dtype: 'float64', requiresGrad: true });
    const y = x.to('float32');
    assert.equal(y.dtype, 'float32');
    assert.equal(x.to('float64'), x);
    y.mul(st.tensor([3, 4]))
      .sum()
      .backward();
    assert.equal(x.grad!.dtype, 'float64');
    assert.deepEqual(x.grad!.toArray(), [3, 4]);
  });
});
