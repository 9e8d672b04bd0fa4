import { allocate, dtypeOf, type FloatArray } from '../../tensor/dtype.js';
import { clampToActivation } from '../activation-clamp.js';
import type { Conv2dParams, ConvEpilogue } from '../backend.js';
import { gemm } from './gemm.js';

/**
 * Reference 2-D convolution by im2col + GEMM, one image and one group at a time.
 * The column matrix of group g has rows (c, ky, kx) over that group's input channels and columns
 * (oy, ox) over output positions; positions that fall into padding read as zero.
 */

function im2col(p: Conv2dParams, x: FloatArray, xOff: number, c0: number, cols: FloatArray): void {
  const cg = p.inChannels / p.groups;
  const plane = p.inH * p.inW;
  const outHW = p.outH * p.outW;
  let row = 0;
  for (let c = 0; c < cg; c++) {
    const chOff = xOff + (c0 + c) * plane;
    for (let ky = 0; ky < p.kH; ky++) {
      for (let kx = 0; kx < p.kW; kx++, row++) {
        const rOff = row * outHW;
        for (let oy = 0; oy < p.outH; oy++) {
          const iy = oy * p.strideH - p.padTop + ky * p.dilationH;
          const o = rOff + oy * p.outW;
          if (iy < 0 || iy >= p.inH) {
            for (let ox = 0; ox < p.outW; ox++) cols[o + ox] = 0;
            continue;
          }
          const iRow = chOff + iy * p.inW;
          for (let ox = 0; ox < p.outW; ox++) {
            const ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
            cols[o + ox] = ix >= 0 && ix < p.inW ? x[iRow + ix]! : 0;
          }
        }
      }
    }
  }
}

function col2im(p: Conv2dParams, cols: FloatArray, dx: FloatArray, xOff: number, c0: number): void {
  const cg = p.inChannels / p.groups;
  const plane = p.inH * p.inW;
  const outHW = p.outH * p.outW;
  let row = 0;
  for (let c = 0; c < cg; c++) {
    const chOff = xOff + (c0 + c) * plane;
    for (let ky = 0; ky < p.kH; ky++) {
      for (let kx = 0; kx < p.kW; kx++, row++) {
        const rOff = row * outHW;
        for (let oy = 0; oy < p.outH; oy++) {
          const iy = oy * p.strideH - p.padTop + ky * p.dilationH;
          if (iy < 0 || iy >= p.inH) continue;
          const iRow = chOff + iy * p.inW;
          const o = rOff + oy * p.outW;
          for (let ox = 0; ox < p.outW; ox++) {
            const ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
            if (ix >= 0 && ix < p.inW) dx[iRow + ix]! += cols[o + ox]!;
          }
        }
      }
    }
  }
}

function dims(p: Conv2dParams) {
  const cg = p.inChannels / p.groups;
  const og = p.outChannels / p.groups;
  const kk = cg * p.kH * p.kW;
  const outHW = p.outH * p.outW;
  return { cg, og, kk, outHW };
}

/**
 * Apply a convolution epilogue to its output `y` in place: + residual, then the activation's clamp
 * (NaN stays NaN), as a separate pass (backends or paths without a fused kernel).
 */
export function applyConvEpilogue(y: FloatArray, e: ConvEpilogue | undefined): void {
  if (!e) return;
  const r = e.residual;
  if (r) for (let i = 0; i < y.length; i++) y[i]! += r[i]!;
  clampToActivation(y, e.activation);
}

/** y = conv(x, w) + bias. */
export function conv2dForward(
  p: Conv2dParams,
  x: FloatArray,
  w: FloatArray,
  bias: FloatArray | null,
  y: FloatArray,
): void {
  const { cg, og, kk, outHW } = dims(p);
  const cols = allocate(dtypeOf(y), kk * outHW);
  for (let n = 0; n < p.batch; n++) {
    for (let g = 0; g < p.groups; g++) {
      im2col(p, x, n * p.inChannels * p.inH * p.inW, g * cg, cols);
      const yOff = (n * p.outChannels + g * og) * outHW;
      const yView = y.subarray(yOff, yOff + og * outHW);
      const wView = w.subarray(g * og * kk, (g + 1) * og * kk);
      gemm(
        {
          batch: 1,
          m: og,
          n: outHW,
          k: kk,
          transA: false,
          transB: false,
          strideA: 0,
          strideB: 0,
          strideC: 0,
          accumulate: false,
        },
        wView,
        cols,
        yView,
      );
    }
    if (bias) {
      for (let o = 0; o < p.outChannels; o++) {
        const off = (n * p.outChannels + o) * outHW;
        const bv = bias[o]!;
        for (let i = 0; i < outHW; i++) y[off + i]! += bv;
      }
    }
  }
}

/** dx = conv2d's gradient with respect to its input; also computes a transposed convolution. */
export function conv2dBackwardData(p: Conv2dParams, dy: FloatArray, w: FloatArray, dx: FloatArray): void {
  const { cg, og, kk, outHW } = dims(p);
  const cols = allocate(dtypeOf(dx), kk * outHW);
  dx.fill(0);
  for (let n = 0; n < p.batch; n++) {
    for (let g = 0; g < p.groups; g++) {
      const dyOff = (n * p.outChannels + g * og) * outHW;
      gemm(
        {
          batch: 1,
          m: kk,
          n: outHW,
          k: og,
          transA: true,
          transB: false,
          strideA: 0,
          strideB: 0,
          strideC: 0,
          accumulate: false,
        },
        w.subarray(g * og * kk, (g + 1) * og * kk),
        dy.subarray(dyOff, dyOff + og * outHW),
        cols,
      );
      col2im(p, cols, dx, n * p.inChannels * p.inH * p.inW, g * cg);
    }
  }
}

/** dw = conv2d's gradient with respect to its weight. */
export function conv2dBackwardFilter(p: Conv2dParams, x: FloatArray, dy: FloatArray, dw: FloatArray): void {
  const { cg, og, kk, outHW } = dims(p);
  const cols = allocate(dtypeOf(dw), kk * outHW);
  dw.fill(0);
  for (let n = 0; n < p.batch; n++) {
    for (let g = 0; g < p.groups; g++) {
      im2col(p, x, n * p.inChannels * p.inH * p.inW, g * cg, cols);
      const dyOff = (n * p.outChannels + g * og) * outHW;
      gemm(
        {
          batch: 1,
          m: og,
          n: kk,
          k: outHW,
          transA: false,
          transB: true,
          strideA: 0,
          strideB: 0,
          strideC: 0,
          accumulate: true,
        },
        dy.subarray(dyOff, dyOff + og * outHW),
        cols,
        dw.subarray(g * og * kk, (g + 1) * og * kk),
      );
    }
  }
}
