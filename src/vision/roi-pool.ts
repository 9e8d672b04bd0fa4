import { record } from '../autograd/grad-fn.js';
import { kernels } from '../backend/registry.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { resolveRoiParams, type RoiOptions } from './roi-align.js';
import type { RoiBoxes } from './roi-boxes.js';

/**
 * RoI Pool (torchvision's `ops.roi_pool`, Fast R-CNN): rounds every box to the feature grid,
 * splits it into [outH, outW] bins and max-pools each. Returns [K, C, outH, outW]; empty bins give
 * 0; differentiable with respect to `x` (the gradient goes to each bin's maximum).
 */
export function roiPool(x: Tensor, boxes: RoiBoxes, opts: RoiOptions): Tensor {
  const op = 'roiPool';
  const { p, rois } = resolveRoiParams(op, x, boxes, opts);
  const y = empty([p.numRois, p.channels, p.outH, p.outW], x.dtype);
  const argmax = new Int32Array(y.size);
  kernels().roiPoolForward(p, x.data, rois, y.data, argmax);
  return record(op, [x], y, (g) => {
    const dx = empty(x.shape, x.dtype);
    kernels().roiPoolBackward(p, g.data, rois, argmax, dx.data);
    return [dx];
  });
}
