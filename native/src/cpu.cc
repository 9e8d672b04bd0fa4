#include "cpu.h"

namespace stride {

namespace {
Isa g_active = detectIsa();
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

Isa activeIsa() { return g_active; }

bool setActiveIsa(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(detectIsa())) return false;
  g_active = isa;
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
