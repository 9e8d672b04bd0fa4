import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

/** A small conv net with seeded weights (3 channels in, 4 classes out). */
function convNet(): st.Module {
  st.manualSeed(3);
  return new st.Sequential(
    new st.Conv2d(3, 4, 3, { padding: 1 }),
    new st.ReLU(),
    new st.BatchNorm2d(4),
    new st.MaxPool2d(2),
    new st.Flatten(),
    new st.Linear(4 * 4 * 4, 4),
  );
}

describe('st.viz.saliency', () => {
  it('is |d logit_target / d x| max-reduced over channels, as autograd computes it directly', () => {
    const model = convNet().train();
    const x = st.randn([2, 3, 8, 8], { seed: 5 });
    const map = st.viz.saliency(model, x, { target: [1, 3] });
    assert.deepEqual(map.shape, [2, 1, 8, 8]);
    // Independent computation: one backward per sample of its own target logit, in eval mode.
    model.eval();
    for (const [n, t] of [
      [0, 1],
      [1, 3],
    ] as const) {
      const xi = st.tensor(x.slice(0, n, n + 1).toArray() as st.NestedArray).requiresGrad_();
      model
        .forward(xi)
        .slice(1, t, t + 1)
        .sum()
        .backward();
      const g = Array.from(xi.grad!.data);
      const want: number[] = [];
      for (let p = 0; p < 64; p++) want.push(Math.max(...[0, 1, 2].map((c) => Math.abs(g[c * 64 + p]!))));
      assertClose(map.slice(0, n, n + 1).data, want, { atol: 1e-6 });
    }
    // The model's parameters got no gradients from saliency(), and its mode is restored.
    model.train();
    const fresh = convNet();
    const m2 = fresh.train();
    st.viz.saliency(m2, x);
    assert.ok(m2.parameters().every((p) => p.grad === null && p.requiresGrad));
    assert.ok(m2.modules().every((m) => m.training));
  });

  it("equals the weights of a linear model's target row (hand-derived), with reduce 'mean' and SmoothGrad", () => {
    // logits = W flatten(x) + b, so d logit_t / dx = W[t] whatever x is.
    const w = st.randn([3, 2 * 3 * 3], { seed: 2 });
    const lin = new st.Linear(18, 3);
    lin.weight.data.set(w.data);
    const model = new st.Sequential(new st.Flatten(), lin);
    const x = st.randn([1, 2, 3, 3], { seed: 9 });
    const row = Array.from(w.data.subarray(2 * 18, 3 * 18));
    const meanAbs = Array.from({ length: 9 }, (_, p) => (Math.abs(row[p]!) + Math.abs(row[9 + p]!)) / 2);
    const maxAbs = Array.from({ length: 9 }, (_, p) => Math.max(Math.abs(row[p]!), Math.abs(row[9 + p]!)));
    assertClose(
      st.viz.saliency(model, x, { target: 2, reduce: 'mean' }),
      st.tensor(meanAbs).reshape([1, 1, 3, 3]),
    );
    assertClose(st.viz.saliency(model, x, { target: 2 }), st.tensor(maxAbs).reshape([1, 1, 3, 3]));
    // The gradient of a linear model does not depend on the input, so SmoothGrad gives the same map.
    const smooth = st.viz.saliency(model, x, { target: 2, smooth: { samples: 5, sigma: 0.3, seed: 1 } });
    assertClose(smooth, st.tensor(maxAbs).reshape([1, 1, 3, 3]), { atol: 1e-5 });
  });

  it('SmoothGrad averages the maps of noisy copies and is reproducible by seed', () => {
    const model = convNet();
    const x = st.randn([1, 3, 8, 8], { seed: 4 });
    const a = st.viz.saliency(model, x, { target: 0, smooth: { samples: 4, sigma: 0.2, seed: 7 } });
    const b = st.viz.saliency(model, x, { target: 0, smooth: { samples: 4, sigma: 0.2, seed: 7 } });
    assert.deepEqual(Array.from(a.data), Array.from(b.data));
    const vanilla = st.viz.saliency(model, x, { target: 0 });
    assert.notDeepEqual(Array.from(a.data), Array.from(vanilla.data));
    assert.ok(a.data.every((v) => v >= 0 && Number.isFinite(v)));
  });

  it('refuses a target outside the classes and an input that is not an image batch', () => {
    const model = convNet();
    assert.throws(
      () => st.viz.saliency(model, st.randn([1, 3, 8, 8]), { target: 4 }),
      /class index in \[0, 4\)/,
    );
    assert.throws(() => st.viz.saliency(model, st.randn([3, 8, 8])), /\[N, C, H, W\]/);
  });
});
