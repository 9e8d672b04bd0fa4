import * as st from '../../src/node.js';
import { assertClose } from './assert-close.js';

// The two ways the inference tests run a model: the layers one by one (the truth) and the fused
// inference forward under test, plus batch norms whose folding changes the weights.

/** The layers run one by one: evaluation mode with the autograd graph recorded, which never fuses or pools. */
export function plain(model: st.Module, x: st.Tensor): st.Tensor {
  return st.enableGrad(() => model.forward(x)).detach();
}

/** The inference forward users call: `forward` under `noGrad` (fused in eval mode). */
export function inference(model: st.Module, x: st.Tensor): st.Tensor {
  return st.noGrad(() => model.forward(x));
}

/** Batch norm statistics and affine parameters far from the identity, so that folding changes the weights. */
export function randomizeNorms(model: st.Module, rng: st.Rng): void {
  for (const m of model.modules()) {
    if (!(m instanceof st.BatchNorm2d)) continue;
    const n = m.numFeatures;
    for (const [t, v] of [
      [m.runningMean!, st.randn([n], { rng }).mul(0.5)],
      [m.runningVar!, st.rand([n], { rng }).add(0.5)],
      [m.weight!, st.rand([n], { rng }).add(0.5)],
      [m.bias!, st.randn([n], { rng }).mul(0.3)],
    ] as const) {
      t.data.set(v.data);
      t.markChanged();
    }
  }
}

/** The inference forward of `model` on `x`, checked against {@link plain} (float rounding apart); returns it. */
export function assertSameAsPlain(model: st.Module, x: st.Tensor, msg: string): st.Tensor {
  const got = inference(model, x);
  assertClose(got, plain(model, x), { atol: 1e-4, rtol: 1e-4, msg });
  return got;
}
