import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Conv2dParams } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { Rng } from '../../src/tensor/random.js';
import { params as convParams, type Geometry as ConvGeometry } from './conv-geometries.js';
import { addon, forEachConfig, nativeBackend, randomArray, skipWithoutAddon } from './native-harness.js';

// The native backend's Winograd F(4x4, 3x3) convolution (3x3, stride 1, dilation 1, one group)
// against the reference backend computing in float64.
//
// Tolerance: Winograd rounds differently from a direct sum. Its transforms combine the whole 6x6
// input block of a tile with coefficients up to 5 (input) and 8 (output) around the float32 GEMM,
// so an output's error scales with the size of the terms its tile and channels combine, not with
// its own window (an output whose window lies entirely in the padding comes out near 1e-5, not
// 0). Each element is therefore checked against REL * max|input| * sum over its filter of |w|
// (+ |bias|). The worst ratio observed over these cases is about 2e-6 (forward and backward-data,
// every instruction set); REL = 2e-5 leaves a tenfold margin, while an indexing or coefficient
// error moves an output by about one term |w| |x|, at least 1 / (9 * channels) of the bound.
const REL = 2e-5;

/** A Winograd case: a 3x3 stride-1 convolution of these sizes and padding. */
type Geometry = Omit<ConvGeometry, 'k' | 'stride' | 'dilation' | 'groups' | 'pad'> & {
  /** [top, bottom, left, right] */
  pad: [number, number, number, number];
};

function params(g: Geometry): Conv2dParams {
  return convParams({ ...g, k: [3, 3] });
}

const GEOMETRIES: [string, Geometry][] = [
  ['7x7, batch 1, padding 1', { batch: 1, c: 19, o: 21, h: 7, w: 7, pad: [1, 1, 1, 1] }],
  ['5x9, batch 3, padding 1', { batch: 3, c: 5, o: 33, h: 5, w: 9, pad: [1, 1, 1, 1] }],
  ['1x1 input with padding 1', { batch: 2, c: 17, o: 3, h: 1, w: 1, pad: [1, 1, 1, 1] }],
  ['padding 0, odd sizes', { batch: 1, c: 20, o: 17, h: 9, w: 11, pad: [0, 0, 0, 0] }],
  ['padding 2', { batch: 3, c: 3, o: 40, h: 6, w: 6, pad: [2, 2, 2, 2] }],
  ['asymmetric padding', { batch: 1, c: 24, o: 9, h: 8, w: 5, pad: [0, 2, 1, 0] }],
  // Backward-data runs the transposed convolution with padding 2 - 3 = -1.
  ['padding 3 (negative padding in backward-data)', { batch: 1, c: 6, o: 7, h: 4, w: 5, pad: [3, 3, 3, 3] }],
  ['many channels, several micro-kernel panels', { batch: 2, c: 70, o: 50, h: 14, w: 13, pad: [1, 1, 1, 1] }],
  ['many tiles (several tile chunks)', { batch: 2, c: 16, o: 16, h: 30, w: 29, pad: [1, 1, 1, 1] }],
  // On 2 threads the tile chunks are made equal and as many as a multiple of the threads: 182
  // tiles in 4 chunks of 46 and 44 (AVX-512), 90 tiles of 3 images in 2 chunks of 45.
  ['equal tile chunks, 182 tiles', { batch: 1, c: 32, o: 40, h: 56, w: 50, pad: [1, 1, 1, 1] }],
  ['equal tile chunks, batch 3', { batch: 3, c: 40, o: 24, h: 21, w: 19, pad: [1, 1, 1, 1] }],
  // On 2 threads these split the output channels across tasks, which then share one input
  // transform: 49 tiles (two chunks of 25 and 24 on AVX-512), 72 output channels
  // (groups of unequal width), and 45 -> 37 channels (neither a multiple of a weight block).
  ['split output channels, odd tile count', { batch: 1, c: 48, o: 72, h: 27, w: 27, pad: [1, 1, 1, 1] }],
  [
    'split output channels, channels off the block',
    { batch: 1, c: 45, o: 37, h: 18, w: 18, pad: [1, 1, 1, 1] },
  ],
];

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/**
 * bound[(n, r, pixel)] = scale * sum over (s, tap) of |w| (+ |bias[r]|), where r is the output
 * channel (forward, w viewed as [r][s][tap]) or the input channel (backward-data, w viewed as
 * [s][r][tap]), and scale the largest |input|.
 */
function boundOf(
  w: Float32Array,
  rows: number,
  cols: number,
  transposed: boolean,
  scale: number,
  bias: Float32Array | null,
  batch: number,
  pixels: number,
): Float64Array {
  const perRow = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) {
      const base = transposed ? (c * rows + r) * 9 : (r * cols + c) * 9;
      for (let k = 0; k < 9; k++) s += Math.abs(w[base + k]!);
    }
    perRow[r] = scale * s + (bias ? Math.abs(bias[r]!) : 0);
  }
  const out = new Float64Array(batch * rows * pixels);
  for (let i = 0; i < out.length; i++) out[i] = perRow[Math.floor(i / pixels) % rows]!;
  return out;
}

/** Assert |got - want| <= REL * bound element-wise; reports the worst element. */
function assertWithinBound(got: Float32Array, want: Float64Array, bound: Float64Array, msg: string): void {
  assert.equal(got.length, want.length, `${msg}: length`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < got.length; i++) {
    const excess = Math.abs(got[i]! - want[i]!) - REL * bound[i]!;
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    assert.fail(
      `${msg}: element ${worst}: got ${got[worst]}, expected ${want[worst]} (allowed error ${REL} * ${bound[worst]})`,
    );
  }
}

function checkGeometry(name: string, g: Geometry, rng: Rng, label: string): void {
  const p = params(g);
  const native = nativeBackend();
  const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW);
  const w = randomArray(rng, p.outChannels * p.inChannels * 9);
  const bias = randomArray(rng, p.outChannels);
  const ySize = p.batch * p.outChannels * p.outH * p.outW;
  const dy = randomArray(rng, ySize);
  const msg = `${name} (${label})`;
  const x64 = Float64Array.from(x);
  const w64 = Float64Array.from(w);

  for (const b of [null, bias]) {
    const want = new Float64Array(ySize);
    referenceBackend.conv2dForward(p, x64, w64, b ? Float64Array.from(b) : null, want);
    const bound = boundOf(w, p.outChannels, p.inChannels, false, maxAbs(x), b, p.batch, p.outH * p.outW);
    const got = new Float32Array(ySize).fill(Number.NaN);
    native.conv2dForward(p, x, w, b, got);
    assertWithinBound(got, want, bound, `${msg} forward${b ? ' + bias' : ''}`);
  }

  const dxWant = new Float64Array(x.length);
  referenceBackend.conv2dBackwardData(p, Float64Array.from(dy), w64, dxWant);
  const dxBound = boundOf(w, p.inChannels, p.outChannels, true, maxAbs(dy), null, p.batch, p.inH * p.inW);
  const dxGot = new Float32Array(x.length).fill(Number.NaN);
  native.conv2dBackwardData(p, dy, w, dxGot);
  assertWithinBound(dxGot, dxWant, dxBound, `${msg} backward-data`);
}

describe('native Winograd convolution matches the float64 reference', { skip: skipWithoutAddon }, () => {
  after(() => addon?.setConvAlgorithm('auto'));

  for (const [name, g] of GEOMETRIES) {
    it(`${name}, forced Winograd`, () => {
      addon!.setConvAlgorithm('winograd');
      const rng = new Rng(name.length * 7907);
      forEachConfig((label) => checkGeometry(name, g, rng, label));
    });
  }

  it('random 3x3 stride-1 geometries, forced Winograd', () => {
    addon!.setConvAlgorithm('winograd');
    const rng = new Rng(2024);
    forEachConfig((label) => {
      for (let t = 0; t < 4; t++) {
        const g: Geometry = {
          batch: rng.int(1, 4),
          c: rng.int(1, 40),
          o: rng.int(1, 40),
          h: rng.int(1, 15),
          w: rng.int(1, 15),
          pad: [rng.int(0, 3), rng.int(0, 3), rng.int(0, 3), rng.int(0, 3)],
        };
        // At least one output pixel.
        g.h = Math.max(g.h, 3 - g.pad[0] - g.pad[1]);
        g.w = Math.max(g.w, 3 - g.pad[2] - g.pad[3]);
        checkGeometry(`random ${JSON.stringify(g)}`, g, rng, label);
      }
    });
  });

  it('the automatic choice and the GEMM path agree with the reference on a shape Winograd wins', () => {
    const g: Geometry = { batch: 2, c: 32, o: 48, h: 12, w: 12, pad: [1, 1, 1, 1] };
    for (const algorithm of ['auto', 'gemm'] as const) {
      addon!.setConvAlgorithm(algorithm);
      const rng = new Rng(5);
      forEachConfig((label) => checkGeometry(algorithm, g, rng, label));
    }
  });

  it('rejects an unknown algorithm name', () => {
    assert.throws(
      () => (addon!.setConvAlgorithm as (name: string) => void)('fft'),
      /unknown convolution algorithm 'fft'/,
    );
  });
});
