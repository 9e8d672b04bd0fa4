import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

// Fixture: scripts/fixtures/gen_nn.py (PyTorch 1.13). The same network, built from Stride's layers
// with the same attribute names, must produce PyTorch's state-dict keys in PyTorch's order, load
// its weights, and then match its outputs, running statistics and gradients.

interface NnCase {
  state: [string, FixtureTensor][];
  x: FixtureTensor;
  outEval: FixtureTensor;
  outTrain: FixtureTensor;
  r: FixtureTensor;
  stateAfterTrain: Record<string, FixtureTensor>;
  grads: Record<string, FixtureTensor>;
  gradX: FixtureTensor;
}

const fixture = loadFixture<{ cases: NnCase[] }>('nn').cases[0]!;
const T = (f: FixtureTensor, requiresGrad = false) => st.tensor(f.data, f.shape, { requiresGrad });

class Separable extends st.Module {
  depthwise: st.Conv2d;
  pointwise: st.Conv2d;
  constructor(cin: number, cout: number) {
    super();
    this.depthwise = new st.Conv2d(cin, cin, 3, { padding: 1, groups: cin });
    this.pointwise = new st.Conv2d(cin, cout, 1);
  }
  forward(x: st.Tensor): st.Tensor {
    return this.pointwise.forward(this.depthwise.forward(x));
  }
}

class Net extends st.Module {
  features = new st.Sequential(
    new st.Conv2d(3, 4, 3, { padding: 1 }),
    new st.BatchNorm2d(4),
    new st.ReLU(),
    new st.MaxPool2d(2),
    new st.Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2 }),
    new st.GroupNorm(3, 6),
    new st.LeakyReLU(0.2),
  );
  sep = new Separable(6, 8);
  norm = new st.InstanceNorm2d(8, { affine: true, trackRunningStats: true });
  lrn = new st.LocalResponseNorm(3);
  up = new st.ConvTranspose2d(8, 4, 2, { stride: 2 });
  ln = new st.LayerNorm([4, 8, 8]);
  pool = new st.AdaptiveAvgPool2d(2);
  fc = new st.Linear(16, 5);
  bn1d = new st.BatchNorm1d(5, { momentum: null });
  forward(x: st.Tensor): st.Tensor {
    let h = this.features.forward(x);
    h = this.sep.forward(h);
    h = this.lrn.forward(this.norm.forward(h));
    h = st.elu(this.up.forward(h));
    h = st.gelu(this.ln.forward(h));
    h = this.pool.forward(h).flatten(1);
    h = this.bn1d.forward(this.fc.forward(h));
    return st.logSoftmax(h, 1);
  }
}

function loaded(): Net {
  const net = new Net();
  const dict: st.StateDict = {};
  for (const [k, v] of fixture.state) dict[k] = T(v);
  net.loadStateDict(dict);
  return net;
}

describe('PyTorch parity of a network built from nn layers', () => {
  it('has exactly PyTorch state-dict keys, in PyTorch order, with the same shapes', () => {
    const sd = new Net().stateDict();
    assert.deepEqual(
      Object.keys(sd),
      fixture.state.map(([k]) => k),
    );
    for (const [k, v] of fixture.state) assert.deepEqual([...sd[k]!.shape], v.shape, k);
  });

  it('matches the eval-mode output after loading the weights', () => {
    const net = loaded().eval();
    assertClose(net.forward(T(fixture.x)), T(fixture.outEval), { atol: 1e-4, rtol: 1e-4 });
  });

  it('matches the train-mode output, the running statistics it leaves and the gradients', () => {
    const net = loaded().train();
    const x = T(fixture.x, true);
    const out = net.forward(x);
    assertClose(out, T(fixture.outTrain), { atol: 1e-4, rtol: 1e-4 });
    const sd = net.stateDict();
    for (const [k, v] of Object.entries(fixture.stateAfterTrain)) {
      assertClose(sd[k]!, T(v), { atol: 1e-5, rtol: 1e-4, msg: k });
    }
    out.mul(T(fixture.r)).sum().backward();
    const params = new Map(net.namedParameters());
    for (const [k, g] of Object.entries(fixture.grads)) {
      assertClose(params.get(k)!.grad!, T(g), { atol: 1e-4, rtol: 1e-3, msg: `grad ${k}` });
    }
    assertClose(x.grad!, T(fixture.gradX), { atol: 1e-4, rtol: 1e-3, msg: 'grad x' });
  });
});
