import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

describe('st.viz.occlusion', () => {
  it('on a linear model, each pixel gets the mean over covering patches of sum W_t (x - fill) over the patch', () => {
    // logit_t = W[t] . x + b, so hiding patch P with value f lowers it by sum_{p in P} W[t][p] (x[p] - f).
    const lin = new st.Linear(36, 3);
    lin.weight.data.set(st.randn([3, 36], { seed: 1 }).data);
    const model = new st.Sequential(new st.Flatten(), lin);
    const x = st.randn([1, 1, 6, 6], { seed: 2 });
    const wt = lin.weight.data.subarray(36, 72); // target class 1
    const fill = 0.5;
    // Patch 4, stride 2 on 6 pixels: corners at 0 and 2 in each direction (4 patches).
    const corners = [0, 2].flatMap((y) => [0, 2].map((xx) => [y, xx] as const));
    const drop = ([y0, x0]: readonly [number, number]) => {
      let d = 0;
      for (let y = y0; y < y0 + 4; y++)
        for (let xx = x0; xx < x0 + 4; xx++) d += wt[y * 6 + xx]! * (x.data[y * 6 + xx]! - fill);
      return d;
    };
    const want: number[] = [];
    for (let y = 0; y < 6; y++)
      for (let xx = 0; xx < 6; xx++) {
        const covering = corners.filter(([y0, x0]) => y >= y0 && y < y0 + 4 && xx >= x0 && xx < x0 + 4);
        want.push(covering.reduce((a, c) => a + drop(c), 0) / covering.length);
      }
    const map = st.viz.occlusion(model, x, { target: 1, patch: 4, stride: 2, fill, batchSize: 3 });
    assertClose(map, st.tensor(want).reshape([1, 1, 6, 6]), { atol: 1e-4 });
  });

  it('refuses a patch that is not a positive integer', () => {
    const model = new st.Sequential(new st.Flatten(), new st.Linear(4, 2));
    assert.throws(
      () => st.viz.occlusion(model, st.zeros([1, 1, 2, 2]), { patch: 0 }),
      /patch must be a positive integer/,
    );
  });
});
