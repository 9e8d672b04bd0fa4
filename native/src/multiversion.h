// Compile one loop body for each instruction-set family and pick the copy at run time.
//
// The body is an always_inline function; STRIDE_MULTIVERSION(name, impl) defines `name(args...)`
// that calls a copy of `impl` inlined into an AVX-512, an AVX2 or a plain function, chosen by
// activeIsa(). The compiler auto-vectorizes each copy for its target.
#pragma once

#include "cpu.h"

#define STRIDE_INLINE inline __attribute__((always_inline))

#if defined(__wasm__)
// WebAssembly has one instruction set (SIMD128): one copy, not three identical ones.
#define STRIDE_MULTIVERSION(name, impl) \
  template <typename... Args>           \
  void name(Args... args) {             \
    impl(args...);                      \
  }
#define STRIDE_MULTIVERSION_T(name, impl)    \
  template <typename T, typename... Args>    \
  void name(Args... args) {                  \
    impl<T>(args...);                        \
  }
#else
#define STRIDE_MULTIVERSION(name, impl)                                     \
  template <typename... Args>                                               \
  STRIDE_TARGET_AVX512 void name##Avx512(Args... args) {                    \
    impl(args...);                                                          \
  }                                                                         \
  template <typename... Args>                                               \
  STRIDE_TARGET_AVX2 void name##Avx2(Args... args) {                        \
    impl(args...);                                                          \
  }                                                                         \
  template <typename... Args>                                               \
  void name##Scalar(Args... args) {                                         \
    impl(args...);                                                          \
  }                                                                         \
  template <typename... Args>                                               \
  void name(Args... args) {                                                 \
    switch (::stride::activeIsa()) {                                        \
      case ::stride::Isa::Avx512:                                           \
        return name##Avx512(args...);                                       \
      case ::stride::Isa::Avx2:                                             \
        return name##Avx2(args...);                                         \
      default:                                                              \
        return name##Scalar(args...);                                       \
    }                                                                       \
  }

// The same for an impl template with one type parameter: name<T>(args...) runs impl<T>(args...).
#define STRIDE_MULTIVERSION_T(name, impl)                                   \
  template <typename T, typename... Args>                                   \
  STRIDE_TARGET_AVX512 void name##Avx512(Args... args) {                    \
    impl<T>(args...);                                                       \
  }                                                                         \
  template <typename T, typename... Args>                                   \
  STRIDE_TARGET_AVX2 void name##Avx2(Args... args) {                        \
    impl<T>(args...);                                                       \
  }                                                                         \
  template <typename T, typename... Args>                                   \
  void name##Scalar(Args... args) {                                         \
    impl<T>(args...);                                                       \
  }                                                                         \
  template <typename T, typename... Args>                                   \
  void name(Args... args) {                                                 \
    switch (::stride::activeIsa()) {                                        \
      case ::stride::Isa::Avx512:                                           \
        return name##Avx512<T>(args...);                                    \
      case ::stride::Isa::Avx2:                                             \
        return name##Avx2<T>(args...);                                      \
      default:                                                              \
        return name##Scalar<T>(args...);                                    \
    }                                                                       \
  }
#endif
