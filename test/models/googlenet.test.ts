import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertTorchvisionKeys, quickFill, torchvisionFacts, assertZooParity } from './zoo-helpers.js';

const facts = torchvisionFacts();

describe('googlenet', () => {
  it("has torchvision's 13,004,888 parameters with the auxiliary classifiers and its state-dict keys", () => {
    const m = st.models.googlenet({ init: false });
    assert.equal(m.numParameters(), 13_004_888);
    assertTorchvisionKeys(m, facts.models.googlenet!);
  });

  it("has torchvision's published 6,624,904 parameters without them", () => {
    const m = st.models.googlenet({ init: false, auxLogits: false });
    assert.equal(m.numParameters(), 6_624_904);
    assert.equal(facts.models.googlenet!.paramsWithoutAux, 6_624_904);
    assert.equal(m.aux1, null);
  });

  it("computes torchvision's logits (hash-filled weights, 64x64 input, eval mode)", () => {
    assertZooParity(st.models.googlenet({ numClasses: 10, auxLogits: false, init: false }), 'googlenet');
  });

  it('returns the auxiliary logits in training mode only', () => {
    const m = st.models.googlenet({ numClasses: 6, init: false });
    quickFill(m);
    const x = st.randn([2, 3, 64, 64], { seed: 4 });
    const train = st.noGrad(() => m.train().forwardWithAux(x));
    assert.deepEqual(train.logits.shape, [2, 6]);
    assert.deepEqual(train.aux1!.shape, [2, 6]);
    assert.deepEqual(train.aux2!.shape, [2, 6]);
    const evalOut = st.noGrad(() => m.eval().forwardWithAux(x));
    assert.equal(evalOut.aux1, null);
    assert.equal(evalOut.aux2, null);
    assert.deepEqual(st.noGrad(() => m.forward(x)).shape, [2, 6]);
  });
});
