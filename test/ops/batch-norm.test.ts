import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture } from '../helpers/fixtures.js';
import { checkNormCase, type BatchNormArgs, type NormCase } from '../helpers/norm-fixture.js';

const f64 = { dtype: 'float64' as const };

describe('batchNorm: hand-worked values', () => {
  // Channel 0 holds {1, 3}: mean 2, biased variance 1, unbiased 2.
  // Channel 1 holds {2, 6}: mean 4, biased variance 4, unbiased 8.
  const x = () =>
    st.tensor(
      [
        [1, 2],
        [3, 6],
      ],
      undefined,
      f64,
    );

  it('training normalizes with batch statistics (biased variance)', () => {
    const y = st.batchNorm(x(), null, null, null, null, { training: true, eps: 0 });
    assertClose(y, [
      [-1, -1],
      [1, 1],
    ]);
    const w = st.tensor([2, 0.5], undefined, f64);
    const b = st.tensor([10, -1], undefined, f64);
    const y2 = st.batchNorm(x(), null, null, w, b, { training: true, eps: 0 });
    assertClose(y2, [
      [8, -1.5],
      [12, -0.5],
    ]);
    // eps enters under the square root: (1 - 2) / sqrt(1 + 0.25) = -0.8944.
    const y3 = st.batchNorm(x(), null, null, null, null, { training: true, eps: 0.25 });
    assertClose(y3.data[0]!, -1 / Math.sqrt(1.25), { atol: 1e-12 });
  });

  it('updates the running buffers in place with momentum and the unbiased variance', () => {
    const rm = st.tensor([0, 0], undefined, f64);
    const rv = st.tensor([1, 1], undefined, f64);
    st.batchNorm(x(), rm, rv, null, null, { training: true });
    // mean: 0.9·0 + 0.1·[2, 4];  var: 0.9·1 + 0.1·[2, 8]
    assertClose(rm, [0.2, 0.4], { atol: 1e-12 });
    assertClose(rv, [1.1, 1.7], { atol: 1e-12 });
    // A second batch {0, 4} / {1, 1} with momentum 0.5: means [2, 1], unbiased variances [8, 0].
    const x2 = st.tensor(
      [
        [0, 1],
        [4, 1],
      ],
      undefined,
      f64,
    );
    st.batchNorm(x2, rm, rv, null, null, { training: true, momentum: 0.5 });
    assertClose(rm, [0.5 * 0.2 + 0.5 * 2, 0.5 * 0.4 + 0.5 * 1], { atol: 1e-12 });
    assertClose(rv, [0.5 * 1.1 + 0.5 * 8, 0.5 * 1.7 + 0], { atol: 1e-12 });
  });

  it('running update over [N, C, H, W] counts N·H·W values per channel', () => {
    // One channel, values 0..7 over N=2, H=2, W=2: mean 3.5, unbiased variance 6.
    const xs = st.arange(0, 8, 1, f64).reshape([2, 1, 2, 2]);
    const rm = st.zeros([1], f64);
    const rv = st.ones([1], f64);
    st.batchNorm(xs, rm, rv, null, null, { training: true, momentum: 1 });
    assertClose(rm, [3.5], { atol: 1e-12 });
    assertClose(rv, [6], { atol: 1e-12 });
  });

  it('evaluation mode uses the running statistics and leaves them untouched', () => {
    const rm = st.tensor([1, -2], undefined, f64);
    const rv = st.tensor([4, 0.25], undefined, f64);
    const w = st.tensor([3, 1], undefined, f64);
    const b = st.tensor([0, 5], undefined, f64);
    const y = st.batchNorm(x(), rm, rv, w, b, { eps: 0 });
    // channel 0: (x - 1) / 2 · 3; channel 1: (x + 2) / 0.5 + 5
    assertClose(y, [
      [0, 13],
      [3, 21],
    ]);
    assert.deepEqual([...rm.data], [1, -2]);
    assert.deepEqual([...rv.data], [4, 0.25]);
  });

  it('null running buffers mean batch statistics, even in evaluation mode', () => {
    const y = st.batchNorm(x(), null, null, null, null, { eps: 0 });
    assertClose(y, [
      [-1, -1],
      [1, 1],
    ]);
  });

  it('training with batch 1 is fine when each channel has several spatial values', () => {
    const xs = st.tensor([1, 3, 5, 7], [1, 1, 2, 2], f64);
    // mean 4, biased variance 5
    const y = st.batchNorm(xs, null, null, null, null, { training: true, eps: 0 });
    assertClose(
      y,
      [-3, -1, 1, 3].map((v) => v / Math.sqrt(5)),
      { atol: 1e-12 },
    );
  });

  it('gradients by the closed form: a hand-checked case', () => {
    // One channel x = {0, 1, 5}, weight 2, eps 0: mean 2, var 14/3, r = invstd = sqrt(3/14),
    // xhat = {-2, -1, 3}·r. With g = {1, 0, 0}: mean(g) = 1/3, mean(g·xhat) = -2r/3, and
    // dx = w·r·(g − mean(g) − xhat·mean(g·xhat)) = 2r·{8/21, −10/21, 2/21}.
    const r = Math.sqrt(3 / 14);
    const xs = st.tensor([0, 1, 5], [3, 1], { dtype: 'float64', requiresGrad: true });
    const w = st.tensor([2], undefined, { dtype: 'float64', requiresGrad: true });
    const b = st.tensor([0], undefined, { dtype: 'float64', requiresGrad: true });
    st.batchNorm(xs, null, null, w, b, { training: true, eps: 0 }).backward(
      st.tensor([1, 0, 0], [3, 1], f64),
    );
    assertClose(xs.grad!, [(16 * r) / 21, (-20 * r) / 21, (4 * r) / 21], { atol: 1e-12 });
    assertClose(w.grad!, [-2 * r], { atol: 1e-12 }); // sum(g · xhat)
    assertClose(b.grad!, [1], { atol: 1e-12 }); // sum(g)
  });
});

describe('batchNorm: gradcheck (float64)', () => {
  const rng = new st.Rng(7);
  const shapes: number[][] = [
    [5, 3],
    [2, 4],
    [3, 2, 5],
    [1, 3, 4],
    [2, 3, 3, 2],
    [1, 2, 3, 3],
    [rng.int(2, 4), rng.int(1, 4), rng.int(1, 4), rng.int(2, 4)],
  ];
  const p = (shape: number[], seed: number, shift = 0) =>
    st.randn(shape, { dtype: 'float64', seed }).add(shift).requiresGrad_();

  for (const [i, shape] of shapes.entries()) {
    const c = shape[1]!;
    it(`training with affine and running buffers, ${JSON.stringify(shape)}`, () => {
      const x = p(shape, 100 + i, 0.3);
      const w = p([c], 200 + i, 1);
      const b = p([c], 300 + i);
      const rm = st.zeros([c], f64);
      const rv = st.ones([c], f64);
      assert.ok(
        st.gradcheck((a, ww, bb) => st.batchNorm(a!, rm, rv, ww!, bb!, { training: true }), [x, w, b]),
      );
    });
    it(`evaluation with affine, ${JSON.stringify(shape)}`, () => {
      const x = p(shape, 400 + i);
      const w = p([c], 500 + i, 1);
      const b = p([c], 600 + i);
      const rm = st.randn([c], { dtype: 'float64', seed: 700 + i });
      const rv = st.rand([c], { dtype: 'float64', seed: 800 + i }).add(0.5);
      assert.ok(st.gradcheck((a, ww, bb) => st.batchNorm(a!, rm, rv, ww!, bb!), [x, w, b]));
    });
  }

  it('training without affine parameters and without running buffers', () => {
    const x = p([3, 4, 2, 2], 900);
    assert.ok(st.gradcheck((a) => st.batchNorm(a!, null, null, null, null, { training: true }), [x]));
  });

  it('only the weight needs a gradient (bias and input are constants)', () => {
    const x = st.randn([4, 3], { dtype: 'float64', seed: 901 });
    const w = p([3], 902, 1);
    const b = st.randn([3], { dtype: 'float64', seed: 903 });
    assert.ok(st.gradcheck((ww) => st.batchNorm(x, null, null, ww!, b, { training: true }), [w]));
  });

  it('composes with other ops (normalize, then a nonlinearity and a weighted sum)', () => {
    const x = p([4, 2, 3], 904);
    const w = p([2], 905, 1);
    const mix = st.randn([4, 2, 3], { dtype: 'float64', seed: 906 });
    assert.ok(
      st.gradcheck(
        (a, ww) => st.batchNorm(a!, null, null, ww!, null, { training: true }).tanh().mul(mix).sum(),
        [x, w],
      ),
    );
  });
});

describe('batchNorm: errors', () => {
  const x = st.randn([4, 3, 2, 2], { seed: 1 });

  it('refuses inputs without batch and channel dimensions', () => {
    assert.throws(
      () => st.batchNorm(st.randn([3]), null, null),
      (e: unknown) =>
        e instanceof st.ShapeError &&
        /batchNorm/.test(e.message) &&
        /\[N, C\]/.test(e.message) &&
        /got \[3\]/.test(e.message) &&
        /unsqueeze\(0\)/.test(e.message),
    );
  });

  it('refuses parameters whose size is not C', () => {
    for (const [name, args] of [
      ['weight', [null, null, st.ones([4]), null]],
      ['bias', [null, null, null, st.ones([2])]],
      ['runningMean', [st.zeros([2]), st.ones([3]), null, null]],
      ['runningVar', [st.zeros([3]), st.ones([3, 1]), null, null]],
    ] as const) {
      assert.throws(
        () => st.batchNorm(x, args[0], args[1], args[2], args[3]),
        (e: unknown) =>
          e instanceof st.ShapeError &&
          e.message.includes(name) &&
          e.expected === '[3]' &&
          /Fix: pass a 1-D tensor of 3 values/.test(e.message),
        name,
      );
    }
  });

  it('refuses a single value per channel when training, as PyTorch does', () => {
    for (const shape of [
      [1, 3],
      [1, 3, 1, 1],
      [1, 3, 1],
    ]) {
      assert.throws(
        () => st.batchNorm(st.randn(shape), null, null, null, null, { training: true }),
        (e: unknown) =>
          e instanceof st.ValueError &&
          /Expected more than 1 value per channel when training/.test(e.message) &&
          e.message.includes(`[${shape.join(', ')}]`) &&
          /Fix:/.test(e.message),
      );
    }
    // Evaluation mode with running statistics accepts it.
    const y = st.batchNorm(st.randn([1, 3]), st.zeros([3]), st.ones([3]));
    assert.deepEqual([...y.shape], [1, 3]);
  });

  it('refuses one running buffer without the other, mixed dtypes and bad eps/momentum', () => {
    assert.throws(() => st.batchNorm(x, st.zeros([3]), null), st.ValueError);
    assert.throws(() => st.batchNorm(x, null, null, st.ones([3], f64)), st.DTypeError);
    assert.throws(() => st.batchNorm(x, null, null, null, null, { eps: -1 }), /eps must be/);
    assert.throws(() => st.batchNorm(x, null, null, null, null, { momentum: NaN }), /momentum must be/);
  });
});

describe('batchNorm: PyTorch parity (float32 fixtures)', () => {
  const cases = loadFixture<{ cases: NormCase<BatchNormArgs>[] }>('norm').cases.filter(
    (c) => c.op === 'batchNorm',
  );
  assert.ok(cases.length >= 8);
  for (const c of cases) {
    it(c.name, () => {
      checkNormCase(c, (x, w, b, rm, rv) => st.batchNorm(x, rm, rv, w, b, c.args));
    });
  }
});
