import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';

const skipNative = st.nativeAvailable() ? false : "native addon not built: run 'npm run build:native'";

/**
 * A small network whose convolutions all take the native GEMM paths (fewer than 16 channels keeps
 * 3x3 stride-1 convolutions off Winograd, which reads the weights unpacked): 3x3 with padding,
 * 3x3 stride 2, grouped 3x3, 1x1.
 */
function build(seed: number): st.Sequential {
  const rng = new st.Rng(seed);
  return new st.Sequential(
    new st.Conv2d(3, 8, 3, { padding: 1, rng }),
    new st.BatchNorm2d(8),
    new st.ReLU(),
    new st.Conv2d(8, 12, 3, { stride: 2, padding: 1, rng }),
    new st.BatchNorm2d(12),
    new st.ReLU(),
    new st.Conv2d(12, 12, 3, { padding: 1, groups: 3, rng }),
    new st.ReLU(),
    new st.Conv2d(12, 10, 1, { rng }),
  );
}

/** Batch norms with statistics far from the identity, so that folding changes the weights. */
function randomizeNorms(model: st.Module, rng: st.Rng): void {
  for (const m of model.modules()) {
    if (m instanceof st.BatchNorm2d) {
      m.runningMean!.data.set(st.randn([m.numFeatures], { rng }).mul(0.5).data);
      m.runningVar!.data.set(st.rand([m.numFeatures], { rng }).add(0.5).data);
      m.weight!.data.set(st.rand([m.numFeatures], { rng }).add(0.5).data);
      m.bias!.data.set(st.randn([m.numFeatures], { rng }).mul(0.3).data);
    }
  }
}

/** A fused copy built from scratch, with the state of `model`, that never keeps weights prepared. */
function freshCopy(model: st.Module): st.Module {
  const copy = build(1).eval();
  st.fuseForInference(copy);
  for (const m of copy.modules()) if (m instanceof st.Conv2d) m.prepackWeights = false;
  copy.loadStateDict(model.stateDict());
  return copy;
}

/** The output of a fresh unprepared copy of `model` on the reference backend: the truth. */
function truth(model: st.Module, x: st.Tensor): st.Tensor {
  const copy = freshCopy(model);
  copy.train(model.training);
  return st.withBackend('reference', () => st.noGrad(() => copy.forward(x)));
}

function check(model: st.Module, x: st.Tensor, msg: string): void {
  const got = st.withBackend('native', () => st.noGrad(() => model.forward(x)));
  assertClose(got, truth(model, x), { atol: 1e-4, rtol: 1e-4, msg });
}

function convs(model: st.Module): st.Conv2d[] {
  return model.modules().filter((m): m is st.Conv2d => m instanceof st.Conv2d);
}

describe('Conv2d keeps inference weights prepared', { skip: skipNative }, () => {
  it('fuseForInference marks every Conv2d and documents it', () => {
    const model = build(2).eval();
    assert.ok(convs(model).every((c) => !c.prepackWeights));
    st.fuseForInference(model);
    // The grouped convolution is followed by a ReLU only, the last one by nothing: marked too.
    assert.ok(convs(model).every((c) => c.prepackWeights));
  });

  it('follows optimizer steps, loadStateDict, markChanged and backend switches', () => {
    const rng = new st.Rng(7);
    const model = build(3);
    randomizeNorms(model, rng);
    model.eval();
    st.fuseForInference(model);
    const x = st.randn([2, 3, 10, 9], { rng });
    const x1 = st.randn([1, 3, 7, 12], { rng });

    check(model, x, 'first forward');
    check(model, x, 'second forward (prepared weights reused)');
    check(model, x1, 'another input size');

    // A gradient step in evaluation mode, through the prepared forward's backward.
    const opt = new st.SGD(model.parameters(), { lr: 0.5 });
    st.withBackend('native', () => {
      opt.zeroGrad();
      const y = model.forward(x);
      y.mul(y).sum().backward();
    });
    const before = convs(model).map((c) => c.weight.version);
    opt.step();
    assert.ok(
      convs(model).every((c, i) => c.weight.version > before[i]!),
      'step bumps versions',
    );
    check(model, x, 'after optimizer.step()');

    const other = build(4).eval();
    randomizeNorms(other, rng);
    st.fuseForInference(other);
    model.loadStateDict(other.stateDict());
    check(model, x, 'after loadStateDict');

    st.withBackend('reference', () => st.noGrad(() => model.forward(x)));
    check(model, x, 'after running on the reference backend');

    const first = convs(model)[0]!;
    first.weight.data.set(st.randn(first.weight.shape, { rng }).data);
    first.weight.markChanged();
    check(model, x, 'after a direct write and markChanged()');

    st.init.kaimingUniform(convs(model)[3]!.weight, { rng });
    check(model, x, 'after nn.init');

    first.weight = new st.Parameter(st.randn(first.weight.shape, { rng }));
    check(model, x, 'after replacing the weight');
  });

  it('is not used in training mode', () => {
    const rng = new st.Rng(9);
    const model = build(5).eval();
    st.fuseForInference(model);
    const x = st.randn([2, 3, 8, 8], { rng });
    check(model, x, 'evaluation mode');
    model.train();
    // Without markChanged: only a forward that reads the weights directly sees this write.
    for (const c of convs(model)) c.weight.data.set(st.randn(c.weight.shape, { rng }).data);
    check(model, x, 'training mode reads the weights as they are');
  });

  it('shape-only tracing reports the same layers and multiply-adds for a marked model', () => {
    const model = st.models.resnet18({ numClasses: 10 }).eval();
    st.fuseForInference(model);
    const summarize = (): st.ModelSummary => st.withBackend('native', () => st.summary(model, [3, 64, 64]));
    const marked = summarize();
    for (const c of convs(model)) c.prepackWeights = false;
    const plain = summarize();
    assert.ok(marked.macs > 0);
    assert.equal(st.summaryJson(marked), st.summaryJson(plain));
  });
});
