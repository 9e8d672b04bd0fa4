import { record } from '../autograd/grad-fn.js';
import { ShapeError, ValueError } from '../errors.js';
import { maximum, minimum, relu, square } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { narrow } from '../ops/shape-ops.js';
import { empty, type Tensor } from '../tensor/tensor.js';

/** Options of the IoU-family losses (torchvision's arguments). */
export interface BoxIouLossOptions {
  /** 'none' (one loss per box pair, default as in torchvision), 'mean' or 'sum'. */
  reduction?: 'none' | 'mean' | 'sum';
  /** Added to denominators against division by zero (default 1e-7). */
  eps?: number;
}

interface Corners {
  x1: Tensor;
  y1: Tensor;
  x2: Tensor;
  y2: Tensor;
}

function corners(op: string, b: Tensor, name: string): Corners {
  if (b.ndim !== 2 || b.shape[1] !== 4) {
    throw new ShapeError(op, `${name} must be [N, 4] as (x1, y1, x2, y2)`, '[N, 4]', b.shape);
  }
  const col = (i: number) => narrow(b, 1, i, 1).reshape([b.shape[0]!]);
  return { x1: col(0), y1: col(1), x2: col(2), y2: col(3) };
}

/** The parts every IoU-family loss shares, computed once with autograd. */
function lossParts(op: string, boxes1: Tensor, boxes2: Tensor, eps: number) {
  if (boxes1.shape[0] !== boxes2.shape[0]) {
    throw new ShapeError(
      op,
      'the losses pair box i of boxes1 with box i of boxes2',
      boxes1.shape,
      boxes2.shape,
    );
  }
  const a = corners(op, boxes1, 'boxes1');
  const b = corners(op, boxes2, 'boxes2');
  const iw = relu(minimum(a.x2, b.x2).sub(maximum(a.x1, b.x1)));
  const ih = relu(minimum(a.y2, b.y2).sub(maximum(a.y1, b.y1)));
  const inter = iw.mul(ih);
  const union = a.x2
    .sub(a.x1)
    .mul(a.y2.sub(a.y1))
    .add(b.x2.sub(b.x1).mul(b.y2.sub(b.y1)))
    .sub(inter);
  const iou = inter.div(union.add(eps));
  // The smallest box enclosing both.
  const cw = maximum(a.x2, b.x2).sub(minimum(a.x1, b.x1));
  const ch = maximum(a.y2, b.y2).sub(minimum(a.y1, b.y1));
  return { a, b, union, iou, cw, ch };
}

function reduce(op: string, loss: Tensor, reduction: BoxIouLossOptions['reduction']): Tensor {
  switch (reduction ?? 'none') {
    case 'none':
      return loss;
    case 'sum':
      return sum(loss);
    case 'mean':
      return loss.size > 0 ? mean(loss) : sum(loss);
    default:
      throw new ValueError(op, `reduction must be 'none', 'mean' or 'sum', got ${String(reduction)}`);
  }
}

/** Distance-IoU loss terms: 1 − IoU + (centre distance)² / (enclosing diagonal)². */
function diou(op: string, boxes1: Tensor, boxes2: Tensor, eps: number) {
  const parts = lossParts(op, boxes1, boxes2, eps);
  const { a, b, iou, cw, ch } = parts;
  const diag = square(cw).add(square(ch)).add(eps);
  const dx = a.x1.add(a.x2).sub(b.x1.add(b.x2)).mul(0.5);
  const dy = a.y1.add(a.y2).sub(b.y1.add(b.y2)).mul(0.5);
  const loss = iou
    .neg()
    .add(1)
    .add(square(dx).add(square(dy)).div(diag));
  return { ...parts, loss };
}

/**
 * Generalized IoU loss (torchvision's `generalized_box_iou_loss`): 1 − GIoU for each pair
 * (boxes1[i], boxes2[i]) of `[N, 4]` corner boxes, where GIoU = IoU − (C − U)/C with C the area of
 * the smallest enclosing box. Differentiable with respect to both box sets.
 */
export function generalizedBoxIouLoss(boxes1: Tensor, boxes2: Tensor, opts: BoxIouLossOptions = {}): Tensor {
  const op = 'generalizedBoxIouLoss';
  const eps = opts.eps ?? 1e-7;
  const { union, iou, cw, ch } = lossParts(op, boxes1, boxes2, eps);
  const areaC = cw.mul(ch);
  const giou = iou.sub(areaC.sub(union).div(areaC.add(eps)));
  return reduce(op, giou.neg().add(1), opts.reduction);
}

/**
 * Distance IoU loss (torchvision's `distance_box_iou_loss`, Zheng et al. 2020): 1 − IoU plus the
 * squared distance between box centres over the squared diagonal of the enclosing box.
 */
export function distanceBoxIouLoss(boxes1: Tensor, boxes2: Tensor, opts: BoxIouLossOptions = {}): Tensor {
  const op = 'distanceBoxIouLoss';
  return reduce(op, diou(op, boxes1, boxes2, opts.eps ?? 1e-7).loss, opts.reduction);
}

/** Element-wise arctangent with its gradient 1 / (1 + x²) (only CIoU needs it). */
function atan(x: Tensor): Tensor {
  const y = empty(x.shape, x.dtype);
  for (let i = 0; i < x.size; i++) y.data[i] = Math.atan(x.data[i]!);
  return record('atan', [x], y, (g) => {
    const dx = empty(x.shape, x.dtype);
    for (let i = 0; i < x.size; i++) dx.data[i] = g.data[i]! / (1 + x.data[i]! ** 2);
    return [dx];
  });
}

/**
 * Complete IoU loss (torchvision's `complete_box_iou_loss`): the DIoU loss plus α·v, where v
 * measures the aspect-ratio mismatch, (4/π²)(atan(w_gt/h_gt) − atan(w/h))², and α = v / (1 − IoU
 * + v) is held constant in the backward pass. `boxes2` are the targets.
 */
export function completeBoxIouLoss(boxes1: Tensor, boxes2: Tensor, opts: BoxIouLossOptions = {}): Tensor {
  const op = 'completeBoxIouLoss';
  const eps = opts.eps ?? 1e-7;
  const { a, b, iou, loss } = diou(op, boxes1, boxes2, eps);
  const ratio = (c: Corners) => atan(c.x2.sub(c.x1).div(c.y2.sub(c.y1)));
  const v = square(ratio(b).sub(ratio(a))).mul(4 / Math.PI ** 2);
  const alpha = v.detach().div(iou.detach().neg().add(1).add(v.detach()).add(eps));
  return reduce(op, loss.add(alpha.mul(v)), opts.reduction);
}
