// wasi-libc's malloc (dlmalloc) is built without threads. The threaded module links it with
// --wrap for each allocation function, so every call from any thread (kernels allocate
// thread-local scratch inside tasks) goes through one spin lock here. Compiled into the
// single-threaded module too, where it is empty.
#if defined(__wasm_atomics__)

#include <atomic>
#include <cstddef>

extern "C" {
void* __real_malloc(size_t);
void __real_free(void*);
void* __real_calloc(size_t, size_t);
void* __real_realloc(void*, size_t);
void* __real_aligned_alloc(size_t, size_t);
int __real_posix_memalign(void**, size_t, size_t);
}

namespace {
std::atomic_flag g_heap = ATOMIC_FLAG_INIT;

struct HeapLock {
  HeapLock() {
    while (g_heap.test_and_set(std::memory_order_acquire)) {
    }
  }
  ~HeapLock() { g_heap.clear(std::memory_order_release); }
};
}  // namespace

extern "C" {
void* __wrap_malloc(size_t n) {
  HeapLock lock;
  return __real_malloc(n);
}
void __wrap_free(void* p) {
  HeapLock lock;
  __real_free(p);
}
void* __wrap_calloc(size_t n, size_t size) {
  HeapLock lock;
  return __real_calloc(n, size);
}
void* __wrap_realloc(void* p, size_t n) {
  HeapLock lock;
  return __real_realloc(p, n);
}
void* __wrap_aligned_alloc(size_t align, size_t n) {
  HeapLock lock;
  return __real_aligned_alloc(align, n);
}
int __wrap_posix_memalign(void** out, size_t align, size_t n) {
  HeapLock lock;
  return __real_posix_memalign(out, align, n);
}
}

#endif  // __wasm_atomics__
