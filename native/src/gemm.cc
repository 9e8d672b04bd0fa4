#include "gemm.h"

#include <algorithm>
#include <cstring>

#include "thread_pool.h"
#include "workspace.h"

namespace stride {

namespace {

// Cache blocking. A packed B block (kKc x kNc floats, 768 KiB) stays in L2 while every row panel
// of A (mr x kKc, at most 18 KiB) stays in L1 against it.
#ifndef STRIDE_KC
#define STRIDE_KC 384
#endif
#ifndef STRIDE_NC
#define STRIDE_NC 512
#endif
constexpr int64_t kKc = STRIDE_KC;
constexpr int64_t kNc = STRIDE_NC;


void zeroC(const GemmProblem& p) {
  for (int64_t i = 0; i < p.m; i++) {
    for (int64_t j = 0; j < p.n;) {
      int64_t s = j / p.c.segLen, o = j % p.c.segLen;
      int64_t len = std::min(p.n - j, p.c.segLen - o);
      std::memset(p.c.base + s * p.c.segStride + i * p.c.ldc + o, 0, len * sizeof(float));
      j += len;
    }
  }
}

// Write one tile (rows i0.., columns j0.. of width nr) whose columns cross an image boundary: the
// kernel fills a scratch tile whose column pieces are then added or copied image by image.
void scatterTile(const GemmProblem& p, const MicroKernel& mk, int mr, int nr, int64_t kc,
                 const float* ap, const float* bp, int64_t ldb, int64_t i0, int64_t j0, bool acc) {
  alignas(64) float tmp[16 * 64];
  mk.run(mr, nr, kc, ap, bp, ldb, tmp, mk.nr, false);
  for (int j = 0; j < nr;) {
    const int64_t col = j0 + j;
    const int64_t seg = col / p.c.segLen, off = col % p.c.segLen;
    const int len = static_cast<int>(std::min<int64_t>(nr - j, p.c.segLen - off));
    float* dst = p.c.base + seg * p.c.segStride + i0 * p.c.ldc + off;
    for (int r = 0; r < mr; r++) {
      float* d = dst + r * p.c.ldc;
      const float* t = tmp + r * mk.nr + j;
      if (acc)
        for (int q = 0; q < len; q++) d[q] += t[q];
      else
        for (int q = 0; q < len; q++) d[q] = t[q];
    }
    j += len;
  }
}

}  // namespace

MicroKernel activeMicroKernel() {
  switch (activeIsa()) {
    case Isa::Avx512:
      return microKernelAvx512();
    case Isa::Avx2:
      return microKernelAvx2();
    default:
#if defined(__wasm_simd128__)
      return microKernelWasmSimd();
#else
      return microKernelScalar();
#endif
  }
}

int gemmMr() { return activeMicroKernel().mr; }
int gemmNr() { return activeMicroKernel().nr; }
int64_t gemmKc() { return kKc; }

RowPanels::RowPanels(int64_t m, int mr) {
  count = (m + mr - 1) / mr;
  base = count ? m / count : 0;
  extra = count ? m % count : 0;
}

float* packAllA(const APacker& a, int64_t m, int64_t k, int mr, int threads) {
  float* packed = scratch(Slot::PackA, static_cast<size_t>(m * k));
  packAllAInto(a, m, k, mr, threads, packed);
  return packed;
}

void packAllAInto(const APacker& a, int64_t m, int64_t k, int mr, int threads, float* packed) {
  const RowPanels panels(m, mr);
  const int64_t kBlocks = (k + kKc - 1) / kKc;
  ThreadPool::instance().parallelFor(kBlocks * panels.count, m * k >= 65536 ? threads : 1, [&](int64_t t) {
    const int64_t pb = t / panels.count, i = t % panels.count;
    const int64_t p0 = pb * kKc, kc = std::min(kKc, k - p0);
    const int64_t r0 = panels.start(i);
    a.pack(packed + p0 * m + r0 * kc, r0, panels.rows(i), p0, kc);
  });
}

void gemm(const GemmProblem& p, int maxThreads) {
  if (p.m <= 0 || p.n <= 0) return;
  if (p.k <= 0) {
    if (!p.accumulate) zeroC(p);
    return;
  }
  const MicroKernel mk = activeMicroKernel();
  const RowPanels panels(p.m, mk.mr);
  const int64_t kBlocks = (p.k + kKc - 1) / kKc;
  const int threads = std::min(maxThreads, threadsFor(2.0 * p.m * p.n * p.k));
  ThreadPool& pool = ThreadPool::instance();

  // Phase 1: pack all of A once (shared by every thread), unless the caller already did.
  const float* packedA = p.packedA ? p.packedA : packAllA(*p.a, p.m, p.k, mk.mr, threads);

  // Phase 2: tasks are (row group, column chunk) pairs; each packs its own B blocks.
  const int64_t nPanels = (p.n + mk.nr - 1) / mk.nr;
  // Four tasks per thread (handed out dynamically) keep the threads within a quarter of a task's
  // work of each other when one starts late or is descheduled for a while; column chunks share no
  // packing, so the finer split costs nothing.
  int64_t colChunks = std::min<int64_t>(nPanels, threads > 1 ? 4 * threads : 1);
  int64_t rowGroups = 1;
  if (threads > 1 && colChunks < 2 * threads)
    rowGroups = std::min<int64_t>(panels.count, (2 * threads + colChunks - 1) / colChunks);
  const int64_t panelsPerChunk = (nPanels + colChunks - 1) / colChunks;
  colChunks = (nPanels + panelsPerChunk - 1) / panelsPerChunk;
  const int64_t panelsPerGroup = (panels.count + rowGroups - 1) / rowGroups;
  rowGroups = (panels.count + panelsPerGroup - 1) / panelsPerGroup;

  // With few row panels each B panel is used only once or twice, so reading B in place (when
  // the packer allows it) beats copying it into a panel first.
  const bool tryDirect = panels.count <= 2;

  // Several row groups would each pack the same B columns (N small against the thread count): pack
  // all of B once instead, split over the threads like A, so that a second thread adds no packing
  // work. Panel q of the K block starting at p0 sits at p0 * nPad + q * nr * kc.
  const bool sharedB = rowGroups > 1 && !tryDirect;
  const int64_t nPad = nPanels * mk.nr;
  float* packedAllB = nullptr;
  if (sharedB) {
    packedAllB = scratch(Slot::PackBShared, static_cast<size_t>(p.k * nPad));
    pool.parallelFor(kBlocks * nPanels, p.k * nPad >= 65536 ? threads : 1, [&](int64_t t) {
      const int64_t pb = t / nPanels, j0 = (t % nPanels) * mk.nr;
      const int64_t p0 = pb * kKc, kc = std::min(kKc, p.k - p0);
      p.b->pack(packedAllB + p0 * nPad + j0 * kc, p0, kc, j0, std::min<int64_t>(mk.nr, p.n - j0), mk.nr);
    });
  }

  auto task = [&](int64_t t) {
    const int64_t g = t / colChunks, ch = t % colChunks;
    const int64_t iBegin = g * panelsPerGroup, iEnd = std::min(panels.count, iBegin + panelsPerGroup);
    const int64_t jBegin = ch * panelsPerChunk * mk.nr;
    const int64_t jEnd = std::min(p.n, jBegin + panelsPerChunk * mk.nr);
    float* packedB = sharedB ? nullptr : scratch(Slot::PackB, static_cast<size_t>(kKc * kNc));
    for (int64_t jc = jBegin; jc < jEnd; jc += kNc) {
      const int64_t nc = std::min(kNc, jEnd - jc);
      for (int64_t pb = 0; pb < kBlocks; pb++) {
        const int64_t p0 = pb * kKc, kc = std::min(kKc, p.k - p0);
        const bool acc = p.accumulate || pb > 0;
        if (!tryDirect && !sharedB) p.b->pack(packedB, p0, kc, jc, nc, mk.nr);
        for (int64_t jr = 0; jr < nc; jr += mk.nr) {
          const int nr = static_cast<int>(std::min<int64_t>(mk.nr, nc - jr));
          const int64_t col = jc + jr;
          const float* bp = sharedB ? packedAllB + p0 * nPad + col * kc : packedB + jr * kc;
          int64_t ldb = mk.nr;
          if (tryDirect) {
            const float* d = (nr == mk.nr || mk.masked) ? p.b->direct(p0, col, nr, &ldb) : nullptr;
            if (d) {
              bp = d;
            } else {
              ldb = mk.nr;
              p.b->pack(packedB, p0, kc, col, nr, mk.nr);
              bp = packedB;
            }
          }
          const int64_t seg = col / p.c.segLen, off = col % p.c.segLen;
          for (int64_t i = iBegin; i < iEnd; i++) {
            const int64_t r0 = panels.start(i);
            const int mr = panels.rows(i);
            const float* ap = packedA + p0 * p.m + r0 * kc;
            if (off + nr <= p.c.segLen) {
              float* c = p.c.base + seg * p.c.segStride + r0 * p.c.ldc + off;
              mk.run(mr, nr, kc, ap, bp, ldb, c, p.c.ldc, acc);
            } else {
              scatterTile(p, mk, mr, nr, kc, ap, bp, ldb, r0, col, acc);
            }
          }
        }
      }
    }
  };
  pool.parallelFor(rowGroups * colChunks, threads, task);
}

// ----- Dense packers -----

void DenseA::pack(float* dst, int64_t i0, int mr, int64_t p0, int64_t kc) const {
  if (trans_) {
    packPanelRows(dst, mr, a_ + p0 * ld_ + i0, ld_, kc, mr, mr);
  } else {
    packTransposed(dst, mr, a_ + i0 * ld_ + p0, ld_, mr, kc);
  }
}

const float* DenseB::direct(int64_t p0, int64_t j0, int64_t /*nc*/, int64_t* ld) const {
  if (trans_) return nullptr;
  *ld = ld_;
  return b_ + p0 * ld_ + j0;
}

void DenseB::pack(float* dst, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr) const {
  for (int64_t q = 0; q * nr < nc; q++) {
    const int cols = static_cast<int>(std::min<int64_t>(nr, nc - q * nr));
    float* d = dst + q * nr * kc;
    const int64_t j = j0 + q * nr;
    if (!trans_) {
      packPanelRows(d, nr, b_ + p0 * ld_ + j, ld_, kc, cols, nr);
    } else {
      packTransposed(d, nr, b_ + j * ld_ + p0, ld_, cols, kc);
    }
  }
}

}  // namespace stride
