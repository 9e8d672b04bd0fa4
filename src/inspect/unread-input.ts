import { effectiveKernel, unreadInput, windowOutputSize } from '../ops/geometry.js';
import type { KernelEvent } from './tracing-backend.js';

/** Input rows and columns that a window op never read because its stride does not divide the room. */
export interface UnreadInput {
  /** Rows at the bottom of the (padded) input that no window covers. */
  rows: number;
  /** Columns at the right that no window covers. */
  cols: number;
}

/**
 * Unread input along one axis, given the output size the op actually produced. Convolutions only
 * report their leading padding, so the trailing padding is taken as the least that yields `out`
 * (which is all `unreadInput` needs); a ceil-mode pooling that kept a partial last window reads to
 * the end by construction.
 */
function unreadAlong(
  n: number,
  k: number,
  s: number,
  d: number,
  before: number,
  after: number,
  out: number,
): number {
  const span = effectiveKernel(k, d);
  if (windowOutputSize(n, k, s, before, after, d) === out) return unreadInput(n, k, s, before, after, d);
  return Math.max(0, n + before - ((out - 1) * s + span));
}

/**
 * Rows and columns of its input that a convolution or pooling kernel call never read (the decks'
 * 7x7 input, 3x3 filter, stride 3 case: the last column is skipped, because the output size is
 * floored as in PyTorch and Keras). Null for kernels without a sliding window.
 */
export function unreadByKernel(e: KernelEvent): UnreadInput | null {
  if (e.kind === 'conv2d') {
    const p = e.params;
    const minAfter = (n: number, k: number, s: number, d: number, before: number, out: number): number =>
      Math.max(0, (out - 1) * s + effectiveKernel(k, d) - n - before);
    return {
      rows: unreadAlong(
        p.inH,
        p.kH,
        p.strideH,
        p.dilationH,
        p.padTop,
        minAfter(p.inH, p.kH, p.strideH, p.dilationH, p.padTop, p.outH),
        p.outH,
      ),
      cols: unreadAlong(
        p.inW,
        p.kW,
        p.strideW,
        p.dilationW,
        p.padLeft,
        minAfter(p.inW, p.kW, p.strideW, p.dilationW, p.padLeft, p.outW),
        p.outW,
      ),
    };
  }
  if (e.kind === 'maxPool2d' || e.kind === 'avgPool2d') {
    const p = e.params;
    return {
      rows: unreadAlong(p.inH, p.kH, p.strideH, p.dilationH, p.padTop, p.padBottom, p.outH),
      cols: unreadAlong(p.inW, p.kW, p.strideW, p.dilationW, p.padLeft, p.padRight, p.outW),
    };
  }
  return null;
}
