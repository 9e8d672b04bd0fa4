import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as st from '../../src/index.js';
import { load, loadCheckpoint, loadSafetensors, save, saveSafetensors } from '../../src/node-io.js';
import { assertClose } from '../helpers/assert-close.js';

const root = mkdtempSync(join(tmpdir(), 'stride-save-'));
after(() => {
  // Left in the OS temp dir on failure, for inspection; removed otherwise.
});

function smallCnn(rng: st.Rng): st.Sequential {
  return new st.Sequential({
    conv1: new st.Conv2d(3, 6, 3, { padding: 'same', rng }),
    bn1: new st.BatchNorm2d(6),
    relu1: new st.ReLU(),
    pool: new st.MaxPool2d(2),
    conv2: new st.Conv2d(6, 8, 3, { stride: 2, padding: [1, 0, 1, 0], groups: 2, rng }),
    act: new st.LeakyReLU(0.2),
    gap: new st.AdaptiveAvgPool2d([2, 2]),
    flat: new st.Flatten(),
    fc: new st.Linear(32, 5, { rng }),
  });
}

function sameTensors(a: st.StateDict, b: st.StateDict): void {
  assert.deepEqual(Object.keys(a), Object.keys(b));
  for (const k of Object.keys(a)) {
    assert.deepEqual([...a[k]!.shape], [...b[k]!.shape], k);
    assert.deepEqual([...a[k]!.data], [...b[k]!.data], k);
  }
}

test('a Sequential CNN round-trips through a model directory: weights, buffers, outputs, modes, frozen parameters', () => {
  const rng = new st.Rng(1);
  const model = smallCnn(rng);
  model.train();
  model.forward(st.randn([4, 3, 8, 8], { rng })); // moves the batch-norm running statistics
  model.eval();
  model.getSubmodule('bn1').train(); // a mode exception
  model.freeze('conv1');
  const dir = join(root, 'cnn');
  save(model, dir, { metadata: { epoch: '3' } });
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors']);

  const { model: back, config } = loadCheckpoint(dir);
  assert.equal(config.metadata.epoch, '3');
  assert.ok(back instanceof st.Sequential);
  sameTensors(back.stateDict(), model.stateDict());
  assert.equal(back.training, false);
  assert.equal(back.getSubmodule('bn1').training, true);
  assert.equal(back.getSubmodule('fc').training, false);
  assert.deepEqual(
    back
      .namedParameters()
      .filter(([, p]) => !p.requiresGrad)
      .map(([n]) => n),
    ['conv1.weight', 'conv1.bias'],
  );
  model.getSubmodule('bn1').eval();
  back.getSubmodule('bn1').eval();
  const x = st.randn([2, 3, 8, 8], { rng });
  assertClose(back.forward(x), model.forward(x), { atol: 0, rtol: 0 });
  assert.equal(back.toString(), model.toString());
});

test('training resumes exactly: Adam state saved with the model continues the same trajectory', () => {
  const rng = new st.Rng(2);
  const model = smallCnn(rng);
  const x = st.randn([4, 3, 8, 8], { rng });
  const y = st.tensor([0, 1, 2, 3]);
  const stepOn = (m: st.Module, opt: st.Optimizer) => {
    opt.zeroGrad();
    st.crossEntropy(m.forward(x), y).backward();
    opt.step();
  };
  const opt = new st.Adam(model.parameters(), { lr: 0.01 });
  for (let i = 0; i < 3; i++) stepOn(model, opt);
  const dir = join(root, 'resume');
  save(model, dir, { optimizer: opt });
  assert.ok(existsSync(join(dir, 'optimizer.safetensors')));

  const ckpt = loadCheckpoint(dir);
  const opt2 = new st.Adam(ckpt.model.parameters(), { lr: 0.5 });
  assert.equal(ckpt.optimizer!.type, 'Adam');
  opt2.loadStateDict(ckpt.optimizer!.state);
  assert.equal(opt2.paramGroups[0]!.lr, 0.01);
  for (let i = 0; i < 2; i++) {
    stepOn(model, opt);
    stepOn(ckpt.model, opt2);
  }
  sameTensors(ckpt.model.stateDict(), model.stateDict());
});

test('a Graph with a residual branch, a shared layer and two inputs round-trips', () => {
  const rng = new st.Rng(3);
  const g = new st.Graph();
  const a = g.input([4, 6, 6], 'image');
  const b = g.input([4, 6, 6], 'hint');
  const conv = new st.Conv2d(4, 4, 3, { padding: 1, rng });
  let h = g.add('conv', conv, a);
  h = g.add('relu', new st.ReLU(), h);
  h = g.add(conv, h); // the same weights applied twice
  const s = g.add('sum', new st.Add(), h, a, b);
  const c = g.add('cat', new st.Concat(1), s, b);
  const up = g.add('up', new st.Upsample({ scaleFactor: 2, mode: 'bilinear' }), c);
  g.output(up, s);
  const dir = join(root, 'graph');
  save(g, dir);
  const back = load(dir) as st.Graph;
  assert.ok(back instanceof st.Graph);
  assert.deepEqual(
    back.nodes().map((n) => [n.name, n.inputs]),
    g.nodes().map((n) => [n.name, n.inputs]),
  );
  assert.deepEqual(back.outputNames, ['up', 'sum']);
  const xa = st.randn([2, 4, 6, 6], { rng });
  const xb = st.randn([2, 4, 6, 6], { rng });
  const [u1, s1] = g.forwardAll(xa, xb);
  const [u2, s2] = back.forwardAll(xa, xb);
  assertClose(u2!, u1!, { atol: 0, rtol: 0 });
  assertClose(s2!, s1!, { atol: 0, rtol: 0 });
  assert.equal(back.parameters().length, 2, 'the shared convolution stays shared');
});

test('Keras-style lazy layers round-trip as built lazy layers with their activations', () => {
  const model = new st.Sequential(
    st.layers.conv2d(4, 3, { padding: 'same', activation: 'relu' }),
    st.layers.batchNorm(),
    st.layers.separableConv2d(6, 3, { activation: 'relu6' }),
    st.layers.flatten(),
    st.layers.dense(3, { activation: 'softmax' }),
  );
  st.layers.build(model, [1, 2, 5, 5]);
  const file = join(root, 'lazy.safetensors');
  save(model, file);
  const back = load(file) as st.Sequential;
  assert.ok(back.at(0) instanceof st.LazyLayer);
  assert.equal(back.at(0).toString(), model.at(0).toString());
  assert.equal(back.at(4).toString(), model.at(4).toString());
  sameTensors(back.stateDict(), model.stateDict());
  model.eval();
  back.eval();
  const x = st.randn([2, 2, 5, 5]);
  assertClose(back.forward(x), model.forward(x), { atol: 0, rtol: 0 });
});

test('every built-in layer type keeps its options through its spec', () => {
  const layers: st.Module[] = [
    new st.Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: 'same', dilation: 2, groups: 2, bias: false }),
    new st.Conv2dTranspose(4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
    new st.DepthwiseSeparableConv2d(3, 5, 3, { depthMultiplier: 2, padding: 'valid', bias: false }),
    new st.Linear(3, 2, { bias: false }),
    new st.MaxPool2d(3, { stride: 2, padding: 1, dilation: 1, ceilMode: true }),
    new st.AvgPool2d(2, { stride: 1, padding: 1, countIncludePad: false, divisorOverride: 3 }),
    new st.AdaptiveAvgPool2d([3, null]),
    new st.AdaptiveMaxPool2d(2),
    new st.GlobalAvgPool2d({ keepdim: true }),
    new st.GlobalMaxPool2d(),
    new st.ChannelMaxPool({ kernelSize: 2 }),
    new st.MaxUnpool2d(2, { stride: 2 }),
    new st.LeakyReLU(0.3),
    new st.ELU(0.5),
    new st.GELU({ approximate: 'tanh' }),
    new st.Softplus(2, 10),
    new st.Hardtanh(-2, 3),
    new st.Softmax(-1),
    new st.LogSoftmax(),
    new st.BatchNorm2d(5, { eps: 1e-3, momentum: null, affine: false }),
    new st.BatchNorm1d(5, { trackRunningStats: false }),
    new st.InstanceNorm2d(3, { affine: true, trackRunningStats: true, momentum: 0.2 }),
    new st.LayerNorm([4, 5], { elementwiseAffine: true, bias: false }),
    new st.GroupNorm(2, 6, { eps: 1e-4, affine: false }),
    new st.LocalResponseNorm(5, { alpha: 2e-4, beta: 0.7, k: 2 }),
    new st.Dropout(0.3),
    new st.Dropout2d(0.1),
    new st.Flatten(2, 3),
    new st.ZeroPad2d([1, 2, 3, 4]),
    new st.Concat(2),
    new st.Upsample({ size: [5, 7], mode: 'bilinear', alignCorners: true }),
    new st.ReLU(),
    new st.SELU(),
    new st.Sigmoid(),
    new st.Tanh(),
    new st.ReLU6(),
    new st.SiLU(),
    new st.Mish(),
    new st.Hardsigmoid(),
    new st.Hardswish(),
    new st.Identity(),
    new st.Add(),
  ];
  for (const layer of layers) {
    const spec = st.layerToSpec(layer);
    const rebuilt = st.layerFromSpec(JSON.parse(JSON.stringify(spec)));
    assert.equal(rebuilt.constructor, layer.constructor, spec.type);
    assert.deepEqual(st.layerToSpec(rebuilt), spec, spec.type);
    assert.equal(rebuilt.toString(), layer.toString(), spec.type);
    const sd = layer.stateDict();
    assert.equal(
      st.specStateSize(spec),
      Object.values(sd).reduce((n, t) => n + t.size, 0),
      `${spec.type} state size`,
    );
    assert.deepEqual(
      Object.entries(rebuilt.stateDict()).map(([k, t]) => [k, [...t.shape]]),
      Object.entries(sd).map(([k, t]) => [k, [...t.shape]]),
      spec.type,
    );
  }
});

test('a plain subclass of Sequential (as zoo models are written) saves as a Sequential', () => {
  class Tiny extends st.Sequential {
    constructor() {
      super({ conv: new st.Conv2d(1, 2, 3), flat: new st.Flatten(), fc: new st.Linear(8, 2) });
    }
  }
  const m = new Tiny();
  const file = join(root, 'tiny.safetensors');
  save(m, file);
  const back = load(file);
  const x = st.randn([1, 1, 4, 4]);
  assertClose(back.forward(x), m.forward(x), { atol: 0, rtol: 0 });

  class Custom extends st.Module {
    w = new st.Parameter(st.ones([2]));
    forward(x: st.Tensor): st.Tensor {
      return st.mul(x, this.w);
    }
  }
  assert.throws(
    () => save(new st.Sequential(new Custom()), join(root, 'custom')),
    /layer '0' is a Custom.*registerLayer/,
  );
  st.registerLayer({
    type: 'test.Custom',
    cls: Custom,
    toConfig: () => ({}),
    fromConfig: () => new Custom(),
    stateSize: () => 2,
  });
  const withCustom = new st.Sequential(new Custom());
  withCustom.getSubmodule('0').stateDict().w!.data.set([3, 4]);
  save(withCustom, join(root, 'custom'));
  assert.deepEqual([...load(join(root, 'custom')).forward(st.ones([2])).data], [3, 4]);
});

test('a single .safetensors model file; a weights-only file is refused with a fix; so is an optimizer there', () => {
  const model = smallCnn(new st.Rng(4));
  const file = join(root, 'single.safetensors');
  save(model, file);
  // The same file is a plain state dict for other tools.
  const plain = loadSafetensors(file);
  assert.deepEqual([...plain.tensors.keys()], Object.keys(model.stateDict()));
  assert.equal(plain.metadata.format, 'pt');
  const weightsOnly = join(root, 'weights.safetensors');
  saveSafetensors(model.stateDict(), weightsOnly);
  assert.throws(
    () => load(weightsOnly),
    (e: unknown) => e instanceof st.ModelFileError && /weights only.*loadStateDict/s.test(e.message),
  );
  const fresh = smallCnn(new st.Rng(5));
  fresh.loadStateDict(loadSafetensors(weightsOnly).tensors);
  sameTensors(fresh.stateDict(), model.stateDict());
  const opt = new st.SGD(model.parameters(), { lr: 0.1 });
  assert.throws(() => save(model, join(root, 'x.safetensors'), { optimizer: opt }), /directory/);
});

test('saving is atomic: a failed save leaves the previous one intact, and unrelated directories are never replaced', () => {
  const dir = join(root, 'atomic');
  const first = smallCnn(new st.Rng(6));
  save(first, dir);
  const before = readFileSync(join(dir, 'model.safetensors'));
  const unsaveable = new st.Sequential(
    new (class Opaque extends st.Module {
      forward(x: st.Tensor): st.Tensor {
        return x;
      }
    })(),
  );
  assert.throws(() => save(unsaveable, dir), st.ValueError);
  assert.deepEqual(readFileSync(join(dir, 'model.safetensors')), before);
  const second = smallCnn(new st.Rng(7));
  save(second, dir);
  sameTensors(load(dir).stateDict(), second.stateDict());
  assert.deepEqual(
    readdirSync(root).filter((n) => n.startsWith('.')),
    [],
    'no temporary files or directories are left behind',
  );
  const precious = join(root, 'precious');
  mkdirSync(precious);
  writeFileSync(join(precious, 'notes.txt'), 'keep me');
  assert.throws(() => save(first, precious), /does not hold a saved model/);
  assert.equal(readFileSync(join(precious, 'notes.txt'), 'utf8'), 'keep me');
});

test('a mismatched, corrupt or hostile model directory is refused before anything is built', () => {
  const dir = join(root, 'hostile');
  save(new st.Sequential(new st.Linear(4, 3)), dir);
  const configPath = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as { architecture: { root: st.LayerSpec } };
  const rewrite = (change: (c: { architecture: { root: st.LayerSpec } }) => void): void => {
    const c = structuredClone(config);
    change(c);
    writeFileSync(configPath, JSON.stringify(c));
  };
  const refused = (pattern: RegExp) =>
    assert.throws(
      () => load(dir),
      (e: unknown) => e instanceof st.ModelFileError && pattern.test(e.message),
    );

  // A layer claiming a trillion weights is refused by arithmetic, not by running out of memory.
  rewrite((c) => {
    const layer = (c.architecture.root.config.layers as unknown as { layer: st.LayerSpec }[])[0]!.layer;
    layer.config.inFeatures = 1_000_000;
    layer.config.outFeatures = 1_000_000;
  });
  refused(/describes 1000001000000 parameter and buffer values but the weights hold only 15/);
  rewrite((c) => {
    (c.architecture.root.config.layers as unknown as { layer: st.LayerSpec }[])[0]!.layer.type = 'Eval';
  });
  refused(/unknown layer type "Eval"/);
  rewrite((c) => {
    (c.architecture.root.config.layers as unknown as { layer: st.LayerSpec }[])[0]!.layer.config.bias = 'yes';
  });
  refused(/field 'bias' must be true or false/);
  let deep: st.JsonObject = { type: 'Identity', config: {} };
  for (let i = 0; i < 300; i++)
    deep = { type: 'Sequential', config: { layers: [{ name: '0', layer: deep }] } };
  rewrite((c) => {
    c.architecture.root = deep as unknown as st.LayerSpec;
  });
  refused(/nested more than 200 deep/);
  writeFileSync(configPath, '{"format": "stride.model", "formatVersion": 99}');
  refused(/version 99 is not supported/);
  writeFileSync(configPath, '{not json');
  refused(/not valid JSON/);

  // Weights of the wrong shape: the state-dict report names the key and both shapes.
  writeFileSync(configPath, JSON.stringify(config));
  saveSafetensors({ '0.weight': st.zeros([3, 5]), '0.bias': st.zeros([3]) }, join(dir, 'model.safetensors'));
  assert.throws(
    () => load(dir),
    (e: unknown) =>
      e instanceof st.StateDictError && /0\.weight: model \[3, 4\], state dict \[3, 5\]/.test(e.message),
  );
  assert.throws(() => load(join(root, 'missing')), /no such file/);
});
