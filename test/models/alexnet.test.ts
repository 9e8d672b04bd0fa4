import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertTorchvisionKeys, torchvisionFacts, assertZooParity } from './zoo-helpers.js';

const facts = torchvisionFacts();

describe('alexnet', () => {
  it("has torchvision's 61,100,840 parameters and state-dict keys", () => {
    const m = st.models.alexnet({ init: false });
    // conv 64·3·121+64, 192·64·25+192, 384·192·9+384, 256·384·9+256, 256·256·9+256;
    // fc 9216·4096+4096, 4096·4096+4096, 4096·1000+1000.
    const hand = 23_296 + 307_392 + 663_936 + 884_992 + 590_080 + 37_752_832 + 16_781_312 + 4_097_000;
    assert.equal(hand, 61_100_840);
    assert.equal(m.numParameters(), hand);
    assertTorchvisionKeys(m, facts.models.alexnet!);
  });

  it("computes torchvision's logits (hash-filled weights, 64x64 input, eval mode)", () => {
    assertZooParity(st.models.alexnet({ numClasses: 10, init: false }), 'alexnet');
  });

  it('names the layer where a 32x32 input runs out of rows (features.12, input [1, 256, 1, 1])', () => {
    const m = st.models.alexnet({ init: false });
    assert.throws(
      () => st.noGrad(() => m.forward(st.zeros([1, 3, 32, 32]))),
      (e: Error) =>
        e instanceof st.ShapeError && /features\.12/.test(e.message) && /\[1, 256, 1, 1\]/.test(e.message),
    );
  });
});
