import { describe, it } from 'node:test';
import { Rng } from '../../src/tensor/random.js';
import { params, type Geometry } from './conv-geometries.js';
import { assertEpiloguePaths } from './epilogue-paths.js';
import { randomArray, skipWithoutAddon } from './native-harness.js';

// Strided convolutions, which the native backend runs on AVX-512 by direct convolution with the
// output channels in vector lanes (conv_direct.cc) and the epilogue applied as each output row is
// written, against the float64 reference: strides 2 and 3 (and stride 2 along one axis only, so the
// stride-1 axis runs too), kernels 1/3/5/7, padding 0/1/3 and asymmetric, dilation 2, channel
// counts that are not a multiple of the 16 lanes, rows wider than one written segment, rows and
// columns that read only padding, batch 1 and 3, every epilogue, through prepared weights and
// unprepared. The other instruction sets and the wasm build run the same cases on their own paths.

const CASES: [string, Geometry][] = [
  [
    '7x7 s2 pad 3, 3 -> 64 (ResNet stem), 37x41',
    { batch: 1, c: 3, o: 64, h: 37, w: 41, k: [7, 7], stride: [2, 2], pad: [3, 3, 3, 3] },
  ],
  [
    '3x3 s2 pad 1, 3 -> 32 (MobileNetV2 stem), 33x35',
    { batch: 1, c: 3, o: 32, h: 33, w: 35, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
  ],
  [
    '3x3 s2 pad 1, 16 -> 80 (4 + 1 vectors), 15x17, batch 3',
    { batch: 3, c: 16, o: 80, h: 15, w: 17, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
  ],
  ['1x1 s2, 17 -> 64, 14x13, batch 3', { batch: 3, c: 17, o: 64, h: 14, w: 13, k: [1, 1], stride: [2, 2] }],
  [
    '5x5 s3, asymmetric padding, 16 -> 17, 23x20',
    { batch: 1, c: 16, o: 17, h: 23, w: 20, k: [5, 5], stride: [3, 3], pad: [2, 1, 0, 2] },
  ],
  [
    '3x3 s(2, 1) dilation 2, 17 -> 33, 19x70 (two segments)',
    { batch: 1, c: 17, o: 33, h: 19, w: 70, k: [3, 3], stride: [2, 1], dilation: [2, 2], pad: [2, 2, 2, 2] },
  ],
  [
    '3x3 s(1, 2), asymmetric padding, 3 -> 16, 16x15',
    { batch: 3, c: 3, o: 16, h: 16, w: 15, k: [3, 3], stride: [1, 2], pad: [0, 1, 1, 0] },
  ],
  [
    '7x7 s2 pad 3 on a 5x5 input, 16 -> 16',
    { batch: 1, c: 16, o: 16, h: 5, w: 5, k: [7, 7], stride: [2, 2], pad: [3, 3, 3, 3] },
  ],
  [
    '1x1 s3 pad 1 (rows and columns of padding only), 16 -> 20, 8x9',
    { batch: 1, c: 16, o: 20, h: 8, w: 9, k: [1, 1], stride: [3, 3], pad: [1, 1, 1, 1] },
  ],
  [
    '3x3 s2 pad 1, 64 -> 64, 14x14',
    { batch: 1, c: 64, o: 64, h: 14, w: 14, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
  ],
];

describe('native strided convolution (direct kernel) with its epilogue', { skip: skipWithoutAddon }, () => {
  for (const [name, g] of CASES) {
    it(`${name}: equals the float64 reference on every path`, () => {
      const rng = new Rng(name.length * 7919 + g.o);
      const p = params(g);
      const k = p.inChannels * p.kH * p.kW;
      const w = randomArray(rng, p.outChannels * k);
      const bias = randomArray(rng, p.outChannels);
      // Inputs and residuals scaled so that ReLU6 clamps a share of the outputs at 6.
      const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW).map((v) => v * 4);
      const residual = randomArray(rng, p.batch * p.outChannels * p.outH * p.outW).map((v) => v * 4);
      assertEpiloguePaths(name, p, x, w, bias, residual);
    });
  }
});
