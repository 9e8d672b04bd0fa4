import { describe, it } from 'node:test';
import { Rng } from '../../src/tensor/random.js';
import { params, type Geometry } from './conv-geometries.js';
import { assertEpiloguePaths } from './epilogue-paths.js';
import { randomArray, skipWithoutAddon } from './native-harness.js';

// Pointwise (1x1, stride 1, unpadded) convolutions, which the native backend runs through its own
// register-tiled kernel on AVX-512 and AVX2 (conv_pointwise.cc) with the epilogue applied in
// registers, against the float64 reference: MobileNetV2's channel counts, planes from 7x7 to
// 112x112 and odd ones (partial pixel vectors, uneven pixel tiles), output channels that are not a
// multiple of the kernel's 8-channel panels, batch 1, 3 and 8, every epilogue, with and without bias,
// through prepared weights (this backend's packed handle and another backend's) and unprepared.

const CASES: [string, Geometry][] = [
  ['K 3 -> 8, 112x112', { batch: 1, c: 3, o: 8, h: 112, w: 112, k: [1, 1] }],
  ['K 16 -> 96, 28x28 (expansion)', { batch: 1, c: 16, o: 96, h: 28, w: 28, k: [1, 1] }],
  ['K 24 -> 144, 14x14, batch 3', { batch: 3, c: 24, o: 144, h: 14, w: 14, k: [1, 1] }],
  ['K 32 -> 16, 56x56', { batch: 1, c: 32, o: 16, h: 56, w: 56, k: [1, 1] }],
  ['K 96 -> 24, 14x14, batch 3', { batch: 3, c: 96, o: 24, h: 14, w: 14, k: [1, 1] }],
  ['K 160 -> 1280, 7x7', { batch: 1, c: 160, o: 1280, h: 7, w: 7, k: [1, 1] }],
  ['K 24 -> 21 (partial panel), 13x11, batch 3', { batch: 3, c: 24, o: 21, h: 13, w: 11, k: [1, 1] }],
  ['K 16 -> 5, 9x7', { batch: 1, c: 16, o: 5, h: 9, w: 7, k: [1, 1] }],
  ['K 3 -> 144, 1x1 plane', { batch: 3, c: 3, o: 144, h: 1, w: 1, k: [1, 1] }],
  ['K 32 -> 24, 17x19 (uneven tiles)', { batch: 1, c: 32, o: 24, h: 17, w: 19, k: [1, 1] }],
  // At batch > 1 planes that are not whole vectors run the images' pixels as one row, so vectors
  // start in one image and end in the next.
  ['K 960 -> 40, 7x7, batch 3 (vectors across images)', { batch: 3, c: 960, o: 40, h: 7, w: 7, k: [1, 1] }],
  ['K 160 -> 24, 7x7, batch 8', { batch: 8, c: 160, o: 24, h: 7, w: 7, k: [1, 1] }],
  ['K 24 -> 20, 13x11, batch 8', { batch: 8, c: 24, o: 20, h: 13, w: 11, k: [1, 1] }],
  ['K 3 -> 16, 5x5, batch 8', { batch: 8, c: 3, o: 16, h: 5, w: 5, k: [1, 1] }],
  [
    'K 160 -> 13, 3x3 (a plane under one AVX-512 vector), batch 3',
    { batch: 3, c: 160, o: 13, h: 3, w: 3, k: [1, 1] },
  ],
  ['K 960 -> 16, 14x14', { batch: 1, c: 960, o: 16, h: 14, w: 14, k: [1, 1] }],
  // Small planes at batch 1 put output channels in the vector lanes (AVX-512), in panels of 48.
  ['K 960 -> 53, 7x7 (channels in lanes)', { batch: 1, c: 960, o: 53, h: 7, w: 7, k: [1, 1] }],
  ['K 24 -> 21, 5x5', { batch: 1, c: 24, o: 21, h: 5, w: 5, k: [1, 1] }],
  ['K 24 -> 8, 4x8 (whole vectors), batch 3', { batch: 3, c: 24, o: 8, h: 4, w: 8, k: [1, 1] }],
];

describe('native pointwise convolution (1x1 kernel) with its epilogue', { skip: skipWithoutAddon }, () => {
  for (const [name, g] of CASES) {
    it(`${name}: equals the float64 reference on every path`, () => {
      const rng = new Rng(name.length * 104729 + g.o);
      const p = params(g);
      const w = randomArray(rng, p.outChannels * p.inChannels);
      const bias = randomArray(rng, p.outChannels);
      const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW);
      const residual = randomArray(rng, p.batch * p.outChannels * p.outH * p.outW);
      assertEpiloguePaths(name, p, x, w, bias, residual);
    });
  }
});
