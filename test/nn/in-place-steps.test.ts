import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

// Containers outside fused inference run a ReLU over, and an Add into, a dead batch-norm /
// convolution / sum output in place (src/nn/in-place-steps.ts). Checked here: the gradients equal
// an independent float64 computation from the functional ops, the in-place steps did share storage,
// and every value someone can still see (graph inputs and outputs, views, hooked layers' outputs,
// the caller's input) keeps its own values.

/** A ResNet basic block as a Graph (conv-bn-relu-conv-bn, + input, relu), as the zoo builds it. */
function block(c: number): {
  g: st.Graph;
  conv1: st.Conv2d;
  bn1: st.BatchNorm2d;
  conv2: st.Conv2d;
  bn2: st.BatchNorm2d;
} {
  const g = new st.Graph();
  const x = g.input();
  const relu = new st.ReLU();
  const conv1 = new st.Conv2d(c, c, 3, { padding: 1, bias: false });
  const bn1 = new st.BatchNorm2d(c);
  const conv2 = new st.Conv2d(c, c, 3, { padding: 1, bias: false });
  const bn2 = new st.BatchNorm2d(c);
  let h = g.add('conv1', conv1, x);
  h = g.add('bn1', bn1, h);
  h = g.add('relu', relu, h);
  h = g.add('conv2', conv2, h);
  h = g.add('bn2', bn2, h);
  h = g.add('add', new st.Add(), h, x);
  g.output(g.add(relu, h));
  return { g, conv1, bn1, conv2, bn2 };
}

const f64 = (t: st.Tensor, grad = false) =>
  st.tensor(Array.from(t.data), t.shape, { dtype: 'float64', requiresGrad: grad });

describe('in-place ReLU and Add in training forwards', () => {
  it('gives a residual block the gradients of the functional ops in float64', () => {
    st.manualSeed(3);
    const b = block(4);
    // Non-trivial batch-norm affine parameters.
    b.bn1.weight!.data.set([0.5, 1.5, -0.7, 1.1]);
    b.bn2.bias!.data.set([0.2, -0.3, 0.1, 0.4]);
    const x = st.randn([2, 4, 6, 5]).requiresGrad_();
    const y = b.g.train().forward(x);
    const r = st.randn(y.shape);
    y.mul(r).sum().backward();

    // The same block from the functional ops, out of place, in float64.
    const x64 = f64(x, true);
    const w1 = f64(b.conv1.weight, true);
    const w2 = f64(b.conv2.weight, true);
    const g1 = f64(b.bn1.weight!, true);
    const b1 = f64(b.bn1.bias!, true);
    const g2 = f64(b.bn2.weight!, true);
    const b2 = f64(b.bn2.bias!, true);
    const bn = (h: st.Tensor, w: st.Tensor, bias: st.Tensor) =>
      st.batchNorm(h, null, null, w, bias, { training: true });
    let h = st.relu(bn(st.conv2d(x64, w1, null, { padding: 1 }), g1, b1));
    h = st.relu(st.add(bn(st.conv2d(h, w2, null, { padding: 1 }), g2, b2), x64));
    assertClose(y, h, { atol: 1e-4, rtol: 1e-4, msg: 'output' });
    h.mul(f64(r)).sum().backward();
    assertClose(x.grad!, x64.grad!, { atol: 1e-4, rtol: 1e-3, msg: 'grad x' });
    assertClose(b.conv1.weight.grad!, w1.grad!, { atol: 1e-4, rtol: 1e-3, msg: 'grad conv1' });
    assertClose(b.conv2.weight.grad!, w2.grad!, { atol: 1e-4, rtol: 1e-3, msg: 'grad conv2' });
    assertClose(b.bn1.weight!.grad!, g1.grad!, { atol: 1e-4, rtol: 1e-3, msg: 'grad bn1 weight' });
    assertClose(b.bn2.bias!.grad!, b2.grad!, { atol: 1e-4, rtol: 1e-3, msg: 'grad bn2 bias' });
  });

  it('runs them in place: the ReLU output shares the storage of the sum, the sum that of bn2', () => {
    const b = block(3);
    const x = st.randn([1, 3, 5, 5]).requiresGrad_();
    const y = b.g.train().forward(x);
    const sum = y.gradFn!.inputs[0]!;
    assert.equal(y.gradFn!.name, 'relu');
    assert.equal(sum.data.buffer, y.data.buffer);
    assert.equal(sum.gradFn!.name, 'add');
    assert.equal(sum.gradFn!.inputs[0]!.data.buffer, y.data.buffer);
    // The caller's input is the sum's other operand and keeps its values.
    assert.notEqual(sum.gradFn!.inputs[1]!.data.buffer, y.data.buffer);
  });

  it('never overwrites what can still be seen: graph outputs, views, a hooked layer output, the caller input', () => {
    st.manualSeed(5);
    // bn's output is both a graph output and the ReLU's input; a Flatten view of a second batch
    // norm's output is read after the ReLU over it.
    const g = new st.Graph();
    const x = g.input();
    const bnA = g.add('bnA', new st.BatchNorm2d(2), x);
    const reluA = g.add('reluA', new st.ReLU(), bnA);
    const bnB = g.add('bnB', new st.BatchNorm2d(2), x);
    const view = g.add('flat', new st.Flatten(), bnB);
    const reluB = g.add('reluB', new st.ReLU(), bnB);
    const flatRelu = g.add('flatRelu', new st.Flatten(), reluB);
    g.output(bnA, reluA, g.add('cat', new st.Concat(1), view, flatRelu));
    const input = st.randn([2, 2, 3, 3]).requiresGrad_();
    const before = Array.from(input.data);
    const [a, ra, cat] = g.train().forwardAll(input);
    assert.deepEqual(Array.from(input.data), before, 'the caller input');
    assert.ok(
      Array.from(a!.data).some((v) => v < 0),
      'bnA (a graph output) keeps its negative values',
    );
    assertClose(ra!, st.relu(a!));
    const n = 2 * 9;
    const halves = [0, 1].map((i) => Array.from(cat!.data.subarray(i * 2 * n, (i + 1) * 2 * n)));
    assert.ok(
      halves.some((h) => h.slice(0, n).some((v) => v < 0)),
      'the view of bnB keeps its negative values',
    );

    // A forward hook on the batch norm sees its output: the ReLU after it runs out of place.
    const bn = new st.BatchNorm2d(2);
    const seq = new st.Sequential(bn, new st.ReLU());
    let seen: st.Tensor | null = null;
    bn.registerForwardHook((_m, _in, out) => {
      seen = out as st.Tensor;
    });
    const out = seq.train().forward(st.randn([2, 2, 3, 3]));
    assert.ok(seen !== null && Array.from((seen as st.Tensor).data).some((v) => v < 0), 'the hooked output');
    assert.ok(Array.from(out.data).every((v) => v >= 0));

    // A Sequential never overwrites its caller's input, even when its first layer is a ReLU.
    const z = st.tensor([-1, 2, -3, 4], [1, 1, 2, 2]);
    new st.Sequential(new st.ReLU(), new st.ReLU()).train().forward(z);
    assert.deepEqual(Array.from(z.data), [-1, 2, -3, 4]);
  });
});
