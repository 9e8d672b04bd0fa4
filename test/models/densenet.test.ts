import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertTorchvisionKeys, quickFill, torchvisionFacts, assertZooParity } from './zoo-helpers.js';

const facts = torchvisionFacts();

describe('DenseNet', () => {
  it("densenet121 has torchvision's 7,978,856 parameters and state-dict keys", () => {
    const m = st.models.densenet121({ init: false });
    assert.equal(m.numParameters(), 7_978_856);
    assertTorchvisionKeys(m, facts.models.densenet121!);
  });

  it("densenet169 has torchvision's 14,149,480 parameters and state-dict keys", () => {
    const m = st.models.densenet169({ init: false });
    assert.equal(m.numParameters(), 14_149_480);
    assertTorchvisionKeys(m, facts.models.densenet169!);
  });

  it("densenet121 computes torchvision's logits (hash-filled weights, 64x64 input, eval mode)", () => {
    assertZooParity(st.models.densenet121({ numClasses: 10, init: false }), 'densenet121');
  });

  it("densenet169 computes torchvision's logits (hash-filled weights, 32x32 input, eval mode)", () => {
    assertZooParity(st.models.densenet169({ numClasses: 10, init: false }), 'densenet169');
  });

  it('densenet169 maps a batch of two 32x32 images to logits', () => {
    const m = st.models.densenet169({ numClasses: 4, init: false });
    quickFill(m);
    const y = st.noGrad(() => m.eval().forward(st.randn([2, 3, 32, 32], { seed: 8 })));
    assert.deepEqual(y.shape, [2, 4]);
    assert.ok(y.data.every(Number.isFinite));
  });

  it('a dense block concatenates: 64 + 6·32 = 256 channels out of denseblock1', () => {
    const s = st.summary(st.models.densenet121({ init: false }), [3, 64, 64]);
    const cat = s.layers.filter((l) => l.name.startsWith('features.denseblock1.cat')).at(-1)!;
    assert.deepEqual(cat.outputShape, [256, 16, 16]);
  });
});
