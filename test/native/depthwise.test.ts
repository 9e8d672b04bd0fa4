import { after, before, describe, it } from 'node:test';
import * as st from '../../src/node.js';
import type { Conv2dParams } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import type { FusedActivation } from '../../src/ops/fused-activation.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { params, type Geometry } from './conv-geometries.js';
import { addon, forEachConfig, nativeBackend, randomArray, skipWithoutAddon } from './native-harness.js';

// Depthwise convolutions (groups = channels) on every native configuration against the float64
// reference: the direct path (3x3 and 5x5, stride 1 and 2, any padding) and the general one
// (dilation, other kernel sizes and strides), forward with each fused activation, input and
// filter gradients.

const ACTIVATIONS: (FusedActivation | null)[] = [null, 'relu', 'relu6'];

function f64(a: Float32Array): Float64Array {
  return Float64Array.from(a);
}

function clampTo(a: Float64Array, activation: FusedActivation | null): Float64Array {
  if (activation === 'relu') return a.map((v) => Math.max(v, 0));
  if (activation === 'relu6') return a.map((v) => Math.min(Math.max(v, 0), 6));
  return a;
}

function checkDepthwise(name: string, g: Geometry, rng: Rng, label: string): void {
  const p: Conv2dParams = params(g);
  const native = nativeBackend();
  const taps = p.kH * p.kW;
  // Values around 3 so that ReLU6 clamps at both ends.
  const x = randomArray(rng, p.batch * p.inChannels * p.inH * p.inW).map((v) => 3 * v);
  const w = randomArray(rng, p.outChannels * taps);
  const bias = randomArray(rng, p.outChannels).map((v) => 2 + v);
  const ySize = p.batch * p.outChannels * p.outH * p.outW;
  const dy = randomArray(rng, ySize);
  const msg = `${name} (${label})`;
  const tol = { rtol: 1e-5, atol: 1e-5 * Math.sqrt(taps) };

  const conv = new Float64Array(ySize);
  referenceBackend.conv2dForward(p, f64(x), f64(w), f64(bias), conv);
  const prepared = native.prepareConv2dWeights(p, w);
  for (const activation of ACTIVATIONS) {
    const got = new Float32Array(ySize).fill(Number.NaN);
    native.conv2dForwardPrepared(p, x, prepared, bias, got, { activation });
    assertClose(got, clampTo(conv, activation), { ...tol, msg: `${msg} forward, activation ${activation}` });
  }
  const plain = new Float32Array(ySize).fill(Number.NaN);
  native.conv2dForward(p, x, w, null, plain);
  const noBias = new Float64Array(ySize);
  referenceBackend.conv2dForward(p, f64(x), f64(w), null, noBias);
  assertClose(plain, noBias, { ...tol, msg: `${msg} forward without bias` });

  const dxWant = new Float64Array(x.length);
  referenceBackend.conv2dBackwardData(p, f64(dy), f64(w), dxWant);
  const dxGot = new Float32Array(x.length).fill(Number.NaN);
  native.conv2dBackwardData(p, dy, w, dxGot);
  assertClose(dxGot, dxWant, { ...tol, msg: `${msg} backward-data` });

  const dwWant = new Float64Array(w.length);
  referenceBackend.conv2dBackwardFilter(p, f64(x), f64(dy), dwWant);
  const dwGot = new Float32Array(w.length).fill(Number.NaN);
  native.conv2dBackwardFilter(p, x, dy, dwGot);
  const n = p.batch * p.outH * p.outW;
  assertClose(dwGot, dwWant, { rtol: 1e-5, atol: 3e-6 * Math.sqrt(n) * 3, msg: `${msg} backward-filter` });
}

/** Every direct-path combination: kernel 3 and 5, stride 1 and 2, four paddings, dilation 1 and 2. */
function combinations(): [string, Geometry][] {
  const out: [string, Geometry][] = [];
  const pads: [string, [number, number, number, number]][] = [
    ['no padding', [0, 0, 0, 0]],
    ['same padding', [-1, -1, -1, -1]],
    ['asymmetric padding', [0, 2, 1, 0]],
    ['padding beyond the kernel', [5, 4, 6, 5]],
  ];
  for (const k of [3, 5])
    for (const s of [1, 2])
      for (const d of [1, 2])
        for (const [padName, pad] of pads) {
          const half = (d * (k - 1)) >> 1;
          const pp = pad.map((v) => (v < 0 ? half : v)) as [number, number, number, number];
          // A wide image (rows of 32+ outputs write in place), a narrow one (rows run as one band)
          // and one plane of a single image (cut into row bands across threads).
          const sizes: [number, number, number, number][] = [
            [2, 3, 9, 41],
            [1, 2, 23, 7],
          ];
          for (const [batch, c, h, w] of sizes) {
            // (5x5 dilated by 2 spans 9 pixels: no output on the narrow image without padding.)
            if (Math.min(h + pp[0] + pp[1], w + pp[2] + pp[3]) < d * (k - 1) + 1) continue;
            out.push([
              `${k}x${k} stride ${s} dilation ${d}, ${padName}, ${batch}x${c}x${h}x${w}`,
              { batch, c, o: c, h, w, k: [k, k], stride: [s, s], pad: pp, dilation: [d, d], groups: c },
            ]);
          }
        }
  return out;
}

describe('native depthwise convolution matches the float64 reference', { skip: skipWithoutAddon }, () => {
  before(() => addon?.setConvAlgorithm('auto'));
  after(() => addon?.setConvAlgorithm('auto'));

  it('3x3 and 5x5 kernels: every stride, padding, dilation and fused activation', () => {
    const cases = combinations();
    forEachConfig((label) => {
      const rng = new Rng(4242);
      for (const [name, g] of cases) checkDepthwise(name, g, rng, label);
    });
  });

  it('MobileNet-style planes: 7x7 to 33x17, odd and even sizes, batch 1 and 3', () => {
    // The widths around each vector-layout boundary of the x86 kernels: two rows to a vector
    // (up to 8 outputs a row), one partial block (9-16), several blocks with a partial last one;
    // stride 2 on odd and even sizes; 'same' padding (the centred kernels) and asymmetric padding.
    const cases: [string, Geometry][] = [];
    const planes: [number, number][] = [
      [7, 7],
      [8, 8],
      [9, 9],
      [14, 14],
      [15, 15],
      [16, 17],
      [13, 9],
      [28, 28],
      [33, 17],
    ];
    for (const k of [3, 5])
      for (const s of [1, 2])
        for (const [h, w] of planes)
          for (const batch of [1, 3]) {
            const half = (k - 1) >> 1;
            const pad: [number, number, number, number] =
              batch === 1 ? [half, half, half, half] : [half, half + 1, half - 1, half];
            const c = batch === 1 ? 5 : 2;
            cases.push([
              `${k}x${k} stride ${s}, ${batch}x${c}x${h}x${w}, padding ${pad.join(',')}`,
              { batch, c, o: c, h, w, k: [k, k], stride: [s, s], pad, groups: c },
            ]);
          }
    forEachConfig((label) => {
      const rng = new Rng(99);
      for (const [name, g] of cases) checkDepthwise(name, g, rng, label);
    });
  });

  it('3x3 padding 1 at batch 8: the whole-row kernels (two rows a vector, 32-column strips) on every width class', () => {
    // Stride 1 on planes 1 to 7 wide (two rows to a vector, odd heights leave a lone last row),
    // 17 to 64 wide (one or two strips of 32 columns, the last part-full) and stride 2 on inputs up
    // to 16 wide (two rows to a vector) and on inputs whose outputs are 17 to 64 wide; batch 8
    // with 3 channels also cuts row bands across threads.
    const cases: [string, Geometry][] = [];
    const planes: [number, number, number][] = [
      [1, 1, 1],
      [1, 7, 1],
      [2, 3, 1],
      [5, 6, 1],
      [7, 7, 1],
      [9, 5, 1],
      [28, 28, 1],
      [13, 31, 1],
      [11, 33, 1],
      [56, 56, 1],
      [9, 57, 1],
      [6, 64, 1],
      [14, 14, 2],
      [15, 15, 2],
      [9, 13, 2],
      [33, 33, 2],
      [56, 56, 2],
      [12, 63, 2],
      [9, 111, 2],
      [7, 128, 2],
    ];
    const pads: [number, number, number, number][] = [[1, 1, 1, 1]];
    // Left padding 1 with other top, bottom and right paddings (the strips read any of them).
    pads.push([0, 2, 1, 0], [2, 0, 1, 2]);
    for (const pad of pads)
      for (const [h, w, s] of pad[0] === 1 ? planes : planes.filter(([, w]) => w >= 7))
        cases.push([
          `3x3 stride ${s}, 8x3x${h}x${w}, padding ${pad.join(',')}`,
          { batch: 8, c: 3, o: 3, h, w, k: [3, 3], stride: [s, s], pad, groups: 3 },
        ]);
    forEachConfig((label) => {
      const rng = new Rng(808);
      for (const [name, g] of cases) checkDepthwise(name, g, rng, label);
    });
  });

  it('other kernels and strides (general path)', () => {
    const cases: [string, Geometry][] = [
      ['1x1', { batch: 2, c: 3, o: 3, h: 5, w: 6, k: [1, 1], groups: 3 }],
      ['2x3 kernel', { batch: 1, c: 4, o: 4, h: 7, w: 9, k: [2, 3], pad: [1, 0, 1, 1], groups: 4 }],
      ['7x7 kernel', { batch: 1, c: 2, o: 2, h: 12, w: 11, k: [7, 7], pad: [3, 3, 3, 3], groups: 2 }],
      [
        '3x3 stride 3',
        { batch: 2, c: 2, o: 2, h: 10, w: 11, k: [3, 3], stride: [3, 3], pad: [1, 1, 1, 1], groups: 2 },
      ],
      [
        '3x3 strides 1 and 2',
        { batch: 1, c: 3, o: 3, h: 9, w: 8, k: [3, 3], stride: [1, 2], pad: [1, 1, 1, 1], groups: 3 },
      ],
      [
        '5x5 on an image smaller than the kernel',
        { batch: 1, c: 2, o: 2, h: 3, w: 4, k: [5, 5], pad: [2, 2, 2, 2], groups: 2 },
      ],
    ];
    forEachConfig((label) => {
      const rng = new Rng(77);
      for (const [name, g] of cases) checkDepthwise(name, g, rng, label);
    });
  });

  it('MobileNetV2 shapes with a fused ReLU6 (large planes, batch 1)', () => {
    const cases: [string, Geometry][] = [
      ['112x112 stride 1', { batch: 1, c: 6, o: 6, h: 112, w: 112, k: [3, 3], pad: [1, 1, 1, 1], groups: 6 }],
      [
        '112x112 stride 2',
        { batch: 1, c: 3, o: 3, h: 112, w: 112, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1], groups: 3 },
      ],
      ['7x7, 96 channels', { batch: 2, c: 96, o: 96, h: 7, w: 7, k: [3, 3], pad: [1, 1, 1, 1], groups: 96 }],
    ];
    const rng = new Rng(5);
    for (const [name, g] of cases) checkDepthwise(name, g, rng, 'native');
  });

  it('a depthwise Conv2d with a fused ReLU6 in eval mode: forward and gradients as conv then relu6', () => {
    // prepackWeights with gradients recorded: the prepared path with the activation fused in the
    // kernel and its backward recorded beside it; the truth is the reference backend's plain
    // conv2d then relu6.
    st.manualSeed(3);
    const layer = new st.Conv2d(4, 4, 3, { padding: 1, groups: 4, activation: 'relu6' }).eval();
    layer.prepackWeights = true;
    const xData = st.randn([2, 4, 9, 10]).mul(3);
    const run = (backend: string, fused: boolean) =>
      st.withBackend(backend, () => {
        const x = xData.clone().requiresGrad_();
        const y = fused
          ? layer.forward(x)
          : st.relu6(st.conv2d(x, layer.weight, layer.bias, { padding: 1, groups: 4 }));
        const dy = st.tensor(
          Float32Array.from({ length: y.size }, (_, i) => Math.cos(0.37 * i)),
          y.shape,
        );
        st.sum(y.mul(dy)).backward();
        const grads = [x.grad!.clone(), layer.weight.grad!.clone(), layer.bias!.grad!.clone()];
        layer.zeroGrad();
        return { y: y.detach(), grads };
      });
    const want = run('reference', false);
    const got = run('native', true);
    assertClose(got.y, want.y, { atol: 1e-5, msg: 'forward' });
    got.grads.forEach((g, i) => assertClose(g, want.grads[i]!, { atol: 1e-4, msg: `gradient ${i}` }));
  });
});
