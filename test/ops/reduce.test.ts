import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

describe('reductions', () => {
  const x = st.tensor([
    [
      [1, 5, 2],
      [7, 0, 3],
    ],
    [
      [4, 4, 9],
      [-1, 6, 8],
    ],
  ]); // [2, 2, 3]

  it('sum and mean over any axes, with keepdim', () => {
    assert.equal(x.sum().item(), 48);
    assert.deepEqual(x.sum(0).toArray(), [
      [5, 9, 11],
      [6, 6, 11],
    ]);
    assert.deepEqual(x.sum([0, 2]).toArray(), [25, 23]);
    assert.deepEqual([...x.sum([0, 2], true).shape], [1, 2, 1]);
    assert.deepEqual(x.sum(-1).toArray(), [
      [8, 10],
      [17, 13],
    ]);
    assertClose(x.mean(1), [
      [4, 2.5, 2.5],
      [1.5, 5, 8.5],
    ]);
    assert.throws(() => x.sum(3), /axis 3 is out of range/);
  });

  it('max/min with indices and argmax', () => {
    assert.equal(x.max().item(), 9);
    assert.equal(x.min().item(), -1);
    assert.deepEqual(x.max(2).toArray(), [
      [5, 7],
      [9, 8],
    ]);
    const { values, indices } = st.maxWithIndices(x, 1);
    assert.deepEqual(values.toArray(), [
      [7, 5, 3],
      [4, 6, 9],
    ]);
    assert.deepEqual(indices.toArray(), [
      [1, 0, 1],
      [0, 1, 0],
    ]);
    assert.deepEqual(st.minWithIndices(x, 2).indices.toArray(), [
      [0, 1],
      [0, 0],
    ]);
    assert.deepEqual(x.argmax(2).toArray(), [
      [1, 0],
      [2, 2],
    ]);
    assert.equal(x.argmax().item(), 8); // flat index of 9
    assert.deepEqual(x.argmin(0).toArray(), [
      [0, 1, 0],
      [1, 0, 0],
    ]);
  });

  it('var/std: unbiased by default, biased on request', () => {
    const v = st.tensor([1, 2, 3, 4]);
    assertClose(v.var(), [5 / 3]);
    assertClose(v.var(undefined, { unbiased: false }), [1.25]);
    assertClose(v.std(), [Math.sqrt(5 / 3)]);
    assertClose(x.var([1, 2], { keepdim: true }).reshape(-1), [
      (() => {
        const a = [1, 5, 2, 7, 0, 3];
        const m = a.reduce((s, q) => s + q) / 6;
        return a.reduce((s, q) => s + (q - m) ** 2, 0) / 5;
      })(),
      (() => {
        const a = [4, 4, 9, -1, 6, 8];
        const m = a.reduce((s, q) => s + q) / 6;
        return a.reduce((s, q) => s + (q - m) ** 2, 0) / 5;
      })(),
    ]);
  });

  it('pass gradient checks', () => {
    const t = st.randn([3, 4, 2], { dtype: 'float64', seed: 5, requiresGrad: true });
    assert.ok(st.gradcheck((a) => a.sum([0, 2]), [t]));
    assert.ok(st.gradcheck((a) => a.sum(1, true), [t]));
    assert.ok(st.gradcheck((a) => a.mean([1]), [t]));
    assert.ok(st.gradcheck((a) => a.mean(), [t]));
    assert.ok(st.gradcheck((a) => a.max(1), [t]));
    assert.ok(st.gradcheck((a) => a.min([0, 2], true), [t]));
    assert.ok(st.gradcheck((a) => st.maxWithIndices(a, 2).values, [t]));
    assert.ok(st.gradcheck((a) => a.var(2), [t]));
    assert.ok(st.gradcheck((a) => a.std([0, 1]), [t]));
  });
});
