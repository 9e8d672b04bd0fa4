import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

describe('convnetjs_cifar10 (the ConvNetJS CIFAR-10 demo)', () => {
  it('has 22,466 parameters by hand count', () => {
    // conv 16@5x5 on 3: 3·25·16 + 16 = 1,216; conv 20@5x5 on 16: 16·25·20 + 20 = 8,020;
    // conv 20@5x5 on 20: 20·25·20 + 20 = 10,020; softmax layer's fc 4·4·20 -> 10: 320·10 + 10 = 3,210.
    const hand = 1_216 + 8_020 + 10_020 + 3_210;
    assert.equal(hand, 22_466);
    assert.equal(st.models.convnetjs_cifar10().numParameters(), hand);
  });

  it('maps 32x32x3 through 16x16, 8x8 and 4x4 to 10 logits', () => {
    st.manualSeed(12);
    const m = st.models.convnetjs_cifar10();
    const s = st.summary(m);
    assert.deepEqual(s.layers.find((l) => l.name === 'pool1')!.outputShape, [16, 16, 16]);
    assert.deepEqual(s.layers.find((l) => l.name === 'pool3')!.outputShape, [20, 4, 4]);
    const y = m.forward(st.randn([3, 3, 32, 32]));
    assert.deepEqual(y.shape, [3, 10]);
    st.crossEntropy(y, st.tensor([1, 2, 3])).backward();
    assert.ok(m.parameters().every((p) => p.grad !== null));
  });
});
