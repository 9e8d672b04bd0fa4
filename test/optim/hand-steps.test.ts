// Each optimizer against one or two steps worked out by hand on a 2-element parameter
// w = [1, -2] with gradient g = [0.5, -1] (float64, so the comparisons are tight).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

const TIGHT = { atol: 1e-12, rtol: 1e-12 };

function param(values: number[] = [1, -2]): st.Tensor {
  return st.tensor(values, undefined, { dtype: 'float64', requiresGrad: true });
}

function setGrad(p: st.Tensor, g: number[]): void {
  p.grad = st.tensor(g, undefined, { dtype: 'float64' });
}

/** Run `opt.step()` once per gradient in `grads`, returning the parameter after each step. */
function stepWith(opt: st.optim.Optimizer, p: st.Tensor, grads: number[][]): number[][] {
  return grads.map((g) => {
    setGrad(p, g);
    opt.step();
    return Array.from(p.data);
  });
}

const G = [0.5, -1];

describe('SGD by hand', () => {
  it('plain: w - lr*g', () => {
    const p = param();
    // [1 - 0.1*0.5, -2 - 0.1*(-1)] = [0.95, -1.9]
    assertClose(stepWith(new st.SGD([p], { lr: 0.1 }), p, [G])[0]!, [0.95, -1.9], TIGHT);
  });

  it('momentum 0.9: b = g, then b = 0.9b + g', () => {
    const p = param();
    const [s1, s2] = stepWith(new st.optim.SGD([p], { lr: 0.1, momentum: 0.9 }), p, [G, G]);
    // step 1: b = [0.5, -1], w = [0.95, -1.9]
    assertClose(s1!, [0.95, -1.9], TIGHT);
    // step 2: b = 0.9*[0.5, -1] + [0.5, -1] = [0.95, -1.9], w = [0.95 - 0.095, -1.9 + 0.19]
    assertClose(s2!, [0.855, -1.71], TIGHT);
  });

  it('Nesterov: steps on g + momentum*b', () => {
    const p = param();
    const [s1, s2] = stepWith(new st.SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }), p, [G, G]);
    // step 1: b = g, d = g + 0.9g = 1.9g = [0.95, -1.9]; w = [1 - 0.095, -2 + 0.19]
    assertClose(s1!, [0.905, -1.81], TIGHT);
    // step 2: b = 0.9g + g = 1.9g, d = g + 0.9*1.9g = 2.71g = [1.355, -2.71]; w = [0.905 - 0.1355, -1.81 + 0.271]
    assertClose(s2!, [0.7695, -1.539], TIGHT);
  });

  it('dampening 0.5 and weight decay 0.1 (dampening skipped on the first step, as in PyTorch)', () => {
    const p = param();
    const opt = new st.SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.1 });
    const [s1, s2] = stepWith(opt, p, [G, G]);
    // step 1: d = g + 0.1w = [0.6, -1.2], b = d, w = [1 - 0.06, -2 + 0.12]
    assertClose(s1!, [0.94, -1.88], TIGHT);
    // step 2: d = g + 0.1*[0.94, -1.88] = [0.594, -1.188]
    //         b = 0.9*[0.6, -1.2] + 0.5*d = [0.837, -1.674]; w = [0.94 - 0.0837, -1.88 + 0.1674]
    assertClose(s2!, [0.8563, -1.7126], TIGHT);
  });

  it('l1 adds l1*sign(w) to the gradient (sign(0) = 0)', () => {
    const p = param([1, -2, 0]);
    const opt = new st.SGD([p], { lr: 0.1, l1: 0.2 });
    // d = g + 0.2*sign(w) = [0.5 + 0.2, -1 - 0.2, 0.3 + 0] = [0.7, -1.2, 0.3]
    assertClose(stepWith(opt, p, [[0.5, -1, 0.3]])[0]!, [0.93, -1.88, -0.03], TIGHT);
  });

  it('maximize steps up the gradient', () => {
    const p = param();
    assertClose(stepWith(new st.SGD([p], { lr: 0.1, maximize: true }), p, [G])[0]!, [1.05, -2.1], TIGHT);
  });

  it('updates float32 parameters in place (same typed array)', () => {
    const p = st.tensor([1, -2], undefined, { requiresGrad: true });
    const data = p.data;
    p.grad = st.tensor(G);
    new st.SGD([p], { lr: 0.1 }).step();
    assert.equal(p.data, data);
    assert.ok(p.data instanceof Float32Array);
    assertClose(p.data, [0.95, -1.9], { atol: 1e-7, rtol: 0 });
  });

  it('skips parameters without a gradient and never builds a graph', () => {
    const a = param();
    const b = param([3, 4]);
    setGrad(a, G);
    new st.SGD([a, b], { lr: 0.1 }).step();
    assert.deepEqual(Array.from(b.data), [3, 4]);
    assert.equal(a.gradFn, null);
    assert.ok(a.isLeaf);
  });
});

describe('RMSprop by hand', () => {
  it('plain, alpha 0.99: the first step is lr·g/√(0.01·g²) = 10·lr·sign(g)', () => {
    const p = param();
    // v = 0.01*g² = [0.0025, 0.01], √v = [0.05, 0.1]; w -= 0.01*g/√v = 0.01*[10, -10]
    assertClose(stepWith(new st.RMSprop([p], { lr: 0.01, eps: 0 }), p, [G])[0]!, [0.9, -1.9], TIGHT);
  });

  it('centered: divides by sqrt(v - m²)', () => {
    const p = param();
    // alpha 0.5: v = 0.5g² = [0.125, 0.5], m = 0.5g = [0.25, -0.5], v - m² = [0.0625, 0.25] → √ = [0.25, 0.5]
    // w -= 0.1*[0.5/0.25, -1/0.5] = [0.2, -0.2]
    const opt = new st.RMSprop([p], { lr: 0.1, alpha: 0.5, eps: 0, centered: true });
    assertClose(stepWith(opt, p, [G])[0]!, [0.8, -1.8], TIGHT);
  });

  it('momentum: b = 0.9b + g/√v, w -= lr*b over two different gradients', () => {
    const p = param();
    const opt = new st.RMSprop([p], { lr: 0.1, alpha: 0.5, eps: 0, momentum: 0.9 });
    const [s1, s2] = stepWith(opt, p, [G, [1, 1]]);
    // step 1: v = [0.125, 0.5], b = g/√v = [√2, -√2]; w = [1 - 0.1√2, -2 + 0.1√2]
    assertClose(s1!, [1 - 0.1 * Math.SQRT2, -2 + 0.1 * Math.SQRT2], TIGHT);
    // step 2: g = [1, 1], v = 0.5v + 0.5 = [0.5625, 0.75], b = 0.9b + [1/0.75, 1/√0.75]
    const b2 = [0.9 * Math.SQRT2 + 1 / 0.75, -0.9 * Math.SQRT2 + 1 / Math.sqrt(0.75)];
    assertClose(s2!, [s1![0]! - 0.1 * b2[0]!, s1![1]! - 0.1 * b2[1]!], TIGHT);
    assertClose(s2!, [0.5979660898157786, -1.846769476987037], TIGHT);
  });
});

describe('Adam / AdamW by hand', () => {
  it('with a constant gradient each step moves by lr (bias correction makes m̂ = g, v̂ = g²)', () => {
    const p = param();
    const [s1, s2] = stepWith(new st.Adam([p], { lr: 0.1, eps: 0 }), p, [G, G]);
    // step 1: m = 0.1g, v = 0.001g², m̂ = m/0.1 = g, v̂ = v/0.001 = g², w -= 0.1*g/|g|
    assertClose(s1!, [0.9, -1.9], TIGHT);
    // step 2: m = 0.19g, v = 0.001999g², bias corrections 0.19 and 0.001999 → the same step
    assertClose(s2!, [0.8, -1.8], TIGHT);
  });

  it('AMSGrad divides by the largest second moment so far', () => {
    const p = param();
    const q = param();
    const opts = { lr: 0.1, betas: [0.5, 0.5] as [number, number], eps: 0 };
    const ams = stepWith(new st.Adam([p], { ...opts, amsgrad: true }), p, [G, [0.1, -0.1]]);
    const plain = stepWith(new st.Adam([q], opts), q, [G, [0.1, -0.1]]);
    // step 1 (both): m̂ = g, v̂ = g² → w = [0.9, -1.9]
    assertClose(ams[0]!, [0.9, -1.9], TIGHT);
    // step 2: m = 0.5*[0.25, -0.5] + 0.5*[0.1, -0.1] = [0.175, -0.3]
    //         v = 0.5*[0.125, 0.5] + 0.5*[0.01, 0.01] = [0.0675, 0.255]; max(v) = [0.125, 0.5]
    //         step size 0.1/0.75; denominator √v̂/√0.75
    const ss = 0.1 / 0.75;
    const upd = (m: number, v: number) => (ss * m) / (Math.sqrt(v) / Math.sqrt(0.75));
    assertClose(ams[1]!, [0.9 - upd(0.175, 0.125), -1.9 - upd(-0.3, 0.5)], TIGHT);
    assertClose(plain[1]!, [0.9 - upd(0.175, 0.0675), -1.9 - upd(-0.3, 0.255)], TIGHT);
    assertClose(ams[1]!, [0.8428452393350592, -1.8510102051443365], TIGHT);
  });

  it('Adam weight decay enters the gradient; AdamW shrinks the weights first', () => {
    const p = param();
    const q = param();
    stepWith(new st.AdamW([p], { lr: 0.1, weightDecay: 0.1, eps: 0 }), p, [G]);
    // AdamW: w *= 1 - 0.1*0.1 → [0.99, -1.98], then the Adam step of size lr → [0.89, -1.88]
    assertClose(p.data, [0.89, -1.88], TIGHT);
    stepWith(new st.Adam([q], { lr: 0.1, weightDecay: 0.1, eps: 0 }), q, [G]);
    // Adam: d = g + 0.1w = [0.6, -1.2]; the first step still moves lr*sign(d) → [0.9, -1.9]
    assertClose(q.data, [0.9, -1.9], TIGHT);
  });

  it('AdamW defaults to weightDecay 1e-2, Adam to 0', () => {
    assert.equal(new st.AdamW([param()]).defaults.weightDecay, 1e-2);
    assert.equal(new st.Adam([param()]).defaults.weightDecay, 0);
    assert.deepEqual(new st.Adam([param()]).defaults.betas, [0.9, 0.999]);
  });
});

describe('Adagrad by hand', () => {
  it('accumulates squared gradients: steps lr·g/|g|, then lr·g/(√2|g|)', () => {
    const p = param();
    const [s1, s2] = stepWith(new st.Adagrad([p], { lr: 0.1, eps: 0 }), p, [G, G]);
    assertClose(s1!, [0.9, -1.9], TIGHT);
    // sum = 2g² → step 0.1/√2
    assertClose(s2!, [0.9 - 0.1 / Math.SQRT2, -1.9 + 0.1 / Math.SQRT2], TIGHT);
  });

  it('lrDecay: step t uses lr/(1 + (t-1)·lrDecay); initialAccumulatorValue starts the sum', () => {
    const p = param();
    const [, s2] = stepWith(new st.Adagrad([p], { lr: 0.1, eps: 0, lrDecay: 1 }), p, [G, G]);
    // step 2: lr 0.1/2, sum 2g² → 0.05/√2
    assertClose(s2!, [0.9 - 0.05 / Math.SQRT2, -1.9 + 0.05 / Math.SQRT2], TIGHT);
    const q = param([1]);
    // sum = 0.75 + 0.5² = 1 → w -= 0.1*0.5/1
    assertClose(
      stepWith(new st.Adagrad([q], { lr: 0.1, eps: 0, initialAccumulatorValue: 0.75 }), q, [[0.5]])[0]!,
      [0.95],
      TIGHT,
    );
  });
});

describe('Adadelta by hand', () => {
  it('Δ = √(u + eps)/√(v + eps)·g with rho 0.5, eps 0.25', () => {
    const p = param();
    const [s1, s2] = stepWith(new st.Adadelta([p], { rho: 0.5, eps: 0.25 }), p, [G, G]);
    // step 1: v = 0.5g² = [0.125, 0.5]; Δ = √0.25/√(v + 0.25)·g = [0.5/√0.375·0.5, 0.5/√0.75·(-1)]
    const d1 = [(0.5 / Math.sqrt(0.375)) * 0.5, (0.5 / Math.sqrt(0.75)) * -1];
    assertClose(s1!, [1 - d1[0]!, -2 - d1[1]!], TIGHT);
    // u = 0.5Δ² = [1/12, 1/6]; step 2: v = [0.1875, 0.75], Δ = √(u + 0.25)/√(v + 0.25)·g
    const u = [0.5 * d1[0]! ** 2, 0.5 * d1[1]! ** 2];
    const d2 = [
      (Math.sqrt(u[0]! + 0.25) / Math.sqrt(0.4375)) * 0.5,
      (Math.sqrt(u[1]! + 0.25) / Math.sqrt(1)) * -1,
    ];
    assertClose(s2!, [s1![0]! - d2[0]!, s1![1]! - d2[1]!], TIGHT);
    assertClose(s2!, [0.1553159290641521, -0.7771525064424714], TIGHT);
  });

  it('defaults to lr 1, rho 0.9, eps 1e-6', () => {
    const d = new st.Adadelta([param()]).defaults;
    assert.deepEqual([d.lr, d.rho, d.eps], [1, 0.9, 1e-6]);
  });
});
