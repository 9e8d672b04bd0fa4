import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface SoftmaxCase {
  kind: string;
  op: 'softmax' | 'logSoftmax' | 'logSumExp';
  args: { dim: number; keepdim?: boolean };
  x: FixtureTensor;
  g: FixtureTensor;
  out: FixtureTensor;
  d_x: FixtureTensor;
}

function apply(op: SoftmaxCase['op'], x: st.Tensor, dim: number, keepdim = false): st.Tensor {
  if (op === 'softmax') return st.softmax(x, dim);
  if (op === 'logSoftmax') return st.logSoftmax(x, dim);
  return st.logSumExp(x, dim, keepdim);
}

describe('softmax, logSoftmax, logSumExp', () => {
  it("reproduces the deck's worked example (logits [5, 2, -1, 3])", () => {
    // 004 SOFTMAX ACTIVATION; the deck rounds to 0.842, 0.042, 0.02, 0.14.
    const p = st.softmax(st.tensor([5, 2, -1, 3]), 0);
    assertClose(p, [0.84203357, 0.04192238, 0.00208719, 0.11395685], { rtol: 1e-6, atol: 1e-8 });
    assertClose(
      st.softmax(st.tensor([[5, 2, -1, 3]]), -1),
      [0.84203357, 0.04192238, 0.00208719, 0.11395685],
      {
        rtol: 1e-6,
        atol: 1e-8,
      },
    );
  });

  it('match PyTorch forward values and input gradients (float32)', () => {
    const cases = loadFixture<{ cases: SoftmaxCase[] }>('loss_act').cases.filter((c) => c.kind === 'softmax');
    assert.equal(cases.length, 6);
    for (const c of cases) {
      const x = st.tensor(c.x.data, c.x.shape, { requiresGrad: true });
      const y = apply(c.op, x, c.args.dim, c.args.keepdim);
      const label = `${c.op} ${JSON.stringify(c.args)}`;
      assert.deepEqual([...y.shape], c.out.shape, `${label} shape`);
      assertClose(y, c.out.data, { rtol: 1e-4, atol: 1e-6, msg: `${label} forward` });
      y.backward(st.tensor(c.g.data, c.g.shape));
      assertClose(x.grad!, c.d_x.data, { rtol: 1e-4, atol: 1e-6, msg: `${label} gradient` });
    }
  });

  it('pass float64 gradient checks along every dimension of random shapes', () => {
    const rng = new st.Rng(11);
    for (let trial = 0; trial < 6; trial++) {
      const rank = rng.int(1, 5);
      const shape = Array.from({ length: rank }, () => rng.int(1, 5));
      const x = st.randn(shape, { dtype: 'float64', rng }).mul(2).detach().requiresGrad_();
      for (let dim = -rank; dim < rank; dim++) {
        for (const op of ['softmax', 'logSoftmax', 'logSumExp'] as const) {
          assert.ok(
            st.gradcheck((t) => apply(op, t, dim, trial % 2 === 0), [x]),
            `${op} dim ${dim} of [${shape}]`,
          );
        }
      }
    }
  });

  it('stay finite for huge logits and handle infinities like PyTorch', () => {
    const big = st.tensor([1000, 1001, 999], undefined, { dtype: 'float64' });
    const e = [Math.exp(-1), 1, Math.exp(-2)];
    const z = e[0]! + e[1]! + e[2]!;
    assertClose(
      st.softmax(big, 0),
      e.map((v) => v / z),
      { rtol: 1e-14 },
    );
    assertClose(st.logSoftmax(big, 0), [-1 - Math.log(z), -Math.log(z), -2 - Math.log(z)], { rtol: 1e-14 });
    assertClose(st.logSumExp(big, 0), [1001 + Math.log(z)], { rtol: 1e-15 });
    assert.equal(st.logSumExp(st.tensor([-Infinity, -Infinity]), 0).item(), -Infinity);
    assert.equal(st.logSumExp(st.tensor([Infinity, 1]), 0).item(), Infinity);
    assertClose(st.softmax(st.tensor([-Infinity, 0, 0]), 0), [0, 0.5, 0.5]);
  });

  it('rows sum to one over NCHW class maps (dim 1)', () => {
    const x = st.randn([2, 3, 4, 5], { seed: 1 });
    const s = st.softmax(x, 1).sum(1);
    assertClose(s, st.ones([2, 4, 5]), { atol: 1e-6 });
    assert.deepEqual([...st.logSumExp(x, 1, true).shape], [2, 1, 4, 5]);
    assert.deepEqual([...st.logSumExp(x, 1).shape], [2, 4, 5]);
  });

  it('refuses an out-of-range dimension', () => {
    assert.throws(
      () => st.softmax(st.zeros([2, 3]), 2),
      (e: Error) => e instanceof st.ValueError && /axis 2/.test(e.message),
    );
  });
});

describe('Tensor softmax methods', () => {
  it('match the functional ops', () => {
    const x = st.tensor([
      [5, 2, -1, 3],
      [0, 0, 0, 0],
    ]);
    assert.deepEqual(Array.from(x.softmax(1).data), Array.from(st.softmax(x, 1).data));
    assert.deepEqual(Array.from(x.logSoftmax(1).data), Array.from(st.logSoftmax(x, 1).data));
  });
});
