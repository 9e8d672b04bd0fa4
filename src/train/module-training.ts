import { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Logs } from './callback.js';
import {
  evaluate,
  fit,
  predict,
  type EvaluateOptions,
  type FitOptions,
  type History,
  type TrainData,
} from './fit.js';

declare module '../nn/module.js' {
  interface Module {
    /** Train Keras-style; see {@link fit}. */
    fit(data: TrainData, opts: FitOptions): Promise<History>;
    /** Loss and metrics on `data`; see {@link evaluate}. */
    evaluate(data: TrainData, opts?: EvaluateOptions): Logs;
    /** Outputs for a batch or a dataset; see {@link predict}. */
    predict(data: Tensor | TrainData, opts?: { batchSize?: number }): Tensor;
  }
}

Module.prototype.fit = function (this: Module, data: TrainData, opts: FitOptions): Promise<History> {
  return fit(this, data, opts);
};
Module.prototype.evaluate = function (this: Module, data: TrainData, opts?: EvaluateOptions): Logs {
  return evaluate(this, data, opts);
};
Module.prototype.predict = function (
  this: Module,
  data: Tensor | TrainData,
  opts?: { batchSize?: number },
): Tensor {
  return predict(this, data, opts);
};
