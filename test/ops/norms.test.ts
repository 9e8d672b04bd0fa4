import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture } from '../helpers/fixtures.js';
import { checkNormCase, type NormCase } from '../helpers/norm-fixture.js';

const f64 = { dtype: 'float64' as const };
const param = (shape: number[], seed: number, shift = 0) =>
  st.randn(shape, { dtype: 'float64', seed }).add(shift).requiresGrad_();

describe('layerNorm', () => {
  it('hand-worked: one row [1, 2, 3, 4] (mean 2.5, variance 1.25), then weight and bias', () => {
    const x = st.tensor([[1, 2, 3, 4]], undefined, f64);
    const r = 1 / Math.sqrt(1.25);
    assertClose(st.layerNorm(x, [4], null, null, { eps: 0 }), [[-1.5 * r, -0.5 * r, 0.5 * r, 1.5 * r]], {
      atol: 1e-12,
    });
    const w = st.tensor([1, 2, 3, 4], undefined, f64);
    const b = st.tensor([0, 0, 0, 10], undefined, f64);
    assertClose(st.layerNorm(x, 4, w, b, { eps: 0 }), [[-1.5 * r, -1 * r, 1.5 * r, 6 * r + 10]], {
      atol: 1e-12,
    });
  });

  it('normalizes over several trailing dimensions', () => {
    // Each [2, 2] block {0, 2, 4, 6} → mean 3, variance 5.
    const x = st.tensor([0, 2, 4, 6, 10, 12, 14, 16], [2, 2, 2], f64);
    const e = [-3, -1, 1, 3].map((v) => v / Math.sqrt(5));
    assertClose(st.layerNorm(x, [2, 2], null, null, { eps: 0 }), [...e, ...e], { atol: 1e-12 });
  });

  const shapes: [number[], number[]][] = [
    [[4, 5], [5]],
    [[1, 6], [6]],
    [
      [2, 3, 4],
      [3, 4],
    ],
    [
      [2, 3, 2, 3],
      [3, 2, 3],
    ],
    [[1, 2, 3, 2], [2]],
  ];
  for (const [i, [shape, ns]] of shapes.entries()) {
    it(`gradcheck ${JSON.stringify(shape)} over ${JSON.stringify(ns)}`, () => {
      const x = param(shape, 10 + i);
      const w = param(ns, 20 + i, 1);
      const b = param(ns, 30 + i);
      assert.ok(st.gradcheck((a, ww, bb) => st.layerNorm(a!, ns, ww!, bb!), [x, w, b]));
      assert.ok(st.gradcheck((a) => st.layerNorm(a!, ns), [param(shape, 40 + i)]));
    });
  }

  it('errors name the expected and got shapes and the fix', () => {
    const x = st.randn([2, 3, 4]);
    assert.throws(
      () => st.layerNorm(x, [3]),
      (e: unknown) =>
        e instanceof st.ShapeError &&
        e.expected === '[*, 3]' &&
        e.got === '[2, 3, 4]' &&
        /Fix: pass as normalizedShape the trailing dimensions/.test(e.message),
    );
    assert.throws(() => st.layerNorm(x, [1, 2, 3, 4]), st.ShapeError);
    assert.throws(
      () => st.layerNorm(x, [4], st.ones([3])),
      (e: unknown) => e instanceof st.ShapeError && /weight/.test(e.message) && e.expected === '[4]',
    );
    assert.throws(() => st.layerNorm(x, [3, 4], null, st.ones([12])), /bias must have the normalized shape/);
    assert.throws(() => st.layerNorm(x, []), /at least one dimension/);
    assert.throws(() => st.layerNorm(x, [4], st.ones([4], f64)), st.DTypeError);
  });
});

describe('instanceNorm', () => {
  it('hand-worked: each (sample, channel) uses its own statistics', () => {
    // Sample 0 channel 0 {1, 3, 5, 7}: mean 4, variance 5; sample 1 channel 0 {2, 2, 2, 6}: mean 3, variance 3.
    const x = st.tensor([1, 3, 5, 7, 2, 2, 2, 6], [2, 1, 4], f64);
    const y = st.instanceNorm(x, { eps: 0 });
    const a = [-3, -1, 1, 3].map((v) => v / Math.sqrt(5));
    const b = [-1, -1, -1, 3].map((v) => v / Math.sqrt(3));
    assertClose(y, [...a, ...b], { atol: 1e-12 });
  });

  it('updates running buffers with the batch average of per-instance statistics (unbiased)', () => {
    // Instances {1, 3} (mean 2, unbiased variance 2) and {0, 4} (mean 2, unbiased variance 8).
    const x = st.tensor([1, 3, 0, 4], [2, 1, 2], f64);
    const runningMean = st.zeros([1], f64);
    const runningVar = st.ones([1], f64);
    st.instanceNorm(x, { runningMean, runningVar });
    assertClose(runningMean, [0.1 * 2], { atol: 1e-12 });
    assertClose(runningVar, [0.9 + 0.1 * 5], { atol: 1e-12 });
  });

  it('useInputStats: false normalizes with the running statistics', () => {
    const x = st.tensor([1, 3, 0, 4], [1, 2, 2], f64);
    const y = st.instanceNorm(x, {
      runningMean: st.tensor([1, 2], undefined, f64),
      runningVar: st.tensor([4, 1], undefined, f64),
      useInputStats: false,
      eps: 0,
    });
    assertClose(y, [0, 1, -2, 2], { atol: 1e-12 });
  });

  const shapes = [
    [2, 3, 4],
    [1, 2, 5],
    [2, 2, 3, 3],
    [1, 3, 2, 2],
  ];
  for (const [i, shape] of shapes.entries()) {
    const c = shape[1]!;
    it(`gradcheck ${JSON.stringify(shape)}: default, affine, running statistics`, () => {
      assert.ok(st.gradcheck((a) => st.instanceNorm(a!), [param(shape, 50 + i)]));
      const w = param([c], 60 + i, 1);
      const b = param([c], 70 + i);
      const runningMean = st.zeros([c], f64);
      const runningVar = st.ones([c], f64);
      assert.ok(
        st.gradcheck(
          (a, weight, bias) => st.instanceNorm(a!, { weight, bias, runningMean, runningVar }),
          [param(shape, 80 + i), w, b],
        ),
      );
      const rm = st.randn([c], { dtype: 'float64', seed: 90 + i });
      const rv = st.rand([c], { dtype: 'float64', seed: 95 + i }).add(0.5);
      assert.ok(
        st.gradcheck(
          (a, weight, bias) =>
            st.instanceNorm(a!, { weight, bias, runningMean: rm, runningVar: rv, useInputStats: false }),
          [param(shape, 85 + i), w, b],
        ),
      );
    });
  }

  it('errors: rank, one spatial value, missing running buffers, parameter shapes', () => {
    assert.throws(
      () => st.instanceNorm(st.randn([2, 3])),
      (e: unknown) => e instanceof st.ShapeError && e.got === '[2, 3]' && /unsqueeze\(2\)/.test(e.message),
    );
    assert.throws(
      () => st.instanceNorm(st.randn([2, 3, 1, 1])),
      (e: unknown) =>
        e instanceof st.ValueError &&
        /Expected more than 1 spatial element when training, got input size \[2, 3, 1, 1\]/.test(e.message),
    );
    assert.throws(
      () => st.instanceNorm(st.randn([2, 3, 4]), { useInputStats: false }),
      /Expected runningMean and runningVar to be defined when useInputStats is false/,
    );
    assert.throws(
      () => st.instanceNorm(st.randn([2, 3, 4]), { weight: st.ones([2]) }),
      (e: unknown) => e instanceof st.ShapeError && e.expected === '[3]' && e.got === '[2]',
    );
    assert.throws(() => st.instanceNorm(st.randn([2, 3, 4]), { runningMean: st.zeros([3]) }), st.ValueError);
  });
});

describe('groupNorm', () => {
  it('hand-worked: two groups of one channel each, and one group of all', () => {
    const x = st.tensor([1, 3, 10, 14], [1, 2, 2], f64);
    assertClose(st.groupNorm(x, 2, null, null, { eps: 0 }), [-1, 1, -1, 1], { atol: 1e-12 });
    // One group {1, 3, 10, 14}: mean 7, variance 27.5; then weight [1, 2], bias [0, 1].
    const r = 1 / Math.sqrt(27.5);
    const w = st.tensor([1, 2], undefined, f64);
    const b = st.tensor([0, 1], undefined, f64);
    assertClose(st.groupNorm(x, 1, w, b, { eps: 0 }), [-6 * r, -4 * r, 6 * r + 1, 14 * r + 1], {
      atol: 1e-12,
    });
  });

  const specs: [number[], number][] = [
    [[2, 6, 2, 2], 3],
    [[1, 4, 3, 2], 2],
    [[2, 4, 2, 2], 1],
    [[2, 3, 2, 3], 3],
    [[3, 4], 2],
    [[2, 6, 4], 6],
  ];
  for (const [i, [shape, groups]] of specs.entries()) {
    const c = shape[1]!;
    it(`gradcheck ${JSON.stringify(shape)} with ${groups} groups`, () => {
      const w = param([c], 110 + i, 1);
      const b = param([c], 120 + i);
      assert.ok(
        st.gradcheck((a, ww, bb) => st.groupNorm(a!, groups, ww!, bb!), [param(shape, 100 + i), w, b]),
      );
      assert.ok(st.gradcheck((a) => st.groupNorm(a!, groups), [param(shape, 130 + i)]));
    });
  }

  it('errors: channels not divisible by numGroups, bad numGroups, rank, parameter shapes', () => {
    const x = st.randn([2, 6, 3, 3]);
    assert.throws(
      () => st.groupNorm(x, 4),
      (e: unknown) =>
        e instanceof st.ShapeError &&
        /groupNorm/.test(e.message) &&
        e.expected === 'a multiple of 4 channels' &&
        /6 channels/.test(e.got) &&
        /Fix: choose numGroups among the divisors of 6/.test(e.message),
    );
    assert.throws(() => st.groupNorm(x, 0), /numGroups must be a positive integer/);
    assert.throws(() => st.groupNorm(x, 1.5), st.ValueError);
    assert.throws(() => st.groupNorm(st.randn([6]), 2), st.ShapeError);
    assert.throws(
      () => st.groupNorm(x, 3, st.ones([3])),
      (e: unknown) => e instanceof st.ShapeError && e.expected === '[6]',
    );
    assert.throws(() => st.groupNorm(st.randn([1, 2]), 2), /Expected more than 1 value per group/);
  });
});

describe('localResponseNorm', () => {
  it('hand-worked: size 2 looks at the channel itself and the one before (zero-padded)', () => {
    // alpha 1, beta 1, k 1: d[c] = 1 + (x[c-1]² + x[c]²) / 2 → d = [1.5, 3.5, 7.5].
    const x = st.tensor([1, 2, 3], [1, 3, 1], f64);
    assertClose(st.localResponseNorm(x, 2, { alpha: 1, beta: 1, k: 1 }), [1 / 1.5, 2 / 3.5, 3 / 7.5], {
      atol: 1e-12,
    });
  });

  it('hand-worked: size 3 is centred and divides by 3 even at the borders', () => {
    // alpha 3, beta 0.5, k 2: d[c] = 2 + sum of squares over {c-1, c, c+1} → [2+5, 2+14, 2+13].
    const x = st.tensor([1, 2, 3], [1, 3, 1], f64);
    assertClose(
      st.localResponseNorm(x, 3, { alpha: 3, beta: 0.5, k: 2 }),
      [1 / Math.sqrt(7), 2 / Math.sqrt(16), 3 / Math.sqrt(15)],
      { atol: 1e-12 },
    );
  });

  const specs: [number[], number, st.LocalResponseNormOptions][] = [
    [[2, 5, 2, 2], 3, { alpha: 0.5, beta: 0.75, k: 1 }],
    [[1, 6, 3], 4, { alpha: 0.8, beta: 0.6, k: 2 }],
    [[2, 4, 2, 3], 5, {}],
    [[1, 3, 2, 2], 2, { alpha: 1, beta: 1.3, k: 1 }],
    [[1, 3, 2, 1, 2], 7, { alpha: 0.6 }],
  ];
  for (const [i, [shape, size, opts]] of specs.entries()) {
    it(`gradcheck ${JSON.stringify(shape)} size ${size}`, () => {
      assert.ok(st.gradcheck((a) => st.localResponseNorm(a!, size, opts), [param(shape, 140 + i)]));
    });
  }

  it('errors: rank below 3 and a size that is not a positive integer', () => {
    assert.throws(
      () => st.localResponseNorm(st.randn([2, 3]), 3),
      (e: unknown) => e instanceof st.ShapeError && e.got === '[2, 3]' && /Fix:/.test(e.message),
    );
    assert.throws(() => st.localResponseNorm(st.randn([1, 3, 2]), 0), /size .* must be a positive integer/);
    assert.throws(() => st.localResponseNorm(st.randn([1, 3, 2]), 3, { beta: Infinity }), st.ValueError);
  });
});

describe('norms: PyTorch parity (float32 fixtures)', () => {
  const all = loadFixture<{ cases: NormCase[] }>('norm').cases.filter((c) => c.op !== 'batchNorm');
  assert.ok(all.length >= 20);
  const run = (
    c: NormCase,
    x: st.Tensor,
    w: st.Tensor | null,
    b: st.Tensor | null,
    rm: st.Tensor | null,
    rv: st.Tensor | null,
  ) => {
    const a = c.args;
    switch (c.op) {
      case 'layerNorm':
        return st.layerNorm(x, a.normalizedShape as number[], w, b, { eps: a.eps as number });
      case 'instanceNorm':
        return st.instanceNorm(x, {
          weight: w,
          bias: b,
          runningMean: rm,
          runningVar: rv,
          useInputStats: a.useInputStats as boolean,
          momentum: a.momentum as number,
          eps: a.eps as number,
        });
      case 'groupNorm':
        return st.groupNorm(x, a.numGroups as number, w, b, { eps: a.eps as number });
      case 'localResponseNorm':
        return st.localResponseNorm(x, a.size as number, {
          alpha: a.alpha as number,
          beta: a.beta as number,
          k: a.k as number,
        });
      default:
        throw new Error(`unknown op ${c.op}`);
    }
  };
  for (const c of all) {
    it(`${c.op}: ${c.name}`, () => {
      checkNormCase(c, (x, w, b, rm, rv) => run(c, x, w, b, rm, rv));
    });
  }
});
