import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';
import { inference, plain } from '../helpers/inference.js';

// Fused inference forwards give dead intermediate feature maps back to the inference buffer pool and
// their convolutions take outputs from it. The truth: the layers run one by one (eval mode with
// gradients recorded, which neither fuses nor pools), call after call.

/** A small MobileNetV2 (width 0.5) with batch norm statistics away from the identity. */
function mobilenet(): st.Module {
  st.manualSeed(3);
  const m = st.models.mobilenet_v2({ numClasses: 5, widthMultiplier: 0.5 });
  const rng = new st.Rng(4);
  for (const b of m.modules()) {
    if (!(b instanceof st.BatchNorm2d)) continue;
    b.runningMean!.data.set(st.randn([b.numFeatures], { rng }).mul(0.2).data);
    b.runningVar!.data.set(st.rand([b.numFeatures], { rng }).add(0.5).data);
    b.runningMean!.markChanged();
    b.runningVar!.markChanged();
  }
  return m.eval();
}

describe('inference buffer pool in fused inference forwards (MobileNetV2)', () => {
  it('MobileNetV2: the same logits call after call, and earlier outputs keep their values', () => {
    const model = mobilenet();
    const xs = [1, 2, 3].map((s) => st.randn([2, 3, 64, 64], { rng: new st.Rng(s) }));
    st.freeInferenceBuffers();
    const first = inference(model, xs[0]!);
    // (A second forward of the same shape records an inference plan, which takes these for its own.)
    assert.ok(st.freeInferenceBuffers() > 0, 'intermediate arrays came back to the pool');
    const outs = [first, ...xs.slice(1).map((x) => inference(model, x))];
    // Again with the pool warm: every call reuses arrays of the ones before.
    const again = xs.map((x) => inference(model, x));
    const kept = outs.map((o) => o.data.slice());
    xs.forEach((x, i) => {
      const truth = plain(model, x);
      assertClose(outs[i]!, truth, { atol: 1e-4, rtol: 1e-3, msg: `first calls, input ${i}` });
      assertClose(again[i]!, truth, { atol: 1e-4, rtol: 1e-3, msg: `warm pool, input ${i}` });
    });
    inference(model, xs[0]!);
    outs.forEach((o, i) => assert.deepEqual(o.data, kept[i], `output ${i} untouched by later calls`));
  });

  it('never reuses a value a hook saw, nor a container output read twice', () => {
    const model = mobilenet();
    const features = (model as st.Sequential).at(0) as st.Sequential;
    const seen: st.Tensor[] = [];
    const handle = features.at(3).registerForwardHook((_m, _inputs, out) => void seen.push(out));
    const x = st.randn([1, 3, 64, 64], { rng: new st.Rng(9) });
    inference(model, x);
    const copy = seen[0]!.data.slice();
    const truth = plain(
      features.at(3),
      plain(features.at(2), plain(features.at(1), plain(features.at(0), x))),
    );
    assertClose(seen[0]!, truth, { atol: 1e-4, rtol: 1e-3, msg: 'what the hook saw' });
    inference(model, st.randn([1, 3, 64, 64], { rng: new st.Rng(10) }));
    assert.deepEqual(seen[0]!.data, copy, 'the hooked value was not given back to the pool');
    handle.remove();

    // A Graph whose convolution output feeds two readers and is also an output.
    const g = new st.Graph();
    const i = g.input();
    const c = g.add('conv', new st.Conv2d(3, 32, 3, { padding: 1, rng: new st.Rng(11) }), i);
    const a = g.add('a', new st.Conv2d(32, 32, 1, { rng: new st.Rng(12) }), c);
    const b = g.add('b', new st.Conv2d(32, 32, 3, { padding: 1, rng: new st.Rng(13) }), c);
    g.output(g.add('sum', new st.Add(), a, b), c);
    g.eval();
    const y = st.randn([1, 3, 40, 40], { rng: new st.Rng(14) });
    const [sum, raw] = st.noGrad(() => g.forwardAll(y));
    const rawCopy = raw!.data.slice();
    const [sumPlain] = st.enableGrad(() => g.forwardAll(y));
    assertClose(sum!, sumPlain!.detach(), { atol: 1e-4, rtol: 1e-4, msg: 'graph sum' });
    st.noGrad(() => g.forwardAll(y.mul(2)));
    assert.deepEqual(raw!.data, rawCopy, 'a graph output is never reused');
  });

  it('never reuses a value that a layer of another kind read (it may keep it)', () => {
    class Keep extends st.Module {
      kept: st.Tensor | null = null;
      forward(x: st.Tensor): st.Tensor {
        this.kept = x;
        return x.mul(2);
      }
    }
    const keep = new Keep();
    const g = new st.Graph();
    const i = g.input();
    const c = g.add('conv', new st.Conv2d(3, 32, 3, { padding: 1, rng: new st.Rng(15) }), i);
    const k = g.add('keep', keep, c);
    const b = g.add('b', new st.Conv2d(32, 32, 1, { rng: new st.Rng(16) }), c); // the last reader
    g.output(g.add('sum', new st.Add(), k, b));
    g.eval();
    st.noGrad(() => g.forward(st.randn([1, 3, 40, 40], { rng: new st.Rng(17) })));
    const kept = keep.kept!;
    const copy = kept.data.slice();
    for (let r = 0; r < 3; r++)
      st.noGrad(() => g.forward(st.randn([1, 3, 40, 40], { rng: new st.Rng(18 + r) })));
    assert.notEqual(keep.kept, kept);
    assert.deepEqual(kept.data, copy, 'the value the layer kept was not given back to the pool');
  });
});
