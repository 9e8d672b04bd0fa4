import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BatchNormParams } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { withKernels } from '../../src/backend/registry.js';
import * as st from '../../src/index.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture } from '../helpers/fixtures.js';
import { checkNormCase, type BatchNormArgs, type NormCase } from '../helpers/norm-fixture.js';
import { forEachConfig, nativeBackend, skipWithoutAddon } from './native-harness.js';

/** [batch, channels, spatial] layouts covering every way the kernels split work. */
const LAYOUTS: [string, BatchNormParams, number][] = [
  ['one element', { batch: 1, channels: 1, spatial: 1 }, 0],
  ['small odd sizes', { batch: 2, channels: 3, spatial: 5 }, 0],
  ['odd sizes, several samples', { batch: 5, channels: 7, spatial: 33 }, 0],
  ['C = 1, S = 1 (a column of values)', { batch: 9, channels: 1, spatial: 1 }, 0],
  ['batch 1, ResNet-sized layer (threaded)', { batch: 1, channels: 64, spatial: 56 * 56 }, 0],
  ['one large plane split into pieces', { batch: 1, channels: 1, spatial: 70001 }, 0],
  ['planes of exactly one task', { batch: 3, channels: 2, spatial: 16384 }, 0],
  ['[N, C] with a long batch (runs of samples)', { batch: 20001, channels: 3, spatial: 1 }, 0],
  ['mean far from zero (one-pass cancellation)', { batch: 4, channels: 3, spatial: 37 }, 1000],
];

/** Uniform values in [-1, 1) plus `offset` + the channel number, so channels differ. */
function channelData(rng: Rng, p: BatchNormParams, offset: number): Float32Array {
  const x = new Float32Array(p.batch * p.channels * p.spatial);
  for (let i = 0; i < x.length; i++) {
    const ch = Math.floor(i / p.spatial) % p.channels;
    x[i] = rng.uniform(-1, 1) * (1 + ch * 0.5) + offset + ch;
  }
  return x;
}

function perChannel(rng: Rng, c: number, lo: number, hi: number): Float64Array {
  return Float64Array.from({ length: c }, () => rng.uniform(lo, hi));
}

const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

describe('native batch-norm kernels match the float64 reference', { skip: skipWithoutAddon }, () => {
  for (const [name, p, offset] of LAYOUTS) {
    it(name, () => {
      const rng = new Rng(name.length * 17 + 3);
      const total = p.batch * p.channels * p.spatial;
      const c = p.channels;
      const x = channelData(rng, p, offset);
      const dy = channelData(rng, p, 0);
      const x64 = Float64Array.from(x);
      const dy64 = Float64Array.from(dy);
      const scale = perChannel(rng, c, -2, 2);
      const shift = perChannel(rng, c, -1, 1);
      const k2 = perChannel(rng, c, -0.5, 0.5);
      // The float32 kernels fold into one fused multiply-add per element: their error is a few
      // float32 ulps of the largest term, not of the (possibly cancelled) result.
      const ulps = (...terms: number[]) => 8 * 2 ** -24 * terms.reduce((a, b) => a + b, 0) + 1e-7;

      const meanWant = new Float64Array(c);
      const varWant = new Float64Array(c);
      referenceBackend.batchNormStats(p, x64, meanWant, varWant);
      const yWant = new Float64Array(total);
      referenceBackend.batchNormForward(p, x64, scale, shift, yWant);
      const sgWant = new Float64Array(c);
      const sgxWant = new Float64Array(c);
      referenceBackend.batchNormBackwardSums(p, dy64, x64, meanWant, sgWant, sgxWant);
      const dxWant = new Float64Array(total);
      referenceBackend.batchNormBackwardData(p, dy64, x64, scale, k2, shift, dxWant);
      const yTol = ulps(maxAbs(x) * maxAbs(scale), maxAbs(shift));
      const dxTol = ulps(maxAbs(dy) * maxAbs(scale), maxAbs(x) * maxAbs(k2), maxAbs(shift));

      const statsByIsa = new Map<string, Float64Array>();
      forEachConfig((label) => {
        const native = nativeBackend();
        const mean = new Float64Array(c).fill(Number.NaN);
        const variance = new Float64Array(c).fill(Number.NaN);
        native.batchNormStats(p, x, mean, variance);
        assertClose(mean, meanWant, { rtol: 1e-10, atol: 1e-12, msg: `${label} mean` });
        assertClose(variance, varWant, { rtol: 1e-9, atol: 1e-12, msg: `${label} variance` });
        // Partial sums combine in a fixed order: the thread count never changes a bit.
        const isa = label.split(',')[0]!;
        const both = Float64Array.from([...mean, ...variance]);
        const seen = statsByIsa.get(isa);
        if (seen) assert.deepEqual(both, seen, `${label}: statistics depend on the thread count`);
        else statsByIsa.set(isa, both);

        const y = new Float32Array(total).fill(Number.NaN);
        native.batchNormForward(p, x, scale, shift, y);
        assertClose(y, yWant, { rtol: 0, atol: yTol, msg: `${label} forward` });

        const sg = new Float64Array(c).fill(Number.NaN);
        const sgx = new Float64Array(c).fill(Number.NaN);
        native.batchNormBackwardSums(p, dy, x, meanWant, sg, sgx);
        assertClose(sg, sgWant, { rtol: 1e-12, atol: 1e-10, msg: `${label} sum(dy)` });
        assertClose(sgx, sgxWant, { rtol: 1e-10, atol: 1e-10, msg: `${label} sum(dy·(x − mean))` });

        const dx = new Float32Array(total).fill(Number.NaN);
        native.batchNormBackwardData(p, dy, x, scale, k2, shift, dx);
        assertClose(dx, dxWant, { rtol: 0, atol: dxTol, msg: `${label} backward data` });
      });
    });
  }

  it('gives NaN statistics for an empty batch, as the reference does', () => {
    const p = { batch: 0, channels: 2, spatial: 3 };
    const mean = new Float64Array(2);
    const variance = new Float64Array(2);
    nativeBackend().batchNormStats(p, new Float32Array(0), mean, variance);
    assert.ok([...mean, ...variance].every(Number.isNaN));
  });

  it('refuses arrays shorter than the geometry', () => {
    const p = { batch: 2, channels: 3, spatial: 4 };
    const native = nativeBackend();
    const c = new Float64Array(3);
    assert.throws(
      () => native.batchNormStats(p, new Float32Array(23), c, c),
      (e: unknown) =>
        e instanceof st.ValueError && /batchNormStats/.test(e.message) && /x holds 23/.test(e.message),
    );
    assert.throws(
      () => native.batchNormForward(p, new Float32Array(24), new Float64Array(2), c, new Float32Array(24)),
      (e: unknown) => e instanceof st.ValueError && /scale holds 2/.test(e.message),
    );
    assert.throws(
      () =>
        native.batchNormBackwardData(
          p,
          new Float32Array(24),
          new Float32Array(24),
          c,
          c,
          c,
          new Float32Array(5),
        ),
      (e: unknown) => e instanceof st.ValueError && /dx holds 5/.test(e.message),
    );
    assert.throws(
      () =>
        native.batchNormBackwardSums(
          { batch: 1.5, channels: 3, spatial: 4 },
          new Float32Array(24),
          new Float32Array(24),
          c,
          c,
          c,
        ),
      (e: unknown) => e instanceof st.ValueError && /batch must be an integer/.test(e.message),
    );
  });
});

/** A new leaf holding `t`'s values in `dtype` (never `t` itself, so gradients never accumulate across runs). */
function fresh(t: st.Tensor, dtype: 'float32' | 'float64', requiresGrad = false): st.Tensor {
  return st.tensor(Array.from(t.data), [...t.shape], { dtype, requiresGrad });
}

/** The same op on the native kernels (float32) and on the reference ones (float64 copies). */
describe('batchNorm and instanceNorm on the native kernels match float64', { skip: skipWithoutAddon }, () => {
  const shapes: number[][] = [
    [1, 3, 7, 5],
    [2, 1, 9],
    [6, 4],
    [3, 8, 17, 13],
    [1, 16, 40, 40],
  ];
  const variants = [
    { training: true, affine: true, running: true },
    { training: true, affine: false, running: false },
    { training: false, affine: true, running: true },
    { training: false, affine: false, running: true },
    { training: false, affine: true, running: false },
  ];
  for (const shape of shapes) {
    for (const v of variants) {
      const n = shape[0]!;
      const s = shape.slice(2).reduce((a, b) => a * b, 1);
      if (v.training && n * s === 1) continue;
      it(`${JSON.stringify(shape)} ${JSON.stringify(v)}`, () => {
        const c = shape[1]!;
        const seed = shape.reduce((a, b) => a * 31 + b, 0) + (v.training ? 1 : 0) + (v.affine ? 2 : 0);
        const x0 = st.randn(shape, { seed }).mul(1.5).add(0.7);
        const g0 = st.randn(shape, { seed: seed + 1 });
        const w0 = st.randn([c], { seed: seed + 2 }).add(1);
        const b0 = st.randn([c], { seed: seed + 3 });
        const rm0 = st.randn([c], { seed: seed + 4 });
        const rv0 = st.rand([c], { seed: seed + 5 }).add(0.5);
        const run = (dtype: 'float32' | 'float64') => {
          const x = fresh(x0, dtype, true);
          const w = v.affine ? fresh(w0, dtype, true) : null;
          const b = v.affine ? fresh(b0, dtype, true) : null;
          const rm = v.running ? fresh(rm0, dtype) : null;
          const rv = v.running ? fresh(rv0, dtype) : null;
          const y = st.batchNorm(x, rm, rv, w, b, { training: v.training, momentum: 0.3 });
          y.backward(fresh(g0, dtype));
          return { y, dx: x.grad!, dw: w?.grad, db: b?.grad, rm, rv };
        };
        const want = run('float64');
        forEachConfig((label) => {
          const got = withKernels(nativeBackend(), () => run('float32'));
          const tol = { rtol: 1e-4, atol: 1e-4 };
          assertClose(got.y, want.y, { ...tol, msg: `${label} output` });
          assertClose(got.dx, want.dx, { ...tol, msg: `${label} dx` });
          if (v.affine) {
            assertClose(got.dw!, want.dw!, { ...tol, msg: `${label} dweight` });
            assertClose(got.db!, want.db!, { ...tol, msg: `${label} dbias` });
          }
          if (v.running) {
            assertClose(got.rm!, want.rm!, { rtol: 1e-5, atol: 1e-5, msg: `${label} running mean` });
            assertClose(got.rv!, want.rv!, { rtol: 1e-5, atol: 1e-5, msg: `${label} running var` });
          }
        });
      });
    }
  }

  it('instance normalization in evaluation mode (running statistics)', () => {
    const x0 = st.randn([2, 3, 6, 5], { seed: 41 });
    const g0 = st.randn([2, 3, 6, 5], { seed: 42 });
    const run = (dtype: 'float32' | 'float64') => {
      const x = fresh(x0, dtype, true);
      const weight = st.tensor([0.5, 2, -1], undefined, { dtype, requiresGrad: true });
      const y = st.instanceNorm(x, {
        runningMean: st.tensor([0.1, -0.2, 0.3], undefined, { dtype }),
        runningVar: st.tensor([1.5, 0.7, 2], undefined, { dtype }),
        weight,
        bias: st.tensor([0, 1, 2], undefined, { dtype }),
        useInputStats: false,
      });
      y.backward(fresh(g0, dtype));
      return [y, x.grad!, weight.grad!];
    };
    const want = run('float64');
    const got = withKernels(nativeBackend(), () => run('float32'));
    for (let i = 0; i < want.length; i++)
      assertClose(got[i]!, want[i]!, { rtol: 1e-4, atol: 1e-4, msg: `tensor ${i}` });
  });
});

describe(
  'batchNorm on the native kernels: PyTorch parity (float32 fixtures)',
  { skip: skipWithoutAddon },
  () => {
    const cases = skipWithoutAddon
      ? []
      : loadFixture<{ cases: NormCase<BatchNormArgs>[] }>('norm').cases.filter((c) => c.op === 'batchNorm');
    for (const c of cases) {
      it(c.name, () => {
        withKernels(nativeBackend(), () => {
          checkNormCase(c, (x, w, b, rm, rv) => st.batchNorm(x, rm, rv, w, b, c.args));
        });
      });
    }
  },
);
