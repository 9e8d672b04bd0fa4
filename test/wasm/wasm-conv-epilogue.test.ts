import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Conv2dParams, ConvEpilogue } from '../../src/backend/backend.js';
import { createNativeBackend } from '../../src/backend/native/native-backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import '../../src/backend/wasm/read-wasm-file-node.js';
import { DEFAULT_WASM_URL, instantiateWasmAddon } from '../../src/backend/wasm/load-wasm.js';
import { createWasmAddon } from '../../src/backend/wasm/wasm-addon.js';
import type { StrideWasmExports } from '../../src/backend/wasm/wasm-exports.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { convEpilogueReference, params } from '../native/conv-geometries.js';

// The wasm module's fused convolution epilogue (conv + bias + residual + ReLU written by the
// kernel's tiles, ReLU6 clamped after), and the kernels under it, against the float64 reference backend, on the
// single-threaded module and the threaded one on 1 and 2 threads. Needs no native addon (the
// test/native suites run the same kernels through forEachConfig only when the addon is built).

const CASES: [string, Conv2dParams][] = [
  [
    '3x3 stride 1 (Winograd-sized), batch 2',
    params({ batch: 2, c: 16, o: 24, h: 10, w: 11, k: [3, 3], pad: [1, 1, 1, 1] }),
  ],
  [
    '3x3 stride 2',
    params({ batch: 1, c: 8, o: 12, h: 9, w: 9, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] }),
  ],
  ['1x1, 40 channels', params({ batch: 2, c: 24, o: 40, h: 6, w: 6, k: [1, 1] })],
  ['grouped 3x3', params({ batch: 1, c: 8, o: 8, h: 7, w: 7, k: [3, 3], pad: [1, 1, 1, 1], groups: 2 })],
  // The module's indirect kernel (4-row panels, 8-column tiles, partial tiles reading only their
  // columns; up to 384 taps): strided layers over phase planes, stride-1 ones over the padded
  // input; and im2col + GEMM for more taps.
  [
    '7x7 stride 2 from 3 channels (a stem: phase planes), 10 outputs per row',
    params({ batch: 2, c: 3, o: 10, h: 21, w: 19, k: [7, 7], stride: [2, 2], pad: [3, 3, 3, 3] }),
  ],
  [
    '3x3 stride 2, 48 channels (432 taps: im2col + GEMM, two k-blocks), 7 outputs per row',
    params({ batch: 1, c: 48, o: 9, h: 11, w: 13, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] }),
  ],
  [
    '5x5 stride 3, uneven padding',
    params({ batch: 1, c: 4, o: 5, h: 17, w: 23, k: [5, 5], stride: [3, 3], pad: [2, 1, 2, 0] }),
  ],
  [
    '5x5 stride 1, 12 channels (300 taps, indirect), 40 outputs per row (32 + 8)',
    params({ batch: 1, c: 12, o: 7, h: 6, w: 40, k: [5, 5], pad: [2, 2, 2, 2] }),
  ],
  [
    '3x3 stride 1 on a 3x5 output (too small for Winograd), 64 channels (im2col + GEMM)',
    params({ batch: 2, c: 64, o: 13, h: 3, w: 5, k: [3, 3], pad: [1, 1, 1, 1] }),
  ],
  [
    '3x3 stride 1 on a 3x7 output, 40 channels (360 taps, indirect)',
    params({ batch: 1, c: 40, o: 6, h: 3, w: 7, k: [3, 3], pad: [1, 1, 1, 1] }),
  ],
  [
    '3x3 dilation 2, stride 1',
    params({ batch: 1, c: 6, o: 5, h: 12, w: 14, k: [3, 3], pad: [2, 2, 2, 2], dilation: [2, 2] }),
  ],
];

function randomArray(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

const threaded = await instantiateWasmAddon(undefined, 2);

describe('wasm conv2d epilogue: bias + residual + ReLU / ReLU6 in the kernel', () => {
  after(() => threaded.setNumThreads(2));

  it('runs the module’s fused entry point (no JavaScript pass after the conv)', async () => {
    const module = await WebAssembly.compile(readFileSync(fileURLToPath(DEFAULT_WASM_URL)));
    const instance = await WebAssembly.instantiate(module, {});
    const ex = instance.exports as unknown as StrideWasmExports;
    ex._initialize();
    let fused = 0;
    const counted: StrideWasmExports = {
      ...ex,
      stride_conv2d_forward_fused: (...a: Parameters<StrideWasmExports['stride_conv2d_forward_fused']>) => {
        fused++;
        ex.stride_conv2d_forward_fused(...a);
      },
    };
    const backend = createNativeBackend(createWasmAddon(counted), 'wasm');
    const [, p] = CASES[0]!;
    const rng = new Rng(5);
    const w = randomArray(rng, p.outChannels * p.inChannels * p.kH * p.kW);
    const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW);
    const residual = randomArray(rng, p.batch * p.outChannels * p.outH * p.outW);
    const y = new Float32Array(residual.length);
    for (const prepared of [backend.prepareConv2dWeights(p, w), referenceBackend.prepareConv2dWeights(p, w)])
      backend.conv2dForwardPrepared(p, x, prepared, null, y, { residual, activation: 'relu' });
    assert.equal(fused, 2);
  });

  for (const [name, p] of CASES) {
    it(`${name}: equals the float64 reference on every module and thread count`, async () => {
      const rng = new Rng(name.length * 31 + 1);
      const w = randomArray(rng, p.outChannels * (p.inChannels / p.groups) * p.kH * p.kW);
      const bias = randomArray(rng, p.outChannels);
      const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW);
      const residual = randomArray(rng, p.batch * p.outChannels * p.outH * p.outW);
      const epilogues: [string, ConvEpilogue][] = [
        ['residual + relu', { residual, activation: 'relu' }],
        ['residual only', { residual, activation: null }],
        ['residual + relu6', { residual, activation: 'relu6' }],
      ];
      const configs: [string, () => void, ReturnType<typeof createNativeBackend>][] = [
        ['stride.wasm', () => undefined, createNativeBackend(await instantiateWasmAddon(), 'wasm')],
        [
          'stride-threads.wasm, 1 thread',
          () => threaded.setNumThreads(1),
          createNativeBackend(threaded, 'wasm'),
        ],
        [
          'stride-threads.wasm, 2 threads',
          () => threaded.setNumThreads(2),
          createNativeBackend(threaded, 'wasm'),
        ],
      ];
      const k = (p.inChannels / p.groups) * p.kH * p.kW;
      for (const [label, setup, backend] of configs) {
        setup();
        for (const [what, e] of epilogues) {
          for (const b of [bias, null]) {
            const want = convEpilogueReference(p, x, w, b, e);
            // Weights prepared by this backend (resident and packed in the module) and by another one.
            for (const prepared of [
              backend.prepareConv2dWeights(p, w),
              referenceBackend.prepareConv2dWeights(p, w),
            ]) {
              const got = new Float32Array(want.length).fill(Number.NaN);
              backend.conv2dForwardPrepared(p, x, prepared, b, got, e);
              assertClose(got, want, {
                rtol: 1e-4,
                atol: 2e-5 * k,
                msg: `${name} (${label}, ${prepared.backend} handle) ${what}${b ? ' + bias' : ''}`,
              });
            }
          }
        }
      }
    });
  }
});
