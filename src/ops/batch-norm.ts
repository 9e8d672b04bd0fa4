import { record } from '../autograd/grad-fn.js';
import type { BatchNormParams } from '../backend/backend.js';
import { kernels } from '../backend/registry.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { sizeOf } from '../tensor/shape.js';
import { empty, type Tensor } from '../tensor/tensor.js';

/** Options of {@link batchNorm} (PyTorch's `F.batch_norm` keywords). */
export interface BatchNormOptions {
  /**
   * Normalize with the statistics of this batch and update the running buffers in place
   * (default false: normalize with the running statistics, as `F.batch_norm` does).
   */
  training?: boolean;
  /** Weight of the new batch statistic in the running averages (default 0.1). */
  momentum?: number;
  /** Added to the variance before taking the square root (default 1e-5). */
  eps?: number;
}

/**
 * Check an optional per-channel parameter (weight, bias, running mean or variance) of a channel
 * normalization: it must be a 1-D tensor of `channels` values with the input's dtype. Returns it,
 * or null when it was not given.
 */
export function checkChannelParam(
  op: string,
  name: string,
  p: Tensor | null | undefined,
  channels: number,
  x: Tensor,
): Tensor | null {
  if (p === null || p === undefined) return null;
  if (p.ndim !== 1 || p.shape[0] !== channels) {
    throw new ShapeError(
      op,
      `${name} must hold one value per channel of the input [${x.shape.join(', ')}]`,
      [channels],
      p.shape,
      `pass a 1-D tensor of ${channels} values (the size of the input's dimension 1)`,
    );
  }
  if (p.dtype !== x.dtype) throw new DTypeError(op, x.dtype, p.dtype);
  return p;
}

/** Throw unless `v` is a finite number >= 0 (eps, momentum). */
export function checkNonNegative(op: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new ValueError(op, `${name} must be a finite number >= 0, got ${String(v)}`);
  }
}

/** The [batch, channels, spatial] layout of an [N, C, ...] tensor, as the per-channel kernels take it. */
function channelLayout(x: Tensor): BatchNormParams {
  return { batch: x.shape[0]!, channels: x.shape[1]!, spatial: sizeOf(x.shape.slice(2)) };
}

/**
 * Normalize every channel of `x` ([N, C, ...]) with the given per-channel mean and variance, then
 * apply the optional affine weight and bias. With `batchStats` the statistics are those of `x`
 * itself and the backward is the full batch-normalization one (gradients flow through the mean
 * and variance); otherwise they are constants (running statistics) and the backward is affine.
 * Shared by {@link batchNorm} and instance normalization in evaluation mode; `op` names the graph node.
 * The arithmetic runs on the active backend's batch-norm kernels.
 */
export function normalizeChannels(
  op: string,
  x: Tensor,
  mean: Float64Array,
  variance: Float64Array,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
  batchStats: boolean,
): Tensor {
  const p = channelLayout(x);
  const c = p.channels;
  const m = p.batch * p.spatial;
  const invstd = new Float64Array(c);
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  const wd = weight?.data;
  const bd = bias?.data;
  for (let ch = 0; ch < c; ch++) {
    invstd[ch] = 1 / Math.sqrt(variance[ch]! + eps);
    scale[ch] = invstd[ch]! * (wd ? wd[ch]! : 1);
    shift[ch] = (bd ? bd[ch]! : 0) - mean[ch]! * scale[ch]!;
  }
  const out = empty(x.shape, x.dtype);
  kernels().batchNormForward(p, x.data, scale, shift, out.data);

  const inputs: Tensor[] = [x];
  const wi = weight ? inputs.push(weight) - 1 : -1;
  const bi = bias ? inputs.push(bias) - 1 : -1;
  return record(op, inputs, out, (g, needs) => {
    const grads: (Tensor | null)[] = inputs.map(() => null);
    const needSums = (wi >= 0 && needs[wi]!) || (bi >= 0 && needs[bi]!) || (batchStats && needs[0]!);
    // Per channel: sum(g) and sum(g * xhat).
    const sg = new Float64Array(c);
    const sgx = new Float64Array(c);
    if (needSums) {
      kernels().batchNormBackwardSums(p, g.data, x.data, mean, sg, sgx);
      for (let ch = 0; ch < c; ch++) sgx[ch]! *= invstd[ch]!;
    }
    if (needs[0]) {
      // With batch statistics (closed form): dx = w·invstd · (g − sum(g)/M − xhat · sum(g·xhat)/M),
      // i.e. k1·g + k2·x + k3 per channel; with running statistics: dx = w·invstd·g.
      const dx = empty(x.shape, x.dtype);
      if (batchStats) {
        const k2 = new Float64Array(c);
        const k3 = new Float64Array(c);
        for (let ch = 0; ch < c; ch++) {
          const a = scale[ch]!;
          k2[ch] = (-a * invstd[ch]! * sgx[ch]!) / m;
          k3[ch] = (-a * sg[ch]!) / m - k2[ch]! * mean[ch]!;
        }
        kernels().batchNormBackwardData(p, g.data, x.data, scale, k2, k3, dx.data);
      } else {
        kernels().batchNormForward(p, g.data, scale, new Float64Array(c), dx.data);
      }
      grads[0] = dx;
    }
    if (wi >= 0 && needs[wi]) {
      const dw = empty([c], x.dtype);
      dw.data.set(sgx);
      grads[wi] = dw;
    }
    if (bi >= 0 && needs[bi]) {
      const db = empty([c], x.dtype);
      db.data.set(sg);
      grads[bi] = db;
    }
    return grads;
  });
}

/**
 * Batch normalization over the channel dimension of `x` ([N, C], [N, C, L], [N, C, H, W] or any
 * [N, C, ...]), like PyTorch's `F.batch_norm`:
 *
 *   y = (x − mean) / sqrt(var + eps) · weight + bias
 *
 * In training mode (or when the running buffers are null) mean and var are the per-channel
 * statistics of this batch (biased variance), and the running buffers, when given, are updated
 * IN PLACE: `running = (1 − momentum) · running + momentum · stat`, with the unbiased variance.
 * In evaluation mode the running statistics are used. Null running buffers make the op always use
 * batch statistics, like `nn.BatchNorm` with `track_running_stats=False` (plain `F.batch_norm`
 * refuses null buffers in evaluation mode instead). `weight` and `bias` are optional.
 *
 * The backward is the closed form (dx, dweight, dbias): one pass for the per-channel sums, one for dx.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  opts: BatchNormOptions = {},
): Tensor {
  const op = 'batchNorm';
  if (x.ndim < 2) {
    throw new ShapeError(
      op,
      'the input needs a batch and a channel dimension',
      '[N, C], [N, C, L] or [N, C, H, W]',
      x.shape,
      'add a batch dimension with x.unsqueeze(0)',
    );
  }
  const training = opts.training ?? false;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  checkNonNegative(op, 'momentum', momentum);
  checkNonNegative(op, 'eps', eps);
  const n = x.shape[0]!;
  const c = x.shape[1]!;
  const s = sizeOf(x.shape.slice(2));
  const rm = checkChannelParam(op, 'runningMean', runningMean, c, x);
  const rv = checkChannelParam(op, 'runningVar', runningVar, c, x);
  const w = checkChannelParam(op, 'weight', weight, c, x);
  const b = checkChannelParam(op, 'bias', bias, c, x);
  if ((rm === null) !== (rv === null)) {
    throw new ValueError(
      op,
      `runningMean and runningVar must be given together, got ${rm ? 'a runningMean' : 'no runningMean'} and ` +
        `${rv ? 'a runningVar' : 'no runningVar'}. Fix: pass both buffers, or null for both to always use batch statistics`,
    );
  }
  if (training && n * s === 1) {
    throw new ValueError(
      op,
      `Expected more than 1 value per channel when training, got input size [${x.shape.join(', ')}]. ` +
        'Fix: use a batch of at least 2 samples, or evaluation mode ({training: false}) with running statistics',
    );
  }
  if (!training && rm && rv) {
    return normalizeChannels(op, x, Float64Array.from(rm.data), Float64Array.from(rv.data), w, b, eps, false);
  }
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  kernels().batchNormStats(channelLayout(x), x.data, mean, variance);
  const m = n * s;
  if (training && rm && rv && m > 1) {
    const md = rm.data;
    const vd = rv.data;
    const correction = m / (m - 1);
    for (let ch = 0; ch < c; ch++) {
      md[ch] = (1 - momentum) * md[ch]! + momentum * mean[ch]!;
      vd[ch] = (1 - momentum) * vd[ch]! + momentum * variance[ch]! * correction;
    }
  }
  return normalizeChannels(op, x, mean, variance, w, b, eps, true);
}
