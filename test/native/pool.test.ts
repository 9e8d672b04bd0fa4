import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pool2dParams } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { ValueError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { forEachConfig, nativeBackend, randomArray, skipWithoutAddon } from './native-harness.js';

interface Window {
  batch: number;
  c: number;
  h: number;
  w: number;
  k: [number, number];
  stride?: [number, number];
  /** [top, bottom, left, right] */
  pad?: [number, number, number, number];
  dilation?: [number, number];
  ceil?: boolean;
  countIncludePad?: boolean;
}

function params(g: Window): Pool2dParams {
  const [sh, sw] = g.stride ?? g.k;
  const [pt, pb, pl, pr] = g.pad ?? [0, 0, 0, 0];
  const [dh, dw] = g.dilation ?? [1, 1];
  // Output size; in ceil mode PyTorch drops a last window that would start past the input and
  // its leading padding.
  const size = (n: number, begin: number, end: number, k: number, d: number, s: number): number => {
    const span = n + begin + end - d * (k - 1) - 1;
    const out = (g.ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    return g.ceil && (out - 1) * s >= n + begin ? out - 1 : out;
  };
  return {
    batch: g.batch,
    channels: g.c,
    inH: g.h,
    inW: g.w,
    kH: g.k[0],
    kW: g.k[1],
    strideH: sh,
    strideW: sw,
    padTop: pt,
    padLeft: pl,
    padBottom: pb,
    padRight: pr,
    dilationH: dh,
    dilationW: dw,
    outH: size(g.h, pt, pb, g.k[0], dh, sh),
    outW: size(g.w, pl, pr, g.k[1], dw, sw),
    countIncludePad: g.countIncludePad ?? true,
  };
}

const WINDOWS: [string, Window][] = [
  ['2x2 stride 2', { batch: 2, c: 3, h: 8, w: 6, k: [2, 2] }],
  [
    '3x3 stride 2 pad 1 (ResNet stem)',
    { batch: 1, c: 4, h: 11, w: 12, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
  ],
  ['overlapping 3x3 stride 1', { batch: 2, c: 2, h: 7, w: 5, k: [3, 3], stride: [1, 1] }],
  ['asymmetric padding', { batch: 1, c: 2, h: 6, w: 7, k: [2, 3], stride: [2, 2], pad: [0, 1, 1, 0] }],
  ['dilation', { batch: 1, c: 3, h: 9, w: 9, k: [2, 2], stride: [1, 2], dilation: [2, 3] }],
  ['ceil mode', { batch: 2, c: 2, h: 7, w: 9, k: [2, 2], ceil: true, pad: [0, 1, 0, 1] }],
  [
    'exclude padding from the average',
    { batch: 1, c: 2, h: 5, w: 6, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1], countIncludePad: false },
  ],
  ['stride larger than the window', { batch: 1, c: 2, h: 10, w: 10, k: [2, 2], stride: [3, 4] }],
  ['1x1 window', { batch: 2, c: 3, h: 4, w: 3, k: [1, 1] }],
  ['large planes (threaded)', { batch: 4, c: 16, h: 32, w: 32, k: [2, 2] }],
  // Rows of several vector blocks plus a partial one (16 lanes for AVX-512, 8 for AVX2).
  ['wide rows, 3x3 stride 2', { batch: 1, c: 3, h: 9, w: 77, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] }],
  ['wide rows, 3x3 stride 1', { batch: 2, c: 2, h: 6, w: 45, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1] }],
  ['wide rows, 2x2 stride 2, no padding', { batch: 1, c: 2, h: 4, w: 68, k: [2, 2] }],
  // Tiling windows (max_pool_backward.cc): odd sizes leave a last row and column no window covers.
  ['2x2 stride 2, odd sizes (uncovered row and column)', { batch: 3, c: 5, h: 17, w: 37, k: [2, 2] }],
  ['3x3 stride 3 tiles, remainders', { batch: 2, c: 3, h: 11, w: 14, k: [3, 3] }],
  ['2x3 stride 2x3 tiles', { batch: 1, c: 4, h: 8, w: 13, k: [2, 3] }],
];

describe('native pooling matches the reference', { skip: skipWithoutAddon }, () => {
  for (const [name, g] of WINDOWS) {
    it(name, () => {
      const rng = new Rng(name.length * 31);
      const p = params(g);
      const x = randomArray(rng, p.batch * p.channels * p.inH * p.inW);
      const outSize = p.batch * p.channels * p.outH * p.outW;
      const dy = randomArray(rng, outSize);
      forEachConfig((label) => {
        const native = nativeBackend();
        const msg = `${name} (${label})`;
        const yWant = new Float32Array(outSize);
        const iWant = new Int32Array(outSize);
        const yGot = new Float32Array(outSize).fill(Number.NaN);
        const iGot = new Int32Array(outSize).fill(-7);
        referenceBackend.maxPool2dForward(p, x, yWant, iWant);
        native.maxPool2dForward(p, x, yGot, iGot);
        assertClose(yGot, yWant, { rtol: 0, atol: 0, msg: `${msg} max forward` });
        assertClose(iGot, iWant, { rtol: 0, atol: 0, msg: `${msg} max indices` });

        const dxWant = new Float32Array(x.length);
        const dxGot = new Float32Array(x.length).fill(Number.NaN);
        referenceBackend.maxPool2dBackward(p, dy, iWant, dxWant);
        native.maxPool2dBackward(p, dy, iWant, dxGot);
        assertClose(dxGot, dxWant, { rtol: 1e-6, atol: 1e-6, msg: `${msg} max backward` });

        const aWant = new Float32Array(outSize);
        const aGot = new Float32Array(outSize).fill(Number.NaN);
        referenceBackend.avgPool2dForward(p, x, aWant);
        native.avgPool2dForward(p, x, aGot);
        assertClose(aGot, aWant, { rtol: 1e-6, atol: 1e-6, msg: `${msg} avg forward` });

        const daWant = new Float32Array(x.length);
        const daGot = new Float32Array(x.length).fill(Number.NaN);
        referenceBackend.avgPool2dBackward(p, dy, daWant);
        native.avgPool2dBackward(p, dy, daGot);
        assertClose(daGot, daWant, { rtol: 1e-5, atol: 1e-6, msg: `${msg} avg backward` });
      });
    });
  }

  it('refuses max-pool indices outside the input plane instead of writing out of bounds', () => {
    const p = params({ batch: 1, c: 2, h: 4, w: 4, k: [2, 2] });
    const dy = new Float32Array(8).fill(1);
    const indices = new Int32Array([0, 2, 8, 10, 0, 2, 8, 16]);
    assert.throws(() => nativeBackend().maxPool2dBackward(p, dy, indices, new Float32Array(32)), ValueError);
  });

  it('routes hand-written max-pool indices as the reference does: -1 and an index outside its window', () => {
    // 2x2 windows over a 4x5 plane (last column uncovered); window 1 records -1 (no maximum),
    // window 2 records position 1, which lies in window 0.
    const p = params({ batch: 1, c: 1, h: 4, w: 5, k: [2, 2] });
    const dy = new Float32Array([1, 2, 3, 4]);
    const indices = new Int32Array([6, -1, 1, 18]);
    const want = new Float32Array(20);
    referenceBackend.maxPool2dBackward(p, dy, indices, want);
    assert.deepEqual(Array.from(want), [0, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0]);
    forEachConfig((label) => {
      const got = new Float32Array(20).fill(Number.NaN);
      nativeBackend().maxPool2dBackward(p, dy, indices, got);
      assertClose(got, want, { rtol: 0, atol: 0, msg: label });
    });
  });

  it('lets NaN win in wide rows too (vector blocks redo those outputs)', () => {
    const p = params({ batch: 1, c: 2, h: 7, w: 61, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] });
    const x = randomArray(new Rng(5), p.batch * p.channels * p.inH * p.inW);
    for (const i of [3 * 61 + 20, 3 * 61 + 21, 61 * 7 + 2 * 61 + 50, 6 * 61 + 60]) x[i] = Number.NaN;
    const n = p.batch * p.channels * p.outH * p.outW;
    const noNaN = (a: Float32Array) => Array.from(a, (v) => (Number.isNaN(v) ? -999 : v));
    forEachConfig((label) => {
      const yWant = new Float32Array(n);
      const iWant = new Int32Array(n);
      const yGot = new Float32Array(n);
      const iGot = new Int32Array(n);
      referenceBackend.maxPool2dForward(p, x, yWant, iWant);
      nativeBackend().maxPool2dForward(p, x, yGot, iGot);
      assert.ok(yWant.some(Number.isNaN));
      assertClose(noNaN(yGot), noNaN(yWant), { rtol: 0, atol: 0, msg: label });
      assertClose(iGot, iWant, { rtol: 0, atol: 0, msg: label });
    });
  });

  // Inputs after a ReLU tie often (whole windows of zeros): the first maximum in the window's
  // row-major order must win however the kernel visits the taps (the separable AVX-512 rows take
  // column maxima first). Values from {-1, -0, 0, 1, 2} tie across rows and columns.
  it('picks the first maximum of tied windows, as the reference does', () => {
    const cases: Window[] = [
      { batch: 1, c: 3, h: 23, w: 45, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
      { batch: 3, c: 2, h: 9, w: 70, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
      { batch: 1, c: 2, h: 8, w: 41, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1] },
      { batch: 1, c: 2, h: 10, w: 53, k: [2, 5], stride: [1, 2], pad: [1, 0, 2, 2], dilation: [2, 1] },
      { batch: 2, c: 1, h: 7, w: 38, k: [3, 2], stride: [2, 1], dilation: [1, 3] },
      // Stride 2 along W with taps of both column parities (offsets 0, 3, 6) and of one (0, 2).
      { batch: 1, c: 2, h: 9, w: 47, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1], dilation: [1, 3] },
      { batch: 1, c: 2, h: 6, w: 36, k: [2, 2], stride: [2, 2], dilation: [2, 2] },
    ];
    const rng = new Rng(11);
    const levels = [-1, -0, 0, 0, 0, 1, 2];
    for (const g of cases) {
      const p = params(g);
      const x = Float32Array.from({ length: p.batch * p.channels * p.inH * p.inW }, () => {
        return levels[rng.int(0, levels.length)]!;
      });
      const n = p.batch * p.channels * p.outH * p.outW;
      forEachConfig((label) => {
        const yWant = new Float32Array(n);
        const iWant = new Int32Array(n);
        const yGot = new Float32Array(n).fill(Number.NaN);
        const iGot = new Int32Array(n).fill(-7);
        referenceBackend.maxPool2dForward(p, x, yWant, iWant);
        nativeBackend().maxPool2dForward(p, x, yGot, iGot);
        const msg = `${JSON.stringify(g)} (${label})`;
        assertClose(yGot, yWant, { rtol: 0, atol: 0, msg });
        assertClose(iGot, iWant, { rtol: 0, atol: 0, msg });
      });
    }
  });

  // Inference passes no indices: the kernels then keep values only (one max per tap, no tie rule),
  // which must still equal the reference's maxima, NaN included (values from a 5-level set tie often).
  it('computes the same maxima without indices (inference)', () => {
    const cases: Window[] = [
      ...WINDOWS.map(([, g]) => g),
      { batch: 1, c: 3, h: 23, w: 45, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
      { batch: 2, c: 2, h: 9, w: 70, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
      { batch: 1, c: 2, h: 8, w: 41, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1] },
      { batch: 1, c: 2, h: 10, w: 53, k: [2, 5], stride: [1, 2], pad: [1, 0, 2, 2], dilation: [2, 1] },
      { batch: 2, c: 1, h: 7, w: 38, k: [3, 2], stride: [2, 1], dilation: [1, 3] },
      // Stride 2 along W with taps of both column parities (offsets 0, 3, 6) and of one (0, 2).
      { batch: 1, c: 2, h: 9, w: 47, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1], dilation: [1, 3] },
      { batch: 1, c: 2, h: 6, w: 36, k: [2, 2], stride: [2, 2], dilation: [2, 2] },
    ];
    const rng = new Rng(17);
    const levels = [-1, 0, 0.5, 1, 2];
    const noNaN = (a: Float32Array) => Array.from(a, (v) => (Number.isNaN(v) ? -999 : v));
    for (const g of cases) {
      const p = params(g);
      const x = Float32Array.from({ length: p.batch * p.channels * p.inH * p.inW }, () => {
        return rng.next() < 0.01 ? Number.NaN : levels[rng.int(0, levels.length)]!;
      });
      const n = p.batch * p.channels * p.outH * p.outW;
      const yWant = new Float32Array(n);
      referenceBackend.maxPool2dForward(p, x, yWant, new Int32Array(n));
      const yRef = new Float32Array(n).fill(-5);
      referenceBackend.maxPool2dForward(p, x, yRef, null);
      assertClose(noNaN(yRef), noNaN(yWant), { rtol: 0, atol: 0, msg: `reference ${JSON.stringify(g)}` });
      forEachConfig((label) => {
        const yGot = new Float32Array(n).fill(-5);
        nativeBackend().maxPool2dForward(p, x, yGot, null);
        assertClose(noNaN(yGot), noNaN(yWant), { rtol: 0, atol: 0, msg: `${JSON.stringify(g)} (${label})` });
      });
    }
  });

  it('lets NaN win a max window, as the reference does', () => {
    const p = params({ batch: 1, c: 1, h: 4, w: 4, k: [2, 2] });
    const x = new Float32Array([1, 2, 3, 4, Number.NaN, 0, 5, Number.NaN, 1, 1, 1, 1, -1, -2, 9, 9]);
    forEachConfig((label) => {
      const yWant = new Float32Array(4);
      const iWant = new Int32Array(4);
      const yGot = new Float32Array(4);
      const iGot = new Int32Array(4);
      referenceBackend.maxPool2dForward(p, x, yWant, iWant);
      nativeBackend().maxPool2dForward(p, x, yGot, iGot);
      assertClose(
        Array.from(yGot, (v) => (Number.isNaN(v) ? -999 : v)),
        Array.from(yWant, (v) => (Number.isNaN(v) ? -999 : v)),
        {
          msg: label,
        },
      );
      assertClose(iGot, iWant, { rtol: 0, atol: 0, msg: label });
    });
  });
});
