import { record } from '../autograd/grad-fn.js';
import { ValueError } from '../errors.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { intPair, requireImageBatch } from './pool2d.js';

/** Resampling methods of {@link upsample}. */
export type UpsampleMode = 'nearest' | 'bilinear';

/** Options of {@link upsample} (PyTorch's `F.interpolate`, camelCase). Give `size` or `scaleFactor`. */
export interface UpsampleOptions {
  /** Output size: a number or [h, w]. */
  size?: number | readonly [number, number];
  /** Multiplier of the input size (a number or [h, w]); the output is floor(input * scaleFactor). */
  scaleFactor?: number | readonly [number, number];
  /** `'nearest'` (the default) or `'bilinear'`. */
  mode?: UpsampleMode;
  /**
   * Bilinear only: align the centers of the corner pixels (true) or their outer edges (false, the
   * default, as in PyTorch).
   */
  alignCorners?: boolean;
  /**
   * Bilinear only, with `alignCorners` false: TensorFlow's legacy resize (`align_corners=false,
   * half_pixel_centers=false`), sampling source position dst·in/out instead of PyTorch's
   * (dst + 0.5)·in/out − 0.5. Default false.
   */
  asymmetric?: boolean;
}

/** PyTorch's nearest source index (including its exact-copy and 2x shortcuts and float32 scale). */
function nearestIndices(inSize: number, outSize: number, scaleFactor: number | undefined): Int32Array {
  const src = new Int32Array(outSize);
  const scale = Math.fround(scaleFactor !== undefined ? 1 / scaleFactor : inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    if (outSize === inSize) src[d] = d;
    else if (outSize === 2 * inSize) src[d] = d >> 1;
    else src[d] = Math.min(Math.floor(Math.fround(d * scale)), inSize - 1);
  }
  return src;
}

/** Per output row (or column): the two source positions and their weights. */
interface LinearTaps {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float64Array;
  w1: Float64Array;
}

/** PyTorch's linear interpolation taps for one dimension. */
function linearTaps(
  inSize: number,
  outSize: number,
  scaleFactor: number | undefined,
  alignCorners: boolean,
  asymmetric = false,
): LinearTaps {
  const t: LinearTaps = {
    i0: new Int32Array(outSize),
    i1: new Int32Array(outSize),
    w0: new Float64Array(outSize),
    w1: new Float64Array(outSize),
  };
  let scale: number;
  if (alignCorners) scale = outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  else scale = scaleFactor !== undefined ? 1 / scaleFactor : inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    if (outSize === inSize) {
      // Same size: an exact copy (PyTorch's shortcut, even when a scale factor rounds to it).
      t.i0[d] = d;
      t.i1[d] = d;
      t.w0[d] = 1;
      t.w1[d] = 0;
      continue;
    }
    const src = alignCorners || asymmetric ? scale * d : Math.max(scale * (d + 0.5) - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const l1 = src - i0;
    t.i0[d] = i0;
    t.i1[d] = i0 < inSize - 1 ? i0 + 1 : i0;
    t.w0[d] = 1 - l1;
    t.w1[d] = l1;
  }
  return t;
}

/** Resolve size / scaleFactor into the output [h, w] and the per-dimension scale factors. */
function resolveSize(
  op: string,
  x: Tensor,
  o: UpsampleOptions,
): { outH: number; outW: number; sf: [number | undefined, number | undefined] } {
  const [, , inH, inW] = x.shape as [number, number, number, number];
  if (inH === 0 || inW === 0) {
    throw new ValueError(
      op,
      `the input has an empty spatial dimension (shape [${x.shape.join(', ')}]); expected H, W >= 1. ` +
        'Fix: pass a non-empty image',
    );
  }
  if ((o.size === undefined) === (o.scaleFactor === undefined)) {
    throw new ValueError(
      op,
      `give exactly one of size and scaleFactor; got ${o.size === undefined ? 'neither' : 'both'}. ` +
        'Fix: pass e.g. {size: [64, 64]} or {scaleFactor: 2}',
    );
  }
  if (o.size !== undefined) {
    const [outH, outW] = intPair(op, 'size', o.size, 1, 'pass the output size, e.g. 64 or [48, 64]');
    return { outH, outW, sf: [undefined, undefined] };
  }
  const s = o.scaleFactor;
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  let sh: number;
  let sw: number;
  if (ok(s)) [sh, sw] = [s, s];
  else if (Array.isArray(s) && s.length === 2 && ok(s[0]) && ok(s[1])) [sh, sw] = [s[0], s[1]];
  else {
    throw new ValueError(
      op,
      `scaleFactor must be a positive finite number or [h, w] of them; got ${JSON.stringify(s)}. ` +
        'Fix: pass e.g. 2 or [2, 1.5]',
    );
  }
  const outH = Math.floor(inH * sh);
  const outW = Math.floor(inW * sw);
  if (outH < 1 || outW < 1) {
    throw new ValueError(
      op,
      `scaleFactor ${JSON.stringify(s)} turns the ${inH}x${inW} input into an empty ${outH}x${outW} output; ` +
        'expected at least 1x1. Fix: use a larger scaleFactor or pass size',
    );
  }
  return { outH, outW, sf: [sh, sw] };
}

/**
 * Resize each channel of `x` [N, C, H, W] to [N, C, outH, outW] with exactly PyTorch's
 * `F.interpolate` semantics for modes `'nearest'` (source index floor(dst * scale), where
 * scale = 1/scaleFactor when a scale factor is given, in/out otherwise) and `'bilinear'` (with
 * `alignCorners` false or true). Differentiable: the gradient is the transposed resampling.
 */
export function upsample(x: Tensor, opts: UpsampleOptions): Tensor {
  const op = 'upsample';
  requireImageBatch(op, x);
  const mode = opts.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') {
    throw new ValueError(
      op,
      `mode must be 'nearest' or 'bilinear'; got ${JSON.stringify(mode)}. Fix: pass mode: 'nearest' or 'bilinear'`,
    );
  }
  if (mode === 'nearest' && opts.alignCorners === true) {
    throw new ValueError(
      op,
      "alignCorners applies only to mode 'bilinear'; got alignCorners: true with mode 'nearest'. " +
        "Fix: drop alignCorners or use mode: 'bilinear'",
    );
  }
  const { outH, outW, sf } = resolveSize(op, x, opts);
  const [n, c, inH, inW] = x.shape as [number, number, number, number];
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  const y = empty([n, c, outH, outW], x.dtype);
  const xd = x.data;
  const yd = y.data;
  if (mode === 'nearest') {
    const sy = nearestIndices(inH, outH, sf[0]);
    const sx = nearestIndices(inW, outW, sf[1]);
    for (let pl = 0; pl < n * c; pl++) {
      const xo = pl * inPlane;
      const yo = pl * outPlane;
      for (let oy = 0; oy < outH; oy++) {
        const row = xo + sy[oy]! * inW;
        for (let ox = 0; ox < outW; ox++) yd[yo + oy * outW + ox] = xd[row + sx[ox]!]!;
      }
    }
    return record('upsampleNearest', [x], y, (g) => {
      const dx = empty(x.shape, x.dtype);
      for (let pl = 0; pl < n * c; pl++) {
        const xo = pl * inPlane;
        const yo = pl * outPlane;
        for (let oy = 0; oy < outH; oy++) {
          const row = xo + sy[oy]! * inW;
          for (let ox = 0; ox < outW; ox++) dx.data[row + sx[ox]!]! += g.data[yo + oy * outW + ox]!;
        }
      }
      return [dx];
    });
  }
  const alignCorners = opts.alignCorners ?? false;
  const asymmetric = opts.asymmetric ?? false;
  const ty = linearTaps(inH, outH, sf[0], alignCorners, asymmetric);
  const tx = linearTaps(inW, outW, sf[1], alignCorners, asymmetric);
  for (let pl = 0; pl < n * c; pl++) {
    const xo = pl * inPlane;
    const yo = pl * outPlane;
    for (let oy = 0; oy < outH; oy++) {
      const r0 = xo + ty.i0[oy]! * inW;
      const r1 = xo + ty.i1[oy]! * inW;
      const a0 = ty.w0[oy]!;
      const a1 = ty.w1[oy]!;
      for (let ox = 0; ox < outW; ox++) {
        const c0 = tx.i0[ox]!;
        const c1 = tx.i1[ox]!;
        const b0 = tx.w0[ox]!;
        const b1 = tx.w1[ox]!;
        yd[yo + oy * outW + ox] =
          a0 * (b0 * xd[r0 + c0]! + b1 * xd[r0 + c1]!) + a1 * (b0 * xd[r1 + c0]! + b1 * xd[r1 + c1]!);
      }
    }
  }
  return record('upsampleBilinear', [x], y, (g) => {
    const dx = empty(x.shape, x.dtype);
    const dd = dx.data;
    for (let pl = 0; pl < n * c; pl++) {
      const xo = pl * inPlane;
      const yo = pl * outPlane;
      for (let oy = 0; oy < outH; oy++) {
        const r0 = xo + ty.i0[oy]! * inW;
        const r1 = xo + ty.i1[oy]! * inW;
        const a0 = ty.w0[oy]!;
        const a1 = ty.w1[oy]!;
        for (let ox = 0; ox < outW; ox++) {
          const v = g.data[yo + oy * outW + ox]!;
          const c0 = tx.i0[ox]!;
          const c1 = tx.i1[ox]!;
          const b0 = tx.w0[ox]!;
          const b1 = tx.w1[ox]!;
          dd[r0 + c0]! += a0 * b0 * v;
          dd[r0 + c1]! += a0 * b1 * v;
          dd[r1 + c0]! += a1 * b0 * v;
          dd[r1 + c1]! += a1 * b1 * v;
        }
      }
    }
    return [dx];
  });
}
