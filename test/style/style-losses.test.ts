// Gram matrices and the style-transfer losses against PyTorch (test/fixtures/style.json, written by
// scripts/fixtures/gen_style.py): values and input gradients.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface LossCase {
  kind: 'content' | 'style' | 'tv';
  power?: 1 | 2;
  input: FixtureTensor;
  target?: FixtureTensor;
  loss: number;
  grad: FixtureTensor;
}
const fixture = loadFixture<{
  cases: { gram: { input: FixtureTensor; normalize: boolean; output: FixtureTensor }[]; losses: LossCase[] };
}>('style');
const T = (f: FixtureTensor, requiresGrad = false) => st.tensor(f.data, f.shape, { requiresGrad });

describe('gramMatrix matches PyTorch', () => {
  fixture.cases.gram.forEach((c, i) => {
    it(`case ${i}: [${c.input.shape.join(', ')}]${c.normalize ? '' : ', raw'}`, () => {
      const g = st.gramMatrix(T(c.input), { normalize: c.normalize });
      assert.deepEqual(g.shape, c.output.shape);
      assertClose(g, c.output.data, { atol: 1e-5, rtol: 1e-5 });
    });
  });
  it('hand-worked: one channel pair', () => {
    // F = [[1, 2], [3, 4]] over 2 positions (C = 2, H = 1, W = 2): F·Fᵀ = [[5, 11], [11, 25]], / (2·1·2).
    const g = st.gramMatrix(st.tensor([[[[1, 2]], [[3, 4]]]]));
    assertClose(g, [
      [
        [1.25, 2.75],
        [2.75, 6.25],
      ],
    ]);
  });
  it('rejects a tensor that is not [N, C, H, W]', () => {
    assert.throws(() => st.gramMatrix(st.zeros([3, 4, 4])), /gramMatrix.*\[N, C, H, W\]/s);
  });
});

describe('content, style and total-variation losses match PyTorch (values and gradients)', () => {
  fixture.cases.losses.forEach((c, i) => {
    it(`${c.kind} ${i}: [${c.input.shape.join(', ')}]`, () => {
      const x = T(c.input, true);
      const loss =
        c.kind === 'content'
          ? st.contentLoss(x, T(c.target!))
          : c.kind === 'style'
            ? st.styleLoss(x, T(c.target!))
            : st.totalVariationLoss(x, { power: c.power ?? 2 });
      assertClose([loss.item()], [c.loss], { atol: 1e-5, rtol: 1e-5 });
      loss.backward();
      assertClose(x.grad!, c.grad.data, { atol: 1e-6, rtol: 1e-4 });
    });
  });
  it('clear errors for mismatched targets', () => {
    assert.throws(() => st.contentLoss(st.zeros([1, 3, 4, 4]), st.zeros([1, 3, 4, 5])), /contentLoss/);
    assert.throws(() => st.styleLoss(st.zeros([1, 3, 4, 4]), st.zeros([4, 4])), /styleLoss.*\[3, 3\]/s);
    assert.throws(() => st.totalVariationLoss(st.zeros([3, 4, 4])), /totalVariationLoss/);
  });
});
