import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

function net(): st.Sequential {
  st.manualSeed(11);
  return new st.Sequential(
    new st.Conv2d(3, 8, 3, { padding: 1 }),
    new st.ReLU(),
    new st.MaxPool2d(2),
    new st.Conv2d(8, 8, 3, { padding: 1 }),
    new st.ReLU(),
    new st.AdaptiveAvgPool2d(1),
    new st.Flatten(),
    new st.Linear(8, 5),
  );
}

/** The mean of channel `c` of layer `name`'s output, measured with a hook of the test's own. */
function channelMean(model: st.Module, name: string, c: number, x: st.Tensor): number {
  let out: st.Tensor | null = null;
  const h = model.getSubmodule(name).registerForwardHook((_m, _i, o) => void (out = o));
  st.noGrad(() => model.eval().forward(x));
  h.remove();
  const o = out! as st.Tensor;
  const hw = o.shape[2]! * o.shape[3]!;
  let s = 0;
  for (let p = 0; p < hw; p++) s += o.data[c * hw + p]!;
  return s / hw;
}

describe('st.viz.maximize', () => {
  it("raises the chosen channel's mean activation many times over the start image", () => {
    const model = net();
    const before = model.stateDict();
    const snapshot = Object.fromEntries(Object.entries(before).map(([k, t]) => [k, Array.from(t.data)]));
    const start = st.randn([1, 3, 32, 32], { seed: 0 }).mul(0.1);
    const r = st.viz.maximize(model, {
      layer: '4',
      channel: 3,
      size: 32,
      steps: 50,
      lr: 0.1,
      seed: 0,
      start,
    });
    assert.deepEqual(r.image.shape, [1, 3, 32, 32]);
    assert.ok(r.image.data.every(Number.isFinite));
    const a0 = channelMean(model, '4', 3, start);
    const a1 = channelMean(model, '4', 3, r.image);
    assert.ok(a1 > 10 * Math.max(a0, 1e-3), `channel mean ${a0} -> ${a1}`);
    assert.ok(Math.abs(r.activation.end - a1) < 1e-4 * Math.max(1, a1));
    // The model is unchanged and nothing accumulated in its gradients.
    for (const [k, t] of Object.entries(model.stateDict()))
      assert.deepEqual(Array.from(t.data), snapshot[k], k);
    assert.ok(model.parameters().every((p) => p.grad === null));
  });

  it('keeps the image in range and refuses a channel the layer does not have', () => {
    const model = net();
    const r = st.viz.maximize(model, { layer: '1', channel: 0, size: 16, steps: 10, range: [-1, 1] });
    assert.ok(r.image.data.every((v) => v >= -1 && v <= 1));
    assert.throws(
      () => st.viz.maximize(model, { layer: '1', channel: 8, size: 16, steps: 1 }),
      /channel 8 must index/,
    );
  });
});

describe('st.viz.deepDream', () => {
  it('changes the image, keeps it finite and in range', () => {
    const model = net();
    const rng = new st.Rng(3);
    const image = st.tensor(Array.from({ length: 3 * 40 * 40 }, () => rng.uniform())).reshape([1, 3, 40, 40]);
    const dream = st.viz.deepDream(model, image, {
      layers: ['4'],
      octaves: 3,
      octaveScale: 1.4,
      steps: 5,
      lr: 0.02,
    });
    assert.deepEqual(dream.shape, [1, 3, 40, 40]);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of image.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    assert.ok(dream.data.every((v) => Number.isFinite(v) && v >= lo && v <= hi));
    let diff = 0;
    for (let i = 0; i < dream.size; i++) diff += Math.abs(dream.data[i]! - image.data[i]!);
    assert.ok(diff / dream.size > 0.01, `mean change ${diff / dream.size}`);
    // What the layer sees grew.
    const energy = (x: st.Tensor) => {
      let s = 0;
      for (let c = 0; c < 8; c++) s += channelMean(model, '4', c, x);
      return s;
    };
    assert.ok(energy(dream) > energy(image), `${energy(image)} -> ${energy(dream)}`);
  });
});
