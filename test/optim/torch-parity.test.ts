// Optimizers against PyTorch 1.13 (test/fixtures/optim.json, written by scripts/fixtures/gen_optim.py):
// each case feeds the gradients torch computed on a linear layer 3->2 to the Stride optimizer for
// 5 steps and compares the parameters after every step.
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface OptimizerCase {
  name: string;
  optimizer: 'SGD' | 'RMSprop' | 'Adam' | 'AdamW' | 'Adagrad' | 'Adadelta';
  options: Record<string, number | boolean | number[]>;
  groups: { params: number[]; options: Record<string, number | boolean | number[]> }[] | null;
  init: FixtureTensor[];
  steps: { grads: FixtureTensor[]; params: FixtureTensor[] }[];
}

const fixture = loadFixture<{ cases: { optimizers: OptimizerCase[] } }>('optim');

const CONSTRUCTORS = {
  SGD: st.optim.SGD,
  RMSprop: st.optim.RMSprop,
  Adam: st.optim.Adam,
  AdamW: st.optim.AdamW,
  Adagrad: st.optim.Adagrad,
  Adadelta: st.optim.Adadelta,
};

function build(c: OptimizerCase): { opt: st.optim.Optimizer; params: st.Tensor[] } {
  const params = c.init.map((t) => st.tensor(t.data, t.shape, { requiresGrad: true }));
  const Ctor = CONSTRUCTORS[c.optimizer];
  const input =
    c.groups === null
      ? params
      : c.groups.map((g) => ({ params: g.params.map((i) => params[i]!), ...g.options }));
  return { opt: new Ctor(input, c.options), params };
}

describe('optimizers match torch.optim step by step', () => {
  for (const c of fixture.cases.optimizers) {
    it(c.name, () => {
      const { opt, params } = build(c);
      c.steps.forEach((s, k) => {
        opt.zeroGrad();
        params.forEach((p, i) => {
          p.grad = st.tensor(s.grads[i]!.data, s.grads[i]!.shape);
        });
        opt.step();
        params.forEach((p, i) => {
          assertClose(p.data, s.params[i]!.data, {
            atol: 1e-6,
            rtol: 1e-5,
            msg: `${c.name}: step ${k + 1}, param ${i}`,
          });
        });
      });
    });
  }
});
