// Metric-learning losses: hand-worked examples and PyTorch fixtures (test/fixtures/metric.json,
// written by scripts/fixtures/gen_metric.py) for the triplet, contrastive and mining losses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface Fixture {
  cases: {
    triplet: {
      options: { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: st.Reduction };
      anchor: FixtureTensor;
      positive: FixtureTensor;
      negative: FixtureTensor;
      loss: FixtureTensor;
      grads: FixtureTensor[];
    }[];
    contrastive: {
      margin: number;
      x1: FixtureTensor;
      x2: FixtureTensor;
      same: number[];
      loss: number;
      grads: FixtureTensor[];
    }[];
    mining: ({ embeddings: FixtureTensor; labels: number[]; squared: boolean; margin: number } & Record<
      st.TripletMining,
      { loss: number; grad: FixtureTensor }
    >)[];
  };
}
const fx = loadFixture<Fixture>('metric').cases;
const T = (f: FixtureTensor, requiresGrad = false) => st.tensor(f.data, f.shape, { requiresGrad });

describe('tripletMarginLoss matches torch.nn.TripletMarginLoss', () => {
  fx.triplet.forEach((c) => {
    it(JSON.stringify(c.options), () => {
      const [a, p, n] = [T(c.anchor, true), T(c.positive, true), T(c.negative, true)];
      const loss = st.tripletMarginLoss(a, p, n, c.options);
      assertClose(loss, c.loss.data, { atol: 1e-5, rtol: 1e-5 });
      loss.sum().backward();
      [a, p, n].forEach((t, i) => assertClose(t.grad!, c.grads[i]!.data, { atol: 1e-5, rtol: 1e-4 }));
    });
  });
  it('hand-worked: max(0, d(a,p) - d(a,n) + margin)', () => {
    // d(a,p) = 1, d(a,n) = 3 (eps 0): margin 1 -> 0, margin 2.5 -> 0.5.
    const a = st.tensor([[0, 0]]);
    const p = st.tensor([[1, 0]]);
    const n = st.tensor([[0, 3]]);
    assertClose(st.tripletMarginLoss(a, p, n, { eps: 0 }), [0]);
    assertClose(st.tripletMarginLoss(a, p, n, { eps: 0, margin: 2.5 }), [0.5]);
  });
});

describe('contrastiveLoss (Hadsell et al.) matches PyTorch autograd', () => {
  fx.contrastive.forEach((c) => {
    it(`margin ${c.margin}`, () => {
      const [x1, x2] = [T(c.x1, true), T(c.x2, true)];
      const loss = st.contrastiveLoss(x1, x2, st.tensor(c.same), { margin: c.margin });
      assertClose([loss.item()], [c.loss], { atol: 1e-6, rtol: 1e-5 });
      loss.backward();
      assertClose(x1.grad!, c.grads[0]!.data, { atol: 1e-6, rtol: 1e-4 });
      assertClose(x2.grad!, c.grads[1]!.data, { atol: 1e-6, rtol: 1e-4 });
    });
  });
  it('hand-worked: same pairs pay ½d², different pairs ½max(0, m − d)²', () => {
    const x1 = st.tensor([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    const x2 = st.tensor([
      [3, 4],
      [0, 0.5],
      [3, 4],
    ]);
    // d = 5, 0.5, 5; same = 1, 0, 0; margin 2: 12.5, ½·1.5² = 1.125, 0.
    const per = st.contrastiveLoss(x1, x2, st.tensor([1, 0, 0]), { margin: 2, reduction: 'none' });
    assertClose(per, [12.5, 1.125, 0], { atol: 1e-5 });
  });
});

describe('online triplet mining', () => {
  // Hand-worked: 1-D points 0, 1 (class 0) and 0.5, 3 (class 1), margin 1.
  // d01 = 1, d02 = 0.5, d03 = 3, d12 = 0.5, d13 = 2, d23 = 2.5.
  const e = st.tensor([[0], [1], [0.5], [3]]);
  const y = [0, 0, 1, 1];
  it('batch-hard: farthest positive vs nearest negative per anchor', () => {
    // anchors: 1 - 0.5 + 1, 1 - 0.5 + 1, 2.5 - 0.5 + 1, 2.5 - 2 + 1 -> mean 1.875
    assertClose([st.batchHardTripletLoss(e, y, { margin: 1 }).item()], [1.875], { atol: 1e-5 });
  });
  it('semi-hard: nearest negative beyond the positive, else the farthest negative', () => {
    // (0,1): n=3 -> 0; (1,0): n=3 at 2 -> 0; (2,3): none beyond 2.5 -> farthest 0.5 -> 3; (3,2): n=0 at 3 -> 0.5
    assertClose([st.semiHardTripletLoss(e, y, { margin: 1 }).item()], [0.875], { atol: 1e-5 });
  });
  it('batch-all: every valid triplet, averaged over the positive ones or over all', () => {
    // losses 1.5, 0, 1.5, 0, 3, 3, 0.5, 1.5: sum 11 over 6 positive, 8 valid
    assertClose([st.batchAllTripletLoss(e, y, { margin: 1 }).item()], [11 / 6], { atol: 1e-5 });
    assertClose([st.batchAllTripletLoss(e, y, { margin: 1, average: 'all' }).item()], [11 / 8], {
      atol: 1e-5,
    });
  });
  fx.mining.forEach((c, i) => {
    for (const mining of ['batch-all', 'batch-hard', 'semi-hard'] as const) {
      it(`${mining} matches the PyTorch version, case ${i} (margin ${c.margin}${c.squared ? ', squared' : ''})`, () => {
        const x = T(c.embeddings, true);
        const loss = st.tripletMiningLoss(x, c.labels, mining, { margin: c.margin, squared: c.squared });
        assertClose([loss.item()], [c[mining].loss], { atol: 1e-5, rtol: 1e-5 });
        loss.backward();
        assertClose(x.grad!, c[mining].grad.data, { atol: 1e-5, rtol: 1e-4 });
      });
    }
  });
  it('explains wrong labels and unknown strategies', () => {
    assert.throws(
      () => st.batchHardTripletLoss(e, [0, 1]),
      /one label per embedding.*expected \[4\], got \[2\]/s,
    );
    assert.throws(
      () => st.tripletMiningLoss(e, y, 'hardest' as st.TripletMining),
      /'batch-all', 'batch-hard' or 'semi-hard'/,
    );
  });
});
