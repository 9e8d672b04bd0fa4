#include "thread_pool.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define STRIDE_PAUSE() _mm_pause()
#else
#define STRIDE_PAUSE() ((void)0)
#endif

namespace stride {

namespace {
// How long an idle worker spins before it sleeps. Kernels of one training step follow each other
// within microseconds, so spinning this long keeps hand-offs cheap without burning a core
// between steps.
constexpr auto kSpin = std::chrono::microseconds(200);
// How long the caller spins for helpers still running their last task before it sleeps. A helper
// that is descheduled mid-task (two cores shared with the JavaScript engine's own threads, or a
// busy machine) would otherwise keep the caller spinning on its core for a whole scheduler time
// slice; once the caller sleeps, its core goes idle and the scheduler moves the helper onto it.
constexpr auto kCallerSpin = std::chrono::microseconds(30);
// Smallest job (in flops) that is split across threads: about 20 microseconds of work.
constexpr double kParallelFlops = 2.0e6;

thread_local bool t_inJob = false;
}  // namespace

ThreadPool& ThreadPool::instance() {
  static ThreadPool pool;
  return pool;
}

ThreadPool::ThreadPool() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  start(static_cast<int>(std::max(1L, n)) - 1);
}

ThreadPool::~ThreadPool() { stop(); }

bool ThreadPool::claim() {
  bool expected = false;
  return busy_.compare_exchange_strong(expected, true, std::memory_order_acquire, std::memory_order_relaxed);
}

void ThreadPool::setThreads(int n) {
  n = std::clamp(n, 1, 256);
  // Resizing joins the workers, so it must not overlap a job: wait for the owner to finish one
  // kernel (it never holds the pool longer than that).
  while (!claim()) std::this_thread::yield();
  if (n != threads()) {
    stop();
    start(n - 1);
  }
  busy_.store(false, std::memory_order_release);
}

void ThreadPool::start(int workers) {
  stopping_.store(false);
  // Workers start from the generation current now, so a job (or stop) posted before a worker
  // first runs is still seen by it.
  const uint64_t gen = generation_.load();
  for (int i = 0; i < workers; i++) workers_.emplace_back([this, gen] { workerLoop(gen); });
  threads_.store(workers + 1, std::memory_order_relaxed);
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void ThreadPool::runTasks() {
  const auto& fn = *fn_;
  for (;;) {
    int64_t t = next_.fetch_add(1, std::memory_order_relaxed);
    if (t >= tasks_) break;
    fn(t);
  }
}

bool ThreadPool::join(uint64_t generation) {
  uint64_t s = job_.load(std::memory_order_acquire);
  for (;;) {
    if ((s >> 32) != (generation & 0xFFFFFFFFu) || (s & kClosed) != 0) return false;
    if (static_cast<int>(s & kJoinedMask) >= helpers_.load(std::memory_order_relaxed)) return false;
    if (job_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) return true;
  }
}

void ThreadPool::workerLoop(uint64_t seen) {
  t_inJob = true;  // a worker never starts nested jobs
  for (;;) {
    // Spin for a while, then sleep until the generation changes.
    auto spinUntil = std::chrono::steady_clock::now() + kSpin;
    uint64_t g;
    int polls = 0;
    while ((g = generation_.load(std::memory_order_acquire)) == seen) {
      STRIDE_PAUSE();
      if (++polls == 64) {
        polls = 0;
        // Let a thread that shares this core run (the JavaScript thread that is about to post the
        // next job, the engine's garbage-collector threads): on a machine with two cores a
        // pausing spin would otherwise hold the core for the rest of its time slice.
        std::this_thread::yield();
        if (std::chrono::steady_clock::now() > spinUntil) {
          std::unique_lock<std::mutex> lock(mutex_);
          wake_.wait(lock, [&] { return generation_.load() != seen || stopping_.load(); });
        }
      }
    }
    seen = g;
    if (stopping_.load()) return;
    // Join only the job this generation announced, and only while it is open: a worker that
    // wakes late (descheduled on a busy machine) finds the job closed and the caller is not
    // left waiting for it.
    if (join(g)) {
      runTasks();
      done_.fetch_add(1, std::memory_order_seq_cst);
      // Either the caller sees the increment before it sleeps or this sees it sleeping (both
      // sides use sequentially consistent operations); the lock orders the wake after its check.
      if (callerSleeping_.load(std::memory_order_seq_cst)) {
        std::lock_guard<std::mutex> lock(doneMutex_);
        doneWake_.notify_one();
      }
    }
  }
}

void ThreadPool::parallelFor(int64_t tasks, int maxThreads, const std::function<void(int64_t)>& fn) {
  if (tasks <= 0) return;
  const auto serial = [&] {
    for (int64_t t = 0; t < tasks; t++) fn(t);
  };
  if (maxThreads <= 1 || tasks <= 1 || t_inJob) return serial();
  // Another JavaScript thread's kernel holds the workers: run on this thread rather than wait, so
  // neither caller blocks the other (the machine's cores are busy with that job anyway).
  if (!claim()) return serial();
  const int helpers = std::min<int64_t>({static_cast<int64_t>(maxThreads) - 1,
                                         static_cast<int64_t>(workers_.size()), tasks - 1});
  if (helpers <= 0) {
    busy_.store(false, std::memory_order_release);
    return serial();
  }
  fn_ = &fn;
  tasks_ = tasks;
  next_.store(0, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  helpers_.store(helpers, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t g = generation_.load() + 1;
    job_.store((g & 0xFFFFFFFFu) << 32, std::memory_order_release);
    generation_.store(g, std::memory_order_release);
  }
  wake_.notify_all();
  t_inJob = true;
  runTasks();
  t_inJob = false;
  // Every task has been claimed: close the job and wait only for the helpers that joined it.
  const uint64_t s = job_.fetch_or(kClosed, std::memory_order_acq_rel);
  const int joined = static_cast<int>(s & kJoinedMask);
  waitForHelpers(joined);
  fn_ = nullptr;
  busy_.store(false, std::memory_order_release);
}

void ThreadPool::waitForHelpers(int joined) {
  if (done_.load(std::memory_order_acquire) >= joined) return;
  const auto spinUntil = std::chrono::steady_clock::now() + kCallerSpin;
  int polls = 0;
  while (done_.load(std::memory_order_acquire) < joined) {
    STRIDE_PAUSE();
    if (++polls < 64) continue;
    polls = 0;
    if (std::chrono::steady_clock::now() < spinUntil) continue;
    std::unique_lock<std::mutex> lock(doneMutex_);
    callerSleeping_.store(true, std::memory_order_seq_cst);
    doneWake_.wait(lock, [&] { return done_.load(std::memory_order_seq_cst) >= joined; });
    callerSleeping_.store(false, std::memory_order_relaxed);
    return;
  }
}

int threadsFor(double flops) {
  int n = numThreads();
  if (n <= 1 || flops < kParallelFlops) return 1;
  return std::min<int>(n, static_cast<int>(flops / (kParallelFlops / 2)));
}

}  // namespace stride
