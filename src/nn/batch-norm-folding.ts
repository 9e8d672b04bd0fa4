import type { FloatArray } from '../tensor/dtype.js';
import type { Module } from './module.js';
import { BatchNorm2d } from './normalization.js';

/** A convolution's filters and bias with a following batch norm folded in. */
export interface FoldedConvParameters {
  /** w·γ/√(var+ε), same layout and dtype as the convolution's weight. */
  weight: FloatArray;
  /** (b − mean)·γ/√(var+ε) + β, one per output channel. */
  bias: FloatArray;
}

/**
 * Whether `bn` is a batch norm with running statistics over `outChannels` channels, which a
 * convolution with that many filters can absorb (evaluation mode normalizes with those statistics).
 */
export function isFoldableBatchNorm(bn: Module | null | undefined, outChannels: number): bn is BatchNorm2d {
  if (!(bn instanceof BatchNorm2d)) return false;
  const mean = bn.getBuffer('running_mean');
  return mean !== null && bn.getBuffer('running_var') !== null && mean.size === outChannels;
}

/**
 * The filters and bias of conv(x) followed by `bn` in evaluation mode, as one convolution:
 * w' = w·s and b' = (b − mean)·s + β with s = γ/√(var+ε), computed in double precision per channel.
 * `weight` holds outChannels rows of equal length; `bias` may be null (a convolution without bias).
 * Writes into `into` when given (it may be `weight`/`bias` themselves), else into new arrays.
 */
export function foldBatchNormInto(
  weight: FloatArray,
  bias: FloatArray | null,
  bn: BatchNorm2d,
  into?: FoldedConvParameters,
): FoldedConvParameters {
  const mean = bn.getBuffer('running_mean')!.data;
  const variance = bn.getBuffer('running_var')!.data;
  const gamma = bn.weight?.data;
  const beta = bn.bias?.data;
  const outC = mean.length;
  const make = (n: number): FloatArray =>
    weight instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
  const out = into ?? { weight: make(weight.length), bias: make(outC) };
  const w = out.weight;
  const b = out.bias;
  const per = weight.length / outC;
  for (let o = 0; o < outC; o++) {
    const s = (gamma ? gamma[o]! : 1) / Math.sqrt(variance[o]! + bn.eps);
    for (let i = o * per; i < (o + 1) * per; i++) w[i] = weight[i]! * s;
    b[o] = ((bias ? bias[o]! : 0) - mean[o]!) * s + (beta ? beta[o]! : 0);
  }
  return out;
}
