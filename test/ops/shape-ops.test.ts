import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

describe('shape ops', () => {
  const x = st.arange(24).reshape(2, 3, 4);

  it('reshape/view/flatten keep row-major order and infer -1', () => {
    assert.deepEqual([...x.reshape(4, -1).shape], [4, 6]);
    assert.deepEqual([...x.view([6, 4]).shape], [6, 4]);
    assert.deepEqual([...x.flatten(1).shape], [2, 12]);
    assert.deepEqual([...x.flatten().shape], [24]);
    assert.throws(() => x.reshape(5, -1), /cannot infer/);
    assert.throws(() => x.reshape(5, 5), /cannot reshape 24 elements/);
  });

  it('permute/transpose move data', () => {
    const p = x.permute(2, 0, 1);
    assert.deepEqual([...p.shape], [4, 2, 3]);
    assert.deepEqual(p.slice(0, 1, 2).toArray(), [
      [
        [1, 5, 9],
        [13, 17, 21],
      ],
    ]);
    assert.deepEqual(
      st
        .tensor([[1, 2, 3]])
        .transpose()
        .toArray(),
      [[1], [2], [3]],
    );
    assert.throws(() => x.permute(0, 0, 1), /repeat/);
  });

  it('squeeze/unsqueeze/expand', () => {
    const y = st.ones([1, 3, 1]);
    assert.deepEqual([...y.squeeze().shape], [3]);
    assert.deepEqual([...y.squeeze(2).shape], [1, 3]);
    assert.deepEqual([...y.unsqueeze(0).shape], [1, 1, 3, 1]);
    assert.deepEqual([...y.unsqueeze(-1).shape], [1, 3, 1, 1]);
    assert.deepEqual(
      st
        .tensor([[1], [2]])
        .expand(2, 3)
        .toArray(),
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
    );
    assert.throws(() => st.ones([2, 3]).expand(4, 3), /cannot expand/);
  });

  it('slice, concat, stack, split', () => {
    assert.deepEqual(x.slice(2, 1, 4, 2).slice(0, 1).toArray(), [
      [
        [13, 15],
        [17, 19],
        [21, 23],
      ],
    ]);
    assert.deepEqual(st.arange(5).slice(0, -2).toArray(), [3, 4]);
    const a = st.tensor([[1, 2]]);
    const b = st.tensor([[3, 4]]);
    assert.deepEqual(st.concat([a, b], 0).toArray(), [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(st.concat([a, b], 1).toArray(), [[1, 2, 3, 4]]);
    assert.deepEqual([...st.stack([a, b], 1).shape], [1, 2, 2]);
    assert.deepEqual(
      st.split(st.arange(5), 2).map((t) => t.toArray()),
      [[0, 1], [2, 3], [4]],
    );
    assert.throws(() => st.concat([a, st.ones([1, 3])], 0), /does not match the others outside dimension 0/);
  });

  it('pad with constants in F.pad order, negative pads crop', () => {
    const m = st.tensor([
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(st.pad(m, [1, 0, 0, 1]).toArray(), [
      [0, 1, 2],
      [0, 3, 4],
      [0, 0, 0],
    ]);
    assert.deepEqual(st.pad(m, [0, 0, 1, 1], 9).toArray(), [
      [9, 9],
      [1, 2],
      [3, 4],
      [9, 9],
    ]);
    assert.deepEqual(st.pad(m, [-1, 0]).toArray(), [[2], [4]]);
  });

  it('pass gradient checks', () => {
    const t = st.randn([2, 3, 4], { dtype: 'float64', seed: 9, requiresGrad: true });
    const u = st.randn([2, 1, 4], { dtype: 'float64', seed: 10, requiresGrad: true });
    assert.ok(st.gradcheck((a) => a.reshape(6, 4).transpose(), [t]));
    assert.ok(st.gradcheck((a) => a.permute(1, 2, 0), [t]));
    assert.ok(st.gradcheck((a) => a.slice(2, 1, 4, 2), [t]));
    assert.ok(st.gradcheck((a, b) => st.concat([a, b, a], 1), [t, u]));
    assert.ok(st.gradcheck((a, b) => st.stack([a, b.expand(2, 3, 4)], 0), [t, u]));
    assert.ok(st.gradcheck((a) => st.pad(a, [1, 2, -1, 1], 0.5), [t]));
    assert.ok(st.gradcheck((a) => a.unsqueeze(1).squeeze(1).flatten(), [t]));
  });
});
