import { after, describe, it } from 'node:test';
import type { Conv2dParams, ConvEpilogue } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { convEpilogueReference, GEOMETRIES, params, type Geometry } from './conv-geometries.js';
import { addon, forEachConfig, nativeBackend, randomArray, skipWithoutAddon } from './native-harness.js';

// The forward convolution's epilogue (bias, then + residual, then ReLU, applied as the outputs are
// written: Winograd's output tiles, the indirect paths' tiles, a pass after the packed GEMM)
// against the float64 reference: conv + bias on the reference backend, then the sum and ReLU in
// float64.

/** Winograd-sized cases (3x3, stride 1, enough channels) and a 1x1 convolution read in place. */
const EXTRA: [string, Geometry][] = [
  [
    'winograd 3x3, batch 2, partial tiles',
    { batch: 2, c: 16, o: 24, h: 10, w: 11, k: [3, 3], pad: [1, 1, 1, 1] },
  ],
  [
    'winograd 3x3, one tile row, odd channels',
    { batch: 1, c: 33, o: 35, h: 7, w: 7, k: [3, 3], pad: [1, 1, 1, 1] },
  ],
  [
    // On 2 threads the output channels split into groups sharing one input transform; the last
    // group's 5 channels take the 4-channel vector stores and one channel alone.
    'winograd 3x3, output channels split across threads, 37 channels',
    { batch: 1, c: 40, o: 37, h: 18, w: 18, k: [3, 3], pad: [1, 1, 1, 1] },
  ],
  ['1x1 stride 1, 64 channels (no padded copy)', { batch: 2, c: 24, o: 64, h: 10, w: 10, k: [1, 1] }],
];

/**
 * GEMM paths: the tolerance of the prepared-weights tests. Winograd rounds with its transforms'
 * coefficients (see winograd.test.ts): 2e-5 of max|x| times the largest filter's sum of |w|.
 */
function tolerance(
  p: Conv2dParams,
  w: Float32Array,
  msg: string,
): { rtol: number; atol: number; msg: string } {
  const k = (p.inChannels / p.groups) * p.kH * p.kW;
  let widest = 0;
  for (let o = 0; o < p.outChannels; o++) {
    let s = 0;
    for (let i = 0; i < k; i++) s += Math.abs(w[o * k + i]!);
    widest = Math.max(widest, s);
  }
  return { rtol: 1e-4, atol: Math.max(2e-6 * Math.sqrt(k + 1), 2e-5 * widest), msg };
}

describe('native conv2d epilogue: bias + residual + ReLU', { skip: skipWithoutAddon }, () => {
  after(() => addon?.setConvAlgorithm('auto'));
  for (const [name, g] of [...GEOMETRIES, ...EXTRA]) {
    it(`${name}: every path equals the float64 reference`, () => {
      const rng = new Rng(name.length * 7919 + 3);
      const p = params(g);
      const w = randomArray(rng, p.outChannels * (p.inChannels / p.groups) * p.kH * p.kW);
      const bias = randomArray(rng, p.outChannels);
      const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW);
      const residual = randomArray(rng, p.batch * p.outChannels * p.outH * p.outW);
      const epilogues: [string, ConvEpilogue][] = [
        ['residual + relu', { residual, activation: 'relu' }],
        ['relu only', { residual: null, activation: 'relu' }],
        ['residual only', { residual, activation: null }],
        ['residual + relu6', { residual, activation: 'relu6' }],
      ];
      const cases = epilogues.flatMap(([what, e]) =>
        [bias, null].map((b) => ({ what, e, b, want: convEpilogueReference(p, x, w, b, e) })),
      );
      const winograd = p.kH === 3 && p.kW === 3 && p.strideH === 1 && p.strideW === 1 && p.dilationH === 1;
      const algorithms =
        winograd && p.groups === 1 ? (['auto', 'gemm', 'winograd'] as const) : (['auto', 'gemm'] as const);
      for (const algorithm of algorithms) {
        addon!.setConvAlgorithm(algorithm);
        forEachConfig((label) => {
          const native = nativeBackend();
          for (const { what, e, b, want } of cases) {
            {
              // Weights prepared by this backend (packed) and by another one (read unpacked).
              for (const prepared of [
                native.prepareConv2dWeights(p, w),
                referenceBackend.prepareConv2dWeights(p, w),
              ]) {
                const got = new Float32Array(want.length).fill(Number.NaN);
                native.conv2dForwardPrepared(p, x, prepared, b, got, e);
                const msg = `${name} (${label}, ${algorithm}, ${prepared.backend} handle) ${what}${b ? ' + bias' : ''}`;
                assertClose(got, want, tolerance(p, w, msg));
              }
            }
          }
        });
      }
    });
  }
});
