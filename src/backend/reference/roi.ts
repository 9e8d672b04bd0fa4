import type { FloatArray } from '../../tensor/dtype.js';
import type { RoiParams } from '../backend.js';

/** C's `round` (half away from zero), which torchvision's RoI Pool uses; `Math.round` rounds -2.5 to -2. */
function roundHalfAway(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

/** One RoI Align box in feature-map coordinates with its bin sizes and sampling grid. */
interface AlignBox {
  plane: number;
  startH: number;
  startW: number;
  binH: number;
  binW: number;
  gridH: number;
  gridW: number;
  count: number;
}

function alignBox(p: RoiParams, rois: Float64Array, k: number): AlignBox {
  const offset = p.aligned ? 0.5 : 0;
  const r = 5 * k;
  const startW = rois[r + 1]! * p.spatialScale - offset;
  const startH = rois[r + 2]! * p.spatialScale - offset;
  let w = rois[r + 3]! * p.spatialScale - offset - startW;
  let h = rois[r + 4]! * p.spatialScale - offset - startH;
  // Without `aligned`, a box is at least one pixel on each side (the legacy behaviour).
  if (!p.aligned) {
    w = Math.max(w, 1);
    h = Math.max(h, 1);
  }
  const gridH = p.samplingRatio > 0 ? p.samplingRatio : Math.ceil(h / p.outH);
  const gridW = p.samplingRatio > 0 ? p.samplingRatio : Math.ceil(w / p.outW);
  return {
    plane: rois[r]!,
    startH,
    startW,
    binH: h / p.outH,
    binW: w / p.outW,
    gridH,
    gridW,
    count: Math.max(gridH * gridW, 1),
  };
}

/**
 * Visit the four neighbours of the sample point (y, x) with their bilinear weights, as
 * torchvision does: points more than a pixel outside the map contribute nothing, points up to one
 * pixel outside are clamped to the border.
 */
function bilinear(
  p: RoiParams,
  yIn: number,
  xIn: number,
  visit: (
    i1: number,
    i2: number,
    i3: number,
    i4: number,
    w1: number,
    w2: number,
    w3: number,
    w4: number,
  ) => void,
): void {
  const H = p.inH;
  const W = p.inW;
  if (yIn < -1 || yIn > H || xIn < -1 || xIn > W) return;
  let y = Math.max(yIn, 0);
  let x = Math.max(xIn, 0);
  let yLow = Math.trunc(y);
  let xLow = Math.trunc(x);
  let yHigh: number;
  let xHigh: number;
  if (yLow >= H - 1) {
    yHigh = yLow = H - 1;
    y = yLow;
  } else yHigh = yLow + 1;
  if (xLow >= W - 1) {
    xHigh = xLow = W - 1;
    x = xLow;
  } else xHigh = xLow + 1;
  const ly = y - yLow;
  const lx = x - xLow;
  const hy = 1 - ly;
  const hx = 1 - lx;
  visit(
    yLow * W + xLow,
    yLow * W + xHigh,
    yHigh * W + xLow,
    yHigh * W + xHigh,
    hy * hx,
    hy * lx,
    ly * hx,
    ly * lx,
  );
}

/** Walk every (roi, bin, sample point) of RoI Align, handing each sample's neighbours to `visit`. */
function forEachSample(
  p: RoiParams,
  rois: Float64Array,
  visit: (
    k: number,
    bin: number,
    plane: number,
    scale: number,
    i1: number,
    i2: number,
    i3: number,
    i4: number,
    w1: number,
    w2: number,
    w3: number,
    w4: number,
  ) => void,
): void {
  for (let k = 0; k < p.numRois; k++) {
    const b = alignBox(p, rois, k);
    const scale = 1 / b.count;
    for (let ph = 0; ph < p.outH; ph++) {
      for (let pw = 0; pw < p.outW; pw++) {
        const bin = ph * p.outW + pw;
        for (let iy = 0; iy < b.gridH; iy++) {
          const y = b.startH + ph * b.binH + ((iy + 0.5) * b.binH) / b.gridH;
          for (let ix = 0; ix < b.gridW; ix++) {
            const x = b.startW + pw * b.binW + ((ix + 0.5) * b.binW) / b.gridW;
            bilinear(p, y, x, (i1, i2, i3, i4, w1, w2, w3, w4) =>
              visit(k, bin, b.plane, scale, i1, i2, i3, i4, w1, w2, w3, w4),
            );
          }
        }
      }
    }
  }
}

/** RoI Align forward (torchvision's CPU kernel, sample for sample). */
export function roiAlignForward(p: RoiParams, x: FloatArray, rois: Float64Array, y: FloatArray): void {
  const hw = p.inH * p.inW;
  const bins = p.outH * p.outW;
  y.fill(0);
  forEachSample(p, rois, (k, bin, plane, scale, i1, i2, i3, i4, w1, w2, w3, w4) => {
    for (let c = 0; c < p.channels; c++) {
      const xo = (plane * p.channels + c) * hw;
      const v = w1 * x[xo + i1]! + w2 * x[xo + i2]! + w3 * x[xo + i3]! + w4 * x[xo + i4]!;
      y[(k * p.channels + c) * bins + bin]! += v * scale;
    }
  });
}

/** RoI Align backward: each sample spreads its share of the bin's gradient over its four neighbours. */
export function roiAlignBackward(p: RoiParams, dy: FloatArray, rois: Float64Array, dx: FloatArray): void {
  const hw = p.inH * p.inW;
  const bins = p.outH * p.outW;
  dx.fill(0);
  forEachSample(p, rois, (k, bin, plane, scale, i1, i2, i3, i4, w1, w2, w3, w4) => {
    for (let c = 0; c < p.channels; c++) {
      const xo = (plane * p.channels + c) * hw;
      const g = dy[(k * p.channels + c) * bins + bin]! * scale;
      dx[xo + i1]! += g * w1;
      dx[xo + i2]! += g * w2;
      dx[xo + i3]! += g * w3;
      dx[xo + i4]! += g * w4;
    }
  });
}

/** RoI Pool forward (torchvision's CPU kernel): max over each bin of the quantized box. */
export function roiPoolForward(
  p: RoiParams,
  x: FloatArray,
  rois: Float64Array,
  y: FloatArray,
  argmax: Int32Array,
): void {
  const H = p.inH;
  const W = p.inW;
  for (let k = 0; k < p.numRois; k++) {
    const r = 5 * k;
    const plane = rois[r]!;
    const sw = roundHalfAway(rois[r + 1]! * p.spatialScale);
    const sh = roundHalfAway(rois[r + 2]! * p.spatialScale);
    const ew = roundHalfAway(rois[r + 3]! * p.spatialScale);
    const eh = roundHalfAway(rois[r + 4]! * p.spatialScale);
    const binH = Math.max(eh - sh + 1, 1) / p.outH;
    const binW = Math.max(ew - sw + 1, 1) / p.outW;
    for (let ph = 0; ph < p.outH; ph++) {
      const h0 = Math.min(Math.max(Math.floor(ph * binH) + sh, 0), H);
      const h1 = Math.min(Math.max(Math.ceil((ph + 1) * binH) + sh, 0), H);
      for (let pw = 0; pw < p.outW; pw++) {
        const w0 = Math.min(Math.max(Math.floor(pw * binW) + sw, 0), W);
        const w1 = Math.min(Math.max(Math.ceil((pw + 1) * binW) + sw, 0), W);
        const empty = h1 <= h0 || w1 <= w0;
        for (let c = 0; c < p.channels; c++) {
          const xo = (plane * p.channels + c) * H * W;
          let best = empty ? 0 : -Infinity;
          let at = -1;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const v = x[xo + h * W + w]!;
              if (v > best) {
                best = v;
                at = h * W + w;
              }
            }
          }
          const o = ((k * p.channels + c) * p.outH + ph) * p.outW + pw;
          y[o] = best;
          argmax[o] = at;
        }
      }
    }
  }
}

/** RoI Pool backward: each bin's gradient goes to its recorded maximum. */
export function roiPoolBackward(
  p: RoiParams,
  dy: FloatArray,
  rois: Float64Array,
  argmax: Int32Array,
  dx: FloatArray,
): void {
  const hw = p.inH * p.inW;
  const bins = p.outH * p.outW;
  dx.fill(0);
  for (let k = 0; k < p.numRois; k++) {
    const plane = rois[5 * k]!;
    for (let c = 0; c < p.channels; c++) {
      const o = (k * p.channels + c) * bins;
      const xo = (plane * p.channels + c) * hw;
      for (let b = 0; b < bins; b++) {
        const at = argmax[o + b]!;
        if (at >= 0) dx[xo + at]! += dy[o + b]!;
      }
    }
  }
}
