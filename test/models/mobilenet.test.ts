import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertTorchvisionKeys, torchvisionFacts, assertZooParity } from './zoo-helpers.js';

const facts = torchvisionFacts();

describe('mobilenet_v2', () => {
  it("has torchvision's 3,504,872 parameters and state-dict keys", () => {
    const m = st.models.mobilenet_v2({ init: false });
    assert.equal(m.numParameters(), 3_504_872);
    assertTorchvisionKeys(m, facts.models.mobilenet_v2!);
  });

  it("computes torchvision's logits (hash-filled weights, 64x64 input, eval mode)", () => {
    assertZooParity(st.models.mobilenet_v2({ numClasses: 10, init: false }), 'mobilenet_v2');
  });

  it('trains: forward and backward in training mode at 32x32', () => {
    st.manualSeed(2);
    const m = st.models.mobilenet_v2({ numClasses: 3, widthMultiplier: 0.5 });
    const loss = st.crossEntropy(m.forward(st.randn([2, 3, 32, 32])), st.tensor([0, 2]));
    loss.backward();
    assert.ok(Number.isFinite(loss.item()));
    assert.ok(m.parameters().every((p) => p.grad !== null));
  });
});

describe('mobilenet_v1 (Howard et al. 2017, Table 1)', () => {
  it('has 4,231,976 parameters by hand count (the paper: 4.2 million)', () => {
    // stem: 3·9·32 conv + 2·32 BN = 928. Each depthwise separable layer in -> out:
    // 9·in (depthwise) + 2·in (BN) + in·out (pointwise) + 2·out (BN).
    const ds = (i: number, o: number): number => 9 * i + 2 * i + i * o + 2 * o;
    const layers: [number, number][] = [
      [32, 64],
      [64, 128],
      [128, 128],
      [128, 256],
      [256, 256],
      [256, 512],
      [512, 512],
      [512, 512],
      [512, 512],
      [512, 512],
      [512, 512],
      [512, 1024],
      [1024, 1024],
    ];
    const hand = 928 + layers.reduce((s, [i, o]) => s + ds(i, o), 0) + 1024 * 1000 + 1000;
    assert.equal(hand, 4_231_976);
    assert.equal(st.models.mobilenet_v1({ init: false }).numParameters(), hand);
  });

  it('does 568.7 M multiply-adds at 224x224 (the paper: 569 M)', () => {
    assert.equal(Math.round(st.countMacs(st.models.mobilenet_v1({ init: false })).total / 1e5) / 10, 568.7);
  });

  it('runs at 32x32 and halves its channels with widthMultiplier 0.5', () => {
    st.manualSeed(3);
    const m = st.models.mobilenet_v1({ numClasses: 4, widthMultiplier: 0.5 });
    const y = st.noGrad(() => m.eval().forward(st.randn([2, 3, 32, 32])));
    assert.deepEqual(y.shape, [2, 4]);
    assert.ok(y.data.every(Number.isFinite));
    assert.equal((m.getSubmodule('classifier.1') as st.Linear).inFeatures, 512);
  });
});
