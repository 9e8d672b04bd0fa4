import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertZooParity } from './zoo-helpers.js';

describe('lenet5', () => {
  // The common re-implementation of LeCun et al. 1998 (C3 fully connected to S2, parameter-free
  // pooling, linear output instead of RBF units):
  //   C1 6@5x5 on 1 channel:    1·25·6 + 6      =    156
  //   C3 16@5x5 on 6 maps:      6·25·16 + 16    =  2,416  (the paper's partial wiring: 1,516)
  //   C5 120@5x5 on 16 maps:    16·25·120 + 120 = 48,120
  //   F6 120 -> 84:             120·84 + 84     = 10,164
  //   output 84 -> 10:          84·10 + 10      =    850
  const hand = 156 + 2_416 + 48_120 + 10_164 + 850;

  it('classic (32x32, tanh, average pooling): 61,706 parameters; C5 maps 5x5 to 1x1', () => {
    assert.equal(hand, 61_706);
    const m = st.models.lenet5();
    assert.equal(m.numParameters(), hand);
    const s = st.summary(m);
    assert.deepEqual(s.inputShape, [1, 32, 32]);
    assert.deepEqual(s.layers.find((l) => l.name === 'c1')!.outputShape, [6, 28, 28]);
    assert.deepEqual(s.layers.find((l) => l.name === 's4')!.outputShape, [16, 5, 5]);
    assert.deepEqual(s.layers.find((l) => l.name === 'c5')!.outputShape, [120, 1, 1]);
  });

  it('modern (28x28 MNIST, ReLU, max pooling): also 61,706 parameters (16·5·5 = 400 -> 120 matches C5)', () => {
    const m = st.models.lenet5({ variant: 'modern' });
    assert.equal(m.numParameters(), hand);
    assert.deepEqual(st.summary(m).inputShape, [1, 28, 28]);
  });

  it('both variants run forward and backward on a batch', () => {
    st.manualSeed(11);
    for (const [variant, size] of [
      ['classic', 32],
      ['modern', 28],
    ] as const) {
      const m = st.models.lenet5({ variant });
      const y = m.forward(st.randn([4, 1, size, size]));
      assert.deepEqual(y.shape, [4, 10]);
      st.crossEntropy(y, st.tensor([0, 1, 2, 3])).backward();
      assert.ok(m.parameters().every((p) => p.grad !== null));
    }
  });

  it('refuses an unknown variant', () => {
    assert.throws(
      () => st.models.lenet5({ variant: 'lenet1' as 'classic' }),
      /variant must be 'classic' or 'modern'/,
    );
  });

  for (const variant of ['classic', 'modern'] as const) {
    it(`${variant}: computes the logits of the same network in PyTorch (hash-filled weights, eval mode)`, () => {
      assertZooParity(st.models.lenet5({ variant, init: false }), `lenet5_${variant}`);
    });
  }
});
