import { after, before, describe, it } from 'node:test';
import type { Conv2dParams } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { addon, forEachConfig, nativeBackend, randomArray, skipWithoutAddon } from './native-harness.js';

interface Geometry {
  batch: number;
  c: number;
  o: number;
  h: number;
  w: number;
  k: [number, number];
  stride?: [number, number];
  /** [top, bottom, left, right] */
  pad?: [number, number, number, number];
  dilation?: [number, number];
  groups?: number;
}

function params(g: Geometry): Conv2dParams {
  const [sh, sw] = g.stride ?? [1, 1];
  const [pt, pb, pl, pr] = g.pad ?? [0, 0, 0, 0];
  const [dh, dw] = g.dilation ?? [1, 1];
  const outH = Math.floor((g.h + pt + pb - dh * (g.k[0] - 1) - 1) / sh) + 1;
  const outW = Math.floor((g.w + pl + pr - dw * (g.k[1] - 1) - 1) / sw) + 1;
  return {
    batch: g.batch,
    inChannels: g.c,
    inH: g.h,
    inW: g.w,
    outChannels: g.o,
    kH: g.k[0],
    kW: g.k[1],
    strideH: sh,
    strideW: sw,
    padTop: pt,
    padLeft: pl,
    dilationH: dh,
    dilationW: dw,
    groups: g.groups ?? 1,
    outH,
    outW,
  };
}

// Every geometry runs forward (with and without bias), backward-data and backward-filter.
const GEOMETRIES: [string, Geometry][] = [
  ['1x1 pointwise', { batch: 2, c: 5, o: 7, h: 6, w: 9, k: [1, 1] }],
  ['1x1 on a 1x1 image', { batch: 3, c: 4, o: 3, h: 1, w: 1, k: [1, 1] }],
  ['3x3 same padding', { batch: 2, c: 3, o: 4, h: 8, w: 7, k: [3, 3], pad: [1, 1, 1, 1] }],
  ['3x3 stride 2', { batch: 1, c: 4, o: 6, h: 9, w: 10, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] }],
  ['stride larger than the kernel', { batch: 2, c: 3, o: 2, h: 10, w: 11, k: [2, 1], stride: [3, 4] }],
  ['1x1 stride 2 (downsample)', { batch: 2, c: 6, o: 5, h: 7, w: 8, k: [1, 1], stride: [2, 2] }],
  ['asymmetric padding', { batch: 1, c: 2, o: 3, h: 6, w: 7, k: [3, 2], pad: [0, 2, 1, 0] }],
  ['padding larger than half the kernel', { batch: 1, c: 2, o: 2, h: 5, w: 4, k: [2, 2], pad: [3, 3, 2, 2] }],
  ['dilation 2', { batch: 2, c: 3, o: 4, h: 9, w: 9, k: [3, 3], pad: [2, 2, 2, 2], dilation: [2, 2] }],
  [
    'mixed dilation and stride',
    { batch: 1, c: 2, o: 3, h: 11, w: 8, k: [2, 3], stride: [2, 1], dilation: [3, 2] },
  ],
  ['groups 2', { batch: 2, c: 4, o: 6, h: 6, w: 6, k: [3, 3], pad: [1, 1, 1, 1], groups: 2 }],
  [
    'depthwise (groups = channels)',
    { batch: 2, c: 5, o: 5, h: 7, w: 6, k: [3, 3], pad: [1, 1, 1, 1], groups: 5 },
  ],
  [
    'depthwise, stride 2 and dilation',
    {
      batch: 1,
      c: 3,
      o: 3,
      h: 9,
      w: 10,
      k: [3, 3],
      stride: [2, 2],
      pad: [2, 1, 2, 1],
      dilation: [2, 2],
      groups: 3,
    },
  ],
  [
    'depthwise with a channel multiplier',
    { batch: 1, c: 3, o: 6, h: 5, w: 5, k: [3, 3], pad: [1, 1, 1, 1], groups: 3 },
  ],
  ['kernel as large as the input', { batch: 2, c: 3, o: 4, h: 5, w: 5, k: [5, 5] }],
  ['large K (several K blocks)', { batch: 1, c: 48, o: 20, h: 6, w: 6, k: [3, 3], pad: [1, 1, 1, 1] }],
  ['many output channels, odd image', { batch: 3, c: 3, o: 40, h: 13, w: 11, k: [5, 5], pad: [2, 2, 2, 2] }],
  ['wide image (many column panels)', { batch: 1, c: 2, o: 3, h: 4, w: 300, k: [3, 3], pad: [1, 1, 1, 1] }],
  [
    'several K blocks and row panels, rows wider than a tile',
    { batch: 2, c: 48, o: 30, h: 5, w: 40, k: [3, 3], pad: [1, 1, 1, 1] },
  ],
  // Small stride-1 outputs with enough output channels take the indirect path's grid tiling (tiles
  // run across output rows extended to the padded width; the extra pixels are dropped).
  ['grid tiling: 8x8, 5x5 kernel', { batch: 3, c: 20, o: 20, h: 8, w: 8, k: [5, 5], pad: [2, 2, 2, 2] }],
  [
    'grid tiling: odd 7x5 output, several K blocks, 2 row panels',
    { batch: 2, c: 50, o: 26, h: 7, w: 5, k: [3, 3], pad: [1, 1, 1, 1] },
  ],
  [
    'grid tiling: dilated, asymmetric padding, groups 2',
    { batch: 2, c: 8, o: 48, h: 9, w: 6, k: [3, 2], pad: [2, 0, 1, 2], dilation: [2, 2], groups: 2 },
  ],
  ['grid tiling: output of one pixel', { batch: 2, c: 6, o: 40, h: 3, w: 3, k: [3, 3] }],
  [
    'stride along H only, dilated',
    { batch: 2, c: 5, o: 7, h: 13, w: 20, k: [3, 3], stride: [2, 1], dilation: [2, 2], pad: [2, 1, 3, 0] },
  ],
];

function checkGeometry(name: string, g: Geometry, rng: Rng, label: string): void {
  const p = params(g);
  const native = nativeBackend();
  const cg = p.inChannels / p.groups;
  const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW);
  const w = randomArray(rng, p.outChannels * cg * p.kH * p.kW);
  const bias = randomArray(rng, p.outChannels);
  const ySize = p.batch * p.outChannels * p.outH * p.outW;
  const dy = randomArray(rng, ySize);
  const k = cg * p.kH * p.kW;
  const tol = { rtol: 1e-4, atol: 2e-6 * Math.sqrt(k + 1) };
  const msg = `${name} (${label})`;

  for (const b of [null, bias]) {
    const want = new Float32Array(ySize);
    const got = new Float32Array(ySize).fill(Number.NaN);
    referenceBackend.conv2dForward(p, x, w, b, want);
    native.conv2dForward(p, x, w, b, got);
    assertClose(got, want, { ...tol, msg: `${msg} forward${b ? ' + bias' : ''}` });
  }

  const dxWant = new Float32Array(x.length);
  const dxGot = new Float32Array(x.length).fill(Number.NaN);
  referenceBackend.conv2dBackwardData(p, dy, w, dxWant);
  native.conv2dBackwardData(p, dy, w, dxGot);
  const kData = (p.outChannels / p.groups) * p.kH * p.kW;
  assertClose(dxGot, dxWant, { rtol: 1e-4, atol: 2e-6 * Math.sqrt(kData + 1), msg: `${msg} backward-data` });

  const dwWant = new Float32Array(w.length);
  const dwGot = new Float32Array(w.length).fill(Number.NaN);
  referenceBackend.conv2dBackwardFilter(p, x, dy, dwWant);
  native.conv2dBackwardFilter(p, x, dy, dwGot);
  const kFilter = p.batch * p.outH * p.outW;
  assertClose(dwGot, dwWant, {
    rtol: 1e-4,
    atol: 2e-6 * Math.sqrt(kFilter + 1),
    msg: `${msg} backward-filter`,
  });
}

describe('native conv2d matches the reference', { skip: skipWithoutAddon }, () => {
  // These tolerances fit direct sums; 3x3 stride-1 shapes that Winograd would take are checked
  // against a bound suited to its rounding in winograd.test.ts, so here they use the GEMM paths.
  before(() => addon?.setConvAlgorithm('gemm'));
  after(() => addon?.setConvAlgorithm('auto'));

  for (const [name, g] of GEOMETRIES) {
    it(name, () => {
      const rng = new Rng(name.length * 7919);
      forEachConfig((label) => checkGeometry(name, g, rng, label));
    });
  }

  it('random geometries', () => {
    const rng = new Rng(99);
    forEachConfig((label) => {
      for (let t = 0; t < 6; t++) {
        const groups = rng.int(1, 3);
        const kh = rng.int(1, 4);
        const kw = rng.int(1, 4);
        const g: Geometry = {
          batch: rng.int(1, 3),
          c: groups * rng.int(1, 4),
          o: groups * rng.int(1, 5),
          h: rng.int(kh + 2, 12),
          w: rng.int(kw + 2, 12),
          k: [kh, kw],
          stride: [rng.int(1, 3), rng.int(1, 3)],
          pad: [rng.int(0, 2), rng.int(0, 2), rng.int(0, 2), rng.int(0, 2)],
          dilation: [rng.int(1, 2), rng.int(1, 2)],
          groups,
        };
        checkGeometry(`random ${JSON.stringify(g)}`, g, rng, label);
      }
    });
  });
});
