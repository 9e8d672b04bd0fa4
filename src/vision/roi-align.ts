import { record } from '../autograd/grad-fn.js';
import type { RoiParams } from '../backend/backend.js';
import { kernels } from '../backend/registry.js';
import { ValueError } from '../errors.js';
import { requireImageBatch } from '../ops/pool2d.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { resolveRois, type RoiBoxes } from './roi-boxes.js';

/** Options of {@link roiAlign} and {@link roiPool} (torchvision's arguments, camelCase). */
export interface RoiOptions {
  /** Output size per box: a number for both sides or [h, w]. */
  outputSize: number | readonly [number, number];
  /** Factor from box coordinates to feature-map coordinates, e.g. 1/16 for a stride-16 map (default 1). */
  spatialScale?: number;
}

/** Options of {@link roiAlign}. */
export interface RoiAlignOptions extends RoiOptions {
  /** Sample points per bin side; 0 (default) adapts to the box: ceil(box size / output size). */
  samplingRatio?: number;
  /** Shift boxes by half a pixel so a box's corners are pixel corners (default false, as torchvision). */
  aligned?: boolean;
}

/** Resolve the geometry shared by RoI Align and RoI Pool once, checking every argument. */
export function resolveRoiParams(
  op: string,
  x: Tensor,
  boxes: RoiBoxes,
  opts: RoiAlignOptions,
): { p: RoiParams; rois: Float64Array } {
  requireImageBatch(op, x);
  const size = opts.outputSize;
  const [outH, outW] = typeof size === 'number' ? [size, size] : [size[0], size[1]];
  if (!Number.isInteger(outH) || !Number.isInteger(outW) || outH < 1 || outW < 1) {
    throw new ValueError(
      op,
      `outputSize must be a positive integer or [h, w] of them, got ${JSON.stringify(size)}`,
    );
  }
  const spatialScale = opts.spatialScale ?? 1;
  if (!(spatialScale > 0 && Number.isFinite(spatialScale))) {
    throw new ValueError(op, `spatialScale must be a finite number > 0, got ${spatialScale}`);
  }
  const samplingRatio = opts.samplingRatio ?? 0;
  if (!Number.isInteger(samplingRatio) || samplingRatio < 0) {
    throw new ValueError(op, `samplingRatio must be an integer >= 0 (0 = adaptive), got ${samplingRatio}`);
  }
  const [batch, channels, inH, inW] = x.shape as [number, number, number, number];
  const rois = resolveRois(op, boxes, batch);
  const p: RoiParams = {
    batch,
    channels,
    inH,
    inW,
    numRois: rois.length / 5,
    outH,
    outW,
    spatialScale,
    samplingRatio,
    aligned: opts.aligned ?? false,
  };
  return { p, rois };
}

/**
 * RoI Align (torchvision's `ops.roi_align`, Mask R-CNN): crops every box of `boxes` out of the
 * feature map `x` [N, C, H, W] into a fixed [outH, outW] grid without quantizing, each bin
 * averaging bilinearly interpolated samples. Returns [K, C, outH, outW]; differentiable with
 * respect to `x`.
 *
 * @example st.roiAlign(features, st.tensor([[0, 4, 4, 36, 20]]), { outputSize: 7, spatialScale: 1 / 16 })
 */
export function roiAlign(x: Tensor, boxes: RoiBoxes, opts: RoiAlignOptions): Tensor {
  const op = 'roiAlign';
  const { p, rois } = resolveRoiParams(op, x, boxes, opts);
  const y = empty([p.numRois, p.channels, p.outH, p.outW], x.dtype);
  kernels().roiAlignForward(p, x.data, rois, y.data);
  return record(op, [x], y, (g) => {
    const dx = empty(x.shape, x.dtype);
    kernels().roiAlignBackward(p, g.data, rois, dx.data);
    return [dx];
  });
}
