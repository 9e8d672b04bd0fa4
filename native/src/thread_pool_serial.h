// ThreadPool for builds without threads (the WebAssembly module): the interface of the threaded
// pool in thread_pool.h, with every job run on the calling thread in task order. Kernels split
// their work by task the same way either way, so their results are the same.
#pragma once

#include <cstdint>

namespace stride {

class ThreadPool {
 public:
  static ThreadPool& instance() {
    static ThreadPool pool;
    return pool;
  }
  /** Always 1. */
  int threads() const { return 1; }
  /** Ignored: there is only the calling thread. */
  void setThreads(int) {}
  /** fn(task) for every task in [0, tasks), in order, on the calling thread. */
  template <typename Fn>
  void parallelFor(int64_t tasks, int /*maxThreads*/, const Fn& fn) {
    for (int64_t t = 0; t < tasks; t++) fn(t);
  }
};

inline int numThreads() { return 1; }

inline int threadsFor(double /*flops*/) { return 1; }

}  // namespace stride
