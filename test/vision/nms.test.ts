import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

// The decks' YOLO non-max suppression table (probability threshold 0.5, IoU threshold 0.5, per
// class). Boxes are [x1, y1, x2, y2] chosen so that the IoUs match the table.
const table = [
  { cell: 1, cls: 'A', score: 0.4, box: [0, 0, 10, 2] },
  { cell: 2, cls: 'A', score: 0.6, box: [0, 0, 10, 8] },
  { cell: 3, cls: 'A', score: 0.7, box: [0, 0, 10, 10] },
  { cell: 4, cls: 'B', score: 0.6, box: [20, 20, 30, 22] },
  { cell: 5, cls: 'B', score: 0.8, box: [20, 20, 30, 30] },
] as const;
const iouVsBest = { 1: 0.2, 2: 0.8, 3: 1.0, 4: 0.2, 5: 1.0 } as const;

describe('IoU and non-max suppression', () => {
  it("reproduces the decks' IoU table against the best box of each class", () => {
    for (const r of table) {
      const best = r.cls === 'A' ? table[2].box : table[4].box;
      assert.ok(Math.abs(st.iou(r.box, best) - iouVsBest[r.cell]) < 1e-12, `cell ${r.cell}`);
    }
  });

  it('keeps cells 3, 4 and 5, as the decks do', () => {
    const keep = st.nms(
      table.map((r) => r.box),
      table.map((r) => r.score),
      { iouThreshold: 0.5, scoreThreshold: 0.5, classes: table.map((r) => (r.cls === 'A' ? 0 : 1)) },
    );
    assert.deepEqual(keep.map((i) => table[i]!.cell).sort(), [3, 4, 5]);
  });

  it('without classes, overlapping boxes of different classes suppress each other', () => {
    const boxes = st.tensor([
      [0, 0, 10, 10],
      [1, 1, 10, 10],
      [50, 50, 60, 60],
    ]);
    assert.deepEqual(st.nms(boxes, [0.9, 0.8, 0.7]), [0, 2]);
    assert.deepEqual(st.nms(boxes, [0.9, 0.8, 0.7], { classes: [0, 1, 0] }), [0, 1, 2]);
    assert.deepEqual(st.nms(boxes, [0.9, 0.8, 0.7], { maxDetections: 1 }), [0]);
  });

  it('IoU of hand-worked boxes and the pairwise matrix', () => {
    // Two 2x2 squares overlapping in a 1x2 strip: 2 / (4 + 4 - 2) = 1/3.
    assert.equal(st.iou([0, 0, 2, 2], [1, 0, 3, 2]), 1 / 3);
    assert.equal(st.iou([0, 0, 1, 1], [2, 2, 3, 3]), 0);
    assert.deepEqual(
      st.boxIou(
        [[0, 0, 2, 2]],
        [
          [0, 0, 2, 2],
          [1, 0, 3, 2],
        ],
      ),
      [[1, 1 / 3]],
    );
  });

  it('refuses malformed boxes with the expected format', () => {
    assert.throws(() => st.nms([[0, 0, -1, 1]], [1]), /x2 < x1 or y2 < y1; expected corner format/);
    assert.throws(() => st.nms(st.ones([2, 3]), [1, 1]), /\[N, 4\]/);
    assert.throws(() => st.nms([[0, 0, 1, 1]], [1, 2]), /one score per box/);
  });
});
