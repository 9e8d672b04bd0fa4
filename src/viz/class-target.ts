import { ShapeError, ValueError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * A class to explain: one index for every sample, one index per sample, or undefined for the
 * class the model predicts for each sample.
 */
export type ClassTarget = number | readonly number[] | undefined;

/** The class index of each of the N rows of `logits` [N, K] that `target` names. */
export function resolveTarget(op: string, logits: Tensor, target: ClassTarget): number[] {
  if (logits.ndim !== 2) {
    throw new ShapeError(
      op,
      'the model must output class scores [N, K] to pick a target from',
      '[N, K]',
      logits.shape,
      'explain a classifier, or pick a layer and channel with st.viz.maximize',
    );
  }
  const [n, k] = logits.shape as [number, number];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t =
      target === undefined
        ? argmaxRow(logits.data, i * k, k)
        : typeof target === 'number'
          ? target
          : target[i];
    if (t === undefined || !Number.isInteger(t) || t < 0 || t >= k) {
      throw new ValueError(
        op,
        `target must be a class index in [0, ${k}) for each of the ${n} samples; got ${JSON.stringify(target)}. ` +
          'Fix: pass one integer, one per sample, or leave it out for the predicted class',
      );
    }
    out.push(t);
  }
  return out;
}

function argmaxRow(data: ArrayLike<number>, start: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (data[start + j]! > data[start + best]!) best = j;
  return best;
}

/** Sum over samples of logits[n, classes[n]]: a scalar whose gradient is each sample's own. */
export function targetScore(logits: Tensor, classes: readonly number[]): Tensor {
  const [n, k] = logits.shape as [number, number];
  const oneHot = new Float32Array(n * k);
  classes.forEach((c, i) => (oneHot[i * k + c] = 1));
  const mask = new Tensor(logits.dtype === 'float64' ? Float64Array.from(oneHot) : oneHot, [n, k]);
  return logits.mul(mask).sum();
}
