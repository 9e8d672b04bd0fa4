import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

const L = st.layers;

describe('Keras-style shorthand', () => {
  function deckNetwork(): st.Sequential {
    // input 32x32x3; conv 8@3x3 stride 1 same; conv 16@5x5 stride 2 same; flatten; dense 512; dense 4
    return new st.Sequential(
      L.conv2d(8, 3, { strides: 1, padding: 'same', activation: 'relu' }),
      L.conv2d(16, 5, { strides: 2, padding: 'same', activation: 'relu' }),
      L.flatten(),
      L.dense(512, { activation: 'relu' }),
      L.dense(4, { activation: 'softmax' }),
    );
  }

  it("infers sizes at the first forward and gives the deck's counts [224, 3216, 2097664, 2052] = 2,103,156", () => {
    const model = deckNetwork();
    const y = model.forward(st.zeros([1, 3, 32, 32]));
    assert.deepEqual([...y.shape], [1, 4]);
    assert.deepEqual(
      [...model].map((m) => m.numParameters()),
      [224, 3216, 0, 2097664, 2052],
    );
    assert.equal(model.numParameters(), 2103156);
    assert.deepEqual(Object.keys(model.stateDict()), [
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '3.weight',
      '3.bias',
      '4.weight',
      '4.bias',
    ]);
  });

  it('refuses to list parameters before the first forward, saying what to do', () => {
    const model = deckNetwork();
    for (const use of [() => model.parameters(), () => model.stateDict(), () => model.numParameters()]) {
      assert.throws(
        use,
        /Conv2d \(lazy\): its parameters do not exist yet.*first forward.*st\.layers\.build/s,
      );
    }
    assert.throws(() => model.loadStateDict({}), /do not exist yet/);
    assert.match(
      model.toString(),
      /\(0\): Conv2d\(filters=8, kernelSize=3, padding="same", built at the first forward, activation=relu\)/,
    );
  });

  it('build() materializes with a zero batch without touching running statistics or modes', () => {
    const model = new st.Sequential(L.conv2d(4, 3), L.batchNorm(), L.flatten(), L.dense(3), L.batchNorm());
    st.layers.build(model, [1, 1, 6, 6]);
    assert.ok(
      model.modules().every((m) => m.training),
      'still in training mode',
    );
    const bn = (model[1] as st.LazyLayer).layer as st.BatchNorm2d;
    assert.ok(bn instanceof st.BatchNorm2d);
    assert.ok((model[4] as st.LazyLayer).layer instanceof st.BatchNorm1d);
    assert.deepEqual([...bn.runningMean!.data], [0, 0, 0, 0]);
    assert.equal(bn.numBatchesTracked!.item(), 0);
    // Keras conventions: momentum 0.99 keeps 99% of the running value (PyTorch momentum 0.01), eps 1e-3.
    assertClose([bn.momentum!], [0.01], { atol: 1e-12 });
    assert.equal(bn.eps, 1e-3);
    assert.ok(bn.training, 'the built layer follows its lazy owner');
    assert.equal(model.numParameters(), 4 * 9 + 4 + 8 + 64 * 3 + 3 + 6);
  });

  it('applies the activation after the built layer, with glorot-uniform kernels and zero biases', () => {
    const conv = L.conv2d(6, 3, { activation: 'relu', rng: new st.Rng(1) });
    const x = st.randn([2, 5, 7, 7], { seed: 2 });
    const y = conv.forward(x);
    const inner = conv.layer as st.Conv2d;
    assertClose(y, st.relu(inner.forward(x)));
    const bound = Math.sqrt(6 / (5 * 9 + 6 * 9));
    assert.ok(inner.weight.data.every((v) => Math.abs(v) <= bound));
    assert.ok(inner.bias!.data.every((v) => v === 0));
    const he = L.dense(4, { kernelInitializer: 'heNormal', biasInitializer: 'ones', useBias: true });
    he.forward(st.zeros([1, 10]));
    assert.deepEqual([...(he.layer as st.Linear).bias!.data], [1, 1, 1, 1]);
    const noBias = L.dense(2, { useBias: false });
    noBias.forward(st.zeros([1, 3]));
    assert.deepEqual(Object.keys(noBias.stateDict()), ['weight']);
  });

  it('builds in the mode of its owner and follows train()/eval() afterwards', () => {
    const model = new st.Sequential(L.dense(3), L.batchNorm(), L.dropout(0.5));
    model.eval();
    model.forward(st.ones([4, 2]));
    const bn = (model[1] as st.LazyLayer).layer as st.BatchNorm1d;
    assert.equal(bn.training, false);
    assert.equal(bn.numBatchesTracked!.item(), 0);
    model.train();
    assert.equal(bn.training, true);
  });

  it('gives PyTorch layers for the parameter-free shorthands', () => {
    assert.ok(L.maxPool2d(2) instanceof st.MaxPool2d);
    assert.deepEqual([...L.maxPool2d(2).stride], [2, 2]);
    assert.deepEqual(
      [...L.maxPool2d(3, { strides: 1, padding: 'same' }).forward(st.zeros([1, 1, 5, 5])).shape],
      [1, 1, 5, 5],
    );
    assert.deepEqual([...L.avgPool2d(2).forward(st.ones([1, 1, 4, 4])).data], [1, 1, 1, 1]);
    assert.ok(L.flatten() instanceof st.Flatten);
    assert.equal(L.dropout(0.3).p, 0.3);
    assert.ok(L.globalAvgPool2d() instanceof st.GlobalAvgPool2d);
    assert.ok(L.activation('tanh') instanceof st.Tanh);
    assert.ok(L.activation('linear') instanceof st.Identity);
    assert.throws(() => L.activation('swishy' as st.ActivationName), /unknown activation "swishy"/);
    assert.deepEqual([...L.upSampling2d(2).forward(st.ones([1, 1, 2, 2])).shape], [1, 1, 4, 4]);
    assert.deepEqual([...L.zeroPadding2d(1).forward(st.ones([1, 1, 2, 2])).shape], [1, 1, 4, 4]);
  });

  it('composes in a Graph with merge layers', () => {
    const g = new st.Graph();
    const x = g.input([3, 8, 8]);
    const a = g.add('a', L.conv2d(4, 3, { padding: 'same', activation: 'relu' }), x);
    const b = g.add('b', L.separableConv2d(4, 3, { padding: 'same' }), x);
    const s = g.add('s', L.add(), a, b);
    const c = g.add('c', L.concatenate(), s, x);
    const t = g.add('t', L.conv2dTranspose(2, 2, { strides: 2 }), c);
    g.output(g.add('p', L.globalAvgPool2d(), t));
    assert.deepEqual([...g.forward(st.zeros([2, 3, 8, 8])).shape], [2, 2]);
    assert.deepEqual(Object.keys(g.stateDict()), [
      'a.weight',
      'a.bias',
      'b.depthwise.weight',
      'b.depthwise.bias',
      'b.pointwise.weight',
      'b.pointwise.bias',
      't.weight',
      't.bias',
    ]);
    assert.deepEqual([...(g.getSubmodule('t') as st.LazyLayer).layer.parameters()[0]!.shape], [7, 2, 2, 2]);
  });
});
