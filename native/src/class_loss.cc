// Class-index loss kernels. The forward reads one log-probability per sample (all C of them with
// label smoothing). The backward writes every score: for [N, C] scores (inner = 1) a sample's row
// is contiguous and runs through the vector exp and a vectorizable loop; for [N, C, H, W] each
// sample's scores lie `inner` apart and are visited one sample at a time (scalar exp). The
// gradient is written as the smoothing part for every class, e.g. s·(p_c·Σa − (ε/C)·w_c), then
// the target class's own term s·(1−ε)·w_y is subtracted. Samples are spread over threads by
// forEachSliceBlock, as softmax's rows. The probability-target cross-entropy visits each sample's
// scores the same way, with its weights t'_c = (1−ε)·t_c + ε/C summed in double.
#include "class_loss.h"

#include <cmath>

#include "elementwise.h"
#include "softmax.h"

namespace stride {

void nllLoss(const ClassLossGeometry& p, const float* logp, const int32_t* target, const double* weight,
             double* losses) {
  const int64_t C = p.classes, inner = p.inner;
  const double eps = p.labelSmoothing, epsC = eps / static_cast<double>(C);
  for (int64_t o = 0; o < p.outer; o++) {
    for (int64_t i = 0; i < inner; i++) {
      const int64_t j = o * inner + i;
      const int32_t y = target[j];
      if (y < 0) {
        losses[j] = 0;
        continue;
      }
      const float* lp = logp + o * C * inner + i;
      const double wy = weight ? weight[y] : 1.0;
      double l = -(1 - eps) * wy * lp[y * inner];
      if (eps > 0) {
        double smooth = 0;
        for (int64_t c = 0; c < C; c++) smooth -= (weight ? weight[c] : 1.0) * lp[c * inner];
        l += epsC * smooth;
      }
      losses[j] = l;
    }
  }
}

void nllLossBackward(const ClassLossGeometry& p, const float* logp, const int32_t* target, const double* weight,
                     const double* scales, float* dx) {
  const int64_t C = p.classes, inner = p.inner;
  if (C == 0) return;
  const double eps = p.labelSmoothing, epsC = eps / static_cast<double>(C);
  double smoothTotal = 0;
  if (eps > 0)
    for (int64_t c = 0; c < C; c++) smoothTotal += epsC * (weight ? weight[c] : 1.0);
  forEachSliceBlock(p.outer, C, inner, [&](int64_t o, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      // One sample at a time: its scores lie `inner` apart (contiguous when inner = 1).
      const int64_t j = o * inner + i;
      const int32_t y = target[j];
      const int64_t base = o * C * inner + i;
      float* d = dx + base;
      const float* lp = logp + base;
      if (y < 0) {
        for (int64_t c = 0; c < C; c++) d[c * inner] = 0.0f;
        continue;
      }
      const double s = scales[j];
      const double wy = weight ? weight[y] : 1.0;
      const float sEps = static_cast<float>(s * epsC);
      if (p.fromLogits) {
        const float total = static_cast<float>(s * ((1 - eps) * wy + smoothTotal));
        if (inner == 1) {
          expRange(lp, d, C);
          if (weight) {
            for (int64_t c = 0; c < C; c++) d[c] = d[c] * total - sEps * static_cast<float>(weight[c]);
          } else {
            for (int64_t c = 0; c < C; c++) d[c] = d[c] * total - sEps;
          }
        } else {
          for (int64_t c = 0; c < C; c++) {
            const float w = weight ? static_cast<float>(weight[c]) : 1.0f;
            d[c * inner] = std::exp(lp[c * inner]) * total - sEps * w;
          }
        }
      } else {
        for (int64_t c = 0; c < C; c++) d[c * inner] = -sEps * (weight ? static_cast<float>(weight[c]) : 1.0f);
      }
      d[y * inner] -= static_cast<float>(s * (1 - eps) * wy);
    }
  });
}

void softTargetCrossEntropy(const ClassLossGeometry& p, const float* logp, const float* target, const double* weight,
                            double* losses) {
  const int64_t C = p.classes, inner = p.inner;
  const double keep = 1 - p.labelSmoothing, epsC = C > 0 ? p.labelSmoothing / static_cast<double>(C) : 0;
  forEachSliceBlock(p.outer, C, inner, [&](int64_t o, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const int64_t base = o * C * inner + i;
      const float* lp = logp + base;
      const float* t = target + base;
      double l = 0;
      for (int64_t c = 0; c < C; c++)
        l -= (weight ? weight[c] : 1.0) * (keep * t[c * inner] + epsC) * lp[c * inner];
      losses[o * inner + i] = l;
    }
  });
}

void softTargetCrossEntropyBackward(const ClassLossGeometry& p, const float* logp, const float* target,
                                    const double* weight, const double* scales, float* dx, float* dt) {
  const int64_t C = p.classes, inner = p.inner;
  if (C == 0) return;
  const double keep = 1 - p.labelSmoothing, epsC = p.labelSmoothing / static_cast<double>(C);
  forEachSliceBlock(p.outer, C, inner, [&](int64_t o, int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const int64_t base = o * C * inner + i;
      const float* lp = logp + base;
      const float* t = target + base;
      const double s = scales[o * inner + i];
      if (dx) {
        double total = 0;
        for (int64_t c = 0; c < C; c++) total += (weight ? weight[c] : 1.0) * (keep * t[c * inner] + epsC);
        float* d = dx + base;
        const float st = static_cast<float>(s * total);
        if (inner == 1) {
          expRange(lp, d, C);
          for (int64_t c = 0; c < C; c++)
            d[c] = d[c] * st - static_cast<float>(s * (weight ? weight[c] : 1.0) * (keep * t[c] + epsC));
        } else {
          for (int64_t c = 0; c < C; c++)
            d[c * inner] = std::exp(lp[c * inner]) * st -
                           static_cast<float>(s * (weight ? weight[c] : 1.0) * (keep * t[c * inner] + epsC));
        }
      }
      if (dt) {
        float* d = dt + base;
        for (int64_t c = 0; c < C; c++)
          d[c * inner] = static_cast<float>(-s * (weight ? weight[c] : 1.0) * keep * lp[c * inner]);
      }
    }
  });
}

}  // namespace stride
