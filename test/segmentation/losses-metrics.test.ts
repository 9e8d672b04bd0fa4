import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface SegLossCase {
  op: 'crossEntropy' | 'diceLoss' | 'focalLoss';
  opts: Record<string, unknown> & { weight?: boolean };
  input: FixtureTensor;
  target: FixtureTensor;
  weight?: FixtureTensor;
  g: FixtureTensor;
  out: FixtureTensor;
  d_input: FixtureTensor;
}

const LOSSES = {
  crossEntropy: st.crossEntropy,
  diceLoss: st.diceLoss,
  focalLoss: st.focalLoss,
} as const;

describe('segmentation losses', () => {
  it('pixel-wise crossEntropy (ignoreIndex, class weights), diceLoss and focalLoss match PyTorch with gradients', () => {
    const cases = loadFixture<{ cases: SegLossCase[] }>('segmentation').cases;
    assert.equal(cases.length, 10);
    for (const c of cases) {
      const input = st.tensor(c.input.data, c.input.shape, { requiresGrad: true });
      const target = st.tensor(c.target.data, c.target.shape);
      const opts: Record<string, unknown> = { ...c.opts };
      opts.weight = c.weight ? st.tensor(c.weight.data, c.weight.shape) : undefined;
      const fn = LOSSES[c.op] as (i: st.Tensor, t: st.Tensor, o: Record<string, unknown>) => st.Tensor;
      const out = fn(input, target, opts);
      const label = `${c.op} ${JSON.stringify(c.opts)} [${c.input.shape}]`;
      assert.deepEqual([...out.shape], c.out.shape, `${label} shape`);
      assertClose(out, c.out.data, { rtol: 1e-4, atol: 1e-6, msg: `${label} forward` });
      out.backward(st.tensor(c.g.data, c.g.shape));
      assertClose(input.grad!, c.d_input.data, { rtol: 1e-4, atol: 1e-6, msg: `${label} gradient` });
    }
  });

  it('diceLoss and focalLoss pass float64 finite-difference gradient checks', () => {
    const x = st.randn([2, 3, 3, 4], { seed: 3, dtype: 'float64', requiresGrad: true });
    const y = st.tensor(
      [0, 1, 2, 2, 1, 0, 255, 1, 2, 0, 0, 1, 2, 2, 1, 1, 0, 255, 2, 1, 0, 0, 1, 2],
      [2, 3, 4],
      {
        dtype: 'float64',
      },
    );
    assert.ok(st.gradcheck((a) => st.diceLoss(a, y, { ignoreIndex: 255 }), [x]));
    assert.ok(st.gradcheck((a) => st.focalLoss(a, y, { ignoreIndex: 255, gamma: 1.5 }), [x]));
  });

  it('a mask of the wrong size or a label outside the classes is a clear error', () => {
    const x = st.randn([1, 3, 4, 4], { seed: 1 });
    for (const loss of [st.diceLoss, st.focalLoss, st.crossEntropy]) {
      assert.throws(
        () => loss(x, st.zeros([1, 4, 5])),
        /target must hold one class index per sample.*\[1, 4, 4\]/s,
      );
      const bad = st.zeros([1, 4, 4]);
      bad.data[5] = 3;
      assert.throws(
        () => loss(x, bad),
        /target\[5\] = 3 is not a class index: expected an integer in \[0, 3\)/,
      );
    }
  });
});

describe('segmentation metrics', () => {
  // Hand-worked: pairs (true, predicted) = (0,0) (0,0) (1,1) (1,1) (2,1) (2,2), one ignored pixel.
  //   class 0: TP 2, union 2 -> IoU 1,   Dice 4/4
  //   class 1: TP 2, union 3 -> IoU 2/3, Dice 4/5
  //   class 2: TP 1, union 2 -> IoU 1/2, Dice 2/3
  //   class 3: absent from both -> NaN, left out of the means.
  const target = st.tensor([
    [
      [0, 0, 1, 255],
      [1, 2, 2, 255],
    ],
  ]);
  const pred = st.tensor([
    [
      [0, 0, 1, 3],
      [1, 1, 2, 0],
    ],
  ]);

  it('pixel accuracy, per-class and mean IoU and Dice equal the hand-worked values', () => {
    const cm = st.pixelConfusionMatrix(pred, target, 4, { ignoreIndex: 255 });
    assert.deepEqual(cm.counts, [
      [2, 0, 0, 0],
      [0, 2, 0, 0],
      [0, 1, 1, 0],
      [0, 0, 0, 0],
    ]);
    const s = st.segmentationScores(cm);
    assert.equal(s.pixelAccuracy, 5 / 6);
    assertClose(st.tensor(s.iou.slice(0, 3)), [1, 2 / 3, 1 / 2]);
    assert.ok(Number.isNaN(s.iou[3]));
    assertClose(st.tensor([s.meanIoU]), [13 / 18]);
    assertClose(st.tensor(s.dice.slice(0, 3)), [1, 4 / 5, 2 / 3]);
    assertClose(st.tensor([s.meanDice]), [(1 + 4 / 5 + 2 / 3) / 3]);
    assertClose(st.tensor([st.meanIoU(pred, target, 4, { ignoreIndex: 255 })]), [13 / 18]);
  });

  it('logits [N, C, H, W] are reduced by arg-max over classes', () => {
    // One-hot logits of `pred`, scaled so the arg-max is the label.
    const logits = st.zeros([1, 4, 2, 4]);
    pred.data.forEach((v, j) => (logits.data[v * 8 + j] = 5));
    const cm = st.pixelConfusionMatrix(logits, target, 4, { ignoreIndex: 255 });
    assert.equal(st.segmentationScores(cm).meanIoU, st.meanIoU(pred, target, 4, { ignoreIndex: 255 }));
  });

  it('wrong-size masks and out-of-range labels name what was expected', () => {
    assert.throws(
      () => st.pixelConfusionMatrix(st.zeros([1, 2, 3]), target, 4),
      /predicted labels must have the shape of the target mask: expected \[1, 2, 4\], got \[1, 2, 3\]/,
    );
    assert.throws(
      () => st.pixelConfusionMatrix(st.zeros([1, 3, 2, 4]), target, 4),
      /one channel per class.*expected \[1, 4, 2, 4\], got \[1, 3, 2, 4\]/,
    );
    assert.throws(
      () => st.pixelConfusionMatrix(pred, target, 4),
      /target\[3\] = 255 is not a class label: expected an integer in \[0, 4\)/,
    );
    assert.throws(
      () => st.pixelConfusionMatrix(pred, target, 3, { ignoreIndex: 255 }),
      /prediction\[3\] = 3 is not a class label: expected an integer in \[0, 3\)\. Fix: pass the numClasses/,
    );
  });
});
