// A packed, cache-blocked single-precision GEMM in the style of BLIS/GotoBLAS, with the operands
// reached through packers so that convolutions can feed image patches straight into the packed
// panels (implicit im2col) instead of materializing a column matrix.
//
// C[i, j] (+)= sum_k A[i, k] * B[k, j] for i < M, j < N, k < K.
//
// Packed layouts: a row panel of A holds `mr` rows as kc groups of mr values (k-major); a column
// panel of B holds NR columns as kc groups of NR values, zero-padded past N.
#pragma once

#include <cstdint>

#include "cpu.h"

namespace stride {

/** Supplies row panels of the left operand A (M x K). */
struct APacker {
  virtual ~APacker() = default;
  /** Write A[i0 .. i0+mr, p0 .. p0+kc] to dst as kc groups of mr values. */
  virtual void pack(float* dst, int64_t i0, int mr, int64_t p0, int64_t kc) const = 0;
};

/** Supplies column panels of the right operand B (K x N). */
struct BPacker {
  virtual ~BPacker() = default;
  /**
   * Write B[p0 .. p0+kc, j0 .. j0+nc] to dst as ceil(nc / nr) panels; panel q holds columns
   * j0 + q*nr .. +nr as kc groups of nr values, with columns past j0+nc set to zero.
   */
  virtual void pack(float* dst, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr) const = 0;
  /**
   * Where B[p0.., j0 .. j0+nc] can be read in place, as rows of nc contiguous values `*ld` apart;
   * nullptr when it cannot (the driver then packs). Reading in place skips packing when few row
   * panels share each B panel.
   */
  virtual const float* direct(int64_t /*p0*/, int64_t /*j0*/, int64_t /*nc*/, int64_t* /*ld*/) const {
    return nullptr;
  }
};

/**
 * Where C lives. Column j of row i is at base + (j / segLen) * segStride + i * ldc + j % segLen,
 * which covers a plain row-major matrix (segLen >= N) and a batch of images laid side by side
 * along N (segLen = pixels per image, segStride = elements per image).
 */
struct CLayout {
  float* base;
  int64_t ldc;
  int64_t segLen;
  int64_t segStride;
};

/** A whole GEMM problem. */
struct GemmProblem {
  int64_t m, n, k;
  const APacker* a;
  const BPacker* b;
  CLayout c;
  bool accumulate;  // C += A*B instead of C = A*B
  // All of A already packed by packAllAInto for the active micro-kernel's mr (or null: the driver
  // packs A through `a`). Weights prepared once for many calls skip their packing this way.
  const float* packedA = nullptr;
};

/** A dense, row-major operand, optionally transposed: op(A)[i, k] = trans ? a[k*ld + i] : a[i*ld + k]. */
class DenseA final : public APacker {
 public:
  DenseA(const float* a, int64_t ld, bool trans) : a_(a), ld_(ld), trans_(trans) {}
  void pack(float* dst, int64_t i0, int mr, int64_t p0, int64_t kc) const override;

 private:
  const float* a_;
  int64_t ld_;
  bool trans_;
};

/** A dense, row-major operand, optionally transposed: op(B)[k, j] = trans ? b[j*ld + k] : b[k*ld + j]. */
class DenseB final : public BPacker {
 public:
  DenseB(const float* b, int64_t ld, bool trans) : b_(b), ld_(ld), trans_(trans) {}
  void pack(float* dst, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr) const override;
  const float* direct(int64_t p0, int64_t j0, int64_t nc, int64_t* ld) const override;

 private:
  const float* b_;
  int64_t ld_;
  bool trans_;
};

/** Solve the problem with up to `maxThreads` threads (fewer when the job is small). */
void gemm(const GemmProblem& p, int maxThreads);

/** Rows of A up to which denseGemm computes A·Bᵀ as dot products over B's rows (gemm_few_rows.cc). */
constexpr int64_t kFewRows = 8;

/**
 * C[m x n] (+)= A[m x k]·B[n x k]ᵀ (A rows `lda` apart, B rows `ldb` apart, C rows `ldc` apart) as
 * dot products: each row of B is read once, in place, and the threads take contiguous ranges of
 * B's rows. For few rows of A (a fully connected layer at small batch), where packing B would cost
 * more than the products.
 */
void gemmFewRowsTransB(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                       float* c, int64_t ldc, bool accumulate, int maxThreads);

/**
 * C[m x n] (+)= op(A)·op(B) for dense row-major operands (op(A) = Aᵀ when transA: A is then k x m),
 * on up to `maxThreads` threads: the entry of the addon's and the wasm module's gemm. A·Bᵀ with at
 * most kFewRows rows runs gemmFewRowsTransB, everything else the packed gemm.
 */
void denseGemm(int64_t m, int64_t n, int64_t k, const float* a, bool transA, const float* b, bool transB, float* c,
               bool accumulate, int maxThreads);

/** Micro-kernel geometry of the active instruction set: rows per A panel (at most) and columns per B panel. */
int gemmMr();
int gemmNr();
/** Depth of one K block (the packed A and B panels hold at most this many k values). */
int64_t gemmKc();

/**
 * The rows of M split into panels of at most `mr` rows with heights as even as possible (M = 64
 * with mr = 12 gives 6 panels of 11 or 10 rows instead of five of 12 and one of 4).
 */
struct RowPanels {
  int64_t count, base, extra;
  RowPanels(int64_t m, int mr);
  int64_t start(int64_t i) const { return i * base + (i < extra ? i : extra); }
  int rows(int64_t i) const { return static_cast<int>(base + (i < extra ? 1 : 0)); }
};

/**
 * Pack all of A (M x K) into the calling thread's PackA scratch, K block by K block: the panel of
 * row panel i in the K block starting at p0 (depth kc) sits at p0 * M + start(i) * kc.
 */
float* packAllA(const APacker& a, int64_t m, int64_t k, int mr, int threads);
/** packAllA into `dst` (m * k floats) instead of the thread's scratch. */
void packAllAInto(const APacker& a, int64_t m, int64_t k, int mr, int threads, float* dst);

// ----- Internals shared by the driver and the per-ISA kernel files -----

/**
 * A micro-kernel computes an mr x nr tile (mr <= MR, nr <= NR): c[i*ldc + j] (+)= sum over kc of
 * a[k*mr + i] * b[k*ldb + j]. It reads only the nr valid columns of each B row when
 * `masked` is set in its MicroKernel; otherwise it reads NR columns (B must then be a padded
 * panel or a full-width tile).
 */
using MicroKernelFn = void (*)(int mr, int nr, int64_t kc, const float* a, const float* b, int64_t ldb,
                               float* c, int64_t ldc, bool accumulate);

struct MicroKernel {
  int mr;       // most rows per call
  int nr;       // columns of a packed B panel
  bool masked;  // reads only the nr valid columns of B and C
  MicroKernelFn run;
};

/**
 * The same tile with B row k read at base + off[k] (an indirection table over k), for
 * convolutions that read their zero-padded input in place. Reads only nr <= 32 columns.
 */
using IndirectKernelFn = void (*)(int mr, int nr, int64_t kc, const float* a, const float* base, const int64_t* off,
                                  float* c, int64_t ldc, bool accumulate);

MicroKernel microKernelScalar();
/** The micro-kernel of the active instruction set (see activeIsa()). */
MicroKernel activeMicroKernel();
/** The AVX-512 indirect kernel (rows up to 12, columns up to 32), or null off x86. */
IndirectKernelFn indirectKernelAvx512();
MicroKernel microKernelAvx2();
MicroKernel microKernelAvx512();
#if defined(__wasm_simd128__)
/** The WebAssembly SIMD128 kernel (gemm_kernels_wasm.cc), the active one in the wasm build. */
MicroKernel microKernelWasmSimd();
/** The WebAssembly SIMD128 indirect kernel (rows up to its gemmMr(), columns up to 32; gemm_kernels_wasm.cc). */
IndirectKernelFn indirectKernelWasmSimd();
#endif

/**
 * Transposing copy of `rows` rows: dst[k*dstStride + r] = src[r*ld + k] for r < rows, and zero for
 * rows <= r < dstStride.
 */
void packTransposed(float* dst, int64_t dstStride, const float* src, int64_t ld, int rows, int64_t kc);
/**
 * A plain panel copy: dst[k*dstStride + j] = src[k*ld + j] for j < nc, and zero for
 * nc <= j < width.
 */
void packPanelRows(float* dst, int64_t dstStride, const float* src, int64_t ld, int64_t kc, int nc, int width);

}  // namespace stride
