import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kernels } from '../../src/backend/registry.js';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface ActivationCase {
  kind: string;
  op: string;
  args: Record<string, number | string>;
  x: FixtureTensor;
  g: FixtureTensor;
  out: FixtureTensor;
  d_x: FixtureTensor;
}

/** Call the activation a fixture case names, with its PyTorch arguments. */
function apply(op: string, x: st.Tensor, a: Record<string, number | string>): st.Tensor {
  const num = (k: string): number | undefined => a[k] as number | undefined;
  switch (op) {
    case 'relu':
      return st.relu(x);
    case 'sigmoid':
      return st.sigmoid(x);
    case 'tanh':
      return st.tanh(x);
    case 'leakyRelu':
      return st.leakyRelu(x, num('negativeSlope'));
    case 'elu':
      return st.elu(x, num('alpha'));
    case 'selu':
      return st.selu(x);
    case 'gelu':
      return st.gelu(x, a.approximate === 'tanh' ? { approximate: 'tanh' } : {});
    case 'softplus':
      return st.softplus(x, num('beta'), num('threshold'));
    case 'hardtanh':
      return st.hardtanh(x, num('minVal'), num('maxVal'));
    case 'relu6':
      return st.relu6(x);
    case 'silu':
      return st.silu(x);
    case 'hardsigmoid':
      return st.hardsigmoid(x);
    case 'hardswish':
      return st.hardswish(x);
    case 'mish':
      return st.mish(x);
    default:
      throw new Error(`no activation ${op}`);
  }
}

const ALL: [string, Record<string, number | string>][] = [
  ['leakyRelu', { negativeSlope: 0.1 }],
  ['elu', { alpha: 0.7 }],
  ['selu', {}],
  ['gelu', {}],
  ['gelu', { approximate: 'tanh' }],
  ['softplus', {}],
  ['softplus', { beta: 3, threshold: 4 }],
  ['hardtanh', { minVal: -0.5, maxVal: 2 }],
  ['relu6', {}],
  ['silu', {}],
  ['hardsigmoid', {}],
  ['hardswish', {}],
  ['mish', {}],
];

function randomShape(rng: st.Rng): number[] {
  const rank = rng.int(1, 5);
  return Array.from({ length: rank }, () => rng.int(1, 4));
}

describe('activations', () => {
  it('match PyTorch forward values and input gradients (float32)', () => {
    const cases = loadFixture<{ cases: ActivationCase[] }>('loss_act').cases.filter(
      (c) => c.kind === 'activation',
    );
    assert.ok(cases.length >= 19);
    for (const c of cases) {
      const x = st.tensor(c.x.data, c.x.shape, { requiresGrad: true });
      const y = apply(c.op, x, c.args);
      const label = `${c.op} ${JSON.stringify(c.args)}`;
      assertClose(y, c.out.data, { rtol: 1e-4, atol: 1e-6, msg: `${label} forward` });
      y.backward(st.tensor(c.g.data, c.g.shape));
      assertClose(x.grad!, c.d_x.data, { rtol: 1e-4, atol: 1e-6, msg: `${label} gradient` });
    }
  });

  it('pass float64 gradient checks on random shapes', () => {
    const rng = new st.Rng(7);
    for (const [op, args] of ALL) {
      for (let trial = 0; trial < 3; trial++) {
        const x = st.randn(randomShape(rng), { dtype: 'float64', rng }).mul(3).detach().requiresGrad_();
        assert.ok(
          st.gradcheck((t) => apply(op, t, args), [x]),
          `${op} ${JSON.stringify(args)}`,
        );
      }
    }
  });

  it('use PyTorch defaults and closed forms at known points', () => {
    const x = st.tensor([-2, -0.5, 0, 1, 7], undefined, { dtype: 'float64' });
    assertClose(st.leakyRelu(x), [-0.02, -0.005, 0, 1, 7], { rtol: 1e-14 });
    assertClose(st.relu6(x), [0, 0, 0, 1, 6], { rtol: 1e-14 });
    assertClose(st.hardtanh(x), [-1, -0.5, 0, 1, 1], { rtol: 1e-14 });
    assertClose(st.hardsigmoid(x), [1 / 6, 5 / 12, 0.5, 4 / 6, 1], { rtol: 1e-14 });
    assertClose(st.elu(x), [Math.expm1(-2), Math.expm1(-0.5), 0, 1, 7], { rtol: 1e-14 });
    // GELU(x) = x·Φ(x) with Φ(1) = 0.8413447460685429, Φ(-2) = 0.02275013194817921.
    assertClose(
      st.gelu(st.tensor([1, -2], undefined, { dtype: 'float64' })),
      [0.8413447460685429, -0.04550026389635842],
      {
        rtol: 1e-14,
        atol: 0,
      },
    );
    // softplus switches to x itself above the threshold, as PyTorch does.
    assert.equal(st.softplus(st.tensor([30], undefined, { dtype: 'float64' })).item(), 30);
    assert.equal(
      st.softplus(st.tensor([2], undefined, { dtype: 'float64' })).item(),
      Math.log1p(Math.exp(2)),
    );
  });

  it('softsign: hand-worked values and derivatives 1 / (1 + |x|)², and a float64 gradient check', () => {
    const x = st.tensor([-3, -1, 0, 0.5, 4], undefined, { dtype: 'float64', requiresGrad: true });
    const y = st.softsign(x);
    assertClose(y, [-0.75, -0.5, 0, 1 / 3, 0.8], { rtol: 1e-14 });
    y.sum().backward();
    assertClose(x.grad!, [1 / 16, 1 / 4, 1, 4 / 9, 1 / 25], { rtol: 1e-14 });
    const x32 = st.tensor([-3, -1, 0, 0.5, 4]); // float32: the backend's kernel (native when built)
    assertClose(new st.Softsign().forward(x32), [-0.75, -0.5, 0, 1 / 3, 0.8], { rtol: 1e-6 });
    const r = st
      .randn([3, 4], { dtype: 'float64', rng: new st.Rng(3) })
      .mul(3)
      .detach()
      .requiresGrad_();
    assert.ok(st.gradcheck((t) => st.softsign(t), [r]));
  });

  it("take PyTorch 1.13's gradients at the kinks", () => {
    const at = (f: (t: st.Tensor) => st.Tensor, v: number): number => {
      const x = st.tensor([v], undefined, { requiresGrad: true });
      f(x).sum().backward();
      return x.grad!.item();
    };
    assert.equal(
      at((t) => st.leakyRelu(t, 0.2), 0),
      Math.fround(0.2),
    );
    assert.equal(
      at((t) => st.elu(t, 0.5), 0),
      0.5,
    );
    assert.equal(at(st.relu6, 0), 0);
    assert.equal(at(st.relu6, 6), 0);
    assert.equal(at(st.hardswish, -3), -0.5);
    assert.equal(at(st.hardswish, 3), 1.5);
    assert.equal(at(st.hardsigmoid, 3), 0);
  });

  it('erf kernel is accurate to double precision (values from C libm)', () => {
    const xs = [1e-8, 0.1, 0.5, 1, 2, 2.4999, 2.5, 3, 4.5, 6.5, -0.75];
    const expected = [
      1.1283791670955126e-8, 0.1124629160182849, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527,
      0.9995928300996666, 0.999593047982555, 0.9999779095030014, 0.9999999998033839, 1, -0.7111556336535151,
    ];
    const out = new Float64Array(xs.length);
    kernels().unary('erf', Float64Array.from(xs), out);
    assertClose(out, expected, { rtol: 2e-15, atol: 0 });
  });

  it('refuses bad options with the fix', () => {
    const x = st.tensor([1, 2]);
    assert.throws(
      () => st.hardtanh(x, 1, -1),
      (e: Error) => e instanceof st.ValueError && /swap/.test(e.message),
    );
    assert.throws(
      () => st.gelu(x, { approximate: 'erf' as 'none' }),
      (e: Error) => e instanceof st.ValueError && /'none' or 'tanh'/.test(e.message),
    );
  });

  it('re-exports relu, sigmoid and tanh from the element-wise ops', async () => {
    const act = await import('../../src/ops/activation.js');
    const ew = await import('../../src/ops/elementwise.js');
    assert.equal(act.relu, ew.relu);
    assert.equal(act.sigmoid, ew.sigmoid);
    assert.equal(act.tanh, ew.tanh);
  });
});
