import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

/** A small residual network with batch norm, pooling and a classifier. */
function smallResNet(): st.Module {
  const block = new st.models.BasicBlock({
    inplanes: 8,
    planes: 16,
    stride: 2,
    downsample: new st.Sequential(
      new st.Conv2d(8, 16, 1, { stride: 2, bias: false }),
      new st.BatchNorm2d(16),
    ),
    groups: 1,
    baseWidth: 64,
    variant: 'v1.5',
  });
  return new st.Sequential({
    stem: new st.Conv2d(3, 8, 3, { padding: 1 }),
    bn: new st.BatchNorm2d(8),
    relu: new st.ReLU(),
    block,
    pool: new st.AdaptiveAvgPool2d(1),
    flatten: new st.Flatten(),
    fc: new st.Linear(16, 5),
  });
}

describe('traceForward', () => {
  it('shape-only and executed traces agree on every row (shapes, parameters, MACs, receptive fields)', () => {
    st.manualSeed(3);
    const m = smallResNet();
    const dry = st.summary(m, [3, 12, 12]);
    const real = st.summary(m, [3, 12, 12], { execute: true });
    assert.deepEqual(real.layers, dry.layers);
    assert.equal(real.macs, dry.macs);
    assert.ok(
      dry.layers.some((l) => l.name === 'block.relu#2'),
      'the shared ReLU runs twice',
    );
  });

  it('an executed trace computes what the model computes, on a seeded input', () => {
    st.manualSeed(4);
    const m = smallResNet().eval();
    const t = st.traceForward(m, [3, 12, 12], { execute: true, batchSize: 2 });
    assert.deepEqual(t.input.shape, [2, 3, 12, 12]);
    const expected = st.noGrad(() => m.forward(t.input.detach()));
    assertClose(t.output, expected);
    const calls = t.calls.map((c) => c.label);
    assert.deepEqual(calls.slice(0, 4), ['', 'stem', 'bn', 'relu']);
    assert.equal(t.kernels.filter((k) => k.kind === 'conv2d').length, 4);
  });

  it('leaves the model as it was: modes, batch-norm statistics, backend', () => {
    st.manualSeed(5);
    const backendBefore = st.backend();
    const backendsBefore = st.listBackends();
    const m = smallResNet();
    const bn = m.getSubmodule('bn') as st.BatchNorm2d;
    bn.runningMean!.data.fill(0.25);
    const before = Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));
    m.eval();
    (m.getSubmodule('block') as st.Module).train();
    st.summary(m, [3, 12, 12], { mode: 'train', batchSize: 2, execute: true });
    st.summary(m, [3, 12, 12], { mode: 'train', batchSize: 2 });
    const after = Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));
    assert.deepEqual(after, before);
    assert.equal(m.training, false);
    assert.equal(m.getSubmodule('block').training, true);
    assert.equal(m.getSubmodule('block.bn1').training, true);
    assert.equal(m.getSubmodule('bn').training, false);
    assert.equal(st.backend(), backendBefore);
    assert.deepEqual(st.listBackends(), backendsBefore, 'the tracing backend is never registered');
  });

  it("'same' mode keeps each module's mode; 'train' runs dropout and batch statistics", () => {
    const m = new st.Sequential(new st.Linear(4, 4), new st.Dropout(0.5));
    m.eval();
    const modes: boolean[] = [];
    m.getSubmodule('1').registerForwardHook((mod) => void modes.push(mod.training));
    st.traceForward(m, [4], { mode: 'same' });
    st.traceForward(m, [4], { mode: 'train' });
    st.traceForward(m, [4]);
    assert.deepEqual(modes, [false, true, false]);
  });

  it('reports a layer whose output comes out empty, by name', () => {
    class Crop extends st.Module {
      forward(x: st.Tensor): st.Tensor {
        return st.slice(x, 2, 5);
      }
    }
    const m = new st.Sequential({ conv: new st.Conv2d(1, 1, 3), crop: new Crop() });
    assert.throws(
      () => st.summary(m, [1, 6, 6]),
      (e: Error) =>
        e instanceof st.ShapeError &&
        /layer 'crop' \(Crop\(\)\) received \[1, 1, 4, 4\] \(Crop: the output is empty/.test(e.message),
    );
  });

  it('does not blame the input size for a wrong channel count', () => {
    assert.throws(
      () => st.summary(st.models.alexnet({ init: false }), [1, 224, 224]),
      (e: Error) =>
        e instanceof st.ShapeError &&
        /layer 'features\.0'/.test(e.message) &&
        /check the input shape/.test(e.message),
    );
  });

  it('finds the smallest square input a network accepts by shape-only passes', () => {
    assert.equal(st.smallestSquareInput(st.models.alexnet({ init: false }), [3, 32, 32], 'eval'), 63);
    assert.equal(st.smallestSquareInput(st.models.vgg11({ init: false }), [3, 16, 16], 'eval'), 32);
    assert.equal(st.smallestSquareInput(st.models.alexnet({ init: false }), [3, 32, 16], 'eval'), null);
  });

  it('refuses a bad batch size or mode', () => {
    const m = new st.Sequential(new st.ReLU());
    assert.throws(() => st.traceForward(m, [2], { batchSize: 0 }), /batchSize must be a positive integer/);
    assert.throws(() => st.traceForward(m, [2], { mode: 'test' as st.TraceMode }), /mode must be/);
  });
});
