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

/** Which rows (or columns) of an axis of size `n` a window op reads: 1 where some window touches it. */
function readMask(n: number, k: number, s: number, d: number, before: number, out: number): Uint8Array {
  const mask = new Uint8Array(n);
  for (let o = 0; o < out; o++) {
    for (let t = 0; t < k; t++) {
      const r = o * s - before + t * d;
      if (r >= 0 && r < n) mask[r] = 1;
    }
  }
  return mask;
}

/** The rows and columns of an input that the window ops reading it touch (1 = read). */
export interface InputCoverage {
  rows: Uint8Array;
  cols: Uint8Array;
}

/**
 * For every input array that convolutions or poolings read, the rows and columns that at least
 * one of them reads. A tensor feeding two layers (a ResNet block's input feeds its first 3x3
 * convolution and its 1x1 stride-2 shortcut) is fully read when their windows together cover it.
 */
export function inputCoverage(kernels: readonly KernelEvent[]): Map<unknown, InputCoverage> {
  const out = new Map<unknown, InputCoverage>();
  for (const e of kernels) {
    if (e.kind !== 'conv2d' && e.kind !== 'maxPool2d' && e.kind !== 'avgPool2d') continue;
    const p = e.params;
    const rows = readMask(p.inH, p.kH, p.strideH, p.dilationH, p.padTop, p.outH);
    const cols = readMask(p.inW, p.kW, p.strideW, p.dilationW, p.padLeft, p.outW);
    const seen = out.get(e.input);
    if (!seen) out.set(e.input, { rows, cols });
    else {
      rows.forEach((v, i) => (seen.rows[i] ||= v));
      cols.forEach((v, i) => (seen.cols[i] ||= v));
    }
  }
  return out;
}

/** Words for the unread entries of a mask (`the last 1 row (of 56)`, `28 of the 56 rows (every 2nd)`), or null. */
export function describeUnread(mask: Uint8Array, unit: 'row' | 'column'): string | null {
  const n = mask.length;
  const unread: number[] = [];
  mask.forEach((v, i) => {
    if (!v) unread.push(i);
  });
  if (unread.length === 0) return null;
  const plural = (c: number) => `${unit}${c > 1 ? 's' : ''}`;
  if (unread[0] === n - unread.length) return `the last ${unread.length} ${plural(unread.length)} (of ${n})`;
  const gap = (unread[1] ?? n) - unread[0]!;
  const regular = unread.length > 1 && unread.every((r, i) => i === 0 || r - unread[i - 1]! === gap);
  return `${unread.length} of the ${n} ${unit}s (${regular ? `every ${ordinal(gap)}, from ${unit} ${unread[0]}` : `first ${unit} ${unread[0]}`})`;
}

function ordinal(k: number): string {
  const suffix =
    k % 10 === 1 && k % 100 !== 11
      ? 'st'
      : k % 10 === 2 && k % 100 !== 12
        ? 'nd'
        : k % 10 === 3 && k % 100 !== 13
          ? 'rd'
          : 'th';
  return `${k}${suffix}`;
}
