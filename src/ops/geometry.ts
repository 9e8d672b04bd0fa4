import { ShapeError, ValueError } from '../errors.js';

/** A number applied to both spatial dimensions, or [height, width]. */
export type Pair = number | readonly [number, number];

/**
 * Padding of a 2-D window op: a number (all sides), [h, w] (symmetric per dimension),
 * [top, bottom, left, right], `'valid'` (none) or `'same'` (TensorFlow's rule: output =
 * ceil(input / stride); the total padding is split with the extra row/column at the bottom/right).
 */
export type Padding2d =
  number | readonly [number, number] | readonly [number, number, number, number] | 'same' | 'valid';

/** Padding resolved into its four sides. */
export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Expand a {@link Pair} into [h, w], checking that both are positive integers (or >= 0 when allowZero). */
export function pair(op: string, name: string, v: Pair, allowZero = false): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!Array.isArray(v) && typeof v !== 'number')
    throw new ValueError(op, `${name} must be a number or [h, w]`);
  for (const x of p) {
    if (!Number.isInteger(x) || x < (allowZero ? 0 : 1)) {
      throw new ValueError(
        op,
        `${name} must be ${allowZero ? 'a non-negative' : 'a positive'} integer (or a pair of them), got ${JSON.stringify(v)}`,
      );
    }
  }
  return p;
}

/** Span of a dilated kernel: dilation*(k-1)+1. */
export function effectiveKernel(k: number, dilation: number): number {
  return dilation * (k - 1) + 1;
}

/**
 * TensorFlow 'same' padding along one dimension: output = ceil(n / stride), total padding
 * max((out-1)*stride + span - n, 0), the larger half after (bottom/right).
 */
export function samePadding(n: number, k: number, stride: number, dilation = 1): [number, number] {
  const out = Math.ceil(n / stride);
  const total = Math.max((out - 1) * stride + effectiveKernel(k, dilation) - n, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Resolve any {@link Padding2d} into four sides for an input of inH×inW. */
export function resolvePadding(
  op: string,
  padding: Padding2d,
  inH: number,
  inW: number,
  kH: number,
  kW: number,
  strideH: number,
  strideW: number,
  dilationH = 1,
  dilationW = 1,
): Pads {
  if (padding === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (padding === 'same') {
    const [top, bottom] = samePadding(inH, kH, strideH, dilationH);
    const [left, right] = samePadding(inW, kW, strideW, dilationW);
    return { top, bottom, left, right };
  }
  if (typeof padding === 'number') {
    const [p] = pair(op, 'padding', padding, true);
    return { top: p, bottom: p, left: p, right: p };
  }
  if (Array.isArray(padding) && padding.length === 2) {
    const [h, w] = pair(op, 'padding', padding as [number, number], true);
    return { top: h, bottom: h, left: w, right: w };
  }
  if (Array.isArray(padding) && padding.length === 4) {
    for (const p of padding) {
      if (!Number.isInteger(p) || p < 0)
        throw new ValueError(
          op,
          `padding values must be non-negative integers, got ${JSON.stringify(padding)}`,
        );
    }
    const [top, bottom, left, right] = padding as readonly [number, number, number, number];
    return { top, bottom, left, right };
  }
  throw new ValueError(
    op,
    `padding must be a number, [h, w], [top, bottom, left, right], 'same' or 'valid'; got ${JSON.stringify(padding)}`,
  );
}

/**
 * Output length of a window op along one dimension: floor((n + padTotal - span) / stride) + 1,
 * or with ceil instead of floor under `ceilMode` (where, as in PyTorch, the last window must start
 * inside the input or the left padding).
 */
export function windowOutputSize(
  n: number,
  k: number,
  stride: number,
  padBefore: number,
  padAfter: number,
  dilation = 1,
  ceilMode = false,
): number {
  const span = effectiveKernel(k, dilation);
  const room = n + padBefore + padAfter - span;
  if (room < 0) return 0;
  let out = (ceilMode ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1;
  if (ceilMode && (out - 1) * stride >= n + padBefore) out--;
  return out;
}

/**
 * Rows (or columns) of the input that no window reads because the stride does not divide the
 * remaining room: the decks' 7x7 input, 3x3 filter, stride 3 case leaves 1 unread. Inspection tools
 * report it; the ops follow PyTorch and simply floor.
 */
export function unreadInput(
  n: number,
  k: number,
  stride: number,
  padBefore: number,
  padAfter: number,
  dilation = 1,
): number {
  const out = windowOutputSize(n, k, stride, padBefore, padAfter, dilation);
  if (out === 0) return 0;
  const lastRead = (out - 1) * stride + effectiveKernel(k, dilation); // in padded coordinates
  return Math.max(0, n + padBefore - lastRead);
}

/** Throw a ShapeError when the window does not fit the padded input. */
export function checkWindowFits(
  op: string,
  what: string,
  inShape: readonly number[],
  n: number,
  span: number,
  pads: number,
  dim: 'height' | 'width',
): void {
  if (n + pads < span) {
    throw new ShapeError(
      op,
      `the ${what} (${span} ${dim === 'height' ? 'rows' : 'columns'} with dilation) is larger than the padded input ${dim} (${n} + ${pads} padding)`,
      `input ${dim} >= ${span - pads}`,
      inShape,
      'use a smaller kernel, more padding, or a larger input (e.g. resize the image)',
    );
  }
}
