/**
 * Optimizers, learning-rate schedules, regularization and gradient clipping (`st.optim`),
 * modelled on `torch.optim` 1.13.
 */
export {
  Optimizer,
  type BaseHyperParams,
  type ParamGroup,
  type ParamGroupInput,
  type ParamsInput,
  type ParamState,
  type OptimizerStateDict,
  type SavedParamGroup,
  type SavedParamState,
  type StateDictOptions,
} from './optimizer.js';
export type { HyperParamValue } from './hyper-params.js';
export { SGD, type SGDOptions, type SGDHyperParams, type SGDState } from './sgd.js';
export { RMSprop, type RMSpropOptions, type RMSpropHyperParams, type RMSpropState } from './rmsprop.js';
export { Adam, AdamW, AdamBase, type AdamOptions, type AdamHyperParams, type AdamState } from './adam.js';
export { Adagrad, type AdagradOptions, type AdagradHyperParams, type AdagradState } from './adagrad.js';
export { Adadelta, type AdadeltaOptions, type AdadeltaHyperParams, type AdadeltaState } from './adadelta.js';
export {
  LBFGS,
  type LBFGSOptions,
  type LBFGSHyperParams,
  type LBFGSState,
  type LossClosure,
} from './lbfgs.js';
export {
  strongWolfe,
  cubicInterpolate,
  type StrongWolfeOptions,
  type StrongWolfeResult,
  type DirectionalEvaluate,
} from './strong-wolfe.js';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from './clip-grad.js';
export { l1Penalty, l2Penalty, penalizedGrad } from './regularization.js';
export * as lrScheduler from './schedules/index.js';
