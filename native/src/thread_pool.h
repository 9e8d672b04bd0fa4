// A persistent pool of worker threads. The calling thread always takes part, so a pool of n
// threads owns n - 1 workers. Workers spin briefly after each job (a hand-off then costs about a
// microsecond) and then sleep on a condition variable so an idle pool costs no CPU.
//
// The pool is process-wide, and several JavaScript threads may call kernels at once (the main
// thread and worker_threads, e.g. for Module.forwardAsync). One caller at a time owns the
// workers; a caller that finds them taken runs its tasks on its own thread instead of waiting.
#pragma once

#if defined(__wasm__) && defined(__wasm_atomics__)
// The threaded WebAssembly build: helpers are Web Workers / worker_threads on a shared memory.
#include "thread_pool_wasm.h"
#elif defined(__wasm__)
// The single-threaded WebAssembly build: the same interface, every job on the calling thread.
#include "thread_pool_serial.h"
#else

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace stride {

class ThreadPool {
 public:
  /** The process-wide pool, sized to the number of online CPUs at first use. */
  static ThreadPool& instance();

  ~ThreadPool();

  /** Threads a job may use, the caller included (at least 1). */
  int threads() const { return threads_.load(std::memory_order_relaxed); }

  /**
   * Resize the pool to `n` threads (clamped to [1, 256]); joins or starts workers. Waits for a job
   * another thread is running to finish first.
   */
  void setThreads(int n);

  /**
   * Run fn(task) for every task in [0, tasks), spread over at most `maxThreads` threads (the
   * caller included), and return when all are done. Tasks are handed out dynamically, so uneven
   * tasks balance. A nested call from inside a task runs serially, and so does a call made while
   * another thread's job holds the workers: the tasks are the same either way (callers split work
   * by the configured thread count, not by who runs it), so the results are identical.
   */
  void parallelFor(int64_t tasks, int maxThreads, const std::function<void(int64_t)>& fn);

 private:
  ThreadPool();
  bool claim();
  void start(int workers);
  void stop();
  void workerLoop(uint64_t seen);
  bool join(uint64_t generation);
  void runTasks();
  void waitForHelpers(int joined);

  // job_ packs the announcing generation (high 32 bits), a closed flag and the number of
  // helpers that joined.
  static constexpr uint64_t kClosed = 1u << 31;
  static constexpr uint64_t kJoinedMask = kClosed - 1;

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  // The current job.
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t tasks_ = 0;
  std::atomic<int> helpers_{0};  // most workers that may join the current job
  std::atomic<uint64_t> job_{0};
  std::atomic<int64_t> next_{0};
  std::atomic<int> done_{0};  // joined helpers that have finished
  // The caller waiting for helpers sleeps here after a short spin (see parallelFor).
  std::mutex doneMutex_;
  std::condition_variable doneWake_;
  std::atomic<bool> callerSleeping_{false};
  // Set by the thread whose job owns the workers (or that is resizing the pool); the fields of the
  // current job above are written only by that thread.
  std::atomic<bool> busy_{false};
  std::atomic<int> threads_{1};  // workers_.size() + 1, readable while another thread resizes
};

/** Number of threads kernels use (the pool size). */
inline int numThreads() { return ThreadPool::instance().threads(); }

/**
 * Threads worth using for a job of `flops` floating-point operations: waking a helper costs a
 * few microseconds, so small jobs stay on the calling thread.
 */
int threadsFor(double flops);

}  // namespace stride

#endif  // __wasm__
