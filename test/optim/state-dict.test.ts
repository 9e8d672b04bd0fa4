// stateDict()/loadStateDict(): saving after 3 steps, restoring into a fresh optimizer (through
// JSON) and continuing must give exactly the parameters of the uninterrupted run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

type Make = (params: st.optim.ParamsInput) => st.optim.Optimizer;

// A linear layer 3->2 and the loss mean((x Wᵀ + b − y)²), differentiated by Stride's autograd.
const X = st.tensor([
  [0.5, -1, 2],
  [1.5, 0.3, -0.7],
  [-1.2, 0.8, 0.1],
  [0.2, 0.2, -2],
]);
const Y = st.tensor([
  [1, 0],
  [0, 1],
  [-1, 0.5],
  [0.3, -0.2],
]);
const W0 = [0.3, -0.2, 0.1, 0.4, 0.05, -0.6];
const B0 = [0.1, -0.1];

function freshParams(w: ArrayLike<number> = W0, b: ArrayLike<number> = B0): st.Tensor[] {
  return [
    st.tensor(Array.from(w), [2, 3], { requiresGrad: true }),
    st.tensor(Array.from(b), [2], { requiresGrad: true }),
  ];
}

function trainSteps(opt: st.optim.Optimizer, params: st.Tensor[], n: number): void {
  const [w, b] = params as [st.Tensor, st.Tensor];
  for (let i = 0; i < n; i++) {
    opt.zeroGrad();
    const loss = st.mean(st.square(st.sub(st.add(st.matmul(X, st.transpose(w)), b), Y)));
    loss.backward();
    opt.step();
  }
}

const CONFIGS: [string, Make][] = [
  [
    'SGD momentum nesterov',
    (p) => new st.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
  ],
  ['RMSprop centered momentum', (p) => new st.RMSprop(p, { lr: 0.01, centered: true, momentum: 0.5 })],
  ['Adam amsgrad', (p) => new st.Adam(p, { lr: 0.05, amsgrad: true })],
  ['AdamW l1', (p) => new st.AdamW(p, { lr: 0.05, l1: 1e-3 })],
  ['Adagrad', (p) => new st.Adagrad(p, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 })],
  ['Adadelta', (p) => new st.Adadelta(p, { rho: 0.8 })],
  [
    'SGD with two param groups',
    (p) => {
      const [w, b] = [...p] as st.Tensor[];
      return new st.SGD(
        [
          { params: [w!], lr: 0.05, weightDecay: 0.01 },
          { params: [b!], lr: 0.2, momentum: 0.5 },
        ],
        { lr: 0.1 },
      );
    },
  ],
];

describe('optimizer state save/restore', () => {
  for (const [name, make] of CONFIGS) {
    it(`${name}: 3 steps + save/restore + 3 steps equals 6 steps`, () => {
      const straight = freshParams();
      trainSteps(make(straight), straight, 6);

      const first = freshParams();
      const opt1 = make(first);
      trainSteps(opt1, first, 3);
      const saved = JSON.parse(JSON.stringify(opt1.stateDict())) as st.OptimizerStateDict;

      const resumed = freshParams(first[0]!.data, first[1]!.data);
      const opt2 = make(resumed);
      opt2.loadStateDict(saved);
      trainSteps(opt2, resumed, 3);

      assert.deepEqual(Array.from(resumed[0]!.data), Array.from(straight[0]!.data));
      assert.deepEqual(Array.from(resumed[1]!.data), Array.from(straight[1]!.data));
      // the restarted run without the saved state differs (the state matters)
      const cold = freshParams(first[0]!.data, first[1]!.data);
      trainSteps(make(cold), cold, 3);
      assert.notDeepEqual(Array.from(cold[0]!.data), Array.from(straight[0]!.data));
    });
  }

  it('lays the state out like PyTorch: parameters numbered across groups, buffers as arrays', () => {
    const params = freshParams();
    const opt = new st.Adam([{ params: [params[0]!] }, { params: [params[1]!], lr: 0.1 }], { amsgrad: true });
    trainSteps(opt, params, 2);
    const sd = opt.stateDict();
    assert.deepEqual(
      sd.paramGroups.map((g) => g.params),
      [[0], [1]],
    );
    assert.equal(sd.paramGroups[1]!.lr, 0.1);
    assert.deepEqual(sd.paramGroups[0]!.betas, [0.9, 0.999]);
    assert.deepEqual(Object.keys(sd.state).sort(), ['0', '1']);
    assert.equal(sd.state['0']!.step, 2);
    assert.deepEqual(Object.keys(sd.state['1']!).sort(), ['expAvg', 'expAvgSq', 'maxExpAvgSq', 'step']);
    assert.equal((sd.state['0']!.expAvg as number[]).length, 6);
  });

  it('restores group options such as a scheduled learning rate', () => {
    const params = freshParams();
    const opt = new st.SGD(params, { lr: 0.1, momentum: 0.9 });
    opt.paramGroups[0]!.lr = 0.025;
    const other = new st.SGD(freshParams(), { lr: 0.1 });
    other.loadStateDict(JSON.parse(JSON.stringify(opt.stateDict())) as st.OptimizerStateDict);
    assert.equal(other.paramGroups[0]!.lr, 0.025);
    assert.equal(other.paramGroups[0]!.momentum, 0.9);
  });

  it('refuses state that does not fit, leaving the optimizer unchanged', () => {
    const params = freshParams();
    const opt = new st.Adam(params, { lr: 0.01 });
    trainSteps(opt, params, 1);
    const sd = opt.stateDict();
    const twoGroups = new st.Adam([{ params: [freshParams()[0]!] }, { params: [freshParams()[1]!] }]);
    assert.throws(
      () => twoGroups.loadStateDict(sd),
      /saved state has 1 parameter groups, this optimizer has 2/,
    );
    const target = new st.Adam(freshParams(), { lr: 0.5 });
    const bad = JSON.parse(JSON.stringify(sd)) as st.OptimizerStateDict;
    bad.state['1']!.expAvg = [1, 2, 3];
    assert.throws(
      () => target.loadStateDict(bad),
      /state 'expAvg' of parameter 1 should be an array of 2 numbers/,
    );
    assert.equal(target.paramGroups[0]!.lr, 0.5);
    assert.equal(target.state.size, 0);
    const wrongType = JSON.parse(JSON.stringify(sd)) as st.OptimizerStateDict;
    wrongType.paramGroups[0]!.betas = 0.9;
    assert.throws(() => target.loadStateDict(wrongType), /option 'betas' should be an array of 2/);
  });
});

describe('schedule state save/restore', () => {
  function run(resumeAt: number | null): { lrs: number[]; w: number[] } {
    let params = freshParams();
    let opt = new st.SGD(params, { lr: 0.1, momentum: 0.9 });
    let sched = new st.optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 6, etaMin: 0.01 });
    const lrs: number[] = [];
    for (let epoch = 0; epoch < 6; epoch++) {
      if (epoch === resumeAt) {
        const saved = JSON.parse(JSON.stringify({ opt: opt.stateDict(), sched: sched.stateDict() })) as {
          opt: st.OptimizerStateDict;
          sched: st.optim.lrScheduler.LRSchedulerStateDict;
        };
        params = freshParams(params[0]!.data, params[1]!.data);
        opt = new st.SGD(params, { lr: 0.1, momentum: 0.9 });
        sched = new st.optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 6, etaMin: 0.01 });
        opt.loadStateDict(saved.opt);
        sched.loadStateDict(saved.sched);
      }
      trainSteps(opt, params, 1);
      sched.step();
      lrs.push(opt.paramGroups[0]!.lr);
    }
    return { lrs, w: Array.from(params[0]!.data) };
  }

  it('CosineAnnealingLR + SGD resumed after 3 epochs equals the uninterrupted run', () => {
    assert.deepEqual(run(3), run(null));
  });

  it('ReduceLROnPlateau keeps its best metric, bad-epoch count and cooldown', () => {
    const metrics = [1, 0.9, 0.95, 0.97, 0.96, 0.99, 0.98, 1, 1.1];
    const straightOpt = new st.SGD(freshParams(), { lr: 1 });
    const straight = new st.optim.lrScheduler.ReduceLROnPlateau(straightOpt, { patience: 1, cooldown: 1 });
    metrics.forEach((m) => straight.step(m));

    const opt1 = new st.SGD(freshParams(), { lr: 1 });
    const first = new st.optim.lrScheduler.ReduceLROnPlateau(opt1, { patience: 1, cooldown: 1 });
    metrics.slice(0, 4).forEach((m) => first.step(m));
    const saved = JSON.parse(JSON.stringify({ o: opt1.stateDict(), s: first.stateDict() })) as {
      o: st.OptimizerStateDict;
      s: st.optim.lrScheduler.ReduceLROnPlateauStateDict;
    };
    const opt2 = new st.SGD(freshParams(), { lr: 1 });
    const second = new st.optim.lrScheduler.ReduceLROnPlateau(opt2, { patience: 1, cooldown: 1 });
    opt2.loadStateDict(saved.o);
    second.loadStateDict(saved.s);
    metrics.slice(4).forEach((m) => second.step(m));
    assert.deepEqual(second.stateDict(), straight.stateDict());
    assert.deepEqual(second.getLastLr(), straight.getLastLr());
    assert.ok(straight.getLastLr()[0]! < 1);
  });
});
