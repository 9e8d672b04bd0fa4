import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface IouCase {
  name: string;
  reduction?: 'none' | 'mean' | 'sum';
  a: FixtureTensor;
  b: FixtureTensor;
  y: FixtureTensor;
  ga?: FixtureTensor;
  gb?: FixtureTensor;
}
interface NmsCase {
  name: string;
  boxes: FixtureTensor;
  scores: FixtureTensor;
  classes?: number[];
  iouThreshold: number;
  keep: number[];
}

// torchvision fixtures from scripts/fixtures/gen_detection.py.
const fixture = loadFixture<{ cases: { iou: IouCase[]; nms: NmsCase[] } }>('detection');
const t = (f: FixtureTensor, requiresGrad = false) =>
  st.fromArray(Float64Array.from(f.data), f.shape, { requiresGrad });
const losses = {
  generalizedBoxIouLoss: st.generalizedBoxIouLoss,
  distanceBoxIouLoss: st.distanceBoxIouLoss,
  completeBoxIouLoss: st.completeBoxIouLoss,
} as const;

describe('IoU family against torchvision', () => {
  for (const c of fixture.cases.iou) {
    it(`${c.name}${c.reduction ? ` (${c.reduction})` : ''}`, () => {
      if (c.name === 'boxIou') return assertClose(st.boxIou(t(c.a), t(c.b)), t(c.y).data, { atol: 1e-6 });
      if (c.name === 'generalizedBoxIou')
        return assertClose(st.generalizedBoxIou(t(c.a), t(c.b)), t(c.y).data, { atol: 1e-6 });
      const a = t(c.a, true);
      const b = t(c.b, true);
      const y = losses[c.name as keyof typeof losses](a, b, { reduction: c.reduction });
      assertClose(y, t(c.y), { atol: 1e-6 });
      st.sum(y).backward();
      assertClose(a.grad!, t(c.ga!), { atol: 1e-6, msg: 'd/dboxes1' });
      assertClose(b.grad!, t(c.gb!), { atol: 1e-6, msg: 'd/dboxes2' });
    });
  }
  for (const c of fixture.cases.nms) {
    it(`${c.name} keeps torchvision's indices in its order`, () => {
      const keep = c.classes
        ? st.batchedNms(t(c.boxes), t(c.scores), c.classes, c.iouThreshold)
        : st.nms(t(c.boxes), t(c.scores), { iouThreshold: c.iouThreshold });
      assert.deepEqual(keep, c.keep);
    });
  }
});

describe('soft-NMS (hand-worked)', () => {
  // Box 1 overlaps box 0 with IoU 0.5 (a 10x10 square and one shifted by a third of its width:
  // 100·2/3 / (200 − 100·2/3) = 0.5); box 2 is disjoint.
  const boxes = [
    [0, 0, 10, 10],
    [10 / 3, 0, 10 / 3 + 10, 10],
    [50, 50, 60, 60],
  ] as const;
  it('linear: decays the overlapping score by 1 − IoU, keeps the disjoint one', () => {
    const r = st.softNms(boxes, [0.9, 0.8, 0.7], { method: 'linear', iouThreshold: 0.3 });
    assert.deepEqual(r.indices, [0, 2, 1]);
    assertClose(r.scores, [0.9, 0.7, 0.4], { atol: 1e-12 });
  });
  it('gaussian: score·exp(−IoU²/σ)', () => {
    const r = st.softNms(boxes, [0.9, 0.8, 0.7], { sigma: 0.5 });
    // 0.8·exp(−0.5) = 0.485 now ranks below the disjoint box's 0.7.
    assert.deepEqual(r.indices, [0, 2, 1]);
    assertClose(r.scores, [0.9, 0.7, 0.8 * Math.exp(-0.25 / 0.5)], { atol: 1e-12 });
  });
  it('NaN scores are refused', () => {
    assert.throws(() => st.softNms(boxes, [0.9, NaN, 0.7]), /score 1 is NaN/);
    assert.throws(() => st.nms(boxes, [0.9, NaN, 0.7]), /score 1 is NaN/);
  });
});
