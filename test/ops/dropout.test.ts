import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

describe('dropout', () => {
  it('is the identity in eval mode and with p = 0', () => {
    const x = st.randn([3, 4], { seed: 1 });
    assert.equal(st.dropout(x, 0.5, false), x);
    assert.equal(st.dropout(x, 0, true), x);
    const maps = st.randn([2, 3, 2, 2], { seed: 2 });
    assert.equal(st.dropout2d(maps, 0.3, false), maps);
    assert.equal(st.dropout2d(maps, 0), maps);
  });

  it('zeroes everything with p = 1 and passes no gradient', () => {
    const x = st.randn([5, 6], { seed: 3, requiresGrad: true });
    const y = st.dropout(x, 1, true, { seed: 4 });
    assert.ok(Array.from(y.data).every((v) => v === 0));
    y.sum().backward();
    assert.ok(Array.from(x.grad!.data).every((v) => v === 0));
  });

  it('zeroes about p of the elements and scales the rest by 1/(1-p)', () => {
    const x = st.ones([100_000]);
    const p = 0.3;
    const y = st.dropout(x, p, true, { seed: 5 });
    let zeros = 0;
    for (const v of y.data) {
      if (v === 0) zeros++;
      else assert.equal(v, Math.fround(1 / (1 - p)));
    }
    // Binomial(100000, 0.3): standard deviation ≈ 145, so ±1000 is about 7 sigma.
    assert.ok(Math.abs(zeros - p * x.size) < 1000, `${zeros} zeros`);
  });

  it('keeps the expectation: the mean of many samples approaches x', () => {
    const x = st.tensor([-2, -0.5, 0, 1, 3]);
    const rng = new st.Rng(6);
    const sum = new Float64Array(x.size);
    const samples = 20_000;
    for (let s = 0; s < samples; s++) {
      const y = st.dropout(x, 0.4, true, { rng });
      for (let i = 0; i < x.size; i++) sum[i]! += y.data[i]!;
    }
    // The per-element sample mean has std |x|·sqrt(p/(1-p)/n) ≤ 3·0.0058 = 0.017.
    assertClose(
      Array.from(sum, (v) => v / samples),
      [-2, -0.5, 0, 1, 3],
      { atol: 0.08, rtol: 0 },
    );
  });

  it('is deterministic for a seed or a seeded generator', () => {
    const x = st.randn([4, 8], { seed: 7 });
    assert.deepEqual(
      st.dropout(x, 0.5, true, { seed: 42 }).toArray(),
      st.dropout(x, 0.5, true, { seed: 42 }).toArray(),
    );
    const a = st.dropout(x, 0.5, true, { rng: new st.Rng(9) });
    const b = st.dropout(x, 0.5, true, { rng: new st.Rng(9) });
    assert.deepEqual(a.toArray(), b.toArray());
    assert.notDeepEqual(a.toArray(), st.dropout(x, 0.5, true, { seed: 10 }).toArray());
    // The process-wide generator follows manualSeed.
    st.manualSeed(123);
    const c = st.dropout(x, 0.5);
    st.manualSeed(123);
    assert.deepEqual(st.dropout(x, 0.5).toArray(), c.toArray());
  });

  it('back-propagates through the same mask (gradient check in float64)', () => {
    const x = st.randn([3, 5], { dtype: 'float64', seed: 8, requiresGrad: true });
    // A fresh generator with the same seed per call makes the function deterministic.
    assert.ok(st.gradcheck((t) => st.dropout(t, 0.35, true, { seed: 11 }), [x]));
    assert.ok(st.gradcheck((t) => st.dropout2d(t.reshape([1, 3, 5, 1]), 0.5, true, { seed: 12 }), [x]));
    x.zeroGrad();
    const y = st.dropout(x, 0.35, true, { seed: 11 });
    y.sum().backward();
    for (let i = 0; i < x.size; i++) assert.equal(x.grad!.data[i], y.data[i] === 0 ? 0 : 1 / 0.65);
  });

  it('dropout2d drops whole channels', () => {
    const x = st.ones([4, 16, 3, 3]);
    const y = st.dropout2d(x, 0.5, true, { seed: 13 });
    let dropped = 0;
    for (let ch = 0; ch < 64; ch++) {
      const plane = Array.from(y.data.subarray(ch * 9, ch * 9 + 9));
      assert.ok(
        plane.every((v) => v === plane[0]),
        `channel ${ch} is not uniform`,
      );
      assert.ok(plane[0] === 0 || plane[0] === 2);
      if (plane[0] === 0) dropped++;
    }
    assert.ok(dropped > 10 && dropped < 54, `${dropped} of 64 channels dropped`);
  });

  it('refuses a probability outside [0, 1] and non-4-D input to dropout2d', () => {
    const x = st.ones([2, 2]);
    assert.throws(
      () => st.dropout(x, 1.5),
      (e: Error) => e instanceof st.ValueError && /\[0, 1\], got 1.5/.test(e.message),
    );
    assert.throws(() => st.dropout(x, -0.1, false), st.ValueError);
    assert.throws(
      () => st.dropout2d(st.ones([3, 4, 4]), 0.5),
      (e: Error) => e instanceof st.ShapeError && /unsqueeze\(0\)/.test(e.message),
    );
  });
});
