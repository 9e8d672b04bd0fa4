import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertZooParity } from './zoo-helpers.js';

describe('zfnet (Zeiler & Fergus 2013, Fig. 3)', () => {
  it('has the paper table’s 62,357,608 parameters', () => {
    // conv1 96@7x7 on 3:   3·49·96 + 96      =     14,208
    // conv2 256@5x5 on 96: 96·25·256 + 256   =    614,656
    // conv3 384@3x3 on 256: 256·9·384 + 384  =    885,120
    // conv4 384@3x3 on 384: 384·9·384 + 384  =  1,327,488
    // conv5 256@3x3 on 384: 384·9·256 + 256  =    884,992
    // fc6 6·6·256 -> 4096: 9216·4096 + 4096  = 37,752,832
    // fc7 4096 -> 4096                       = 16,781,312
    // fc8 4096 -> 1000                       =  4,097,000
    const hand = 14_208 + 614_656 + 885_120 + 1_327_488 + 884_992 + 37_752_832 + 16_781_312 + 4_097_000;
    assert.equal(hand, 62_357_608);
    assert.equal(st.models.zfnet({ init: false }).numParameters(), hand);
  });

  it("reproduces the figure's feature-map sizes: 224 -> 110 -> 55 -> 26 -> 13 -> 13 -> 13 -> 6", () => {
    const s = st.summary(st.models.zfnet({ init: false }));
    const size = (name: string): number[] => s.layers.find((l) => l.name === name)!.outputShape;
    assert.deepEqual(size('features.0'), [96, 110, 110]);
    assert.deepEqual(size('features.2'), [96, 55, 55]);
    assert.deepEqual(size('features.4'), [256, 26, 26]);
    assert.deepEqual(size('features.6'), [256, 13, 13]);
    assert.deepEqual(size('features.8'), [384, 13, 13]);
    assert.deepEqual(size('features.10'), [384, 13, 13]);
    assert.deepEqual(size('features.12'), [256, 13, 13]);
    assert.deepEqual(size('features.14'), [256, 6, 6]);
  });

  it('computes the logits of a plain PyTorch ZFNet (hash-filled weights, 2x3x64x64 input, eval mode)', () => {
    // scripts/fixtures/gen_zoo_parity.py writes the same network with torch.nn layers.
    assertZooParity(st.models.zfnet({ numClasses: 10, init: false }), 'zfnet');
  });
});
