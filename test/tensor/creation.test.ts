import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

describe('tensor creation', () => {
  it('infers the shape of nested arrays and round-trips toArray', () => {
    const t = st.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual([...t.shape], [2, 3]);
    assert.equal(t.ndim, 2);
    assert.equal(t.size, 6);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.toArray(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(Array.from(t.data), [1, 2, 3, 4, 5, 6]);
  });

  it('lays out flat and typed-array data in the given shape', () => {
    const t = st.tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    assert.deepEqual(t.toArray(), [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const d = st.tensor(new Float64Array([1, 2]));
    assert.equal(d.dtype, 'float64');
    assert.equal(st.tensor([1, 2], undefined, { dtype: 'float64' }).dtype, 'float64');
  });

  it('refuses ragged arrays and sizes that do not fill the shape', () => {
    assert.throws(() => st.tensor([[1, 2], [3]]), st.ShapeError);
    assert.throws(() => st.tensor([1, 2, 3], [2, 2]), /3 values do not fill the shape/);
    assert.throws(() => st.zeros([2, 1.5]), /not a non-negative integer/);
  });

  it('creates constant, range and identity tensors', () => {
    assert.deepEqual(st.zeros([2]).toArray(), [0, 0]);
    assert.deepEqual(st.ones([1, 2]).toArray(), [[1, 1]]);
    assert.deepEqual(st.full([2], 7).toArray(), [7, 7]);
    assert.deepEqual(st.arange(4).toArray(), [0, 1, 2, 3]);
    assert.deepEqual(st.arange(1, 2, 0.25).toArray(), [1, 1.25, 1.5, 1.75]);
    assert.deepEqual(st.linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(st.eye(2).toArray(), [
      [1, 0],
      [0, 1],
    ]);
    assert.equal(st.scalar(3).item(), 3);
    assert.throws(() => st.ones([2]).item(), /exactly one element/);
  });

  it('random tensors are reproducible from a seed and have the right moments', () => {
    const a = st.randn([10000], { seed: 42 });
    const b = st.randn([10000], { seed: 42 });
    assert.deepEqual(Array.from(a.data), Array.from(b.data));
    assert.notDeepEqual(
      Array.from(st.randn([5], { seed: 1 }).data),
      Array.from(st.randn([5], { seed: 2 }).data),
    );
    const mean = a.mean().item();
    const std = a.std().item();
    assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 0.03, `std ${std}`);
    const u = st.rand([10000], { seed: 7, low: -2, high: 2 });
    assert.ok(u.min().item() >= -2 && u.max().item() < 2);
    assert.ok(Math.abs(u.mean().item()) < 0.06);
    const r = st.randint(0, 3, [1000], { seed: 3 });
    assert.deepEqual([...new Set(Array.from(r.data))].sort(), [0, 1, 2]);
  });

  it('manualSeed makes the global generator repeat', () => {
    st.manualSeed(123);
    const a = Array.from(st.rand([4]).data);
    st.manualSeed(123);
    assert.deepEqual(Array.from(st.rand([4]).data), a);
  });
});
