// Negative log-likelihood of class-index targets and cross-entropy of class-probability targets (float32 log-probabilities; crossEntropy is this
// after log-softmax), forward per sample and backward; the same definitions as the TypeScript
// reference (src/backend/reference/class-loss.ts), against which test/native/softmax.test.ts checks them.
#pragma once

#include <cstdint>

namespace stride {

/** Log-probabilities seen as [outer, classes, inner], sample j = o·inner + i. */
struct ClassLossGeometry {
  int64_t outer, classes, inner;
  double labelSmoothing;
  // The gradient is taken with respect to the logits the log-probabilities came from.
  bool fromLogits;
};

/**
 * losses[j] = −Σ_c a_c·logp[j, c] with a_c = (1−ε)·w_y·[c = y] + (ε/C)·w_c; 0 where target[j] < 0.
 * weight: one value per class, or null for all ones.
 */
void nllLoss(const ClassLossGeometry& p, const float* logp, const int32_t* target, const double* weight,
             double* losses);

/** dx: −s_j·a_c, or s_j·(e^logp·Σa − a_c) when fromLogits; 0 for ignored samples (overwrites dx). */
void nllLossBackward(const ClassLossGeometry& p, const float* logp, const int32_t* target, const double* weight,
                     const double* scales, float* dx);

/**
 * Cross-entropy of class-probability targets: losses[j] = −Σ_c w_c·t'_c·logp[j, c] with
 * t' = (1−ε)·t + ε/C (target as [outer, classes, inner], like logp). weight: per class, or null.
 */
void softTargetCrossEntropy(const ClassLossGeometry& p, const float* logp, const float* target, const double* weight,
                            double* losses);

/**
 * Gradients of softTargetCrossEntropy with respect to the logits, dx = s_j·(e^logp·Σ_c w_c·t'_c − w_c·t'_c),
 * and to the targets, dt = −s_j·w_c·(1−ε)·logp; either may be null (both overwritten).
 */
void softTargetCrossEntropyBackward(const ClassLossGeometry& p, const float* logp, const float* target,
                                    const double* weight, const double* scales, float* dx, float* dt);

}  // namespace stride
