import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withBackend } from '../../src/backend/registry.js';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface LinearCase {
  kind: string;
  x: FixtureTensor;
  weight: FixtureTensor;
  bias?: FixtureTensor;
  g: FixtureTensor;
  out: FixtureTensor;
  d_x: FixtureTensor;
  d_weight: FixtureTensor;
  d_bias?: FixtureTensor;
}

const f64 = { dtype: 'float64' } as const;

describe('linear', () => {
  it('computes x·Wᵀ + b with PyTorch’s [out, in] weight layout (hand-worked)', () => {
    const x = st.tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const w = st.tensor([
      [1, 0],
      [0, 1],
      [1, -1],
    ]);
    const b = st.tensor([10, 20, 30]);
    assert.deepEqual(st.linear(x, w, b).toArray(), [
      [11, 22, 29],
      [13, 24, 29],
      [15, 26, 29],
    ]);
    assert.deepEqual(st.linear(st.tensor([1, 2]), w).toArray(), [1, 2, -1]);
  });

  it('matches PyTorch values and gradients for 1-D, 2-D and 3-D inputs (float32)', () => {
    const cases = loadFixture<{ cases: LinearCase[] }>('loss_act').cases.filter((c) => c.kind === 'linear');
    assert.equal(cases.length, 3);
    for (const c of cases) {
      const x = st.tensor(c.x.data, c.x.shape, { requiresGrad: true });
      const w = st.tensor(c.weight.data, c.weight.shape, { requiresGrad: true });
      const b = c.bias ? st.tensor(c.bias.data, c.bias.shape, { requiresGrad: true }) : undefined;
      const y = st.linear(x, w, b);
      const label = `x [${c.x.shape}]`;
      assert.deepEqual([...y.shape], c.out.shape, label);
      assertClose(y, c.out.data, { msg: `${label} forward` });
      y.backward(st.tensor(c.g.data, c.g.shape));
      assertClose(x.grad!, c.d_x.data, { msg: `${label} d_x` });
      assertClose(w.grad!, c.d_weight.data, { msg: `${label} d_weight` });
      if (b) assertClose(b.grad!, c.d_bias!.data, { msg: `${label} d_bias` });
    }
  });

  it('passes float64 gradient checks on random leading dimensions, with and without bias', () => {
    const rng = new st.Rng(21);
    for (let trial = 0; trial < 6; trial++) {
      const inF = rng.int(1, 5);
      const outF = rng.int(1, 5);
      const lead = Array.from({ length: rng.int(0, 3) }, () => rng.int(1, 4));
      const x = st.randn([...lead, inF], { ...f64, rng, requiresGrad: true });
      const w = st.randn([outF, inF], { ...f64, rng, requiresGrad: true });
      const b = st.randn([outF], { ...f64, rng, requiresGrad: true });
      assert.ok(
        st.gradcheck((xx, ww, bb) => st.linear(xx!, ww!, bb), [x, w, b]),
        `[${lead}, ${inF}] -> ${outF}`,
      );
      assert.ok(st.gradcheck((xx, ww) => st.linear(xx!, ww!), [x, w]));
    }
  });

  // Small batches take the native backend's few-rows path (each weight row read once, in place),
  // batch 16 the packed GEMM; both against x·Wᵀ + b summed in float64 here.
  const backends = st.nativeAvailable() ? ['native', 'reference'] : ['reference'];
  for (const name of backends) {
    it(`${name}: batches 1-8 and 16 match x·Wᵀ + b summed in float64, with and without bias`, () => {
      const inF = 300;
      const outF = 257; // 77K weights: the native few-rows path splits the outputs over threads
      const w = st.randn([outF, inF], { seed: 31 });
      const b = st.randn([outF], { seed: 32 });
      for (const rows of [1, 2, 3, 4, 5, 8, 16]) {
        const x = st.randn([rows, inF], { seed: 40 + rows });
        for (const bias of [b, null]) {
          const want = new Float64Array(rows * outF);
          for (let r = 0; r < rows; r++)
            for (let j = 0; j < outF; j++) {
              let s = bias ? bias.data[j]! : 0;
              for (let q = 0; q < inF; q++) s += x.data[r * inF + q]! * w.data[j * inF + q]!;
              want[r * outF + j] = s;
            }
          const got = withBackend(name, () => st.noGrad(() => st.linear(x, w, bias)));
          assert.deepEqual([...got.shape], [rows, outF]);
          assertClose(got, want, { atol: 1e-4, msg: `${name} batch ${rows} bias ${bias !== null}` });
        }
      }
    });
  }

  it('refuses mismatched shapes and dtypes, naming the fix', () => {
    const w = st.zeros([3, 4]);
    assert.throws(
      () => st.linear(st.zeros([2, 5]), w),
      (e: Error) =>
        e instanceof st.ShapeError && /\[\.\.\., 4\]/.test(e.message) && /\[2, 5\]/.test(e.message),
    );
    assert.throws(
      () => st.linear(st.zeros([2, 8, 2, 2]), w),
      (e: Error) => e instanceof st.ShapeError && /flatten/.test(e.message),
    );
    assert.throws(() => st.linear(st.zeros([2, 4]), st.zeros([4])), st.ShapeError);
    assert.throws(() => st.linear(st.zeros([2, 4]), w, st.zeros([4])), st.ShapeError);
    assert.throws(() => st.linear(st.zeros([2, 4], f64), w), st.DTypeError);
  });
});
