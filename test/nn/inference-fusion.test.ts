import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';
import { assertSameAsPlain, inference, plain, randomizeNorms } from '../helpers/inference.js';
import { hashFill, hashInput, zooParity } from '../models/zoo-helpers.js';

// Eval mode under noGrad runs conv -> batch norm -> ReLU chains fused (Sequential and Graph).
// The truth: torchvision's logits for the same weights (test/fixtures/zoo_parity.json), and the
// layers run one by one (eval mode with gradients recorded, which never fuses).

/** How often the batch norms of `model` run during `fn` (a folded batch norm does not run). */
function countBatchNormCalls(model: st.Module, fn: () => void): number {
  let calls = 0;
  const norms = model.modules().filter((m) => m instanceof st.BatchNorm2d);
  const originals = norms.map((m) => m.forward);
  norms.forEach((m, i) => {
    m.forward = (x: st.Tensor): st.Tensor => {
      calls++;
      return originals[i]!(x);
    };
  });
  try {
    fn();
  } finally {
    norms.forEach((m, i) => (m.forward = originals[i]!));
  }
  return calls;
}

/** conv-bn-relu, then a residual graph block: both containers' fused paths. */
function smallNet(seed: number): st.Sequential {
  const rng = new st.Rng(seed);
  const g = new st.Graph();
  const x = g.input();
  let h = g.add('conv1', new st.Conv2d(8, 8, 3, { padding: 1, bias: false, rng }), x);
  h = g.add('bn1', new st.BatchNorm2d(8), h);
  h = g.add('relu1', new st.ReLU(), h);
  h = g.add('conv2', new st.Conv2d(8, 8, 1, { rng }), h);
  h = g.add('bn2', new st.BatchNorm2d(8), h);
  h = g.add('add', new st.Add(), h, x);
  g.output(g.add('relu2', new st.ReLU6(), h));
  const net = new st.Sequential(
    new st.Conv2d(3, 8, 3, { padding: 1, rng }),
    new st.BatchNorm2d(8),
    new st.ReLU(),
    g,
    new st.Conv2d(8, 4, 3, { stride: 2, rng }),
    new st.BatchNorm2d(4),
  );
  randomizeNorms(net, rng);
  return net;
}

describe('fused inference by default (eval mode under noGrad)', () => {
  for (const name of ['resnet18', 'mobilenet_v2'] as const) {
    it(`${name}: torchvision's logits in the plain, the automatic and the explicit fused path`, () => {
      const c = zooParity(name);
      const model = st.models[name]({ numClasses: 10, init: false });
      hashFill(model);
      model.eval();
      const x = hashInput(c.inputShape);
      const tol = { atol: 1e-4 * Math.max(...c.logits.map(Math.abs)), rtol: 1e-3 };
      let auto: st.Tensor | null = null;
      const folded = countBatchNormCalls(model, () => (auto = inference(model, x)));
      assertClose(auto!, c.logits, { ...tol, msg: 'automatic fused path' });
      assert.equal(folded, 0, 'every batch norm folded into its convolution');
      let byLayer: st.Tensor | null = null;
      const run = countBatchNormCalls(model, () => (byLayer = plain(model, x)));
      assertClose(byLayer!, c.logits, { ...tol, msg: 'plain path' });
      assert.ok(run > 0, 'the plain path runs the batch norms');
      st.fuseForInference(model);
      assertClose(inference(model, x), c.logits, { ...tol, msg: 'after fuseForInference' });
    });
  }

  it('follows every way weights and statistics change after a call (no stale folded weights)', () => {
    const rng = new st.Rng(11);
    const model = smallNet(1).eval();
    const x = st.randn([2, 3, 9, 9], { rng });
    let last = assertSameAsPlain(model, x, 'first call');
    assertSameAsPlain(model, x, 'second call, folded weights reused');
    assertSameAsPlain(model, st.randn([1, 3, 6, 7], { rng }), 'another input size');
    const changed = (msg: string): void => {
      const y = assertSameAsPlain(model, x, msg);
      assert.notDeepEqual(Array.from(y.data), Array.from(last.data), `${msg}: the output did not change`);
      last = y;
    };

    const opt = new st.SGD(model.parameters(), { lr: 0.1 });
    opt.zeroGrad();
    st.mseLoss(model.forward(x), st.zeros([2, 4, 4, 4])).backward();
    opt.step();
    changed('after an optimizer step');

    const other = smallNet(2).eval();
    model.loadStateDict(other.stateDict());
    changed('after loadStateDict');

    // Training-mode forwards move the running statistics in place.
    model.train();
    st.noGrad(() => model.forward(st.randn([4, 3, 9, 9], { rng }).mul(3)));
    model.eval();
    changed('after the running statistics moved in training mode');

    const bn = model.at(1) as st.BatchNorm2d;
    bn.weight!.data.set(st.rand([8], { rng }).add(1).data);
    bn.weight!.markChanged();
    changed("after a direct write to a batch norm's weight and markChanged()");

    const conv = model.at(0) as st.Conv2d;
    conv.weight = new st.Parameter(st.randn(conv.weight.shape, { rng }));
    changed('after replacing a convolution weight');

    st.init.kaimingUniform((model.at(4) as st.Conv2d).weight, { rng });
    changed('after nn.init');
  });

  it('leaves training mode as it was: batch statistics and running-statistic updates', () => {
    const a = smallNet(3).train();
    const b = smallNet(3).train();
    const x = st.randn([4, 3, 8, 8], { rng: new st.Rng(4) });
    const ya = st.noGrad(() => a.forward(x));
    const yb = plain(b, x);
    assert.deepEqual(Array.from(ya.data), Array.from(yb.data));
    assert.deepEqual(
      Array.from((a.at(1) as st.BatchNorm2d).runningMean!.data),
      Array.from((b.at(1) as st.BatchNorm2d).runningMean!.data),
    );
  });

  it('keeps a layer with hooks, and a value read twice, unfused', () => {
    const model = smallNet(5).eval();
    const x = st.randn([1, 3, 8, 8], { rng: new st.Rng(6) });
    const bn = model.at(1);
    const conv = model.at(0);
    let seen: st.Tensor | null = null;
    const handle = bn.registerForwardHook((_m, inputs) => void (seen = inputs[0]!));
    assertSameAsPlain(model, x, 'with a hook on a batch norm');
    assertClose(seen!, plain(conv, x), { msg: 'the hook saw the raw convolution output' });
    handle.remove();

    // A graph whose convolution output is also a graph output: the batch norm cannot be folded.
    const g = new st.Graph();
    const i = g.input();
    const c = g.add('conv', new st.Conv2d(3, 4, 3, { rng: new st.Rng(7) }), i);
    const n = g.add('bn', new st.BatchNorm2d(4), c);
    g.output(c, g.add('relu', new st.ReLU(), n));
    randomizeNorms(g, new st.Rng(8));
    g.eval();
    const [raw, out] = st.noGrad(() => g.forwardAll(x));
    const [rawPlain, outPlain] = st.enableGrad(() => g.forwardAll(x));
    assertClose(raw!, rawPlain!, { msg: 'the convolution output' });
    assertClose(out!, outPlain!, { msg: 'the activation output' });
  });

  it("a graph's plan, kept between calls, follows changes of its layers, modes, hooks and wiring", () => {
    const rng = new st.Rng(21);
    const g = new st.Graph();
    const i = g.input();
    let h = g.add('conv1', new st.Conv2d(3, 6, 3, { padding: 1, rng }), i);
    h = g.add('bn1', new st.BatchNorm2d(6), h);
    const relu = g.add('relu1', new st.ReLU(), h);
    h = g.add('conv2', new st.Conv2d(6, 6, 3, { padding: 1, rng }), relu);
    h = g.add('bn2', new st.BatchNorm2d(6), h);
    const sum = g.add('add', new st.Add(), h, relu);
    g.output(g.add('relu2', new st.ReLU(), sum));
    randomizeNorms(g, rng);
    g.eval();
    const x = st.randn([2, 3, 7, 7], { rng });
    const bn1 = g.getSubmodule('bn1') as st.BatchNorm2d;
    /** Batch norms run by a fused call (the layers one by one must give its values). */
    const runs = (): number => {
      const n = countBatchNormCalls(g, () => inference(g, x));
      assertSameAsPlain(g, x, 'the fused call');
      return n;
    };
    assert.equal(runs(), 0, 'first call: both batch norms folded');
    assert.equal(runs(), 0, 'second call, the same plan');

    bn1.training = true; // set directly, not through train()
    assert.equal(
      countBatchNormCalls(g, () => st.noGrad(() => g.forward(x))),
      1,
      'bn1 in training mode runs',
    );
    bn1.training = false;
    assert.equal(runs(), 0, 'back in evaluation mode: folded again');

    let seen: st.Tensor | null = null;
    const hook = bn1.registerForwardHook((_m, inputs) => void (seen = inputs[0]!));
    assert.equal(runs(), 1, 'a hook registered after the first call keeps bn1 unfused');
    assertClose(seen!, plain(g.getSubmodule('conv1'), x), { msg: 'the hook saw the raw convolution output' });
    hook.remove();
    assert.equal(runs(), 0, 'hook removed: folded again');

    (g.getSubmodule('conv1') as st.Conv2d).activation = 'relu6';
    assertSameAsPlain(g, x, "after setting conv1's activation");
    (g.getSubmodule('conv1') as st.Conv2d).activation = null;

    bn1.registerBuffer('running_var', null);
    bn1.registerBuffer('running_mean', null);
    assert.equal(runs(), 1, 'bn1 without running statistics is not folded');

    g.replaceNodeModule('bn2', new st.Identity());
    assertSameAsPlain(g, x, 'after replacing bn2 by Identity');
    g.output(relu);
    assert.deepEqual(st.noGrad(() => g.forward(x)).shape, [2, 6, 7, 7]);
    assertSameAsPlain(g, x, 'after declaring another output');
  });

  it('merges a ZeroPad2d read only by an unpadded convolution into its padding (Keras stride-2 blocks)', () => {
    const g = new st.Graph();
    const i = g.input();
    // Asymmetric amounts on a non-square input, so that [left, right, top, bottom] -> [top, bottom, left, right] matters.
    const pad = new st.ZeroPad2d([1, 0, 2, 1]);
    const p = g.add('pad', pad, i);
    const c = g.add('conv', new st.Conv2d(3, 4, 3, { stride: 2, rng: new st.Rng(11) }), p);
    const n = g.add('bn', new st.BatchNorm2d(4), c);
    const r = g.add('relu', new st.ReLU6(), n);
    // A pad before a convolution with padding of its own, and one whose value is a graph output, stay.
    const keptPad = new st.ZeroPad2d(1);
    const p2 = g.add('pad2', keptPad, r);
    const c2 = g.add('conv2', new st.Conv2d(4, 2, 3, { padding: 1, rng: new st.Rng(12) }), p2);
    const outPad = new st.ZeroPad2d([0, 1, 0, 1]);
    const p3 = g.add('pad3', outPad, c2);
    const c3 = g.add('conv3', new st.Conv2d(2, 2, 2, { rng: new st.Rng(13) }), p3);
    g.output(c3, p3);
    randomizeNorms(g, new st.Rng(14));
    g.eval();
    const x = st.randn([2, 3, 9, 12], { rng: new st.Rng(15) });
    const calls = new Map<st.Module, number>();
    for (const m of [pad, keptPad, outPad]) {
      const original = m.forward.bind(m);
      m.forward = (t: st.Tensor): st.Tensor => {
        calls.set(m, (calls.get(m) ?? 0) + 1);
        return original(t);
      };
    }
    const [fused, fusedPad] = st.noGrad(() => g.forwardAll(x));
    assert.equal(calls.get(pad), undefined, 'the merged pad made no padded copy');
    assert.equal(calls.get(keptPad), 1);
    assert.equal(calls.get(outPad), 1);
    const [want, wantPad] = st.enableGrad(() => g.forwardAll(x));
    assertClose(fused!, want!, { msg: 'the output' });
    assertClose(fusedPad!, wantPad!, { msg: 'the padded graph output' });
  });
});

/** How often Add layers run during `fn` (a sum fused into its convolution does not run). */
function countAddCalls(model: st.Module, fn: () => void): number {
  let calls = 0;
  const adds = model.modules().filter((m) => m instanceof st.Add);
  const originals = adds.map((m) => m.forward);
  adds.forEach((m, i) => {
    m.forward = (...xs: st.Tensor[]): st.Tensor => {
      calls++;
      return originals[i]!(...xs);
    };
  });
  try {
    fn();
  } finally {
    adds.forEach((m, i) => (m.forward = originals[i]!));
  }
  return calls;
}

/** Sums run as layers in the inference forward of `g`, whose output must equal the plain path's. */
function fusedSums(g: st.Module, x: st.Tensor, msg: string): number {
  let got: st.Tensor | null = null;
  const calls = countAddCalls(g, () => (got = inference(g, x)));
  assertClose(got!, plain(g, x), { atol: 1e-4, rtol: 1e-4, msg });
  return calls;
}

/** conv -> bn -> sum with `shortcut` (in either order) -> `after` activation layer, in a graph. */
function residualGraph(opts: {
  seed: number;
  shortcutFirst: boolean;
  after: st.Module | null;
  sum?: st.Add;
  pool?: boolean;
}): st.Graph {
  const rng = new st.Rng(opts.seed);
  const g = new st.Graph();
  const x = g.input();
  // With `pool` the shortcut is [N, 6, 1, 1]: the sum broadcasts it over the convolution output.
  const shortcut = opts.pool ? g.add('pool', new st.AdaptiveAvgPool2d(1), x) : x;
  let h = g.add('conv', new st.Conv2d(6, 6, 3, { padding: 1, rng }), x);
  h = g.add('bn', new st.BatchNorm2d(6), h);
  const sum = opts.sum ?? new st.Add();
  h = opts.shortcutFirst ? g.add('add', sum, shortcut, h) : g.add('add', sum, h, shortcut);
  g.output(opts.after ? g.add('act', opts.after, h) : h);
  randomizeNorms(g, rng);
  return g.eval();
}

describe('residual sums fused into the convolution (eval mode under noGrad)', () => {
  it("ResNet-18: identity-shortcut blocks sum and ReLU in the convolution, torchvision's logits", () => {
    const c = zooParity('resnet18');
    const model = st.models.resnet18({ numClasses: 10, init: false });
    hashFill(model);
    model.eval();
    const x = hashInput(c.inputShape);
    let got: st.Tensor | null = null;
    const sums = countAddCalls(model, () => (got = inference(model, x)));
    // Five of the eight blocks add the block input itself to their second convolution; the three
    // with a projection shortcut (a Sequential of conv and batch norm, computed after the second
    // convolution) add the main path to the shortcut's convolution instead.
    assert.equal(sums, 0);
    const tol = { atol: 1e-4 * Math.max(...c.logits.map(Math.abs)), rtol: 1e-3 };
    assertClose(got!, c.logits, { ...tol, msg: 'fused residual path' });
    st.fuseForInference(model); // the sums now carry the ReLU themselves
    assert.equal(
      countAddCalls(model, () => (got = inference(model, x))),
      0,
    );
    assertClose(got!, c.logits, { ...tol, msg: 'after fuseForInference' });
  });

  it("MobileNetV2: each inverted residual sum runs in the block's projection convolution, torchvision's logits", () => {
    const c = zooParity('mobilenet_v2');
    const model = st.models.mobilenet_v2({ numClasses: 10, init: false });
    hashFill(model);
    model.eval();
    const x = hashInput(c.inputShape);
    let got: st.Tensor | null = null;
    // 10 of the 17 blocks add their input; their expansion and depthwise layers run first, then
    // the projection convolution with the batch norm folded and the sum in its epilogue.
    assert.equal(
      countAddCalls(model, () => (got = inference(model, x))),
      0,
    );
    const tol = { atol: 1e-4 * Math.max(...c.logits.map(Math.abs)), rtol: 1e-3 };
    assertClose(got!, c.logits, { ...tol, msg: 'fused residual path' });
    st.fuseForInference(model); // an Identity now ends each block where its batch norm was
    assert.equal(
      countAddCalls(model, () => (got = inference(model, x))),
      0,
    );
    assertClose(got!, c.logits, { ...tol, msg: 'after fuseForInference' });
  });

  it('either input order, a ReLU after the sum or on it, or none: the layers one by one', () => {
    const x = st.randn([2, 6, 7, 9], { rng: new st.Rng(21) });
    const variants: [string, () => st.Graph][] = [
      ['sum then ReLU', () => residualGraph({ seed: 1, shortcutFirst: false, after: new st.ReLU() })],
      ['shortcut first', () => residualGraph({ seed: 2, shortcutFirst: true, after: new st.ReLU() })],
      ['no activation', () => residualGraph({ seed: 3, shortcutFirst: false, after: null })],
      [
        "the sum's own ReLU",
        () =>
          residualGraph({
            seed: 4,
            shortcutFirst: true,
            after: null,
            sum: new st.Add({ activation: 'relu' }),
          }),
      ],
    ];
    for (const [name, make] of variants) {
      const g = make();
      assert.equal(fusedSums(g, x, name), 0, `${name}: the sum ran inside the convolution`);
    }
  });

  it('a broadcasting shortcut and a ReLU6 after the sum run the sum as a layer, same values', () => {
    const x = st.randn([2, 6, 5, 5], { rng: new st.Rng(22) });
    const broadcast = residualGraph({ seed: 5, shortcutFirst: false, after: new st.ReLU(), pool: true });
    assert.equal(fusedSums(broadcast, x, 'broadcast shortcut'), 1, 'broadcast shortcut');
    const relu6 = residualGraph({ seed: 6, shortcutFirst: false, after: new st.ReLU6() });
    assert.equal(fusedSums(relu6, x, 'ReLU6 after the sum'), 1, 'ReLU6 after the sum');
  });
});
