import type { FloatArray } from '../../tensor/dtype.js';
import type { Pool2dParams } from '../backend.js';

/**
 * Reference pooling kernels. A window covers rows iy = oy*strideH - padTop + ky*dilationH; rows
 * outside the input are padding (never the maximum; zero for averages).
 */

/**
 * Max pooling with argmax indices (flat within each [inH, inW] plane, as PyTorch returns them), or
 * the values alone when `indices` is null.
 */
export function maxPool2dForward(
  p: Pool2dParams,
  x: FloatArray,
  y: FloatArray,
  indices: Int32Array | null,
): void {
  const plane = p.inH * p.inW;
  const outPlane = p.outH * p.outW;
  for (let nc = 0; nc < p.batch * p.channels; nc++) {
    const xOff = nc * plane;
    const yOff = nc * outPlane;
    for (let oy = 0; oy < p.outH; oy++) {
      for (let ox = 0; ox < p.outW; ox++) {
        let best = -Infinity;
        let bestIdx = -1;
        for (let ky = 0; ky < p.kH; ky++) {
          const iy = oy * p.strideH - p.padTop + ky * p.dilationH;
          if (iy < 0 || iy >= p.inH) continue;
          for (let kx = 0; kx < p.kW; kx++) {
            const ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
            if (ix < 0 || ix >= p.inW) continue;
            const v = x[xOff + iy * p.inW + ix]!;
            if (v > best || bestIdx < 0 || Number.isNaN(v)) {
              best = v;
              bestIdx = iy * p.inW + ix;
              if (Number.isNaN(v)) break;
            }
          }
        }
        y[yOff + oy * p.outW + ox] = best;
        if (indices) indices[yOff + oy * p.outW + ox] = bestIdx;
      }
    }
  }
}

/** Routes each output gradient to the input position that won the max. */
export function maxPool2dBackward(
  p: Pool2dParams,
  dy: FloatArray,
  indices: Int32Array,
  dx: FloatArray,
): void {
  const plane = p.inH * p.inW;
  const outPlane = p.outH * p.outW;
  dx.fill(0);
  for (let nc = 0; nc < p.batch * p.channels; nc++) {
    const xOff = nc * plane;
    const yOff = nc * outPlane;
    for (let o = 0; o < outPlane; o++) {
      const idx = indices[yOff + o]!;
      if (idx >= 0) dx[xOff + idx]! += dy[yOff + o]!;
    }
  }
}

/** The number an average window divides by, following PyTorch's count_include_pad rule. */
function divisor(p: Pool2dParams, oy: number, ox: number): number {
  const y0 = oy * p.strideH - p.padTop;
  const x0 = ox * p.strideW - p.padLeft;
  const y1 = y0 + (p.kH - 1) * p.dilationH + 1;
  const x1 = x0 + (p.kW - 1) * p.dilationW + 1;
  if (p.countIncludePad) {
    // The window clipped to the padded input (ceil mode windows may hang past the padding).
    const hy = Math.min(y1, p.inH + p.padBottom) - Math.max(y0, -p.padTop);
    const hx = Math.min(x1, p.inW + p.padRight) - Math.max(x0, -p.padLeft);
    const ny = Math.ceil(hy / p.dilationH);
    const nx = Math.ceil(hx / p.dilationW);
    return ny * nx;
  }
  let ny = 0;
  for (let ky = 0; ky < p.kH; ky++) {
    const iy = y0 + ky * p.dilationH;
    if (iy >= 0 && iy < p.inH) ny++;
  }
  let nx = 0;
  for (let kx = 0; kx < p.kW; kx++) {
    const ix = x0 + kx * p.dilationW;
    if (ix >= 0 && ix < p.inW) nx++;
  }
  return ny * nx;
}

/** Average pooling. */
export function avgPool2dForward(p: Pool2dParams, x: FloatArray, y: FloatArray): void {
  const plane = p.inH * p.inW;
  const outPlane = p.outH * p.outW;
  for (let nc = 0; nc < p.batch * p.channels; nc++) {
    const xOff = nc * plane;
    const yOff = nc * outPlane;
    for (let oy = 0; oy < p.outH; oy++) {
      for (let ox = 0; ox < p.outW; ox++) {
        let s = 0;
        for (let ky = 0; ky < p.kH; ky++) {
          const iy = oy * p.strideH - p.padTop + ky * p.dilationH;
          if (iy < 0 || iy >= p.inH) continue;
          for (let kx = 0; kx < p.kW; kx++) {
            const ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
            if (ix >= 0 && ix < p.inW) s += x[xOff + iy * p.inW + ix]!;
          }
        }
        const d = divisor(p, oy, ox);
        y[yOff + oy * p.outW + ox] = d > 0 ? s / d : 0;
      }
    }
  }
}

/** Gradient of average pooling: each output gradient is spread evenly over its window. */
export function avgPool2dBackward(p: Pool2dParams, dy: FloatArray, dx: FloatArray): void {
  const plane = p.inH * p.inW;
  const outPlane = p.outH * p.outW;
  dx.fill(0);
  for (let nc = 0; nc < p.batch * p.channels; nc++) {
    const xOff = nc * plane;
    const yOff = nc * outPlane;
    for (let oy = 0; oy < p.outH; oy++) {
      for (let ox = 0; ox < p.outW; ox++) {
        const d = divisor(p, oy, ox);
        if (d === 0) continue;
        const g = dy[yOff + oy * p.outW + ox]! / d;
        for (let ky = 0; ky < p.kH; ky++) {
          const iy = oy * p.strideH - p.padTop + ky * p.dilationH;
          if (iy < 0 || iy >= p.inH) continue;
          for (let kx = 0; kx < p.kW; kx++) {
            const ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
            if (ix >= 0 && ix < p.inW) dx[xOff + iy * p.inW + ix]! += g;
          }
        }
      }
    }
  }
}
