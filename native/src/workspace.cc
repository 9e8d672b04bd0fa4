#include "workspace.h"

#include <cstdlib>
#include <new>

namespace stride {

namespace {

struct Buffer {
  float* data = nullptr;
  size_t capacity = 0;
  ~Buffer() { std::free(data); }
};

constexpr int kSlots = 9;
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

}  // namespace stride
