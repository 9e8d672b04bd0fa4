import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';

// One 8x8 image, a 1x1 grid (stride 8), two classes, an all-zero head (every sigmoid 0.5, every
// softmax uniform).
describe('YOLO losses (hand-worked)', () => {
  it("YOLOv1, the decks' loss: 5·[(.5−.25)² + (√.5 − 1)²] + (.5 − IoU .2)² + [(.5−1)² + (.5−0)²]", () => {
    const pred = st.zeros([1, 1 * 5 + 2, 1, 1], { requiresGrad: true });
    // Box [0, 0, 4, 8]: centre (2, 4) -> offsets (.25, .5); w, h relative to the image .5 and 1.
    // The predicted box [2, 2, 6, 6] overlaps it by 8 / 40 = 0.2, the confidence target.
    const loss = st.yoloV1Loss(pred, [{ boxes: [[0, 0, 4, 8]], labels: [0] }], {
      boxesPerCell: 1,
      numClasses: 2,
      stride: 8,
    });
    const want = 5 * (0.25 ** 2 + (Math.sqrt(0.5) - 1) ** 2) + 0.3 ** 2 + 0.5;
    assertClose(loss, st.tensor(want), { atol: 1e-5 });
    loss.backward();
    assert.ok(pred.grad!.data.every(Number.isFinite));
  });
  it('YOLOv1 with no objects: only λnoobj·Ĉ² per predictor', () => {
    const loss = st.yoloV1Loss(st.zeros([1, 2 * 5 + 2, 1, 1]), [{ boxes: [], labels: [] }], {
      boxesPerCell: 2,
      numClasses: 2,
      stride: 8,
    });
    assertClose(loss, st.tensor(2 * 0.5 * 0.25), { atol: 1e-7 });
  });
  it('YOLOv2 anchors: coordinates, logistic objectness, cross-entropy, λnoobj on the other anchor', () => {
    const pred = st.zeros([1, 2 * (5 + 2), 1, 1], { requiresGrad: true });
    // Box [2, 2, 6, 10]: centre (.5, .75) cells, size (.5, 1) cells -> anchor [1, 1] (shape IoU .5 vs .056).
    const loss = st.yoloV2Loss(pred, [{ boxes: [[2, 2, 6, 10]], labels: [1] }], {
      anchors: [
        [1, 1],
        [3, 3],
      ],
      numClasses: 2,
      stride: 8,
    });
    const want = 5 * (0.25 ** 2 + Math.log(0.5) ** 2) + Math.LN2 + Math.LN2 + 0.5 * Math.LN2;
    assertClose(loss, st.tensor(want), { atol: 1e-5 });
    loss.backward();
    assert.ok(pred.grad!.data.every(Number.isFinite));
  });
  it('refuses heads and labels that do not fit', () => {
    const o = { anchors: [[1, 1]] as [number, number][], numClasses: 2, stride: 8 };
    assert.throws(
      () => st.yoloV2Loss(st.zeros([1, 6, 1, 1]), [{ boxes: [], labels: [] }], o),
      /\[N, 7, H, W\]/,
    );
    assert.throws(
      () => st.yoloV2Loss(st.zeros([1, 7, 1, 1]), [{ boxes: [[0, 0, 1, 1]], labels: [5] }], o),
      /label 5/,
    );
  });
});

describe('digit canvases', () => {
  it('boxes enclose the ink, masks mark it, the same seed gives the same canvases', () => {
    // Two synthetic 4x4 "glyphs": a full square (class 3) and a blank one (never placed).
    const glyphs = new Float32Array(32);
    glyphs.fill(1, 0, 16);
    const a = st.digitCanvases(glyphs, [3, 7], 4, { count: 5, canvasSize: 16, glyphSize: [4, 8], seed: 1 });
    const b = st.digitCanvases(glyphs, [3, 7], 4, { count: 5, canvasSize: 16, glyphSize: [4, 8], seed: 1 });
    assert.deepEqual(
      a.map((s) => s.boxes),
      b.map((s) => s.boxes),
    );
    for (const s of a) {
      assert.ok(s.labels.every((l) => l === 3));
      s.boxes.forEach((box, k) => {
        for (let y = 0; y < 16; y++)
          for (let x = 0; x < 16; x++) {
            const inside = x >= box[0] && x < box[2] && y >= box[1] && y < box[3];
            if (s.instanceMask[y * 16 + x] === k + 1) assert.ok(inside, 'instance pixel inside its box');
          }
        assert.equal(
          s.classMask[Math.floor((box[1] + box[3]) / 2) * 16 + Math.floor((box[0] + box[2]) / 2)],
          4,
        );
      });
    }
  });
});
