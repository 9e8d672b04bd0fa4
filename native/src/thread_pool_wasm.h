// ThreadPool for the threaded WebAssembly module (stride-threads.wasm: built with atomics on a
// shared memory). The same interface as thread_pool.h. Its helpers are not threads this code
// starts: they are Web Workers (browsers) or worker_threads (Node) that the JavaScript loader
// (src/backend/wasm/wasm-threads.ts) creates; each instantiates the same module on the same memory
// with its own stack and thread-local block and then calls stride_worker_loop, which never returns.
//
// The calling thread (the page's main thread or Node's) always takes part in a job and only spins
// while it waits for helpers to finish: browsers forbid memory.atomic.wait on the main thread.
// Idle helpers spin briefly, then sleep in memory.atomic.wait32 until the next job is announced.
//
// Only the calling thread starts jobs. A nested call (a task that calls parallelFor) finds the
// pool taken and runs serially, as in thread_pool.h; the tasks are the same either way, so the
// results are identical for every thread count.
#pragma once

#include <atomic>
#include <cstdint>

namespace stride {

class ThreadPool {
 public:
  static ThreadPool& instance();

  /** Threads a job may use, the caller included: min(setThreads value, helpers running + 1). */
  int threads() const;

  /** The most threads jobs use (clamped to [1, 256]); helpers beyond it stay idle. */
  void setThreads(int n) { wanted_.store(n < 1 ? 1 : n > 256 ? 256 : n, std::memory_order_relaxed); }

  /** Run fn(task) for every task in [0, tasks) on at most `maxThreads` threads, the caller included. */
  template <typename Fn>
  void parallelFor(int64_t tasks, int maxThreads, const Fn& fn) {
    run(tasks, maxThreads, [](const void* f, int64_t t) { (*static_cast<const Fn*>(f))(t); }, &fn);
  }

  /** Helpers that have entered workerLoop. */
  int helpersRunning() const { return helpers_.load(std::memory_order_acquire); }

  /** A helper's life: announce itself, then join jobs until the module is dropped. Never returns. */
  [[noreturn]] void workerLoop();

 private:
  using Task = void (*)(const void*, int64_t);
  void run(int64_t tasks, int maxThreads, Task task, const void* fn);
  void runTasks();
  bool join(uint32_t generation);

  static constexpr uint64_t kClosed = 1u << 31;
  static constexpr uint64_t kJoinedMask = kClosed - 1;

  std::atomic<int32_t> wanted_{1};
  std::atomic<int32_t> helpers_{0};    // helpers that have entered workerLoop
  std::atomic<int32_t> generation_{0};  // bumped to announce a job; helpers wait on it
  std::atomic<int32_t> sleepers_{0};    // helpers inside memory.atomic.wait32
  std::atomic<bool> busy_{false};      // a job holds the helpers
  // The current job, written by the caller before it bumps generation_.
  Task task_ = nullptr;
  const void* fn_ = nullptr;
  int64_t tasks_ = 0;
  std::atomic<int32_t> allowed_{0};  // most helpers that may join the current job
  std::atomic<uint64_t> job_{0};     // announcing generation (high 32 bits) | closed | joined
  std::atomic<int64_t> next_{0};
  std::atomic<int32_t> done_{0};  // joined helpers that have finished
};

/** Number of threads kernels use. */
inline int numThreads() { return ThreadPool::instance().threads(); }

/** Threads worth using for a job of `flops` floating-point operations (small jobs stay serial). */
int threadsFor(double flops);

}  // namespace stride
