/**
 * The classification loss kernels: negative log-likelihood of class-index targets (crossEntropy is
 * this after logSoftmax) and cross-entropy of class-probability targets, forward per sample and
 * backward with each sample's scale. Log-probabilities are seen as [outer, classes, inner], sample
 * j = o·inner + i; arithmetic is float64. With class-index targets each sample's per-class target
 * weights are a_c = (1−ε)·w_y·[c = y] + (ε/C)·w_c (label smoothing ε, class weights w), its loss
 * −Σ_c a_c·logp_c, and its gradient with respect to the logits s·(p_c·Σa − a_c). The native
 * backend has its own nllLoss, softTargetCrossEntropy and their backwards (native/src/class_loss.cc),
 * checked against these.
 */
import type { FloatArray } from '../../tensor/dtype.js';
import type { ClassLossParams } from '../backend.js';

/** Σ_c (ε/C)·w_c: the smoothing part of Σa, the same for every sample. */
function smoothingTotal(p: ClassLossParams, weight: Float64Array | null): number {
  const { classes: C, labelSmoothing: eps } = p;
  if (eps === 0) return 0;
  let total = 0;
  for (let c = 0; c < C; c++) total += weight ? weight[c]! : 1;
  return (eps / C) * total;
}

/** losses[j] = −Σ_c a_c·logp[j, c] (0 for ignored samples, whose target is negative). */
export function nllLoss(
  p: ClassLossParams,
  logp: FloatArray,
  target: Int32Array,
  weight: Float64Array | null,
  losses: Float64Array,
): void {
  const { outer, classes: C, inner, labelSmoothing: eps } = p;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const j = o * inner + i;
      const y = target[j]!;
      if (y < 0) {
        losses[j] = 0;
        continue;
      }
      const base = o * C * inner + i;
      const wy = weight ? weight[y]! : 1;
      let l = -(1 - eps) * wy * logp[base + y * inner]!;
      if (eps > 0) {
        let smooth = 0;
        for (let c = 0; c < C; c++) smooth -= (weight ? weight[c]! : 1) * logp[base + c * inner]!;
        l += (eps / C) * smooth;
      }
      losses[j] = l;
    }
  }
}

/** dx of {@link nllLoss}, with respect to the log-probabilities or (`p.fromLogits`) the logits. */
export function nllLossBackward(
  p: ClassLossParams,
  logp: FloatArray,
  target: Int32Array,
  weight: Float64Array | null,
  scales: Float64Array,
  dx: FloatArray,
): void {
  const { outer, classes: C, inner, labelSmoothing: eps } = p;
  const smooth = smoothingTotal(p, weight);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const j = o * inner + i;
      const y = target[j]!;
      const base = o * C * inner + i;
      if (y < 0) {
        for (let c = 0; c < C; c++) dx[base + c * inner] = 0;
        continue;
      }
      const s = scales[j]!;
      const wy = weight ? weight[y]! : 1;
      const total = (1 - eps) * wy + smooth;
      for (let c = 0; c < C; c++) {
        let a = (eps / C) * (weight ? weight[c]! : 1);
        if (c === y) a += (1 - eps) * wy;
        const k = base + c * inner;
        dx[k] = p.fromLogits ? s * (Math.exp(logp[k]!) * total - a) : -s * a;
      }
    }
  }
}

/** losses[j] = −Σ_c w_c·t'_c·logp[j, c], t' = (1−ε)·t + ε/C. */
export function softTargetCrossEntropy(
  p: ClassLossParams,
  logp: FloatArray,
  target: FloatArray,
  weight: Float64Array | null,
  losses: Float64Array,
): void {
  const { outer, classes: C, inner, labelSmoothing: eps } = p;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * C * inner + i;
      let l = 0;
      for (let c = 0; c < C; c++) {
        const k = base + c * inner;
        l -= (weight ? weight[c]! : 1) * ((1 - eps) * target[k]! + eps / C) * logp[k]!;
      }
      losses[o * inner + i] = l;
    }
  }
}

/** Gradients of {@link softTargetCrossEntropy}: dx = s·(p_c·Σ_c w_c·t'_c − w_c·t'_c), dt = −s·w_c·(1−ε)·logp_c. */
export function softTargetCrossEntropyBackward(
  p: ClassLossParams,
  logp: FloatArray,
  target: FloatArray,
  weight: Float64Array | null,
  scales: Float64Array,
  dx: FloatArray | null,
  dt: FloatArray | null,
): void {
  const { outer, classes: C, inner, labelSmoothing: eps } = p;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * C * inner + i;
      const s = scales[o * inner + i]!;
      let total = 0;
      for (let c = 0; c < C; c++) {
        const k = base + c * inner;
        total += (weight ? weight[c]! : 1) * ((1 - eps) * target[k]! + eps / C);
      }
      for (let c = 0; c < C; c++) {
        const k = base + c * inner;
        const wc = weight ? weight[c]! : 1;
        if (dx) dx[k] = s * (Math.exp(logp[k]!) * total - wc * ((1 - eps) * target[k]! + eps / C));
        if (dt) dt[k] = -s * wc * (1 - eps) * logp[k]!;
      }
    }
  }
}
