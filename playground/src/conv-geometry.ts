import * as st from '../../src/index.js';

/** A 2-D convolution's geometry on one square-or-not input, as the explainer shows it. */
export interface ConvGeometry {
  inH: number;
  inW: number;
  kH: number;
  kW: number;
  stride: number;
  dilation: number;
  /** Padding as Stride resolves it (for 'same', the split it chooses: the extra pixel goes after). */
  pads: { top: number; bottom: number; left: number; right: number };
  outH: number;
  outW: number;
  /** Input rows / columns that no window reads (the output size is floored). */
  unreadRows: number;
  unreadCols: number;
}

/** The padding choice of the explainer: 'same', 'valid' or a number of pixels on every side. */
export type ExplainerPadding = 'same' | 'valid' | number;

/**
 * Resolve the geometry with Stride's own `conv2dOutputShape` (so the page shows what `st.conv2d`
 * does, including its errors for impossible settings).
 */
export function convGeometry(
  inH: number,
  inW: number,
  kH: number,
  kW: number,
  stride: number,
  padding: ExplainerPadding,
  dilation: number,
): ConvGeometry {
  const info = st.conv2dOutputShape([1, inH, inW], [1, 1, kH, kW], { stride, padding, dilation });
  const [, outH, outW] = info.shape as [number, number, number];
  return {
    inH,
    inW,
    kH,
    kW,
    stride,
    dilation,
    pads: info.padding,
    outH,
    outW,
    unreadRows: info.unreadRows,
    unreadCols: info.unreadCols,
  };
}

/**
 * The input cells that output cell (oy, ox) sums, one per kernel tap, in kernel order: row and
 * column in the unpadded input (negative or past the edge: a padding zero), and the tap (ky, kx).
 */
export function receptiveCells(
  g: ConvGeometry,
  oy: number,
  ox: number,
): { y: number; x: number; ky: number; kx: number; padding: boolean }[] {
  const cells: { y: number; x: number; ky: number; kx: number; padding: boolean }[] = [];
  for (let ky = 0; ky < g.kH; ky++) {
    for (let kx = 0; kx < g.kW; kx++) {
      const y = oy * g.stride - g.pads.top + ky * g.dilation;
      const x = ox * g.stride - g.pads.left + kx * g.dilation;
      cells.push({ y, x, ky, kx, padding: y < 0 || x < 0 || y >= g.inH || x >= g.inW });
    }
  }
  return cells;
}

/**
 * The output-size formula for one dimension with the numbers put in:
 * floor((n + p_before + p_after - d(k - 1) - 1) / s) + 1.
 */
export function outputSizeFormula(
  n: number,
  k: number,
  s: number,
  pBefore: number,
  pAfter: number,
  d: number,
): string {
  const out = Math.floor((n + pBefore + pAfter - d * (k - 1) - 1) / s) + 1;
  return `floor((${n} + ${pBefore} + ${pAfter} - ${d}·(${k} - 1) - 1) / ${s}) + 1 = ${out}`;
}
