/**
 * Learning-rate schedules (`st.optim.lrScheduler`), modelled on `torch.optim.lr_scheduler`.
 */
export { LRScheduler, type LRSchedulerStateDict } from './lr-scheduler.js';
export { StepLR, type StepLROptions } from './step-lr.js';
export { MultiStepLR, type MultiStepLROptions } from './multi-step-lr.js';
export { ExponentialLR, type ExponentialLROptions } from './exponential-lr.js';
export { InverseTimeLR, type InverseTimeLROptions } from './inverse-time-lr.js';
export { InverseSqrtLR, type InverseSqrtLROptions } from './inverse-sqrt-lr.js';
export { CosineAnnealingLR, type CosineAnnealingLROptions } from './cosine-annealing-lr.js';
export { CosineWarmupLR, type CosineWarmupLROptions } from './cosine-warmup-lr.js';
export {
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type ReduceLROnPlateauStateDict,
} from './reduce-lr-on-plateau.js';
export { OneCycleLR, type OneCycleLROptions, type OneCycleLRInput } from './one-cycle-lr.js';
