// Instruction-set selection: which micro-kernels this CPU can run, picked once at load time.
#pragma once

namespace stride {

/** Kernel families, from the portable one up. */
enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

/** The best family this CPU supports (AVX-512 needs F; AVX2 needs AVX2 and FMA). */
Isa detectIsa();

/** The family kernels use now (the detected one unless overridden). */
Isa activeIsa();

/**
 * Use `isa` from now on. Returns false (and changes nothing) when the CPU cannot run it, so tests
 * can exercise every path the machine supports.
 */
bool setActiveIsa(Isa isa);

/** "scalar", "avx2" or "avx512". */
const char* isaName(Isa isa);

}  // namespace stride

// Per-function instruction-set targets: the shipped build uses plain -O3, and only functions
// marked with these attributes may use the wider instructions; callers check activeIsa() first.
// Off x86 (or with STRIDE_PORTABLE_ONLY defined) only the portable kernels exist and the
// attributes are empty.
#if (defined(__x86_64__) || defined(__i386__)) && !defined(STRIDE_PORTABLE_ONLY)
#define STRIDE_X86 1
#define STRIDE_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define STRIDE_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
#else
#define STRIDE_X86 0
#define STRIDE_TARGET_AVX2
#define STRIDE_TARGET_AVX512
#endif
