import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';

// Hand-worked: one class, three ground-truth boxes over two images, five detections ranked
// TP, FP, TP, FP, TP -> precision 1, 1/2, 2/3, 1/2, 3/5 at recall 1/3, 1/3, 2/3, 2/3, 1.
const gt: st.GroundTruth[] = [
  {
    boxes: [
      [0, 0, 10, 10],
      [20, 20, 30, 30],
    ],
    labels: [0, 0],
  },
  { boxes: [[5, 5, 15, 15]], labels: [0] },
];
const preds: st.Detections[] = [
  {
    boxes: [
      [0, 0, 10, 10],
      [50, 50, 60, 60],
      [0, 0, 10, 10],
      [21, 21, 31, 31],
    ],
    scores: [0.95, 0.9, 0.7, 0.6], // the 0.7 box duplicates an already-matched box: FP
    labels: [0, 0, 0, 0],
  },
  { boxes: [[5, 5, 15, 16]], scores: [0.8], labels: [0] },
];
// Ranked: 0.95 TP, 0.9 FP, 0.8 TP, 0.7 FP (duplicate), 0.6 TP (IoU 81/119 = 0.68).

describe('average precision (hand-worked)', () => {
  it('VOC all-point interpolation: (1 + 2/3 + 3/5) / 3', () => {
    const r = st.evaluateDetections(preds, gt);
    assertClose(r.curves[0]!.precision, [1, 1 / 2, 2 / 3, 1 / 2, 3 / 5], { atol: 1e-12 });
    assertClose(r.curves[0]!.recall, [1 / 3, 1 / 3, 2 / 3, 2 / 3, 1], { atol: 1e-12 });
    assertClose([r.map], [(1 + 2 / 3 + 3 / 5) / 3], { atol: 1e-12 });
  });
  it('COCO 101-point interpolation: (34·1 + 33·2/3 + 34·3/5) / 101', () => {
    const r = st.evaluateDetections(preds, gt, { method: 'coco' });
    assertClose([r.map], [(34 + 22 + 20.4) / 101], { atol: 1e-12 });
  });
  it('classes without ground truth get NaN and stay out of the mean; per-class AP', () => {
    const r = st.evaluateDetections(
      [
        {
          boxes: [
            [0, 0, 10, 10],
            [0, 0, 5, 5],
          ],
          scores: [0.9, 0.8],
          labels: [1, 2],
        },
      ],
      [{ boxes: [[0, 0, 10, 10]], labels: [1] }],
      { numClasses: 3 },
    );
    assert.ok(Number.isNaN(r.ap[0]!) && Number.isNaN(r.ap[2]!));
    assert.equal(r.ap[1], 1);
    assert.equal(r.map, 1);
  });
  it('COCO mAP@[.5:.95]: a box with IoU 0.72 hits at 0.50..0.70 (5 of 10 thresholds)', () => {
    const r = st.cocoMap(
      [{ boxes: [[0, 0, 10, 7.2]], scores: [0.9], labels: [0] }],
      [{ boxes: [[0, 0, 10, 10]], labels: [0] }],
    );
    assertClose([r.map, r.map50, r.map75], [0.5, 1, 0], { atol: 1e-12 });
  });
  it('vocAp of a perfect ranking is 1; mismatched inputs are refused', () => {
    assert.equal(st.vocAp([0.5, 1], [1, 1]), 1);
    assert.throws(() => st.evaluateDetections(preds, gt.slice(0, 1)), /one entry per image/);
  });
  it('draws precision-recall curves as a PNG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stride-pr-'));
    try {
      const r = st.evaluateDetections(preds, gt);
      const svg = st.prCurveSvg([{ label: 'digit 0 (AP 0.756)', curve: r.curves[0]! }], { title: 'PR' });
      assert.match(svg, /<polyline/);
      await st.savePrCurvePng(join(dir, 'pr.png'), [{ label: 'a', curve: r.curves[0]! }]);
      const png = readFileSync(join(dir, 'pr.png'));
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
