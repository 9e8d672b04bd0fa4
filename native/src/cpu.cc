#include "cpu.h"

#include <atomic>

namespace stride {

namespace {
// Atomic because kernels on several JavaScript threads (worker_threads) read it while a test may
// switch it from the main thread.
std::atomic<Isa> g_active{detectIsa()};
}

Isa detectIsa() {
#if !STRIDE_X86
  return Isa::Scalar;
#else
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw"))
    return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
  return Isa::Scalar;
#endif
}

Isa activeIsa() { return g_active.load(std::memory_order_relaxed); }

bool setActiveIsa(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(detectIsa())) return false;
  g_active.store(isa, std::memory_order_relaxed);
  return true;
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    default:
      return "scalar";
  }
}

}  // namespace stride
