import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { ort, skipOrt } from '../helpers/onnxruntime.js';

/** Batch norms with statistics and affine values far from the identity, so folding changes numbers. */
function randomizeNorms(model: st.Module, rng: st.Rng): void {
  for (const m of model.modules()) {
    if (m instanceof st.BatchNorm2d) {
      m.runningMean!.data.set(st.randn([m.numFeatures], { rng }).mul(0.5).data);
      m.runningVar!.data.set(st.rand([m.numFeatures], { rng }).add(0.5).data);
      if (m.weight) m.weight.data.set(st.rand([m.numFeatures], { rng }).add(0.5).data);
      if (m.bias) m.bias.data.set(st.randn([m.numFeatures], { rng }).mul(0.3).data);
    }
  }
}

/** Output of the unfused model (batch norm and activations as separate ops) against the fused one. */
function checkFused(model: st.Module, x: st.Tensor, expected: st.FusionReport): st.Tensor {
  model.eval();
  const want = st.noGrad(() => model.forward(x));
  const report = st.fuseForInference(model);
  assert.deepEqual(report, expected);
  const got = st.noGrad(() => model.forward(x));
  const scale = Math.max(...Array.from(want.data, Math.abs));
  assertClose(got, want, { atol: 2e-5 * scale, rtol: 1e-4, msg: 'fused against unfused' });
  return got;
}

function basicBlockGraph(c: number, rng: st.Rng): st.Graph {
  const g = new st.Graph();
  const x = g.input();
  const relu = new st.ReLU();
  let h = g.add('conv1', new st.Conv2d(c, c, 3, { padding: 1, bias: false, rng }), x);
  h = g.add('bn1', new st.BatchNorm2d(c), h);
  h = g.add('relu', relu, h);
  h = g.add('conv2', new st.Conv2d(c, c, 3, { padding: 1, bias: false, rng }), h);
  h = g.add('bn2', new st.BatchNorm2d(c), h);
  h = g.add('add', new st.Add(), h, x);
  g.output(g.add(relu, h));
  return g;
}

test('Sequential conv-bn-relu folds into one convolution with the same output', () => {
  const rng = new st.Rng(3);
  const model = new st.Sequential(
    new st.Conv2d(3, 8, 3, { padding: 1, rng }),
    new st.BatchNorm2d(8),
    new st.ReLU(),
    new st.Conv2d(8, 4, 3, { stride: 2, bias: false, rng }),
    new st.BatchNorm2d(4, { affine: false }),
    new st.ReLU6(),
    new st.Flatten(),
  );
  randomizeNorms(model, rng);
  checkFused(model, st.randn([2, 3, 11, 9], { rng }).mul(3), { batchNormsFolded: 2, activationsFused: 2 });
  const kinds = model.children().map((m) => m.typeName);
  assert.deepEqual(kinds, ['Conv2d', 'Identity', 'Identity', 'Conv2d', 'Identity', 'Identity', 'Flatten']);
  const conv = model.children()[3] as st.Conv2d;
  assert.equal(conv.activation, 'relu6');
  assert.ok(conv.bias, 'a bias-free convolution gains the folded shift as its bias');
  assert.ok(!Object.keys(model.stateDict()).some((k) => k.includes('running')), 'batch-norm state is gone');
});

test('a residual Graph with a shared ReLU fuses both of its uses', () => {
  const rng = new st.Rng(4);
  const g = basicBlockGraph(6, rng);
  randomizeNorms(g, rng);
  checkFused(g, st.randn([1, 6, 7, 7], { rng }), { batchNormsFolded: 2, activationsFused: 2 });
  const steps = new Map(g.nodes().map((s) => [s.name, s.module]));
  assert.equal((steps.get('conv1') as st.Conv2d).activation, 'relu');
  assert.equal((steps.get('conv2') as st.Conv2d).activation, null);
  assert.equal((steps.get('add') as st.Add).activation, 'relu');
  assert.ok(steps.get('relu') instanceof st.Identity);
  assert.ok(steps.get('relu_1') instanceof st.Identity);
  assert.deepEqual(Object.keys(g.stateDict()).sort(), [
    'conv1.bias',
    'conv1.weight',
    'conv2.bias',
    'conv2.weight',
  ]);
  // The rewritten graph is what rebuilding it from its architecture gives (forwardAsync's worker
  // rebuilds models that way and checks the module tree).
  const rebuilt = st.decodeModelFile(st.encodeModelFile(g)).model;
  const names = (m: st.Module) => m.namedModules().map(([n, mod]) => `${n}:${mod.typeName}`);
  assert.deepEqual(names(rebuilt), names(g));
});

test('zoo models keep their outputs when fused (ResNet-18, MobileNetV2)', () => {
  const rng = new st.Rng(5);
  const cases: [st.Module, st.FusionReport][] = [
    [st.models.resnet18({ numClasses: 10 }), { batchNormsFolded: 20, activationsFused: 17 }],
    [st.models.mobilenet_v2({ numClasses: 10 }), { batchNormsFolded: 52, activationsFused: 35 }],
  ];
  for (const [model, report] of cases) {
    randomizeNorms(model, rng);
    checkFused(model, st.randn([1, 3, 32, 32], { rng }), report);
  }
});

test('nothing is fused where the data flow does not allow it', () => {
  const rng = new st.Rng(6);
  // The convolution's output also feeds the shortcut: folding would change what the sum reads.
  const g = new st.Graph();
  const x = g.input();
  const c = g.add('conv', new st.Conv2d(4, 4, 1, { rng }), x);
  const b = g.add('bn', new st.BatchNorm2d(4), c);
  g.output(g.add('add', new st.Add(), b, c));
  // A convolution applied twice (shared weights) keeps its weights.
  const shared = new st.Conv2d(4, 4, 1, { rng });
  const seq = new st.Sequential(shared, new st.BatchNorm2d(4), shared, new st.ReLU());
  // A ReLU on a graph input has no layer to move into.
  const h = new st.Graph();
  h.output(h.add('relu', new st.ReLU(), h.input()));
  for (const m of [g, seq, h]) {
    randomizeNorms(m, rng);
    checkFused(m, st.randn([2, 4, 3, 3], { rng }), { batchNormsFolded: 0, activationsFused: 0 });
  }
});

test('a custom forward is left alone, and training mode is refused', () => {
  class Custom extends st.Sequential {
    override forward(x: st.Tensor): st.Tensor {
      return super.forward(x).mul(2);
    }
  }
  const rng = new st.Rng(7);
  const custom = new Custom(new st.Conv2d(2, 2, 1, { rng }), new st.BatchNorm2d(2));
  randomizeNorms(custom, rng);
  checkFused(custom, st.randn([1, 2, 3, 3], { rng }), { batchNormsFolded: 0, activationsFused: 0 });

  const model = new st.Sequential(new st.Conv2d(2, 2, 1), new st.BatchNorm2d(2));
  assert.throws(
    () => st.fuseForInference(model),
    (e: unknown) =>
      e instanceof st.ValueError && /training mode/.test(e.message) && /model\.eval\(\)/.test(e.message),
  );
  assert.equal(model.children()[1]!.typeName, 'BatchNorm2d', 'a refused call changes nothing');
});

test("a convolution's activation option computes relu/relu6 of its output, with exact gradients", () => {
  const rng = new st.Rng(8);
  for (const activation of ['relu', 'relu6'] as const) {
    const conv = new st.Conv2d(3, 5, 3, { padding: 1, rng, activation });
    const plain = new st.Conv2d(3, 5, 3, { padding: 1, rng });
    plain.weight.data.set(conv.weight.data);
    plain.bias!.data.set(conv.bias!.data);
    const x = st.randn([2, 3, 6, 6], { rng }).mul(4);
    const after = activation === 'relu' ? st.relu : st.relu6;
    assertClose(conv.forward(x), after(plain.forward(x)), { atol: 0, rtol: 0, msg: activation });
  }
  // Finite differences through the fused activation, in float64.
  const x = st.randn([1, 2, 5, 5], { rng, dtype: 'float64' }).mul(3).requiresGrad_();
  const w = st.randn([3, 2, 3, 3], { rng, dtype: 'float64' }).requiresGrad_();
  const b = st.randn([3], { rng, dtype: 'float64' }).requiresGrad_();
  const relu6Conv = new st.Conv2d(2, 3, 3, { activation: 'relu6' });
  relu6Conv.weight = new st.Parameter(w);
  relu6Conv.bias = new st.Parameter(b);
  assert.ok(st.gradcheck((xx) => relu6Conv.forward(xx), [x]));
});

test('Add with an activation leaves a single input untouched', () => {
  const x = st.tensor([-1, 2, -3, 8]);
  const y = new st.Add({ activation: 'relu6' }).forward(x);
  assert.deepEqual(Array.from(y.data), [0, 2, 0, 6]);
  assert.deepEqual(Array.from(x.data), [-1, 2, -3, 8]);
  assert.throws(
    () => new st.Add({ activation: 'gelu' as st.FusedActivation }),
    (e: unknown) => e instanceof st.ValueError && /'relu', 'relu6'/.test(e.message),
  );
});

test('a fused model saves, loads and exports to ONNX with its activations', { skip: skipOrt }, async () => {
  const rng = new st.Rng(9);
  const g = basicBlockGraph(4, rng);
  randomizeNorms(g, rng);
  const x = st.randn([1, 4, 5, 5], { rng });
  const fused = checkFused(g, x, { batchNormsFolded: 2, activationsFused: 2 });

  const loaded = st.decodeModelFile(st.encodeModelFile(g)).model;
  assertClose(
    st.noGrad(() => loaded.forward(x)),
    fused,
    { atol: 0, rtol: 0, msg: 'reloaded' },
  );

  const session = await ort!.InferenceSession.create(st.exportOnnx(g, [x]));
  const out = await session.run({
    [session.inputNames[0]!]: new ort!.Tensor('float32', x.data as Float32Array, [...x.shape]),
  });
  const y = out[session.outputNames[0]!]!;
  assertClose(st.tensor(Array.from(y.data as Float32Array), [...fused.shape]), fused, {
    atol: 1e-5,
    rtol: 1e-4,
    msg: 'onnxruntime',
  });
});
