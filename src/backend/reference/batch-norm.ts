import type { FloatArray } from '../../tensor/dtype.js';
import type { BatchNormParams } from '../backend.js';

/**
 * Reference batch-normalization kernels: plain loops over the [batch, channels, spatial] layout
 * with float64 accumulators.
 */

/** Per-channel mean and biased variance: two passes (mean, then squared deviations), float64 sums. */
export function batchNormStats(
  p: BatchNormParams,
  x: FloatArray,
  mean: Float64Array,
  variance: Float64Array,
): void {
  const { batch: n, channels: c, spatial: s } = p;
  const m = n * s;
  mean.fill(0, 0, c);
  variance.fill(0, 0, c);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      let acc = 0;
      for (let k = 0; k < s; k++) acc += x[base + k]!;
      mean[ch]! += acc;
    }
  }
  for (let ch = 0; ch < c; ch++) mean[ch]! /= m;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      const mu = mean[ch]!;
      let acc = 0;
      for (let k = 0; k < s; k++) {
        const d = x[base + k]! - mu;
        acc += d * d;
      }
      variance[ch]! += acc;
    }
  }
  for (let ch = 0; ch < c; ch++) variance[ch]! /= m;
}

/** y = x·scale[c] + shift[c]. */
export function batchNormForward(
  p: BatchNormParams,
  x: FloatArray,
  scale: Float64Array,
  shift: Float64Array,
  y: FloatArray,
): void {
  const { batch: n, channels: c, spatial: s } = p;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      const a = scale[ch]!;
      const b = shift[ch]!;
      for (let k = 0; k < s; k++) y[base + k] = x[base + k]! * a + b;
    }
  }
}

/** sumDy[c] = Σ dy, sumDyXc[c] = Σ dy·(x − mean[c]). */
export function batchNormBackwardSums(
  p: BatchNormParams,
  dy: FloatArray,
  x: FloatArray,
  mean: Float64Array,
  sumDy: Float64Array,
  sumDyXc: Float64Array,
): void {
  const { batch: n, channels: c, spatial: s } = p;
  sumDy.fill(0, 0, c);
  sumDyXc.fill(0, 0, c);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      const mu = mean[ch]!;
      let a = 0;
      let b = 0;
      for (let k = 0; k < s; k++) {
        const g = dy[base + k]!;
        a += g;
        b += g * (x[base + k]! - mu);
      }
      sumDy[ch]! += a;
      sumDyXc[ch]! += b;
    }
  }
}

/** dx = dy·dyScale[c] + x·xScale[c] + shift[c]. */
export function batchNormBackwardData(
  p: BatchNormParams,
  dy: FloatArray,
  x: FloatArray,
  dyScale: Float64Array,
  xScale: Float64Array,
  shift: Float64Array,
  dx: FloatArray,
): void {
  const { batch: n, channels: c, spatial: s } = p;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      const a = dyScale[ch]!;
      const b = xScale[ch]!;
      const d = shift[ch]!;
      for (let k = 0; k < s; k++) dx[base + k] = dy[base + k]! * a + x[base + k]! * b + d;
    }
  }
}
