import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

/** Naive triple loop in float64: the independent truth. */
function naive(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}

describe('matmul', () => {
  it('matches a naive product on random matrices', () => {
    const a = st.randn([5, 7], { seed: 1 });
    const b = st.randn([7, 3], { seed: 2 });
    assertClose(a.matmul(b), naive(a.toArray() as number[][], b.toArray() as number[][]), { atol: 1e-5 });
  });

  it('handles vectors, batches and batch broadcasting', () => {
    const m = st.tensor([
      [1, 2],
      [3, 4],
    ]);
    const v = st.tensor([1, 1]);
    assert.deepEqual(m.matmul(v).toArray(), [3, 7]);
    assert.deepEqual(v.matmul(m).toArray(), [4, 6]);
    assert.equal(v.matmul(v).item(), 2);
    const batch = st.stack([m, m.mul(2)]); // [2,2,2]
    assert.deepEqual(batch.matmul(m).toArray(), [
      naive(
        [
          [1, 2],
          [3, 4],
        ],
        [
          [1, 2],
          [3, 4],
        ],
      ),
      naive(
        [
          [2, 4],
          [6, 8],
        ],
        [
          [1, 2],
          [3, 4],
        ],
      ),
    ]);
    assert.deepEqual([...st.ones([3, 1, 2, 4]).matmul(st.ones([5, 4, 6])).shape], [3, 5, 2, 6]);
  });

  it('names both shapes when inner dimensions differ', () => {
    assert.throws(
      () => st.ones([2, 3]).matmul(st.ones([4, 2])),
      /inner dimensions differ.*A \[2, 3\], B \[4, 2\]/,
    );
  });

  it('passes gradient checks incl. broadcast batches and vectors', () => {
    const a = st.randn([2, 3, 4], { dtype: 'float64', seed: 3, requiresGrad: true });
    const b = st.randn([4, 5], { dtype: 'float64', seed: 4, requiresGrad: true });
    const v = st.randn([4], { dtype: 'float64', seed: 5, requiresGrad: true });
    assert.ok(st.gradcheck((x, y) => x.matmul(y), [a, b]));
    assert.ok(st.gradcheck((x, y) => x.matmul(y), [a, v]));
    const sq = st.randn([4, 4], { dtype: 'float64', seed: 6, requiresGrad: true });
    assert.ok(st.gradcheck((x, y) => y.matmul(x.transpose()), [sq, v]));
  });
});
