// Portable micro-kernel (no instruction-set attributes): 4 rows x 8 columns of plain C++ that the
// compiler may vectorize with the baseline SSE2.
#include "gemm.h"

namespace stride {

namespace {

constexpr int kMr = 4;
constexpr int kNr = 8;

void kernelScalar(int mr, int nr, int64_t kc, const float* a, const float* b, int64_t ldb, float* c,
                  int64_t ldc, bool accumulate) {
  float acc[kMr][kNr] = {};
  for (int64_t k = 0; k < kc; k++) {
    const float* bk = b + k * ldb;
    const float* ak = a + k * mr;
    for (int r = 0; r < mr; r++) {
      const float av = ak[r];
      if (nr == kNr)
        for (int j = 0; j < kNr; j++) acc[r][j] += av * bk[j];
      else
        for (int j = 0; j < nr; j++) acc[r][j] += av * bk[j];
    }
  }
  for (int r = 0; r < mr; r++) {
    float* cr = c + r * ldc;
    if (accumulate)
      for (int j = 0; j < nr; j++) cr[j] += acc[r][j];
    else
      for (int j = 0; j < nr; j++) cr[j] = acc[r][j];
  }
}

}  // namespace

MicroKernel microKernelScalar() { return {kMr, kNr, true, kernelScalar}; }

}  // namespace stride
