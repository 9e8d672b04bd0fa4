import { describe, it } from 'node:test';
import type { ConvEpilogue } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { convForwardReference, params, type Geometry } from './conv-geometries.js';
import { forEachConfig, nativeBackend, randomArray, skipWithoutAddon } from './native-harness.js';

// The direct small-channel kernels (native/src/conv_small_channels.cc: stride 1, 4 to 32 output
// channels, the forward, the stride-1 backward-data that runs as a forward, and the filter
// gradient) and the layers around them against the float64 reference: CIFAR- and LeNet-sized
// layers, odd widths that leave a partial vector, panels of uneven rows, asymmetric padding, the
// epilogue, 1 and 2 threads.
const SMALL: [string, Geometry][] = [
  [
    'W2 conv1: 3->16, 32x32, 5x5 pad 2',
    { batch: 3, c: 3, o: 16, h: 32, w: 32, k: [5, 5], pad: [2, 2, 2, 2] },
  ],
  [
    'W2 conv2: 16->20, 16x16, 5x5 pad 2',
    { batch: 2, c: 16, o: 20, h: 16, w: 16, k: [5, 5], pad: [2, 2, 2, 2] },
  ],
  ['W2 conv3: 20->20, 8x8, 5x5 pad 2', { batch: 2, c: 20, o: 20, h: 8, w: 8, k: [5, 5], pad: [2, 2, 2, 2] }],
  [
    'LeNet conv1: 1->6, 28x28, 5x5 pad 2',
    { batch: 2, c: 1, o: 6, h: 28, w: 28, k: [5, 5], pad: [2, 2, 2, 2] },
  ],
  [
    '13 channels in (channels-last filter gradient), odd sizes',
    { batch: 3, c: 13, o: 9, h: 11, w: 19, k: [3, 4], pad: [1, 2, 0, 2] },
  ],
  [
    '27 channels in (two vectors of channels), 3x3',
    { batch: 2, c: 27, o: 6, h: 9, w: 10, k: [3, 3], pad: [1, 0, 1, 1] },
  ],
  ['16 channels in, 1x1 kernel, 31 wide', { batch: 2, c: 16, o: 5, h: 3, w: 31, k: [1, 1] }],
  ['LeNet conv2: 6->16, 14x14, 5x5 (10 wide)', { batch: 3, c: 6, o: 16, h: 14, w: 14, k: [5, 5] }],
  // Backward-data of "valid" layers runs as a forward padded by kH - 1, whose tiles skip the kernel
  // rows that read only padding rows; these forwards skip rows too (padding up to kH - 1).
  ['LeNet conv2, batch 1', { batch: 1, c: 6, o: 16, h: 14, w: 14, k: [5, 5] }],
  ['valid 5x3, 7->5, 13x11 (odd rows)', { batch: 3, c: 7, o: 5, h: 13, w: 11, k: [5, 3] }],
  [
    'padding kH - 1 on every side, 3->6, 5x5 on 7x9',
    { batch: 3, c: 3, o: 6, h: 7, w: 9, k: [5, 5], pad: [4, 4, 4, 4] },
  ],
  [
    'top padding only, 6->16, 5x5 on 3x14 (rows of the tile all in padding)',
    { batch: 1, c: 6, o: 16, h: 3, w: 14, k: [5, 5], pad: [4, 1, 0, 0] },
  ],
  [
    'odd width 29, 7 channels out, 3x4 kernel',
    { batch: 2, c: 5, o: 7, h: 9, w: 29, k: [3, 4], pad: [1, 0, 2, 1] },
  ],
  [
    '32 channels out (3 panels), width 13',
    { batch: 1, c: 4, o: 32, h: 6, w: 13, k: [3, 3], pad: [0, 1, 1, 1] },
  ],
  [
    '25 channels out, width 47, odd rows',
    { batch: 3, c: 2, o: 25, h: 5, w: 47, k: [2, 3], pad: [1, 1, 0, 2] },
  ],
  ['one output row, 1 channel', { batch: 1, c: 1, o: 1, h: 3, w: 20, k: [3, 3] }],
  ['no padding, 17 wide', { batch: 2, c: 3, o: 9, h: 12, w: 21, k: [5, 5] }],
  [
    'stride 2 beside them (other paths)',
    { batch: 2, c: 3, o: 12, h: 15, w: 17, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
  ],
];

describe('native small-channel convolutions match the float64 reference', { skip: skipWithoutAddon }, () => {
  for (const [name, g] of SMALL) {
    it(name, () => {
      const rng = new Rng(name.length * 104729 + 11);
      const p = params(g);
      const k = p.inChannels * p.kH * p.kW;
      const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW);
      const w = randomArray(rng, p.outChannels * k);
      const bias = randomArray(rng, p.outChannels);
      const ySize = p.batch * p.outChannels * p.outH * p.outW;
      const dy = randomArray(rng, ySize);
      const residual = randomArray(rng, ySize);
      const tol = (n: number, msg: string) => ({ rtol: 1e-4, atol: 2e-6 * Math.sqrt(n + 1), msg });

      const plain = convForwardReference(p, x, w, null);
      const biased = convForwardReference(p, x, w, bias);
      const fused = biased.map((v, i) => Math.max(v + residual[i]!, 0));
      const dxWant = new Float64Array(x.length);
      referenceBackend.conv2dBackwardData(p, Float64Array.from(dy), Float64Array.from(w), dxWant);
      const dwWant = new Float64Array(w.length);
      referenceBackend.conv2dBackwardFilter(p, Float64Array.from(x), Float64Array.from(dy), dwWant);

      forEachConfig((label) => {
        const native = nativeBackend();
        const msg = `${name} (${label})`;
        for (const [b, want] of [
          [null, plain],
          [bias, biased],
        ] as const) {
          const got = new Float32Array(ySize).fill(Number.NaN);
          native.conv2dForward(p, x, w, b, got);
          assertClose(got, want, tol(k, `${msg} forward${b ? ' + bias' : ''}`));
        }
        // A handle from another backend runs the direct kernel with the epilogue; a native one
        // keeps the packed GEMM paths.
        const e: ConvEpilogue = { residual, activation: 'relu' };
        for (const prepared of [
          referenceBackend.prepareConv2dWeights(p, w),
          native.prepareConv2dWeights(p, w),
        ]) {
          const got = new Float32Array(ySize).fill(Number.NaN);
          native.conv2dForwardPrepared(p, x, prepared, bias, got, e);
          assertClose(
            got,
            fused,
            tol(k, `${msg} forward + bias + residual + relu (${prepared.backend} handle)`),
          );
        }

        const dx = new Float32Array(x.length).fill(Number.NaN);
        native.conv2dBackwardData(p, dy, w, dx);
        assertClose(dx, dxWant, tol(p.outChannels * p.kH * p.kW, `${msg} backward-data`));
        const dw = new Float32Array(w.length).fill(Number.NaN);
        native.conv2dBackwardFilter(p, x, dy, dw);
        assertClose(dw, dwWant, tol(p.batch * p.outH * p.outW, `${msg} backward-filter`));
      });
    });
  }
});
