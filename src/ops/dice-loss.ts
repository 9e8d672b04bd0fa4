/**
 * The soft Dice loss of segmentation (Milletari et al. 2016, V-Net): one minus the mean over classes
 * of the Dice coefficient between softmax probabilities and one-hot targets.
 */
import { record } from '../autograd/grad-fn.js';
import { ValueError } from '../errors.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { classIndices, classLayout, classWeights, DEFAULT_IGNORE_INDEX } from './loss.js';
import { dimGeometry, logSoftmaxInto } from './softmax.js';

/** Options of {@link diceLoss}. */
export interface DiceLossOptions {
  /**
   * Added to numerator and denominator of every class's Dice coefficient (default 1), so that a
   * class absent from both prediction and target scores 1 instead of 0/0.
   */
  smooth?: number;
  /** Target value of pixels that count for no class (default -100, as in crossEntropy). */
  ignoreIndex?: number;
  /** One weight per class [C] for the mean over classes (default: all 1). */
  weight?: Tensor;
}

/**
 * Soft Dice loss of logits `input` [N, C, ...] (e.g. [N, C, H, W]) against class-index targets
 * [N, ...]: with p = softmax over C and t the one-hot target, over all non-ignored pixels of the
 * batch, D_c = (2·Σ p_c·t_c + smooth) / (Σ p_c + Σ t_c + smooth), and the loss is
 * 1 - Σ_c w_c·D_c / Σ_c w_c (a 0-d tensor). Differentiable with respect to the logits.
 */
export function diceLoss(input: Tensor, target: Tensor, opts: DiceLossOptions = {}): Tensor {
  const op = 'diceLoss';
  const smooth = opts.smooth ?? 1;
  if (!(smooth >= 0) || !Number.isFinite(smooth)) {
    throw new ValueError(op, `smooth must be a non-negative number, got ${smooth}. Fix: the default is 1`);
  }
  if (input.ndim < 2) {
    throw new ValueError(op, `input must be logits [N, C, ...], got shape [${input.shape.join(', ')}]`);
  }
  const layout = classLayout(op, input);
  const { outer, classes: C, inner } = layout;
  const w = classWeights(op, opts.weight, C);
  const cls = classIndices(op, target, layout, opts.ignoreIndex ?? DEFAULT_IGNORE_INDEX);
  const p = new Float64Array(input.size);
  logSoftmaxInto(input.data, p, dimGeometry(op, input.shape, 1));
  // Why these loops are TypeScript and not a Backend kernel (ARCHITECTURE.md, the op/kernel line):
  // dice loss has no kernel yet; it reduces per class over float64 probabilities computed just
  // above, and no bench workload trains with it. Moving it behind a kernel is the open part of #10.
  for (let k = 0; k < p.length; k++) p[k] = Math.exp(p[k]!);
  // Per class: I = Σ p·t, S = Σ (p + t), over non-ignored pixels.
  const inter = new Float64Array(C);
  const denom = new Float64Array(C);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const y = cls[o * inner + i]!;
      if (y < 0) continue;
      const base = o * C * inner + i;
      for (let c = 0; c < C; c++) denom[c] = denom[c]! + p[base + c * inner]!;
      inter[y] = inter[y]! + p[base + y * inner]!;
      denom[y] = denom[y]! + 1;
    }
  }
  let wSum = 0;
  let score = 0;
  for (let c = 0; c < C; c++) {
    const wc = w ? w[c]! : 1;
    wSum += wc;
    score += (wc * (2 * inter[c]! + smooth)) / (denom[c]! + smooth);
  }
  if (!(wSum > 0))
    throw new ValueError(op, 'the class weights sum to 0. Fix: give at least one class a positive weight');
  const out = empty([], input.dtype);
  out.data[0] = 1 - score / wSum;
  return record(op, [input], out, (grad) => {
    const g0 = grad.data[0]!;
    const dx = empty(input.shape, input.dtype);
    const dp = new Float64Array(C);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const y = cls[o * inner + i]!;
        if (y < 0) continue; // dx is zero-filled: ignored pixels get no gradient
        const base = o * C * inner + i;
        // dL/dp_c = -(w_c / Σw) · (2·t_c·(S_c + s) - (2·I_c + s)) / (S_c + s)².
        let dot = 0;
        for (let c = 0; c < C; c++) {
          const sc = denom[c]! + smooth;
          const t = c === y ? 1 : 0;
          dp[c] = (-g0 * (w ? w[c]! : 1) * (2 * t * sc - (2 * inter[c]! + smooth))) / (wSum * sc * sc);
          dot += dp[c]! * p[base + c * inner]!;
        }
        // Softmax backward: dx_c = p_c · (dp_c - Σ_k dp_k·p_k).
        for (let c = 0; c < C; c++) dx.data[base + c * inner] = p[base + c * inner]! * (dp[c]! - dot);
      }
    }
    return [dx];
  });
}
