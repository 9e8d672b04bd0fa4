import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

// Sequential and Graph forwards under noGrad hand the storage of dead intermediate outputs back to
// the inference buffer pool, and later allocations reuse it. The truth here is the same model run
// with gradients recorded (no fusion, no reuse: every output a fresh array). Reuse must never
// touch what anyone still holds: earlier outputs, the inputs, the parameters, what a hook or a
// custom layer kept.

const snapshot = (t: st.Tensor) => Float32Array.from(t.data);

function assertSame(t: st.Tensor, expected: Float32Array, what: string): void {
  assert.equal(t.data.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    if (t.data[i] !== expected[i])
      assert.fail(`${what}: element ${i} changed (${expected[i]} -> ${t.data[i]})`);
  }
}

function assertNear(t: st.Tensor, expected: Float32Array, what: string): void {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(t.data[i]! - expected[i]!));
  assert.ok(worst < 1e-4, `${what}: differs from the recorded forward by ${worst}`);
}

/** A layer that keeps its last output (as a user's feature-capturing layer might). */
class KeepLast extends st.Module {
  last: st.Tensor | null = null;
  forward(x: st.Tensor): st.Tensor {
    this.last = st.relu(x);
    return this.last;
  }
}

/** Each input's output with gradients recorded: fresh arrays, no reuse. */
function recorded(model: st.Module, xs: st.Tensor[]): Float32Array[] {
  return xs.map((x) => snapshot(model.forward(x)));
}

describe('inference buffer reuse in Sequential and Graph forwards', () => {
  it('a ResNet-18 (Sequential of graphs) gives the recorded outputs, and held outputs, inputs and weights stay', () => {
    st.manualSeed(1);
    const model = st.models.resnet18({ numClasses: 10 }).eval();
    const xs = [0, 1].map((i) => st.randn([2, 3, 32, 32], { seed: 10 + i }));
    const truth = recorded(model, xs);
    const weights = model.parameters().map(snapshot);
    const inputs = xs.map(snapshot);
    const before = st.inferenceBufferStats();
    const outs = xs.map((x) => st.noGrad(() => model.forward(x)));
    outs.forEach((y, i) => assertNear(y, truth[i]!, `output ${i}`));
    const held = outs.map(snapshot);
    // More forwards on other inputs reuse the pool; what the caller holds must not change.
    for (let r = 0; r < 2; r++) for (const x of xs) st.noGrad(() => model.forward(x));
    outs.forEach((y, i) => assertSame(y, held[i]!, `held output ${i}`));
    xs.forEach((x, i) => assertSame(x, inputs[i]!, `input ${i}`));
    model.parameters().forEach((p, i) => assertSame(p, weights[i]!, `parameter ${i}`));
    const after = st.inferenceBufferStats();
    assert.ok(after.reused > before.reused, 'the forwards reused pooled buffers');
  });

  it('what a custom layer keeps and what a hook captures is never reused', () => {
    st.manualSeed(2);
    const keep = new KeepLast();
    const captured: st.Tensor[] = [];
    const conv = new st.Conv2d(8, 8, 3, { padding: 1 });
    conv.registerForwardHook((_m, _inputs, out) => void captured.push(out));
    const model = new st.Sequential(
      new st.Conv2d(3, 8, 3, { padding: 1 }),
      keep,
      new st.Conv2d(8, 8, 3, { padding: 1 }),
      new st.ReLU(),
      conv,
      new st.BatchNorm2d(8),
      new st.ReLU(),
      new st.Flatten(),
      new st.Identity(),
      new st.Linear(8 * 48 * 48, 4),
    ).eval();
    const x = st.randn([1, 3, 48, 48], { seed: 3 });
    const truth = recorded(model, [x])[0]!;
    captured.length = 0;
    const y = st.noGrad(() => model.forward(x));
    assertNear(y, truth, 'output');
    const kept = snapshot(keep.last!);
    const hooked = snapshot(captured[0]!);
    const keptTensor = keep.last!;
    const hookedTensor = captured[0]!;
    for (let r = 0; r < 3; r++) st.noGrad(() => model.forward(st.randn([1, 3, 48, 48], { seed: 20 + r })));
    assertSame(keptTensor, kept, "the custom layer's kept output");
    assertSame(hookedTensor, hooked, "the hook's captured output");
  });

  it('a graph reading one value twice and returning an inner value gives the recorded outputs', () => {
    st.manualSeed(3);
    const g = new st.Graph();
    const inp = g.input([4, 40, 40], 'x');
    const a = g.add(new st.Conv2d(4, 4, 3, { padding: 1 }), inp);
    const b = g.add(new st.ReLU(), a);
    const c = g.add(new st.Conv2d(4, 4, 3, { padding: 1 }), b);
    const d = g.add(new st.Add(), c, b);
    const e = g.add(new st.Conv2d(4, 4, 1), d);
    g.output(e, b);
    g.eval();
    const x = st.randn([2, 4, 40, 40], { seed: 4 });
    const truth = g.forwardAll(x).map(snapshot);
    const outs = st.noGrad(() => g.forwardAll(x));
    outs.forEach((o, i) => assertNear(o, truth[i]!, `graph output ${i}`));
    const held = outs.map(snapshot);
    for (let r = 0; r < 3; r++) st.noGrad(() => g.forwardAll(st.randn([2, 4, 40, 40], { seed: 30 + r })));
    outs.forEach((o, i) => assertSame(o, held[i]!, `held graph output ${i}`));
  });

  it('the pool stays bounded over many forwards, and freeInferenceBuffers empties it', () => {
    st.manualSeed(4);
    const model = st.models.resnet18({ numClasses: 10 }).eval();
    const x = st.randn([1, 3, 32, 32], { seed: 5 });
    // Warm-up: the buffers the earlier tests left in the pool (arrays from 1024 elements up are
    // pooled) are taken and given back in a new arrangement for a few forwards before it settles.
    for (let i = 0; i < 4; i++) st.noGrad(() => model.forward(x));
    const settled = st.inferenceBufferStats().pooledBytes;
    for (let i = 0; i < 4; i++) st.noGrad(() => model.forward(x));
    assert.equal(st.inferenceBufferStats().pooledBytes, settled);
    assert.equal(st.freeInferenceBuffers(), settled);
    assert.equal(st.inferenceBufferStats().pooledBytes, 0);
  });
});
