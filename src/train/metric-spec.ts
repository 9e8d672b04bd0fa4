import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { accuracy, meanAbsoluteError, topKAccuracy } from './metrics.js';

/** A batch metric: averaged over samples across batches. */
export interface MetricFn {
  name: string;
  fn: (output: Tensor, target: Tensor) => number;
}

/** Metric names `fit` accepts: 'accuracy', 'top5' (any 'topK'), 'mae', or a {name, fn}. */
export type MetricSpec = 'accuracy' | 'mae' | `top${number}` | MetricFn;

/** Resolve metric names into functions. */
export function resolveMetrics(specs: readonly MetricSpec[]): MetricFn[] {
  return specs.map((s) => {
    if (typeof s !== 'string') return s;
    if (s === 'accuracy') return { name: 'accuracy', fn: accuracy };
    if (s === 'mae') return { name: 'mae', fn: (o, t) => meanAbsoluteError(o, t.reshape(o.shape)) };
    const m = /^top(\d+)$/.exec(s);
    if (m) {
      const k = Number(m[1]);
      return { name: s, fn: (o, t) => topKAccuracy(o, t, k) };
    }
    throw new ValueError(
      'fit',
      `unknown metric '${s}'; expected 'accuracy', 'mae', 'top<k>' (e.g. 'top5') or {name, fn}`,
    );
  });
}
