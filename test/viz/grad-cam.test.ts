import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

/**
 * A tiny network with known weights: a 2x2 stride-2 convolution (1 -> 2 channels) gives 2 maps of
 * 2x2 on a 4x4 input, global average pooling and a 2 -> 2 linear layer. Score_t = sum_k
 * V[t][k] * mean(A_k) + c_t, so d score_t / dA_k(i, j) = V[t][k] / 4 everywhere.
 */
function tinyNet(): st.Module {
  const conv = new st.Conv2d(1, 2, 2, { stride: 2, bias: false });
  conv.weight.data.set([1, 0, 0, 0, /* channel 1: */ 0, 0, 0, -1]);
  const fc = new st.Linear(2, 2);
  fc.weight.data.set([2, -1, /* class 1: */ -3, 1]);
  fc.bias!.data.set([0.5, -0.5]);
  return new st.Sequential(conv, new st.AdaptiveAvgPool2d(1), new st.Flatten(), fc);
}

// Input 4x4; conv channel 0 takes the top-left pixel of each 2x2 block, channel 1 minus the bottom-right one.
const X = [
  [1, 0, 3, 0],
  [0, 2, 0, -1],
  [4, 0, 0, 0],
  [0, -2, 0, 5],
];
// A_0 = [[1, 3], [4, 0]], A_1 = [[-2, 1], [2, -5]].
const A0 = [1, 3, 4, 0];
const A1 = [-2, 1, 2, -5];

/** PyTorch's bilinear 2 -> 4 resize (align_corners false): source rows/cols -0.25, 0.25, 0.75, 1.25 (clamped). */
function upsample2to4(m: number[]): number[] {
  const wts = [
    [1, 0],
    [0.75, 0.25],
    [0.25, 0.75],
    [0, 1],
  ];
  const out: number[] = [];
  for (const [a, b] of wts)
    for (const [c, d] of wts) out.push(a! * (c! * m[0]! + d! * m[1]!) + b! * (c! * m[2]! + d! * m[3]!));
  return out;
}

const scaled = (m: number[]) => {
  const mx = Math.max(...m);
  return m.map((v) => (mx > 0 ? v / mx : 0));
};

describe('st.viz.gradCam', () => {
  const x = st.tensor([[X]]);

  it('equals the hand computation on a tiny network with known weights', () => {
    // Class 0: alpha = [2/4, -1/4]; cam = relu(0.5 A_0 - 0.25 A_1) = relu([1, 1.25, 1.5, 1.25]).
    const cam0 = A0.map((a, i) => Math.max(0, 0.5 * a - 0.25 * A1[i]!));
    assert.deepEqual(cam0, [1, 1.25, 1.5, 1.25]);
    assertClose(
      st.viz.gradCam(tinyNet(), x, { layer: '0', target: 0 }),
      st.tensor([[scaled(upsample2to4(cam0))]]).reshape([1, 1, 4, 4]),
    );
    // Class 1: alpha = [-3/4, 1/4]; cam = relu(-0.75 A_0 + 0.25 A_1) = [0, 0, 0, 0] except nothing positive.
    const cam1 = A0.map((a, i) => Math.max(0, -0.75 * a + 0.25 * A1[i]!));
    assertClose(
      st.viz.gradCam(tinyNet(), x, { layer: '0', target: 1 }),
      st.tensor([[scaled(upsample2to4(cam1))]]).reshape([1, 1, 4, 4]),
    );
  });

  it('explains the predicted class by default', () => {
    const model = tinyNet();
    const logits = model.forward(x);
    const predicted = logits.data[0]! > logits.data[1]! ? 0 : 1;
    assertClose(
      st.viz.gradCam(model, x, { layer: '0' }),
      st.viz.gradCam(model, x, { layer: '0', target: predicted }),
    );
  });

  it('Grad-CAM++ weights each channel by sum alpha * relu(g), alpha = g^2 / (2 g^2 + sum(A) g^3)', () => {
    // The gradient is constant over each map: g_k = V[0][k] / 4 = [0.5, -0.25]; 4 positions each.
    const g = [0.5, -0.25];
    const sums = [A0.reduce((a, b) => a + b), A1.reduce((a, b) => a + b)];
    const w = g.map((gk, k) => 4 * ((gk * gk) / (2 * gk * gk + sums[k]! * gk ** 3)) * Math.max(gk, 0));
    const cam = A0.map((a, i) => Math.max(0, w[0]! * a + w[1]! * A1[i]!));
    assertClose(
      st.viz.gradCamPlusPlus(tinyNet(), x, { layer: '0', target: 0 }),
      st.tensor([[scaled(upsample2to4(cam))]]).reshape([1, 1, 4, 4]),
    );
  });

  it('names the layers that exist when the layer is unknown, and refuses a flat layer', () => {
    assert.throws(
      () => st.viz.gradCam(tinyNet(), x, { layer: 'conv9' }),
      /no layer named 'conv9'. Its layers are: 0, 1, 2, 3/,
    );
    assert.throws(() => st.viz.gradCam(tinyNet(), x, { layer: '2' }), /must output feature maps/);
  });

  it('ChannelScores explains a feature channel: its scores are the channel means of the layer', () => {
    const scores = new st.viz.ChannelScores(tinyNet(), '0');
    // Channel means of A_0 and A_1.
    assertClose(scores.forward(x), [[2, -1]]);
    // Grad-CAM of the same layer for channel 0: d mean(A_0) / dA = 1/4 on channel 0 only, so the map is relu(A_0) / 4, scaled.
    const cam = st.viz.gradCam(scores, x, { layer: 'model.0' });
    assertClose(
      cam,
      st.tensor([[scaled(upsample2to4(A0.map((a) => Math.max(0, a / 4))))]]).reshape([1, 1, 4, 4]),
    );
  });
});
