import { ValueError } from '../errors.js';
import { abs, add, mul, square } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { scalar } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The gradient an optimizer steps on for one element: the loss gradient `g` (negated when
 * maximizing, `direction` = -1) plus the L2 term `weightDecay·w` and the L1 term `l1·sign(w)`
 * (sign(0) = 0, as in `torch.sign`). The optimizers call it in their inner loops.
 */
export function penalizedGrad(
  g: number,
  w: number,
  direction: number,
  weightDecay: number,
  l1: number,
): number {
  const d = direction * g + weightDecay * w;
  // Math.sign mispredicts on mixed-sign weights; skip it in the usual l1 = 0 case.
  return l1 === 0 ? d : d + l1 * Math.sign(w);
}

function checkCoef(op: string, coef: number): void {
  if (typeof coef !== 'number' || !(coef >= 0) || !Number.isFinite(coef)) {
    throw new ValueError(op, `the coefficient must be a finite number >= 0, got ${coef}`);
  }
}

function penalty(
  op: string,
  params: Iterable<Tensor>,
  coef: number,
  scale: number,
  term: (p: Tensor) => Tensor,
): Tensor {
  checkCoef(op, coef);
  let total: Tensor | null = null;
  for (const p of params) {
    const t = sum(term(p));
    total = total === null ? t : add(total, t);
  }
  return total === null ? scalar(0) : mul(total, coef * scale);
}

/**
 * L1 penalty `coef · Σ|w|` over `params`, as a scalar tensor to add to the loss (differentiable:
 * its gradient is `coef·sign(w)`, the same as the optimizers' `l1` option).
 *
 * @example loss = st.add(loss, st.optim.l1Penalty(model.parameters(), 1e-5));
 */
export function l1Penalty(params: Iterable<Tensor>, coef: number): Tensor {
  return penalty('l1Penalty', params, coef, 1, (p) => abs(p));
}

/**
 * L2 penalty `(coef / 2) · Σw²` over `params`, as a scalar tensor to add to the loss. The ½ makes
 * its gradient `coef·w`, so adding it is the same as the optimizers' `weightDecay: coef` (for every
 * optimizer but AdamW, whose decay is decoupled). Keras' `l2(c)` regularizer is `c·Σw²`, i.e.
 * `l2Penalty(params, 2c)`.
 */
export function l2Penalty(params: Iterable<Tensor>, coef: number): Tensor {
  return penalty('l2Penalty', params, coef, 0.5, (p) => square(p));
}
