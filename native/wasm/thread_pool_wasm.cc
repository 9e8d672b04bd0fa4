// The threaded WebAssembly module's ThreadPool (see thread_pool_wasm.h); compiled into the
// single-threaded module too, where it is empty.
#include "thread_pool.h"

#if defined(__wasm_atomics__)

#include <algorithm>

namespace stride {

namespace {
// Polls an idle helper makes before it sleeps (a few hundred microseconds): kernels of one pass
// follow each other closely, and a spinning helper joins the next job without a wake-up.
constexpr int kSpinPolls = 1 << 16;
// Smallest job (in flops) split across threads, as in thread_pool.cc.
constexpr double kParallelFlops = 2.0e6;

int32_t* raw(std::atomic<int32_t>& a) { return reinterpret_cast<int32_t*>(&a); }
}  // namespace

namespace {
// Constant-initialized (no constructor runs): helpers may reach it before anything else.
ThreadPool g_pool;
}  // namespace

ThreadPool& ThreadPool::instance() { return g_pool; }

int ThreadPool::threads() const {
  return std::min(wanted_.load(std::memory_order_relaxed), helpers_.load(std::memory_order_acquire) + 1);
}

void ThreadPool::runTasks() {
  for (;;) {
    int64_t t = next_.fetch_add(1, std::memory_order_relaxed);
    if (t >= tasks_) break;
    task_(fn_, t);
  }
}

bool ThreadPool::join(uint32_t generation) {
  uint64_t s = job_.load(std::memory_order_acquire);
  for (;;) {
    if ((s >> 32) != generation || (s & kClosed) != 0) return false;
    if (static_cast<int32_t>(s & kJoinedMask) >= allowed_.load(std::memory_order_relaxed)) return false;
    if (job_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) return true;
  }
}

void ThreadPool::workerLoop() {
  int32_t seen = generation_.load(std::memory_order_acquire);
  helpers_.fetch_add(1, std::memory_order_release);
  for (;;) {
    int32_t g;
    int polls = 0;
    while ((g = generation_.load(std::memory_order_acquire)) == seen) {
      if (++polls < kSpinPolls) continue;
      sleepers_.fetch_add(1, std::memory_order_acq_rel);
      // Sleeps only while the generation is still `seen` (else returns at once).
      __builtin_wasm_memory_atomic_wait32(raw(generation_), seen, -1);
      sleepers_.fetch_sub(1, std::memory_order_acq_rel);
      polls = 0;
    }
    seen = g;
    // Join only the job this generation announced, and only while it is open: a helper that wakes
    // late finds it closed and the caller is not left waiting for it.
    if (join(static_cast<uint32_t>(g))) {
      runTasks();
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }
}

void ThreadPool::run(int64_t tasks, int maxThreads, Task task, const void* fn) {
  if (tasks <= 0) return;
  const auto serial = [&] {
    for (int64_t t = 0; t < tasks; t++) task(fn, t);
  };
  if (maxThreads <= 1 || tasks <= 1) return serial();
  bool expected = false;
  // Taken: this is a nested call from inside a task.
  if (!busy_.compare_exchange_strong(expected, true, std::memory_order_acquire)) return serial();
  const int64_t helpers = std::min<int64_t>({static_cast<int64_t>(std::min(maxThreads, threads())) - 1, tasks - 1});
  if (helpers <= 0) {
    busy_.store(false, std::memory_order_release);
    return serial();
  }
  task_ = task;
  fn_ = fn;
  tasks_ = tasks;
  next_.store(0, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  allowed_.store(static_cast<int32_t>(helpers), std::memory_order_relaxed);
  const int32_t g = generation_.load(std::memory_order_relaxed) + 1;
  job_.store(static_cast<uint64_t>(static_cast<uint32_t>(g)) << 32, std::memory_order_release);
  generation_.store(g, std::memory_order_release);
  if (sleepers_.load(std::memory_order_acquire) > 0)
    __builtin_wasm_memory_atomic_notify(raw(generation_), static_cast<uint32_t>(helpers));
  runTasks();
  // Every task has been claimed: close the job and wait (spinning: the main thread of a page may
  // not block) for the helpers that joined it.
  const uint64_t s = job_.fetch_or(kClosed, std::memory_order_acq_rel);
  const int32_t joined = static_cast<int32_t>(s & kJoinedMask);
  while (done_.load(std::memory_order_acquire) < joined) {
  }
  busy_.store(false, std::memory_order_release);
}

int threadsFor(double flops) {
  int n = numThreads();
  if (n <= 1 || flops < kParallelFlops) return 1;
  return std::min<int>(n, static_cast<int>(flops / (kParallelFlops / 2)));
}

}  // namespace stride

// ----- Entry points for the loader's helpers -----

extern "C" __attribute__((export_name("stride_worker_loop"))) void strideWorkerLoop() {
  stride::ThreadPool::instance().workerLoop();
}

extern "C" __attribute__((export_name("stride_set_threads"))) void strideSetThreads(int n) {
  stride::ThreadPool::instance().setThreads(n);
}

extern "C" __attribute__((export_name("stride_get_threads"))) int strideGetThreads() {
  return stride::ThreadPool::instance().threads();
}

extern "C" __attribute__((export_name("stride_helpers"))) int strideHelpers() {
  return stride::ThreadPool::instance().helpersRunning();
}

#endif  // __wasm_atomics__
