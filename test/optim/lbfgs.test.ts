// LBFGS against torch.optim.LBFGS (test/fixtures/style.json, written by
// scripts/fixtures/gen_style.py): several step() calls with and without the strong-Wolfe line
// search on Rosenbrock and a tiny least-squares problem, in float64; parameters, returned loss
// and closure evaluations after every step.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface LbfgsCase {
  name: string;
  problem: 'rosenbrock' | 'least_squares';
  init: FixtureTensor[];
  options: st.optim.LBFGSOptions;
  steps: { loss: number; params: FixtureTensor[]; evals: number }[];
}
const fixture = loadFixture<{
  cases: { lbfgs: { leastSquares: { x: FixtureTensor; y: FixtureTensor }; cases: LbfgsCase[] } };
}>('style');
const { leastSquares, cases } = fixture.cases.lbfgs;
const f64 = (f: FixtureTensor, requiresGrad = false) =>
  st.tensor(f.data, f.shape, { dtype: 'float64', requiresGrad });

function problem(name: LbfgsCase['problem'], params: st.Tensor[]): st.Tensor {
  if (name === 'rosenbrock') {
    const p = params[0]!;
    const x = st.slice(p, 0, 0, 1);
    const y = st.slice(p, 0, 1, 2);
    return st.add(st.square(st.sub(1, x)), st.mul(100, st.square(st.sub(y, st.square(x))))).sum();
  }
  const [w, b] = params as [st.Tensor, st.Tensor];
  const r = st.sub(st.add(st.matmul(f64(leastSquares.x), st.transpose(w, 0, 1)), b), f64(leastSquares.y));
  return st.square(r).sum();
}

describe('LBFGS matches torch.optim.LBFGS', () => {
  for (const c of cases) {
    it(c.name, () => {
      const params = c.init.map((p) => f64(p, true));
      const opt = new st.LBFGS(params, c.options);
      let evals = 0;
      const closure = () => {
        opt.zeroGrad();
        const loss = problem(c.problem, params);
        loss.backward();
        evals++;
        return loss;
      };
      c.steps.forEach((s, k) => {
        const loss = opt.step(closure)!;
        assertClose([loss.item()], [s.loss], { atol: 1e-9, rtol: 1e-9, msg: `step ${k + 1} loss` });
        assert.equal(evals, s.evals, `step ${k + 1}: closure evaluations`);
        params.forEach((p, i) =>
          assertClose(p, s.params[i]!.data, { atol: 1e-9, rtol: 1e-7, msg: `step ${k + 1} param ${i}` }),
        );
      });
    });
  }

  it('saves and restores its state: the next step continues identically', () => {
    const c = cases.find((x) => x.name === 'least squares, strong wolfe')!;
    const run = (restore: boolean) => {
      const params = c.init.map((p) => f64(p, true));
      let opt = new st.LBFGS(params, c.options);
      const closure = () => {
        opt.zeroGrad();
        const loss = problem(c.problem, params);
        loss.backward();
        return loss;
      };
      opt.step(closure);
      if (restore) {
        const saved = JSON.parse(JSON.stringify(opt.stateDict())) as st.OptimizerStateDict;
        opt = new st.LBFGS(params, c.options);
        opt.loadStateDict(saved);
      }
      opt.step(closure);
      return params.map((p) => Array.from(p.data));
    };
    assert.deepEqual(run(true), run(false));
  });

  it('explains a missing closure, parameter groups and unsupported options', () => {
    const x = st.zeros([2], { requiresGrad: true });
    assert.throws(() => new st.LBFGS([x]).step(), /needs a closure/);
    assert.throws(
      () => new st.LBFGS([{ params: [x] }, { params: [st.zeros([1], { requiresGrad: true })] }]),
      /one parameter group/,
    );
    assert.throws(
      () => new st.LBFGS([x], { lineSearchFn: 'backtracking' as 'strong_wolfe' }),
      /lineSearchFn must be 'strong_wolfe'/,
    );
  });
});
