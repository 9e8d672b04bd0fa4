import { ShapeError, ValueError } from '../errors.js';
import { sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkChannelParam, checkNonNegative, normalizeChannels } from './batch-norm.js';
import { normalizeGroups } from './group-norm.js';

/** Options of {@link instanceNorm} (PyTorch's `F.instance_norm` keywords). */
export interface InstanceNormOptions {
  /** Running mean per channel, updated in place when `useInputStats` (default null). */
  runningMean?: Tensor | null;
  /** Running variance per channel, updated in place when `useInputStats` (default null). */
  runningVar?: Tensor | null;
  /** Per-channel scale (default null: none). */
  weight?: Tensor | null;
  /** Per-channel shift (default null: none). */
  bias?: Tensor | null;
  /** Normalize with each instance's own statistics (default true); false uses the running ones. */
  useInputStats?: boolean;
  /** Weight of the new statistic in the running averages (default 0.1). */
  momentum?: number;
  /** Added to the variance before taking the square root (default 1e-5). */
  eps?: number;
}

/**
 * Instance normalization (Ulyanov et al., the style-transfer normalization), like PyTorch's
 * `F.instance_norm`: every channel of every sample of `x` ([N, C, L], [N, C, H, W] or any
 * [N, C, ...]) is normalized by its own spatial mean and biased variance, then scaled and shifted
 * per channel.
 *
 * With running buffers and `useInputStats` (the default), the buffers are updated in place with
 * the batch average of the per-instance statistics (unbiased variance), as PyTorch does. With
 * `useInputStats: false` the running statistics normalize instead (both buffers required).
 */
export function instanceNorm(x: Tensor, opts: InstanceNormOptions = {}): Tensor {
  const op = 'instanceNorm';
  if (x.ndim < 3) {
    throw new ShapeError(
      op,
      'the input needs batch, channel and spatial dimensions',
      '[N, C, L] or [N, C, H, W]',
      x.shape,
      x.ndim === 2 ? 'add a spatial dimension with x.unsqueeze(2)' : 'add batch and spatial dimensions',
    );
  }
  const useInputStats = opts.useInputStats ?? true;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  checkNonNegative(op, 'momentum', momentum);
  checkNonNegative(op, 'eps', eps);
  const n = x.shape[0]!;
  const c = x.shape[1]!;
  const s = sizeOf(x.shape.slice(2));
  const rm = checkChannelParam(op, 'runningMean', opts.runningMean, c, x);
  const rv = checkChannelParam(op, 'runningVar', opts.runningVar, c, x);
  const w = checkChannelParam(op, 'weight', opts.weight, c, x);
  const b = checkChannelParam(op, 'bias', opts.bias, c, x);
  if ((rm === null) !== (rv === null)) {
    throw new ValueError(
      op,
      'runningMean and runningVar must be given together. Fix: pass both buffers, or neither',
    );
  }
  if (!useInputStats) {
    if (!rm || !rv) {
      throw new ValueError(
        op,
        'Expected runningMean and runningVar to be defined when useInputStats is false. ' +
          'Fix: pass both running buffers, or use {useInputStats: true}',
      );
    }
    return normalizeChannels(op, x, Float64Array.from(rm.data), Float64Array.from(rv.data), w, b, eps, false);
  }
  if (s === 1) {
    throw new ValueError(
      op,
      `Expected more than 1 spatial element when training, got input size [${x.shape.join(', ')}]. ` +
        'Fix: instance normalization needs spatial positions to average over; use batchNorm for [N, C] data',
    );
  }
  const { out, mean, variance } = normalizeGroups(op, x, c, w, b, eps);
  if (rm && rv && n > 0) {
    const md = rm.data;
    const vd = rv.data;
    const correction = s / (s - 1);
    for (let ch = 0; ch < c; ch++) {
      let mu = 0;
      let v = 0;
      for (let i = 0; i < n; i++) {
        mu += mean[i * c + ch]!;
        v += variance[i * c + ch]!;
      }
      md[ch] = (1 - momentum) * md[ch]! + (momentum * mu) / n;
      vd[ch] = (1 - momentum) * vd[ch]! + (momentum * v * correction) / n;
    }
  }
  return out;
}
