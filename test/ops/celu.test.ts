/**
 * CELU, the op added through the catalog path to count what adding an activation touches
 * (ARCHITECTURE.md, "Adding an op"). Truth: PyTorch 1.13's `F.celu` and its autograd gradient in
 * float64 (values printed once by `/usr/bin/python3`, torch 1.13), and finite differences. The
 * native kernel is checked against the reference by test/native/activation.test.ts, and every
 * format (save/load, ONNX Celu with onnxruntime) by test/io/layer-catalog.test.ts, from its rows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

const X = [-3, -1, -0.25, 0, 0.5, 2];

/** torch.nn.functional.celu(x, alpha) and d(sum)/dx at X, float64. */
const TORCH: readonly { alpha: number; y: number[]; dx: number[] }[] = [
  {
    alpha: 1,
    y: [-0.950212931632136, -0.6321205588285577, -0.22119921692859512, 0, 0.5, 2],
    dx: [0.049787068367863944, 0.36787944117144233, 0.7788007830714049, 1, 1, 1],
  },
  {
    alpha: 0.5,
    y: [-0.4987606239116668, -0.43233235838169365, -0.1967346701436833, 0, 0.5, 2],
    dx: [0.0024787521766663585, 0.1353352832366127, 0.6065306597126334, 1, 1, 1],
  },
  {
    alpha: 2,
    y: [-1.5537396797031404, -0.7869386805747332, -0.2350061948308091, 0, 0.5, 2],
    dx: [0.22313016014842982, 0.6065306597126334, 0.8824969025845955, 1, 1, 1],
  },
];

describe('celu', () => {
  it("matches PyTorch's values and gradients (float64 reference, float32 backend kernel)", () => {
    for (const { alpha, y, dx } of TORCH) {
      const x = st.tensor(X, undefined, { dtype: 'float64', requiresGrad: true });
      const out = st.celu(x, alpha);
      assertClose(out, y, { rtol: 1e-14, atol: 1e-16, msg: `celu alpha=${alpha}` });
      out.sum().backward();
      assertClose(x.grad!, dx, { rtol: 1e-14, atol: 1e-16, msg: `celu' alpha=${alpha}` });
      const x32 = st.tensor(X, undefined, { requiresGrad: true }); // native kernel when built
      const out32 = new st.CELU(alpha).forward(x32);
      assertClose(out32, y, { rtol: 1e-6, atol: 1e-7, msg: `CELU(${alpha}) float32` });
      out32.sum().backward();
      assertClose(x32.grad!, dx, { rtol: 1e-6, atol: 1e-7, msg: `CELU(${alpha}) float32 gradient` });
    }
    assert.equal(new st.CELU().alpha, 1, "PyTorch's default alpha");
  });

  it('passes a float64 gradient check, and refuses alpha 0 with the fix', () => {
    const x = st
      .randn([3, 5], { dtype: 'float64', rng: new st.Rng(11) })
      .mul(3)
      .detach()
      .requiresGrad_();
    assert.ok(st.gradcheck((t) => st.celu(t, 0.7), [x]));
    assert.throws(
      () => st.celu(st.tensor([1]), 0),
      (e: Error) => e instanceof st.ValueError && /non-zero/.test(e.message) && /Fix/.test(e.message),
    );
  });
});
