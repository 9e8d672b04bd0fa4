import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { convGeometry, outputSizeFormula, receptiveCells } from '../../playground/src/conv-geometry.js';

// The explainer's footprints (which inputs each output cell sums) against st.conv2d itself: an
// input that is 1 at one position and 0 elsewhere, convolved with a kernel of ones, is non-zero
// exactly at the outputs whose window reads that position.
function footprintsByConv(
  n: number,
  k: number,
  stride: number,
  padding: 'same' | 'valid' | number,
  dilation: number,
) {
  const reads = new Map<string, Set<string>>();
  for (let p = 0; p < n * n; p++) {
    const x = st.zeros([1, 1, n, n]);
    x.data[p] = 1;
    const y = st.conv2d(x, st.ones([1, 1, k, k]), null, { stride, padding, dilation });
    const [, , oh, ow] = y.shape as [number, number, number, number];
    for (let o = 0; o < oh * ow; o++) {
      const key = `${Math.floor(o / ow)},${o % ow}`;
      if (!reads.has(key)) reads.set(key, new Set());
      if (y.data[o] !== 0) reads.get(key)!.add(`${Math.floor(p / n)},${p % n}`);
    }
  }
  return reads;
}

describe('playground convolution explainer geometry', () => {
  const cases: [number, number, number, 'same' | 'valid' | number, number][] = [
    [3, 2, 1, 'same', 1],
    [3, 2, 2, 'same', 1],
    [7, 3, 3, 'valid', 1],
    [7, 3, 1, 'valid', 2],
    [6, 3, 2, 1, 1],
    [5, 3, 2, 'same', 2],
  ];
  for (const [n, k, s, p, d] of cases) {
    it(`n=${n} k=${k} stride=${s} padding=${p} dilation=${d}: footprints match st.conv2d`, () => {
      const g = convGeometry(n, n, k, k, s, p, d);
      const truth = footprintsByConv(n, k, s, p, d);
      assert.equal(truth.size, g.outH * g.outW);
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const cells = receptiveCells(g, oy, ox);
          assert.equal(cells.length, k * k);
          const inside = new Set(cells.filter((c) => !c.padding).map((c) => `${c.y},${c.x}`));
          assert.deepEqual(
            [...inside].sort(),
            [...truth.get(`${oy},${ox}`)!].sort(),
            `output (${oy}, ${ox})`,
          );
        }
      }
    });
  }

  it("the decks' 7x7, 3x3, stride 3 case: floor((7 - 3) / 3) + 1 = 2, one row and column unread", () => {
    const g = convGeometry(7, 7, 3, 3, 3, 'valid', 1);
    assert.deepEqual([g.outH, g.outW, g.unreadRows, g.unreadCols], [2, 2, 1, 1]);
    assert.equal(outputSizeFormula(7, 3, 3, 0, 0, 1), 'floor((7 + 0 + 0 - 1·(3 - 1) - 1) / 3) + 1 = 2');
  });

  it("'same' with an even kernel pads after (the decks' 3x3 input, 2x2 filter)", () => {
    const g = convGeometry(3, 3, 2, 2, 1, 'same', 1);
    assert.deepEqual(g.pads, { top: 0, bottom: 1, left: 0, right: 1 });
    assert.deepEqual([g.outH, g.outW], [3, 3]);
  });
});
