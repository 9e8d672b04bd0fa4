import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as st from '../src/index.js';

// Each node of the autograd graph lets go of the tensors its operation saved as soon as its
// backward has run (as PyTorch does without retain_graph); { retainGraph: true } keeps them.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A loss over a chain of ops, and a weak reference to an activation only the graph holds. */
function lossWithActivation(x: st.Tensor): { loss: st.Tensor; activation: WeakRef<st.Tensor> } {
  const h = st.relu(x.mul(2));
  return { loss: st.tanh(h).sum(), activation: new WeakRef(h) };
}

test('after backward, the activations the graph saved are garbage even while the loss is held', async () => {
  const x = st.randn([64, 64]).requiresGrad_();
  const { loss, activation } = lossWithActivation(x);
  gc();
  assert.ok(activation.deref(), 'before backward the graph holds the activation');
  loss.backward();
  for (let i = 0; i < 3 && activation.deref(); i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
  }
  assert.equal(activation.deref(), undefined, 'the activation was freed');
  assert.equal(loss.gradFn?.inputs.length, 0);
  // d/dx sum(tanh(relu(2x))) = 2 (1 - tanh(2x)^2) [x > 0]
  const want = Array.from(x.data, (v) => (v > 0 ? 2 * (1 - Math.tanh(2 * v) ** 2) : 0));
  Array.from(x.grad!.data).forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 1e-5));
});

test('a second backward through a consumed graph says to pass retainGraph; with it gradients add up', () => {
  const x = st.tensor([1, -2, 3], [3]).requiresGrad_();
  const y = x.mul(x).sum();
  y.backward();
  assert.throws(
    () => y.backward(),
    (e: unknown) => e instanceof st.AutogradError && /retainGraph: true/.test(e.message),
  );
  x.zeroGrad();
  const z = x.mul(x).sum();
  z.backward(undefined, { retainGraph: true });
  z.backward();
  assert.deepEqual(Array.from(x.grad!.data), [4, -8, 12]); // 2 * 2x
});
