/**
 * The focal loss (Lin et al. 2017, RetinaNet) over softmax class probabilities: cross-entropy scaled
 * by (1 - p_t)^γ so that well-classified pixels (or samples) contribute little.
 */
import { record } from '../autograd/grad-fn.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from '../tensor/tensor.js';
import {
  checkReduction,
  classIndices,
  classLayout,
  classWeights,
  DEFAULT_IGNORE_INDEX,
  gradScales,
  reduceLoss,
  type LossOptions,
} from './loss.js';
import { dimGeometry, logSoftmaxInto } from './softmax.js';

/** Options of {@link focalLoss}. */
export interface FocalLossOptions extends LossOptions {
  /** Focusing parameter γ ≥ 0 (default 2); 0 gives the (weighted) cross-entropy. */
  gamma?: number;
  /** One weight α_c per class [C] (the paper's α-balancing), default all 1. */
  weight?: Tensor;
  /** Target value whose samples contribute neither loss nor gradient (default -100). */
  ignoreIndex?: number;
}

/**
 * Multi-class focal loss of logits [N, C] or [N, C, d1, ...] against class indices shaped like the
 * input without the class dimension: per sample -α_y·(1 - p_y)^γ·log p_y with p = softmax(input).
 * `'mean'` (default) averages over the non-ignored samples (unweighted count), `'sum'` adds,
 * `'none'` keeps one loss per sample (0 where ignored).
 */
export function focalLoss(input: Tensor, target: Tensor, opts: FocalLossOptions = {}): Tensor {
  const op = 'focalLoss';
  const reduction = checkReduction(op, opts.reduction);
  const gamma = opts.gamma ?? 2;
  if (!(gamma >= 0) || !Number.isFinite(gamma)) {
    throw new ValueError(op, `gamma must be a non-negative number, got ${gamma}. Fix: the paper uses 2`);
  }
  const layout = classLayout(op, input);
  const { outer, classes: C, inner } = layout;
  const w = classWeights(op, opts.weight, C);
  const cls = classIndices(op, target, layout, opts.ignoreIndex ?? DEFAULT_IGNORE_INDEX);
  const logp = new Float64Array(input.size);
  logSoftmaxInto(input.data, logp, dimGeometry(op, input.shape, input.ndim === 1 ? 0 : 1));
  // Why the loops below are TypeScript and not a Backend kernel (ARCHITECTURE.md, the op/kernel
  // line): focal loss has no kernel yet; it reads the float64 log-softmax computed just above (one
  // pass per sample over C classes), and no bench workload trains with it. Moving it behind a
  // kernel (reference + native) is the open part of issue #10.
  const samples = outer * inner;
  const losses = new Float64Array(samples);
  let count = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const j = o * inner + i;
      const y = cls[j]!;
      if (y < 0) continue;
      count++;
      const l = logp[o * C * inner + i + y * inner]!;
      losses[j] = -(w ? w[y]! : 1) * Math.pow(1 - Math.exp(l), gamma) * l;
    }
  }
  const out = reduceLoss(losses, layout.sampleShape, input, reduction, count);
  return record(op, [input], out, (grad) => {
    const s = gradScales(grad.data, samples, reduction, count);
    const dx = empty(input.shape, input.dtype);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const j = o * inner + i;
        const y = cls[j]!;
        if (y < 0) continue;
        const base = o * C * inner + i;
        const l = logp[base + y * inner]!;
        const q = Math.exp(l);
        const r = 1 - q;
        // L = -α·r^γ·l; dL/dx_k = α·(γ·r^(γ-1)·q·l - r^γ)·(δ_ky - p_k).
        const rg1 = gamma === 0 ? 0 : r > 0 ? gamma * Math.pow(r, gamma - 1) * q * l : 0;
        const f = s[j]! * (w ? w[y]! : 1) * (rg1 - Math.pow(r, gamma));
        for (let c = 0; c < C; c++) {
          const pc = Math.exp(logp[base + c * inner]!);
          dx.data[base + c * inner] = f * ((c === y ? 1 : 0) - pc);
        }
      }
    }
    return [dx];
  });
}
