import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

// Parameter counts from the lecture decks (lecture-examples.json "parameter_counts"), copied here.
describe('layer parameter counts from the decks', () => {
  it('conv 1 filter 3x3 on 3 channels with bias = 28', () => {
    assert.equal(new st.Conv2d(3, 1, 3).numParameters(), 28);
  });

  it('16 filters 3x3 on RGB = 448', () => {
    assert.equal(new st.Conv2d(3, 16, 3).numParameters(), 448);
  });

  it('10 filters 5x5 on 32x32x3, stride 1, pad 2 = 760 -> 32x32x10', () => {
    const conv = new st.Conv2d(3, 10, 5, { stride: 1, padding: 2 });
    assert.equal(conv.numParameters(), 760);
    assert.deepEqual([...conv.forward(st.zeros([1, 3, 32, 32])).shape], [1, 10, 32, 32]);
  });

  it('AlexNet CONV1: 96 11x11 on 227x227x3 stride 4 = 34,944 -> 55x55x96', () => {
    const conv = new st.Conv2d(3, 96, 11, { stride: 4 });
    assert.equal(conv.numParameters(), 34944);
    assert.deepEqual([...conv.forward(st.zeros([1, 3, 227, 227])).shape], [1, 96, 55, 55]);
  });

  it('2 filters 3x3x3 with bias = 56', () => {
    assert.equal(new st.Conv2d(3, 2, 3).numParameters(), 56);
  });

  it('MobileNet: depthwise 5x5 on 3 channels = 78, pointwise 3 -> 256 = 1,024, standard 5x5 3 -> 256 = 19,456', () => {
    const sep = new st.DepthwiseSeparableConv2d(3, 256, 5);
    assert.equal(sep.depthwise.numParameters(), 78);
    assert.equal(sep.pointwise.numParameters(), 1024);
    assert.equal(sep.numParameters(), 78 + 1024);
    assert.deepEqual(Object.keys(sep.stateDict()), [
      'depthwise.weight',
      'depthwise.bias',
      'pointwise.weight',
      'pointwise.bias',
    ]);
    assert.equal(new st.Conv2d(3, 3, 5, { groups: 3 }).numParameters(), 78);
    assert.equal(new st.Conv2d(3, 256, 5).numParameters(), 19456);
    assert.deepEqual([...sep.forward(st.zeros([1, 3, 9, 9])).shape], [1, 256, 5, 5]);
  });

  it("the deck's network: per-layer [224, 3216, 2097664, 2052], total 2,103,156", () => {
    // input 32x32x3; conv 8@3x3 stride 1 same; conv 16@5x5 stride 2 same; flatten; dense 512; dense 4
    const model = new st.Sequential(
      new st.Conv2d(3, 8, 3, { stride: 1, padding: 'same' }),
      new st.Conv2d(8, 16, 5, { stride: 2, padding: 'same' }),
      new st.Flatten(),
      new st.Linear(16 * 16 * 16, 512),
      new st.Linear(512, 4),
    );
    assert.deepEqual(
      [...model].map((m) => m.numParameters()),
      [224, 3216, 0, 2097664, 2052],
    );
    assert.equal(model.numParameters(), 2103156);
    assert.deepEqual([...model.forward(st.zeros([1, 3, 32, 32])).shape], [1, 4]);
  });
});

describe('layer shapes and options', () => {
  it('Conv2d follows groups, dilation and bias options, and rejects groups that do not divide', () => {
    const c = new st.Conv2d(4, 6, [3, 5], { groups: 2, dilation: 2, bias: false, padding: [2, 4] });
    assert.deepEqual([...c.weight.shape], [6, 2, 3, 5]);
    assert.equal(c.bias, null);
    assert.deepEqual([...c.forward(st.zeros([1, 4, 10, 10])).shape], [1, 6, 10, 10]);
    assert.throws(
      () => new st.Conv2d(4, 6, 3, { groups: 4 }),
      /groups \(4\) must divide both inChannels \(4\) and outChannels \(6\)/,
    );
    assert.throws(() => new st.Conv2d(0, 6, 3), /inChannels must be an integer >= 1/);
  });

  it("Conv2dTranspose uses PyTorch's weight layout and output size; ConvTranspose2d is the same class", () => {
    const t = new st.ConvTranspose2d(8, 4, 3, { stride: 2, padding: 1, outputPadding: 1 });
    assert.ok(t instanceof st.Conv2dTranspose);
    assert.deepEqual([...t.weight.shape], [8, 4, 3, 3]);
    // (5 - 1) * 2 - 2 * 1 + 3 + 1 = 10
    assert.deepEqual([...t.forward(st.zeros([2, 8, 5, 5])).shape], [2, 4, 10, 10]);
  });

  it('Linear works on the last dimension; Dense is the same class', () => {
    const d = new st.Dense(5, 3);
    assert.ok(d instanceof st.Linear);
    assert.deepEqual([...d.forward(st.zeros([2, 7, 5])).shape], [2, 7, 3]);
  });

  it('pooling layers', () => {
    const x = st.arange(0, 32).reshape([1, 2, 4, 4]);
    assert.deepEqual([...new st.MaxPool2d(2).forward(x).data], [5, 7, 13, 15, 21, 23, 29, 31]);
    assert.deepEqual(
      [...new st.AvgPool2d(2).forward(x).data],
      [2.5, 4.5, 10.5, 12.5, 18.5, 20.5, 26.5, 28.5],
    );
    assert.deepEqual([...new st.MaxPool2d(3, { stride: 1, padding: 1 }).forward(x).shape], [1, 2, 4, 4]);
    assert.deepEqual([...new st.AdaptiveAvgPool2d(1).forward(x).data], [7.5, 23.5]);
    assert.deepEqual([...new st.AdaptiveMaxPool2d([1, 2]).forward(x).shape], [1, 2, 1, 2]);
    assert.deepEqual([...new st.GlobalAvgPool2d().forward(x).shape], [1, 2]);
    assert.deepEqual([...new st.GlobalAvgPool2d({ keepdim: true }).forward(x).shape], [1, 2, 1, 1]);
    assert.deepEqual([...new st.GlobalMaxPool2d().forward(x).data], [15, 31]);
    const cm = new st.ChannelMaxPool().forward(x);
    assert.deepEqual([...cm.shape], [1, 1, 4, 4]);
    assert.equal(cm.data[0], 16);
  });

  it('MaxPool2d.forwardWithIndices feeds MaxUnpool2d, and hooks see the pooled values', () => {
    const pool = new st.MaxPool2d(2);
    const unpool = new st.MaxUnpool2d(2);
    let hooked: number[] = [];
    pool.registerForwardHook((_m, _i, out) => void (hooked = [...out.shape]));
    const x = st.tensor([1, 9, 2, 3, 4, 5, 8, 6, 7, 0, 1, 1, 2, 3, 1, 5], [1, 1, 4, 4]);
    const { values, indices } = pool.forwardWithIndices(x);
    assert.deepEqual(hooked, [1, 1, 2, 2]);
    assert.deepEqual([...values.data], [9, 8, 7, 5]);
    assert.deepEqual([...indices.data], [1, 6, 8, 15]);
    const restored = unpool.forward(values, indices);
    assert.deepEqual([...restored.data], [0, 9, 0, 0, 0, 0, 8, 0, 7, 0, 0, 0, 0, 0, 0, 5]);
    const odd = st.randn([1, 1, 5, 5]);
    const r = pool.forwardWithIndices(odd);
    assert.deepEqual([...unpool.forward(r.values, r.indices, odd).shape], [1, 1, 5, 5]);
    assert.throws(
      () => (unpool.forward as (x: st.Tensor) => st.Tensor)(values),
      /indices of the max pooling/,
    );
  });

  it('Flatten, ZeroPad2d, Identity, Add, Concat, Upsample', () => {
    const x = st.ones([2, 3, 2, 2]);
    assert.deepEqual([...new st.Flatten().forward(x).shape], [2, 12]);
    assert.deepEqual([...new st.Flatten(0).forward(x).shape], [24]);
    const p = new st.ZeroPad2d([1, 0, 2, 1]).forward(st.ones([1, 1, 1, 1]));
    assert.deepEqual([...p.shape], [1, 1, 4, 2]);
    assert.deepEqual([...p.data], [0, 0, 0, 0, 0, 1, 0, 0]);
    assert.equal(new st.Identity().forward(x), x);
    assert.deepEqual(
      [...new st.Add().forward(st.tensor([1, 2]), st.tensor([10, 20]), st.tensor([100, 200])).data],
      [111, 222],
    );
    assert.deepEqual([...new st.Concat().forward(x, st.zeros([2, 5, 2, 2])).shape], [2, 8, 2, 2]);
    const up = new st.Upsample({ scaleFactor: 2 }).forward(st.tensor([1, 2, 3, 4], [1, 1, 2, 2]));
    assert.deepEqual([...up.data], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    assert.throws(() => new st.Upsample({}), /exactly one of size and scaleFactor/);
  });

  it('activation layers', () => {
    const x = st.tensor([-2, 0, 3]);
    assert.deepEqual([...new st.ReLU().forward(x).data], [0, 0, 3]);
    assert.deepEqual([...new st.LeakyReLU(0.5).forward(x).data], [-1, 0, 3]);
    assertClose(new st.ELU().forward(x), [Math.exp(-2) - 1, 0, 3]);
    assertClose(new st.Sigmoid().forward(x), [1 / (1 + Math.exp(2)), 0.5, 1 / (1 + Math.exp(-3))]);
    assertClose(new st.Tanh().forward(x), [Math.tanh(-2), 0, Math.tanh(3)]);
    assertClose(new st.GELU().forward(st.tensor([1])), [0.8413447]);
    // Implicit softmax dimension: 1 for [N, C], 0 for an unbatched vector.
    const logits = st.tensor([
      [1, 2],
      [3, 3],
    ]);
    assertClose(new st.Softmax().forward(logits), [1 / (1 + Math.E), Math.E / (1 + Math.E), 0.5, 0.5]);
    assertClose(new st.Softmax().forward(st.tensor([0, 0])), [0.5, 0.5]);
    assertClose(new st.LogSoftmax(1).forward(logits), [
      -Math.log(1 + Math.E),
      -Math.log(1 + 1 / Math.E),
      -Math.LN2,
      -Math.LN2,
    ]);
  });
});

describe('training and evaluation behaviour', () => {
  it('Dropout zeroes and rescales while training and is the identity in eval mode', () => {
    const drop = new st.Dropout(0.25, { rng: new st.Rng(7) });
    const x = st.ones([20000]);
    const y = drop.forward(x);
    let zerosCount = 0;
    for (const v of y.data) {
      if (v === 0) zerosCount++;
      else assertClose([v], [1 / 0.75]);
    }
    assert.ok(Math.abs(zerosCount / 20000 - 0.25) < 0.015, `dropped ${zerosCount}`);
    drop.eval();
    assert.equal(drop.forward(x), x);
    const d2 = new st.Dropout2d(0.5, { rng: new st.Rng(8) });
    const maps = d2.forward(st.ones([4, 16, 3, 3]));
    for (let c = 0; c < 64; c++) {
      const plane = [...maps.data.subarray(c * 9, c * 9 + 9)];
      assert.ok(plane.every((v) => v === 0) || plane.every((v) => v === 2), 'whole channels dropped');
    }
    d2.eval();
    assert.deepEqual([...d2.forward(st.ones([1, 1, 1, 1])).data], [1]);
  });

  it('BatchNorm2d uses batch statistics and updates running ones in training, running ones in eval', () => {
    const bn = new st.BatchNorm2d(2);
    // Channel 0 holds 1, 2, 3, 6 (mean 3, biased var 3.5, unbiased 14/3); channel 1 holds 4 x 5.
    const x = st.tensor([1, 2, 5, 5, 3, 6, 5, 5], [2, 2, 1, 2]);
    const y = bn.forward(x);
    const s = Math.sqrt(3.5 + 1e-5);
    assertClose(y, [(1 - 3) / s, (2 - 3) / s, 0, 0, 0, 3 / s, 0, 0], { atol: 1e-5 });
    assertClose(bn.runningMean!, [0.9 * 0 + 0.1 * 3, 0.1 * 5]);
    assertClose(bn.runningVar!, [0.9 + 0.1 * (14 / 3), 0.9 + 0.1 * 0]);
    assert.equal(bn.numBatchesTracked!.item(), 1);
    bn.eval();
    const e = bn.forward(st.tensor([1, 1, 1, 1], [1, 2, 1, 2]));
    const rm = [0.3, 0.5];
    const rv = [0.9 + 14 / 30, 0.9];
    assertClose(
      e,
      [0, 0, 1, 1].map((_, i) => (1 - rm[i >> 1]!) / Math.sqrt(rv[i >> 1]! + 1e-5)),
      { atol: 1e-5 },
    );
    assert.equal(bn.numBatchesTracked!.item(), 1, 'eval does not count batches');
  });

  it('BatchNorm momentum null keeps a cumulative average; trackRunningStats false has no buffers', () => {
    const bn = new st.BatchNorm1d(1, { momentum: null });
    bn.forward(st.tensor([[2], [4]]));
    bn.forward(st.tensor([[6], [8]]));
    assertClose(bn.runningMean!, [(3 + 7) / 2]);
    const plain = new st.BatchNorm2d(3, { trackRunningStats: false, affine: false });
    assert.deepEqual(Object.keys(plain.stateDict()), []);
    plain.eval();
    const out = plain.forward(st.tensor([1, 3, 1, 3, 1, 3], [1, 3, 1, 2]));
    assertClose(out, [-1, 1, -1, 1, -1, 1], { atol: 1e-4 });
  });

  it('BatchNorm names the channel mismatch and the rank it wants', () => {
    assert.throws(
      () => new st.BatchNorm2d(3).forward(st.zeros([2, 4, 2, 2])),
      /has 4 channels but the layer normalizes 3/,
    );
    assert.throws(() => new st.BatchNorm2d(3).forward(st.zeros([2, 3])), /use BatchNorm1d/);
    assert.throws(() => new st.BatchNorm1d(3).forward(st.zeros([2, 3, 2, 2])), /use BatchNorm2d/);
  });

  it('InstanceNorm2d, GroupNorm, LayerNorm and LocalResponseNorm have the PyTorch parameter layout', () => {
    assert.deepEqual(Object.keys(new st.InstanceNorm2d(4).stateDict()), []);
    assert.deepEqual(
      Object.keys(new st.InstanceNorm2d(4, { affine: true, trackRunningStats: true }).stateDict()),
      ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'],
    );
    assert.equal(new st.GroupNorm(2, 6).numParameters(), 12);
    assert.throws(() => new st.GroupNorm(4, 6), /divisible by numGroups/);
    assert.deepEqual([...new st.LayerNorm([3, 4, 4]).weight!.shape], [3, 4, 4]);
    assert.equal(new st.LocalResponseNorm(5).numParameters(), 0);
    const inorm = new st.InstanceNorm2d(2).forward(st.tensor([1, 3, 5, 9], [2, 1, 2]));
    assertClose(inorm, [-1, 1, -1, 1], { atol: 1e-4 });
  });
});
