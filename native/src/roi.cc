// RoI Align and RoI Pool, following torchvision's CPU kernels sample for sample. Forwards run one
// box per task; backwards scatter into shared planes and run serially.
#include "roi.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "thread_pool.h"

namespace stride {

namespace {

struct Neighbours {
  int64_t i1, i2, i3, i4;
  float w1, w2, w3, w4;
  bool valid;
};

// The four neighbours of sample (y, x) and their bilinear weights; points more than one pixel
// outside the map are invalid, points up to a pixel outside clamp to the border.
inline Neighbours bilinear(int64_t H, int64_t W, float y, float x) {
  Neighbours n{};
  if (y < -1.0f || y > static_cast<float>(H) || x < -1.0f || x > static_cast<float>(W)) return n;
  y = std::max(y, 0.0f);
  x = std::max(x, 0.0f);
  int64_t yLow = static_cast<int64_t>(y), xLow = static_cast<int64_t>(x), yHigh, xHigh;
  if (yLow >= H - 1) {
    yHigh = yLow = H - 1;
    y = static_cast<float>(yLow);
  } else {
    yHigh = yLow + 1;
  }
  if (xLow >= W - 1) {
    xHigh = xLow = W - 1;
    x = static_cast<float>(xLow);
  } else {
    xHigh = xLow + 1;
  }
  const float ly = y - static_cast<float>(yLow), lx = x - static_cast<float>(xLow);
  const float hy = 1.0f - ly, hx = 1.0f - lx;
  n = {yLow * W + xLow, yLow * W + xHigh, yHigh * W + xLow, yHigh * W + xHigh, hy * hx, hy * lx, ly * hx, ly * lx, true};
  return n;
}

struct AlignBox {
  int64_t plane, gridH, gridW;
  float startH, startW, binH, binW, scale;
};

inline AlignBox alignBox(const RoiGeometry& p, const double* r) {
  const float offset = p.aligned ? 0.5f : 0.0f;
  const float scale = static_cast<float>(p.spatialScale);
  const float sw = static_cast<float>(r[1]) * scale - offset, sh = static_cast<float>(r[2]) * scale - offset;
  float w = static_cast<float>(r[3]) * scale - offset - sw, h = static_cast<float>(r[4]) * scale - offset - sh;
  if (!p.aligned) {
    w = std::max(w, 1.0f);
    h = std::max(h, 1.0f);
  }
  const float binH = h / static_cast<float>(p.outH), binW = w / static_cast<float>(p.outW);
  const int64_t gh = p.samplingRatio > 0 ? p.samplingRatio : static_cast<int64_t>(std::ceil(h / p.outH));
  const int64_t gw = p.samplingRatio > 0 ? p.samplingRatio : static_cast<int64_t>(std::ceil(w / p.outW));
  const float count = static_cast<float>(std::max<int64_t>(gh * gw, 1));
  return {static_cast<int64_t>(r[0]), gh, gw, sh, sw, binH, binW, 1.0f / count};
}

// Visit every sample of box k with its bin index.
template <typename F>
inline void forEachSample(const RoiGeometry& p, const AlignBox& b, F&& visit) {
  for (int64_t ph = 0; ph < p.outH; ph++) {
    for (int64_t pw = 0; pw < p.outW; pw++) {
      for (int64_t iy = 0; iy < b.gridH; iy++) {
        const float y = b.startH + ph * b.binH + (iy + 0.5f) * b.binH / static_cast<float>(b.gridH);
        for (int64_t ix = 0; ix < b.gridW; ix++) {
          const float x = b.startW + pw * b.binW + (ix + 0.5f) * b.binW / static_cast<float>(b.gridW);
          const Neighbours n = bilinear(p.inH, p.inW, y, x);
          if (n.valid) visit(ph * p.outW + pw, n);
        }
      }
    }
  }
}

inline double roundHalfAway(double v) { return std::round(v); }

}  // namespace

void roiAlignForward(const RoiGeometry& p, const float* x, const double* rois, float* y) {
  const int64_t hw = p.inH * p.inW, bins = p.outH * p.outW;
  std::memset(y, 0, sizeof(float) * p.numRois * p.channels * bins);
  const double work = 8.0 * p.numRois * p.channels * bins * 4;
  ThreadPool::instance().parallelFor(p.numRois, threadsFor(work), [&](int64_t k) {
    const AlignBox b = alignBox(p, rois + 5 * k);
    forEachSample(p, b, [&](int64_t bin, const Neighbours& n) {
      for (int64_t c = 0; c < p.channels; c++) {
        const float* xp = x + (b.plane * p.channels + c) * hw;
        y[(k * p.channels + c) * bins + bin] +=
            (n.w1 * xp[n.i1] + n.w2 * xp[n.i2] + n.w3 * xp[n.i3] + n.w4 * xp[n.i4]) * b.scale;
      }
    });
  });
}

void roiAlignBackward(const RoiGeometry& p, const float* dy, const double* rois, float* dx) {
  const int64_t hw = p.inH * p.inW, bins = p.outH * p.outW;
  std::memset(dx, 0, sizeof(float) * p.batch * p.channels * hw);
  for (int64_t k = 0; k < p.numRois; k++) {
    const AlignBox b = alignBox(p, rois + 5 * k);
    forEachSample(p, b, [&](int64_t bin, const Neighbours& n) {
      for (int64_t c = 0; c < p.channels; c++) {
        float* dp = dx + (b.plane * p.channels + c) * hw;
        const float g = dy[(k * p.channels + c) * bins + bin] * b.scale;
        dp[n.i1] += g * n.w1;
        dp[n.i2] += g * n.w2;
        dp[n.i3] += g * n.w3;
        dp[n.i4] += g * n.w4;
      }
    });
  }
}

void roiPoolForward(const RoiGeometry& p, const float* x, const double* rois, float* y, int32_t* argmax) {
  const int64_t H = p.inH, W = p.inW;
  const double work = 2.0 * p.numRois * p.channels * H * W;
  ThreadPool::instance().parallelFor(p.numRois, threadsFor(work), [&](int64_t k) {
    const double* r = rois + 5 * k;
    const int64_t plane = static_cast<int64_t>(r[0]);
    const int64_t sw = static_cast<int64_t>(roundHalfAway(r[1] * p.spatialScale));
    const int64_t sh = static_cast<int64_t>(roundHalfAway(r[2] * p.spatialScale));
    const int64_t ew = static_cast<int64_t>(roundHalfAway(r[3] * p.spatialScale));
    const int64_t eh = static_cast<int64_t>(roundHalfAway(r[4] * p.spatialScale));
    const float binH = static_cast<float>(std::max<int64_t>(eh - sh + 1, 1)) / static_cast<float>(p.outH);
    const float binW = static_cast<float>(std::max<int64_t>(ew - sw + 1, 1)) / static_cast<float>(p.outW);
    for (int64_t ph = 0; ph < p.outH; ph++) {
      const int64_t h0 = std::min(std::max(static_cast<int64_t>(std::floor(ph * binH)) + sh, int64_t{0}), H);
      const int64_t h1 = std::min(std::max(static_cast<int64_t>(std::ceil((ph + 1) * binH)) + sh, int64_t{0}), H);
      for (int64_t pw = 0; pw < p.outW; pw++) {
        const int64_t w0 = std::min(std::max(static_cast<int64_t>(std::floor(pw * binW)) + sw, int64_t{0}), W);
        const int64_t w1 = std::min(std::max(static_cast<int64_t>(std::ceil((pw + 1) * binW)) + sw, int64_t{0}), W);
        const bool empty = h1 <= h0 || w1 <= w0;
        for (int64_t c = 0; c < p.channels; c++) {
          const float* xp = x + (plane * p.channels + c) * H * W;
          float best = empty ? 0.0f : -INFINITY;
          int32_t at = -1;
          for (int64_t h = h0; h < h1; h++) {
            for (int64_t w = w0; w < w1; w++) {
              if (xp[h * W + w] > best) {
                best = xp[h * W + w];
                at = static_cast<int32_t>(h * W + w);
              }
            }
          }
          const int64_t o = ((k * p.channels + c) * p.outH + ph) * p.outW + pw;
          y[o] = best;
          argmax[o] = at;
        }
      }
    }
  });
}

void roiPoolBackward(const RoiGeometry& p, const float* dy, const double* rois, const int32_t* argmax, float* dx) {
  const int64_t hw = p.inH * p.inW, bins = p.outH * p.outW;
  std::memset(dx, 0, sizeof(float) * p.batch * p.channels * hw);
  for (int64_t k = 0; k < p.numRois; k++) {
    const int64_t plane = static_cast<int64_t>(rois[5 * k]);
    for (int64_t c = 0; c < p.channels; c++) {
      const int64_t o = (k * p.channels + c) * bins;
      float* dp = dx + (plane * p.channels + c) * hw;
      for (int64_t b = 0; b < bins; b++) {
        const int32_t at = argmax[o + b];
        if (at >= 0 && at < hw) dp[at] += dy[o + b];
      }
    }
  }
}

}  // namespace stride
