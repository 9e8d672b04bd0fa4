// Learning-rate schedules against their formulas (worked out by hand below) and against
// torch.optim.lr_scheduler over 30 steps (test/fixtures/optim.json, scripts/fixtures/gen_optim.py).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture } from '../helpers/fixtures.js';

const S = st.optim.lrScheduler;

function sgd(lrs: number[] = [1], extra: st.optim.SGDOptions = {}): st.optim.SGD {
  return new st.optim.SGD(
    lrs.map((lr) => ({ params: [st.zeros([1], { requiresGrad: true })], lr })),
    extra,
  );
}

/** The lr of the first group after construction and after each of `n` steps. */
function trace(sched: { step(): void; getLastLr(): number[] }, n: number): number[] {
  const out = [sched.getLastLr()[0]!];
  for (let i = 0; i < n; i++) {
    sched.step();
    out.push(sched.getLastLr()[0]!);
  }
  return out;
}

describe('schedules against their formulas', () => {
  it('StepLR: lr0·gamma^⌊epoch/stepSize⌋', () => {
    // stepSize 3, gamma 0.1: epochs 0-2 → 1, 3-5 → 0.1, 6-7 → 0.01
    assertClose(trace(new S.StepLR(sgd(), { stepSize: 3 }), 7), [1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01], {
      atol: 1e-15,
    });
  });

  it('MultiStepLR: one factor per milestone passed', () => {
    // milestones 2 and 4 (given unsorted), gamma 0.5: 1, 1, 0.5, 0.5, 0.25, 0.25
    assertClose(
      trace(new S.MultiStepLR(sgd(), { milestones: [4, 2], gamma: 0.5 }), 5),
      [1, 1, 0.5, 0.5, 0.25, 0.25],
    );
  });

  it('ExponentialLR: the decks’ 0.95^epoch·lr0', () => {
    const lrs = trace(new S.ExponentialLR(sgd([0.2]), { gamma: 0.95 }), 10);
    assertClose(lrs.slice(0, 3), [0.2, 0.19, 0.1805], { atol: 1e-15 });
    // 0.95^10 = 0.598736939238...
    assertClose([lrs[10]!], [0.2 * 0.5987369392383789], { atol: 1e-15 });
  });

  it('InverseTimeLR: lr0/(1 + decayRate·epoch)', () => {
    // lr0 0.2, decayRate 1: 0.2/1, 0.2/2, 0.2/3, 0.2/4, 0.2/5
    assertClose(
      trace(new S.InverseTimeLR(sgd([0.2]), { decayRate: 1 }), 4),
      [0.2, 0.1, 0.2 / 3, 0.05, 0.04],
      {
        atol: 1e-15,
      },
    );
  });

  it('InverseSqrtLR: k·lr0/√(epoch + 1), the decks’ k/√EPOCH with EPOCH counted from 1', () => {
    // k 2, lr0 0.5: 1/√1, 1/√2, 1/√3, 1/√4
    assertClose(
      trace(new S.InverseSqrtLR(sgd([0.5]), { k: 2 }), 3),
      [1, Math.SQRT1_2, 1 / Math.sqrt(3), 0.5],
      {
        atol: 1e-15,
      },
    );
  });

  it('CosineAnnealingLR: etaMin + (lr0 − etaMin)(1 + cos(π·epoch/tMax))/2, climbing back after tMax', () => {
    const c = (1 + Math.cos(Math.PI / 4)) / 2; // 0.8535533905932737
    const lrs = trace(new S.CosineAnnealingLR(sgd(), { tMax: 4 }), 8);
    assertClose(lrs, [1, c, 0.5, 1 - c, 0, 1 - c, 0.5, c, 1], { atol: 1e-15 });
    const withMin = trace(new S.CosineAnnealingLR(sgd(), { tMax: 4, etaMin: 0.2 }), 2);
    assertClose(withMin, [1, 0.2 + 0.8 * c, 0.6], { atol: 1e-15 });
  });

  it('CosineWarmupLR: linear warm-up to lr0, cosine to etaMin at totalSteps, then etaMin', () => {
    const c = (1 + Math.cos(Math.PI / 4)) / 2;
    // W 2, T 6: warm-up 0, 0.5; cosine over 4 steps 1, c, 0.5, 1 - c, 0; then 0
    const lrs = trace(new S.CosineWarmupLR(sgd(), { warmupSteps: 2, totalSteps: 6 }), 7);
    assertClose(lrs, [0, 0.5, 1, c, 0.5, 1 - c, 0, 0], { atol: 1e-15 });
    // start factor 0.2: 0.2 + 0.8·epoch/W
    const warm = trace(
      new S.CosineWarmupLR(sgd(), { warmupSteps: 4, totalSteps: 8, warmupStartFactor: 0.2 }),
      4,
    );
    assertClose(warm, [0.2, 0.4, 0.6, 0.8, 1], { atol: 1e-15 });
  });

  it('OneCycleLR: from maxLr/25 up to maxLr over pctStart, then down to maxLr/25/1e4', () => {
    const opt = sgd([0.123], { momentum: 0.9 });
    // totalSteps 10, pctStart 0.5: phase 1 ends at step 4, phase 2 at step 9
    const sched = new S.OneCycleLR(opt, { maxLr: 1, totalSteps: 10, pctStart: 0.5 });
    const lrs = trace(sched, 9);
    assertClose([lrs[0]!], [0.04]);
    // step 2 is halfway up: cos anneal gives the midpoint (0.04 + 1)/2
    assertClose([lrs[2]!, lrs[4]!], [0.52, 1]);
    assertClose([lrs[9]!], [0.04 / 1e4], { atol: 1e-15 });
    // momentum mirrors the lr: 0.95 → 0.85 at the peak → 0.95
    assert.equal(opt.paramGroups[0]!.momentum, 0.95);
    sched.step(); // counter 10 = totalSteps is still allowed (PyTorch extrapolates the last phase)
    assert.throws(() => sched.step(), /tried to step 12 times, but the cycle has totalSteps 10/);
  });

  it('ReduceLROnPlateau: waits patience epochs, cuts by factor, respects cooldown and minLr', () => {
    const opt = sgd([1]);
    const sched = new S.ReduceLROnPlateau(opt, { patience: 1, factor: 0.5, cooldown: 1, minLr: 0.2 });
    const lrs: number[] = [];
    // best 1 at epoch 1; epochs 2, 3 are bad (2 > patience 1) → 0.5 at epoch 3; cooldown epoch 4;
    // epochs 5, 6 bad → 0.25 at 6; cooldown 7; 8, 9 bad → max(0.125, minLr 0.2) = 0.2 at 9
    for (const m of [1, 1, 1, 1, 1, 1, 1, 1, 1, 0.5]) {
      sched.step(m);
      lrs.push(opt.paramGroups[0]!.lr);
    }
    assert.deepEqual(lrs, [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2]);
    assert.equal(sched.best, 0.5);
  });

  it('step(epoch) sets the counter, fractional epochs included (per-step use of an epoch schedule)', () => {
    const sched = new S.ExponentialLR(sgd(), { gamma: 0.5 });
    sched.step(2.5);
    assertClose(sched.getLastLr(), [0.5 ** 2.5], { atol: 1e-15 });
    assert.equal(sched.lastEpoch, 2.5);
  });

  it('sets the lr of every group from its own base lr and records initialLr', () => {
    const opt = sgd([0.1, 0.01]);
    const sched = new S.StepLR(opt, { stepSize: 1, gamma: 0.5 });
    sched.step();
    assert.deepEqual(
      opt.paramGroups.map((g) => g.lr),
      [0.05, 0.005],
    );
    assert.deepEqual(sched.getLastLr(), [0.05, 0.005]);
    assert.deepEqual(
      opt.paramGroups.map((g) => g.initialLr),
      [0.1, 0.01],
    );
    // a second schedule on the same optimizer starts from initialLr, like PyTorch
    assert.deepEqual(new S.ExponentialLR(opt, { gamma: 0.9 }).baseLrs, [0.1, 0.01]);
  });

  it('refuses bad options with typed errors', () => {
    assert.throws(() => new S.StepLR(sgd(), { stepSize: 0 }), /stepSize must be an integer >= 1/);
    assert.throws(() => new S.ReduceLROnPlateau(sgd(), { factor: 1 }), /factor must be < 1/);
    assert.throws(() => new S.CosineWarmupLR(sgd(), { warmupSteps: 5, totalSteps: 5 }), st.ValueError);
    const adagrad = new st.optim.Adagrad([st.zeros([1], { requiresGrad: true })]);
    assert.throws(() => new S.OneCycleLR(adagrad, { maxLr: 1, totalSteps: 10 }), /cycleMomentum/);
    assert.throws(() => new S.OneCycleLR(sgd(), { maxLr: 1 }), /totalSteps, or epochs and stepsPerEpoch/);
  });
});

interface ScheduleCase {
  name: string;
  optimizer: 'SGD' | 'Adam';
  optimizerOptions: Record<string, number>;
  baseLrs: number[];
  options: Record<string, number | string | boolean | number[]>;
  lrs: number[][];
  metrics?: number[];
  momentum?: number[][];
}

const fixture = loadFixture<{ cases: { schedules: ScheduleCase[] } }>('optim');

function makeSchedule(c: ScheduleCase, opt: st.optim.Optimizer) {
  const o = c.options;
  switch (c.name) {
    case 'StepLR':
      return new S.StepLR(opt, { stepSize: o.stepSize as number, gamma: o.gamma as number });
    case 'MultiStepLR':
      return new S.MultiStepLR(opt, { milestones: o.milestones as number[], gamma: o.gamma as number });
    case 'ExponentialLR':
      return new S.ExponentialLR(opt, { gamma: o.gamma as number });
    case 'InverseTimeLR':
      return new S.InverseTimeLR(opt, { decayRate: o.decayRate as number });
    case 'InverseSqrtLR':
      return new S.InverseSqrtLR(opt, { k: o.k as number });
    case 'CosineAnnealingLR':
      return new S.CosineAnnealingLR(opt, { tMax: o.tMax as number, etaMin: o.etaMin as number });
    case 'CosineWarmupLR':
      return new S.CosineWarmupLR(opt, {
        warmupSteps: o.warmupSteps as number,
        totalSteps: o.totalSteps as number,
        warmupStartFactor: o.warmupStartFactor as number,
      });
    case 'ReduceLROnPlateau':
      return new S.ReduceLROnPlateau(opt, o as Partial<st.optim.lrScheduler.ReduceLROnPlateauOptions>);
    case 'OneCycleLR':
      return new S.OneCycleLR(opt, o as unknown as st.optim.lrScheduler.OneCycleLRInput);
    default:
      throw new Error(`no schedule named ${c.name}`);
  }
}

function momentumOf(g: st.optim.ParamGroup): number {
  if ('betas' in g && Array.isArray(g.betas)) return g.betas[0] as number;
  if ('momentum' in g && typeof g.momentum === 'number') return g.momentum;
  throw new Error('group without momentum');
}

describe('schedules match torch.optim.lr_scheduler over 30 steps', () => {
  for (const c of fixture.cases.schedules) {
    const label = `${c.name} ${JSON.stringify(c.options)}`;
    it(label, () => {
      const groups = c.baseLrs.map((lr) => ({ params: [st.zeros([1], { requiresGrad: true })], lr }));
      const opt =
        c.optimizer === 'Adam' ? new st.optim.Adam(groups) : new st.optim.SGD(groups, c.optimizerOptions);
      const sched = makeSchedule(c, opt);
      const lrs = [opt.paramGroups.map((g) => g.lr)];
      const moms = [opt.paramGroups.map(momentumOf)];
      for (let i = 0; i < c.lrs.length - 1; i++) {
        opt.step();
        if (sched instanceof S.ReduceLROnPlateau) sched.step(c.metrics![i]!);
        else sched.step();
        assert.deepEqual(
          sched.getLastLr(),
          opt.paramGroups.map((g) => g.lr),
        );
        lrs.push(opt.paramGroups.map((g) => g.lr));
        moms.push(opt.paramGroups.map(momentumOf));
      }
      assertClose(lrs, c.lrs, { atol: 1e-12, rtol: 1e-9, msg: label });
      if (c.momentum) assertClose(moms, c.momentum, { atol: 1e-12, rtol: 1e-9, msg: `${label} momentum` });
    });
  }
});
