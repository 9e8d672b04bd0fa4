// The Optimizer base: parameter groups, zeroGrad, closures, and the errors for bad input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

function p(values: number[] = [1, -2]): st.Tensor {
  return st.tensor(values, undefined, { requiresGrad: true });
}

describe('parameter groups', () => {
  it('fill unset options from the defaults and keep their own lr and decay (discriminative fine-tuning)', () => {
    const backbone = [p(), p()];
    const head = [p()];
    const opt = new st.optim.SGD(
      [
        { params: backbone, lr: 1e-4 },
        { params: head, weightDecay: 5e-4 },
      ],
      { lr: 1e-2, momentum: 0.9 },
    );
    assert.equal(opt.paramGroups.length, 2);
    assert.deepEqual(
      opt.paramGroups.map((g) => [g.lr, g.momentum, g.weightDecay]),
      [
        [1e-4, 0.9, 0],
        [1e-2, 0.9, 5e-4],
      ],
    );
    assert.equal(opt.paramGroups[0]!.params[1], backbone[1]);
  });

  it('accept any iterable of parameters, e.g. a generator', () => {
    const a = p();
    const b = p();
    function* gen(): Generator<st.Tensor> {
      yield a;
      yield b;
    }
    const opt = new st.Adam(gen());
    assert.deepEqual(opt.paramGroups[0]!.params, [a, b]);
  });

  it('addParamGroup adds layers later (unfreezing), each with its own options', () => {
    const opt = new st.Adam([p()], { lr: 1e-3 });
    const layer = p();
    opt.addParamGroup({ params: [layer], lr: 1e-5 });
    assert.equal(opt.paramGroups[1]!.lr, 1e-5);
    assert.deepEqual(opt.paramGroups[1]!.betas, [0.9, 0.999]);
    layer.grad = st.tensor([1, 1]);
    opt.step();
    assert.ok(layer.data[0]! < 1);
  });

  it('SGD needs an lr in the defaults or in every group', () => {
    assert.throws(() => new st.SGD([p()]), /needs a learning rate/);
    const opt = new st.SGD([{ params: [p()], lr: 0.1 }]);
    assert.equal(opt.paramGroups[0]!.lr, 0.1);
    assert.throws(() => opt.addParamGroup({ params: [p()] }), /needs a learning rate/);
  });
});

describe('zeroGrad and step(closure)', () => {
  it('zeroGrad() sets gradients to null; zeroGrad(false) fills them with zeros', () => {
    const a = p();
    const opt = new st.SGD([a], { lr: 0.1 });
    a.grad = st.tensor([1, 2]);
    const g = a.grad;
    opt.zeroGrad(false);
    assert.equal(a.grad, g);
    assert.deepEqual(Array.from(a.grad.data), [0, 0]);
    opt.zeroGrad();
    assert.equal(a.grad, null);
  });

  it('step(closure) evaluates the closure (with gradients on), steps, and returns its loss', () => {
    const w = p([3]);
    const opt = new st.SGD([w], { lr: 0.25 });
    const loss = st.noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = st.square(w).sum(); // d/dw w² = 2w = 6
        l.backward();
        return l.item();
      }),
    );
    assert.equal(loss, 9);
    assert.deepEqual(Array.from(w.data), [1.5]); // 3 - 0.25·6
  });
});

describe('bad input', () => {
  it('an empty parameter list', () => {
    assert.throws(() => new st.Adam([]), /empty parameter list/);
  });

  it('a single tensor instead of a list, or tensors mixed with groups', () => {
    assert.throws(
      () => new st.Adam(p() as unknown as st.Tensor[]),
      /got a single Tensor. Fix: pass \[tensor\]/,
    );
    const mixed = [p(), { params: [p()] }] as unknown as st.Tensor[];
    assert.throws(() => new st.Adam(mixed), /neither a Tensor nor a parameter group/);
  });

  it('a non-leaf tensor', () => {
    const y = st.mul(p(), 2);
    assert.throws(() => new st.SGD([y], { lr: 0.1 }), /cannot optimize a non-leaf tensor .*'mul'/);
  });

  it('a parameter in two groups', () => {
    const a = p();
    assert.throws(
      () => new st.SGD([{ params: [a] }, { params: [a] }], { lr: 0.1 }),
      /appears more than once \(in this or another parameter group\)/,
    );
  });

  it('an unknown option names the valid ones', () => {
    const group = { params: [p()], learningRate: 0.1 } as unknown as st.optim.ParamGroupInput;
    assert.throws(() => new st.Adam([group]), /unknown option 'learningRate'.*options are lr, betas/);
  });

  it('out-of-range hyper-parameters', () => {
    assert.throws(() => new st.SGD([p()], { lr: -1 }), /lr must be a finite number >= 0, got -1/);
    assert.throws(
      () => new st.SGD([p()], { lr: 0.1, nesterov: true }),
      /Nesterov momentum requires momentum > 0/,
    );
    assert.throws(
      () => new st.SGD([p()], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }),
      /dampening 0/,
    );
    assert.throws(() => new st.Adam([p()], { betas: [0.9, 1] }), /betas\[1\] must be in \[0, 1\), got 1/);
    assert.throws(() => new st.RMSprop([p()], { eps: -1 }), st.ValueError);
    assert.throws(() => new st.Adadelta([p()], { rho: 1.5 }), /rho must be in \[0, 1\]/);
    assert.throws(() => new st.Adagrad([p()], { lrDecay: -0.1 }), st.ValueError);
  });

  it('a gradient whose size does not match its parameter', () => {
    const a = p();
    a.grad = st.tensor([1, 2, 3]);
    assert.throws(() => new st.SGD([a], { lr: 0.1 }).step(), st.ShapeError);
  });
});
