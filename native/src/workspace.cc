#include "workspace.h"

#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace stride {

namespace {

struct Buffer {
  float* data = nullptr;
  size_t capacity = 0;
  ~Buffer() { std::free(data); }
};

constexpr int kSlots = 11;
thread_local Buffer t_buffers[kSlots];

}  // namespace

float* scratch(Slot slot, size_t floats) {
  Buffer& b = t_buffers[static_cast<int>(slot)];
  if (floats > b.capacity) {
    std::free(b.data);
    // Grow geometrically to avoid repeated reallocation as sizes creep up; round to 64 bytes.
    size_t want = floats + floats / 4 + 16;
    size_t bytes = (want * sizeof(float) + 63) & ~static_cast<size_t>(63);
    b.data = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!b.data) {
      b.capacity = 0;
#if defined(__cpp_exceptions)
      throw std::bad_alloc();
#else
      std::abort();  // the WebAssembly build has no exceptions: out of memory traps
#endif
    }
    b.capacity = bytes / sizeof(float);
  }
  return b.data;
}

void keepFreedMemory() {
#if defined(__GLIBC__)
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "glibc.malloc.")) return;
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
#endif
}

}  // namespace stride
