import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

// Deck 000 "Edge Detection": 0, 45, 90 and 135 degrees; the other four are their negatives
// (copied from the lecture examples, edge_filters_3x3).
const DECK: Record<number, number[][]> = {
  0: [
    [-1, -1, -1],
    [0, 0, 0],
    [1, 1, 1],
  ],
  45: [
    [-1, -1, 0],
    [-1, 0, 1],
    [0, 1, 1],
  ],
  90: [
    [-1, 0, 1],
    [-1, 0, 1],
    [-1, 0, 1],
  ],
  135: [
    [0, 1, 1],
    [-1, 0, 1],
    [-1, -1, 0],
  ],
};
const ANGLES = [0, 45, 90, 135, 180, 225, 270, 315];
const kernel = (a: number) =>
  a < 180 ? DECK[a]! : DECK[a - 180]!.map((r) => r.map((v) => (v === 0 ? 0 : -v)));

const CAMERA = '/usr/lib/python3/dist-packages/skimage/data/camera.png';
const skip = existsSync(CAMERA) ? false : 'the sample photos are missing (apt-get install python3-skimage)';

describe('st.viz.edges', () => {
  it("uses the deck's kernels and reproduces the deck's vertical-edge example", () => {
    assert.deepEqual(st.viz.EDGE_ANGLES, ANGLES);
    for (const a of ANGLES) assert.deepEqual(st.viz.EDGE_KERNELS[a as 0], kernel(a), `${a} degrees`);
    // 6x6: 10 on the left half, 0 on the right; the deck's filter [1 0 -1] is the 270-degree one
    // (bright side on the left) and gives 30 in the two middle columns of the 4x4 'valid' output.
    const img = st.tensor([Array.from({ length: 6 }, () => [10, 10, 10, 0, 0, 0])]).reshape([1, 1, 6, 6]);
    const { maps, magnitude } = st.viz.edges(img);
    assert.deepEqual(maps.shape, [1, 8, 6, 6]);
    const at270 = maps.slice(1, 6, 7).reshape([6, 6]).toArray() as number[][];
    assert.deepEqual(
      at270.slice(1, 5).map((r) => r.slice(1, 5)),
      Array(4).fill([0, 30, 30, 0]),
    );
    // The opposite direction sees the same edge with the opposite sign; the horizontal filters see nothing inside.
    const at90 = maps.slice(1, 2, 3).reshape([6, 6]).toArray() as number[][];
    assert.deepEqual(
      at90.slice(1, 5).map((r) => r.slice(1, 5)),
      Array(4).fill([0, -30, -30, 0]),
    );
    const at0 = maps.slice(1, 0, 1).reshape([6, 6]).toArray() as number[][];
    assert.deepEqual(
      at0.slice(1, 5).map((r) => r.slice(1, 5)),
      Array(4).fill([0, 0, 0, 0]),
    );
    assert.equal(magnitude.data[2 * 6 + 2], 30);
  });

  it('averages brightness across RGB: a colour image gives the maps of its grey mean', () => {
    const rgb = st.rand([1, 3, 9, 7], { seed: 1 });
    const grey = rgb.mean(1, true);
    assertClose(st.viz.edges(rgb).maps, st.viz.edges(grey).maps, { atol: 1e-5 });
  });

  it(
    "on skimage's camera.png matches st.conv2d with the deck's kernels and finds vertical and horizontal edges",
    { skip },
    async () => {
      const { data, info } = await sharp(join(CAMERA))
        .greyscale()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const [h, w] = [info.height, info.width];
      const img = new st.Tensor(Float32Array.from(data), [1, 1, h, w]);
      const { maps, magnitude } = st.viz.edges(img);
      const weight = st.tensor(ANGLES.map((a) => [kernel(a)])); // [8, 1, 3, 3]
      assertClose(maps, st.conv2d(img, weight, null, { padding: 1 }), { atol: 1e-3 });

      // Pixels with a strong left-right change and little up-down change lie on vertical edges, and
      // the other way round; measured from the raw pixels with central differences.
      const px = (y: number, x: number) => data[y * w + x]!;
      const response = (angle: number, y: number, x: number) =>
        maps.data[(ANGLES.indexOf(angle) * h + y) * w + x]!;
      const stats = { vertical: { v: 0, hz: 0, n: 0, sign: 0 }, horizontal: { v: 0, hz: 0, n: 0, sign: 0 } };
      for (let y = 1; y < h - 1; y++)
        for (let x = 1; x < w - 1; x++) {
          const gx = px(y, x + 1) - px(y, x - 1);
          const gy = px(y + 1, x) - px(y - 1, x);
          const kind =
            Math.abs(gx) > 60 && Math.abs(gy) < 10
              ? 'vertical'
              : Math.abs(gy) > 60 && Math.abs(gx) < 10
                ? 'horizontal'
                : null;
          if (!kind) continue;
          const s = stats[kind];
          s.v += Math.abs(response(90, y, x));
          s.hz += Math.abs(response(0, y, x));
          s.n++;
          // Bright side to the right (gx > 0) is what the 90-degree filter answers positively; bright below, the 0-degree one.
          if (kind === 'vertical') s.sign += Math.sign(gx) === Math.sign(response(90, y, x)) ? 1 : 0;
          else s.sign += Math.sign(gy) === Math.sign(response(0, y, x)) ? 1 : 0;
        }
      for (const kind of ['vertical', 'horizontal'] as const)
        assert.ok(stats[kind].n > 200, `${stats[kind].n} ${kind} edge pixels`);
      const v = stats.vertical;
      const hz = stats.horizontal;
      assert.ok(v.v > 3 * v.hz, `on vertical edges: |90-degree| ${v.v / v.n}, |0-degree| ${v.hz / v.n}`);
      assert.ok(
        hz.hz > 3 * hz.v,
        `on horizontal edges: |0-degree| ${hz.hz / hz.n}, |90-degree| ${hz.v / hz.n}`,
      );
      assert.ok(v.sign / v.n > 0.95 && hz.sign / hz.n > 0.95);
      assert.deepEqual(magnitude.shape, [1, 1, h, w]);
      assert.ok(magnitude.data.every((m) => m >= 0));
    },
  );
});
