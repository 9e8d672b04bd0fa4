import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';
import { assertSameAsPlain, inference, plain, randomizeNorms } from '../helpers/inference.js';

// What the inference forward (eval mode under noGrad) keeps between calls instead of working out
// again: a Sequential's conv -> batch norm -> activation chains and which of its layers keep
// nothing they see, a Graph's liveness flags, a convolution's resolved geometry. Each is checked
// against the layers run one by one (eval mode with gradients recorded: no fusion, no reuse, no
// caches) after a change made between two fused calls.

/** How often `m`'s forward runs during `fn` (a folded batch norm does not run). */
function countCalls(m: st.Module, fn: () => void): number {
  let calls = 0;
  const original = m.forward;
  m.forward = (...xs: st.Tensor[]): st.Tensor => {
    calls++;
    return original(...xs);
  };
  try {
    fn();
  } finally {
    m.forward = original;
  }
  return calls;
}

/** conv-bn-relu, a residual graph block with an inner conv-bn-relu, then conv-bn. Feature maps are >= 1024 values (pooled). */
function net(seed: number): st.Sequential {
  const rng = new st.Rng(seed);
  const g = new st.Graph();
  const x = g.input();
  let h = g.add('conv1', new st.Conv2d(8, 8, 3, { padding: 1, bias: false, rng }), x);
  h = g.add('bn1', new st.BatchNorm2d(8), h);
  h = g.add('relu1', new st.ReLU(), h);
  h = g.add('conv2', new st.Conv2d(8, 8, 1, { rng }), h);
  g.output(g.add('add', new st.Add(), h, x));
  const model = new st.Sequential(
    new st.Conv2d(3, 8, 3, { padding: 1, rng }),
    new st.BatchNorm2d(8),
    new st.ReLU(),
    g,
    new st.Conv2d(8, 4, 3, { stride: 2, rng }),
    new st.BatchNorm2d(4),
  );
  randomizeNorms(model, rng);
  return model.eval();
}

describe('what fused inference keeps between calls', () => {
  it("a Sequential's chains follow hooks, replaced layers and modes set between calls", () => {
    const model = net(1);
    const x = st.randn([2, 3, 12, 12], { rng: new st.Rng(2) });
    const bn = model.at(1) as st.BatchNorm2d;
    assertSameAsPlain(model, x, 'first call');
    assert.equal(
      countCalls(bn, () => inference(model, x)),
      0,
      'second call: the batch norm folded',
    );

    let seen: st.Tensor | null = null;
    const hook = bn.registerForwardHook((_m, inputs) => void (seen = inputs[0]!));
    const y = inference(model, x);
    assert.ok(seen, 'the hook added between calls fired in the fused call');
    assertClose(seen!, plain(model.at(0), x), { msg: 'the hook saw the raw convolution output' });
    assertClose(y, plain(model, x), { atol: 1e-4, rtol: 1e-4, msg: 'with a hook added after two calls' });
    hook.remove();
    assert.equal(
      countCalls(bn, () => inference(model, x)),
      0,
      'hook removed: folded again',
    );

    model.set(2, new st.ReLU6());
    assertSameAsPlain(model, x, 'after replacing the ReLU by a ReLU6');
    (model.at(0) as st.Conv2d).activation = 'relu';
    assertSameAsPlain(model, x, "after setting the first convolution's own activation");
    (model.at(0) as st.Conv2d).activation = null;

    bn.training = true; // set directly, not through train(): batch statistics, not folded
    assert.equal(
      countCalls(bn, () => inference(model, x)),
      1,
      'the batch norm in training mode runs',
    );
    bn.training = false;
    assertSameAsPlain(model, x, 'back in evaluation mode');
  });

  it('a hook added between calls on a layer inside a graph keeps what it captured intact', () => {
    const model = net(3);
    const xs = [4, 5, 6].map((s) => st.randn([1, 3, 12, 12], { rng: new st.Rng(s) }));
    inference(model, xs[0]!);
    inference(model, xs[1]!);
    const relu = model.at(3).getSubmodule('relu1');
    const kept: st.Tensor[] = [];
    const hook = relu.registerForwardHook((_m, _inputs, out) => void kept.push(out));
    const y = inference(model, xs[0]!);
    assert.equal(kept.length, 1, 'the hook fired');
    const first = Float32Array.from(kept[0]!.data);
    const held = Float32Array.from(y.data);
    plain(model, xs[0]!); // the same input one layer at a time: kept[1]
    inference(model, xs[1]!);
    inference(model, xs[2]!);
    assert.deepEqual(Array.from(kept[0]!.data), Array.from(first), 'the captured value was not reused');
    assert.deepEqual(Array.from(y.data), Array.from(held), 'the returned output was not reused');
    assertClose(kept[0]!, kept[1]!, { atol: 1e-4, rtol: 1e-4, msg: 'the hook saw the inner ReLU output' });
    hook.remove();
    assertSameAsPlain(model, xs[2]!, 'hook removed');
  });

  it("a convolution's resolved geometry follows the input's shape from call to call", () => {
    const conv = new st.Conv2d(3, 5, 3, { stride: 2, padding: 1, rng: new st.Rng(7) }).eval();
    const rng = new st.Rng(8);
    for (const shape of [
      [2, 3, 11, 9],
      [2, 3, 11, 9],
      [1, 3, 8, 8],
      [3, 8, 8], // one unbatched image
      [2, 3, 11, 9],
    ]) {
      const x = st.randn(shape, { rng });
      const y = assertSameAsPlain(conv, x, `input [${shape.join(', ')}]`);
      assert.deepEqual(y.shape, plain(conv, x).shape);
    }
    assert.throws(
      () => inference(conv, st.randn([1, 4, 8, 8], { rng })),
      /channels/,
      'a wrong channel count after good calls is still refused',
    );
  });

  it('max pooling and 1x1 adaptive average pooling under noGrad give the recorded values', () => {
    const rng = new st.Rng(9);
    const model = new st.Sequential(
      new st.Conv2d(3, 8, 3, { padding: 1, rng }),
      new st.MaxPool2d(3, { stride: 2, padding: 1 }),
      new st.ReLU(),
      new st.AdaptiveAvgPool2d(1),
    ).eval();
    const x = st.randn([2, 3, 17, 15], { rng });
    const y = assertSameAsPlain(model, x, 'conv, max pool, ReLU, adaptive average pool');
    assert.deepEqual(y.shape, [2, 8, 1, 1]);
    const held = Float32Array.from(y.data);
    inference(model, st.randn([2, 3, 17, 15], { rng }));
    assert.deepEqual(Array.from(y.data), Array.from(held), 'a held output is not reused');
    const pooled = st.noGrad(() => st.maxPool2d(x, { kernelSize: 2, returnIndices: true }));
    const recorded = st.maxPool2d(x, { kernelSize: 2, returnIndices: true });
    assert.deepEqual(
      Array.from(pooled.indices.data),
      Array.from(recorded.indices.data),
      'indices when asked for',
    );
  });
});
