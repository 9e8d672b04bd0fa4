import { ValueError } from '../../errors.js';
import type { Optimizer } from '../optimizer.js';
import { checkInteger, checkNumber, LRScheduler } from './lr-scheduler.js';

/** Options of {@link OneCycleLR} after defaults (per-group values as arrays). */
export interface OneCycleLROptions {
  /** Peak learning rate of each parameter group. */
  maxLr: number[];
  /** Steps in the cycle (`step()` may be called this many times after construction). */
  totalSteps: number;
  /** Fraction of the cycle spent increasing the learning rate. Default 0.3. */
  pctStart: number;
  /** 'cos' (default) or 'linear' annealing between the phase end points. */
  annealStrategy: 'cos' | 'linear';
  /** Cycle momentum (SGD/RMSprop `momentum`, Adam `betas[0]`) inversely to the lr. Default true. */
  cycleMomentum: boolean;
  /** Momentum at the lr peak, per group. Default 0.85. */
  baseMomentum: number[];
  /** Momentum at the start and end, per group. Default 0.95. */
  maxMomentum: number[];
  /** The starting lr is `maxLr / divFactor`. Default 25. */
  divFactor: number;
  /** The final lr is `maxLr / (divFactor · finalDivFactor)`. Default 1e4. */
  finalDivFactor: number;
  /** Three phases (up, back down to the start, then to the final lr) like fastai's original. Default false. */
  threePhase: boolean;
}

/** What the {@link OneCycleLR} constructor accepts: give `totalSteps`, or `epochs` and `stepsPerEpoch`. */
export interface OneCycleLRInput {
  /** Peak learning rate, for all groups or one per group. */
  maxLr: number | number[];
  /** Steps in the cycle. */
  totalSteps?: number;
  /** With `stepsPerEpoch`, gives totalSteps = epochs · stepsPerEpoch. */
  epochs?: number;
  /** Batches per epoch. */
  stepsPerEpoch?: number;
  /** See {@link OneCycleLROptions}. */
  pctStart?: number;
  /** See {@link OneCycleLROptions}. */
  annealStrategy?: 'cos' | 'linear';
  /** See {@link OneCycleLROptions}. */
  cycleMomentum?: boolean;
  /** See {@link OneCycleLROptions}. */
  baseMomentum?: number | number[];
  /** See {@link OneCycleLROptions}. */
  maxMomentum?: number | number[];
  /** See {@link OneCycleLROptions}. */
  divFactor?: number;
  /** See {@link OneCycleLROptions}. */
  finalDivFactor?: number;
  /** See {@link OneCycleLROptions}. */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  lr: [number, number];
  momentum: [number, number];
}

function hasMomentum(g: object): g is { momentum: number } {
  return 'momentum' in g && typeof g.momentum === 'number';
}

function hasBetas(g: object): g is { betas: [number, number] } {
  return 'betas' in g && Array.isArray(g.betas);
}

function perGroup(name: string, value: number | number[], groups: number): number[] {
  if (!Array.isArray(value)) return new Array<number>(groups).fill(value);
  if (value.length !== groups) {
    throw new ValueError(
      'OneCycleLR',
      `expected ${groups} values for ${name} (one per parameter group), got ${value.length}`,
    );
  }
  return [...value];
}

function resolve(optimizer: Optimizer, o: OneCycleLRInput): OneCycleLROptions {
  const n = optimizer.paramGroups.length;
  let totalSteps = o.totalSteps;
  if (totalSteps === undefined) {
    if (o.epochs === undefined || o.stepsPerEpoch === undefined) {
      throw new ValueError('OneCycleLR', 'needs totalSteps, or epochs and stepsPerEpoch');
    }
    checkInteger('OneCycleLR', 'epochs', o.epochs, 1);
    checkInteger('OneCycleLR', 'stepsPerEpoch', o.stepsPerEpoch, 1);
    totalSteps = o.epochs * o.stepsPerEpoch;
  }
  const resolved: OneCycleLROptions = {
    maxLr: perGroup('maxLr', o.maxLr, n),
    totalSteps,
    pctStart: o.pctStart ?? 0.3,
    annealStrategy: o.annealStrategy ?? 'cos',
    cycleMomentum: o.cycleMomentum ?? true,
    baseMomentum: perGroup('baseMomentum', o.baseMomentum ?? 0.85, n),
    maxMomentum: perGroup('maxMomentum', o.maxMomentum ?? 0.95, n),
    divFactor: o.divFactor ?? 25,
    finalDivFactor: o.finalDivFactor ?? 1e4,
    threePhase: o.threePhase ?? false,
  };
  // Like PyTorch, the cycle starts from maxLr/divFactor (recorded as the groups' initialLr) and,
  // when cycling momentum, from maxMomentum.
  if (resolved.cycleMomentum && !hasMomentum(optimizer.defaults) && !hasBetas(optimizer.defaults)) {
    throw new ValueError(
      'OneCycleLR',
      'cycleMomentum needs an optimizer with momentum or betas (SGD, RMSprop, Adam, AdamW). Fix: pass cycleMomentum: false',
    );
  }
  optimizer.paramGroups.forEach((g, i) => {
    g.initialLr = resolved.maxLr[i]! / resolved.divFactor;
    if (resolved.cycleMomentum) setMomentum(g, resolved.maxMomentum[i]!);
  });
  return resolved;
}

function setMomentum(g: object, value: number): void {
  if (hasBetas(g)) g.betas = [value, g.betas[1]];
  else if (hasMomentum(g)) g.momentum = value;
}

/**
 * The 1cycle policy (Smith & Topin), exactly `torch.optim.lr_scheduler.OneCycleLR`: the lr rises
 * from `maxLr/divFactor` to `maxLr` over the first `pctStart` of the steps, then anneals to
 * `maxLr/(divFactor·finalDivFactor)`, cosine by default; momentum cycles the opposite way between
 * `maxMomentum` and `baseMomentum`. Step it once per batch.
 */
export class OneCycleLR extends LRScheduler<OneCycleLROptions> {
  /** @param optimizer the optimizer to drive; @param options see {@link OneCycleLRInput}. */
  constructor(optimizer: Optimizer, options: OneCycleLRInput) {
    super('OneCycleLR', optimizer, resolve(optimizer, options));
  }

  /** Validate counts, fractions and the per-group arrays. */
  protected checkOptions(o: OneCycleLROptions): void {
    checkInteger(this.name, 'totalSteps', o.totalSteps, 1);
    checkNumber(this.name, 'pctStart', o.pctStart, 0);
    if (o.pctStart > 1) throw new ValueError(this.name, `pctStart must be in [0, 1], got ${o.pctStart}`);
    if (o.annealStrategy !== 'cos' && o.annealStrategy !== 'linear') {
      throw new ValueError(
        this.name,
        `annealStrategy must be 'cos' or 'linear', got '${String(o.annealStrategy)}'`,
      );
    }
    checkNumber(this.name, 'divFactor', o.divFactor, 0, true);
    checkNumber(this.name, 'finalDivFactor', o.finalDivFactor, 0, true);
    o.maxLr.forEach((v, i) => checkNumber(this.name, `maxLr[${i}]`, v, 0));
    o.baseMomentum.forEach((v, i) => checkNumber(this.name, `baseMomentum[${i}]`, v, 0));
    o.maxMomentum.forEach((v, i) => checkNumber(this.name, `maxMomentum[${i}]`, v, 0));
  }

  /** The lr of each group at step `epoch`; also sets each group's momentum when cycling it. */
  protected computeLrs(epoch: number): number[] {
    const o = this.options;
    if (epoch > o.totalSteps) {
      throw new ValueError(
        this.name,
        `tried to step ${epoch + 1} times, but the cycle has totalSteps ${o.totalSteps}. ` +
          'Fix: set totalSteps (or epochs × stepsPerEpoch) to the number of batches you train for',
      );
    }
    const anneal =
      o.annealStrategy === 'cos'
        ? (start: number, end: number, pct: number) =>
            end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1)
        : (start: number, end: number, pct: number) => (end - start) * pct + start;
    return this.optimizer.paramGroups.map((g, i) => {
      const phases = this.phases(i);
      let start = 0;
      for (let k = 0; k < phases.length; k++) {
        const ph = phases[k]!;
        if (epoch <= ph.endStep || k === phases.length - 1) {
          const pct = (epoch - start) / (ph.endStep - start);
          if (o.cycleMomentum) setMomentum(g, anneal(ph.momentum[0], ph.momentum[1], pct));
          return anneal(ph.lr[0], ph.lr[1], pct);
        }
        start = ph.endStep;
      }
      return g.lr;
    });
  }

  private phases(i: number): Phase[] {
    const o = this.options;
    const max = o.maxLr[i]!;
    const initial = max / o.divFactor;
    const min = initial / o.finalDivFactor;
    const mMax = o.maxMomentum[i]!;
    const mBase = o.baseMomentum[i]!;
    const up = o.pctStart * o.totalSteps - 1;
    if (o.threePhase) {
      return [
        { endStep: up, lr: [initial, max], momentum: [mMax, mBase] },
        { endStep: 2 * o.pctStart * o.totalSteps - 2, lr: [max, initial], momentum: [mBase, mMax] },
        { endStep: o.totalSteps - 1, lr: [initial, min], momentum: [mMax, mMax] },
      ];
    }
    return [
      { endStep: up, lr: [initial, max], momentum: [mMax, mBase] },
      { endStep: o.totalSteps - 1, lr: [max, min], momentum: [mBase, mMax] },
    ];
  }
}
