// Overhead of the resilience policies on the success path, uncontended, and
// the heap allocations per call. Two counters: `allocs_per_call` counts the
// global operator new (replaced in this binary); `frame_allocs_per_call`
// counts std::aligned_alloc, which is where Asio gets a coroutine frame that
// its per-thread recycling cache cannot supply (the cache keeps two frames of
// at most 1,020 bytes each), and which operator new never sees. Reference
// points measured in the same run: a steady_clock read, an uncontended
// std::mutex lock/unlock, and the floor of any coroutine wrapper: one more
// Asio awaitable frame that only forwards the call.
// Run: build/release/bin/resilience_bench
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "obs/metrics.h"
#include "resilience/policy.h"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
std::atomic<std::uint64_t> g_aligned_allocations{0};
std::atomic<std::size_t> g_largest_aligned{0};
}  // namespace

// Asio's frame allocator (detail::aligned_new) calls std::aligned_alloc; this
// definition in the executable takes the place of glibc's and forwards to
// memalign (the same allocator; free() releases it).
extern "C" void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  g_aligned_allocations.fetch_add(1, std::memory_order_relaxed);
  std::size_t largest = g_largest_aligned.load(std::memory_order_relaxed);
  while (size > largest && !g_largest_aligned.compare_exchange_weak(largest, size)) {
  }
  return memalign(alignment, size);
}

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace scalelab;
using namespace scalelab::resilience;
using namespace std::chrono_literals;

namespace {

// Reports heap allocations per iteration of the timed loop: operator new,
// and frames Asio could not recycle (aligned_alloc).
class AllocationCounter {
 public:
  explicit AllocationCounter(benchmark::State& state)
      : state_(state), start_(g_allocations.load()), start_aligned_(g_aligned_allocations.load()) {}
  ~AllocationCounter() {
    const auto n = g_allocations.load() - start_;
    const auto frames = g_aligned_allocations.load() - start_aligned_;
    state_.counters["allocs_per_call"] =
        benchmark::Counter(static_cast<double>(n), benchmark::Counter::kAvgIterations);
    state_.counters["frame_allocs_per_call"] =
        benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kAvgIterations);
  }

 private:
  benchmark::State& state_;
  std::uint64_t start_, start_aligned_;
};

void BM_Reference_SteadyClockNow(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}
BENCHMARK(BM_Reference_SteadyClockNow);

void BM_Reference_MutexLockUnlock(benchmark::State& state) {
  std::mutex mu;
  int x = 0;
  for (auto _ : state) {
    std::lock_guard lock(mu);
    benchmark::DoNotOptimize(++x);
  }
}
BENCHMARK(BM_Reference_MutexLockUnlock);

void BM_BreakerAcquireRecord_CountWindow(benchmark::State& state) {
  obs::Registry registry;
  CircuitBreaker breaker({.name = "bench"}, &registry);
  AllocationCounter allocs(state);
  for (auto _ : state) {
    auto p = breaker.try_acquire();
    breaker.on_result(p, Outcome::kSuccess, 1ms);
  }
}
BENCHMARK(BM_BreakerAcquireRecord_CountWindow);

void BM_BreakerAcquireRecord_TimeWindow(benchmark::State& state) {
  obs::Registry registry;
  CircuitBreaker breaker({.name = "bench", .window_type = WindowType::kTimeBased}, &registry);
  AllocationCounter allocs(state);
  for (auto _ : state) {
    auto p = breaker.try_acquire();
    breaker.on_result(p, Outcome::kSuccess, 1ms);
  }
}
BENCHMARK(BM_BreakerAcquireRecord_TimeWindow);

void BM_BulkheadAcquireRelease(benchmark::State& state) {
  obs::Registry registry;
  Bulkhead bulkhead({.name = "bench"}, &registry);
  AllocationCounter allocs(state);
  for (auto _ : state) {
    if (!bulkhead.try_acquire()) std::abort();
    bulkhead.release();
  }
}
BENCHMARK(BM_BulkheadAcquireRelease);

void BM_RateLimiterTryAcquire(benchmark::State& state) {
  obs::Registry registry;
  // A rate no benchmark can exceed: every call is permitted.
  RateLimiter limiter({.name = "bench", .permits_per_second = 1e9, .burst = 1'000'000}, &registry);
  AllocationCounter allocs(state);
  for (auto _ : state) benchmark::DoNotOptimize(limiter.try_acquire());
}
BENCHMARK(BM_RateLimiterTryAcquire);

void BM_RetryBudgetRecordRequest(benchmark::State& state) {
  RetryBudget budget;
  const auto now = std::chrono::steady_clock::now();
  AllocationCounter allocs(state);
  for (auto _ : state) budget.record_request(now);
}
BENCHMARK(BM_RetryBudgetRecordRequest);

// The synchronous steps execute() takes on a successful call: the clock read
// at the start, deadline, bulkhead, retry-budget count, breaker permit and
// record, and the call counter (a plain success skips the retry decision).
// With the default options that is one clock read; judging slow calls (or a
// time window) adds the read at the end of the call.
void policy_sync_path(benchmark::State& state, bool with_rate_limit, bool judge_slow_calls) {
  obs::Registry registry;
  PolicyOptions o;
  o.name = "bench";
  if (with_rate_limit) o.rate_limit = RateLimiterOptions{.permits_per_second = 1e9, .burst = 1'000'000};
  if (judge_slow_calls) o.breaker->slow_call_rate_threshold = 0.5;
  Policy policy(o, &registry);
  Clock& clock = policy.clock();
  const Result<http::ClientResponse> ok = http::ClientResponse{.status = 200};
  CallResult done;
  done.failed = false;
  AllocationCounter allocs(state);
  for (auto _ : state) {
    const auto now = clock.now();
    const Deadline deadline = Deadline::at(now + o.timeout);
    if (now >= deadline.when() || policy.admit(now) != Rejection::kNone) std::abort();
    auto permit = policy.begin_attempt();
    const auto end = judge_slow_calls ? clock.now() : now;
    benchmark::DoNotOptimize(policy.end_attempt(permit, ok, end - now));
    policy.leave();
    policy.record_call(done);
  }
}
void BM_PolicySuccessPath(benchmark::State& state) { policy_sync_path(state, false, false); }
BENCHMARK(BM_PolicySuccessPath);
void BM_PolicySuccessPath_WithRateLimiter(benchmark::State& state) { policy_sync_path(state, true, false); }
BENCHMARK(BM_PolicySuccessPath_WithRateLimiter);
void BM_PolicySuccessPath_JudgingSlowCalls(benchmark::State& state) { policy_sync_path(state, false, true); }
BENCHMARK(BM_PolicySuccessPath_JudgingSlowCalls);

// The whole coroutine: Policy::execute around a call that completes at once,
// against the same call co_awaited bare, and against the floor of any
// coroutine wrapper (one more frame that only forwards the call). execute's
// overhead is PolicyExecute - BareCall; what the policy itself adds, beyond
// being a coroutine at all, is PolicyExecute - PassThrough.
auto ready_call = [](std::chrono::milliseconds) -> boost::asio::awaitable<Result<http::ClientResponse>> {
  co_return http::ClientResponse{.status = 200};
};

// The floor: a wrapper coroutine with nothing in it.
boost::asio::awaitable<Result<http::ClientResponse>> pass_through(std::chrono::milliseconds timeout) {
  co_return co_await ready_call(timeout);
}

// Runs body(state) as a coroutine on a one-thread io_context, the timed loop
// inside it (so frames come from Asio's per-thread cache, as in a server).
template <typename Body>
void in_coroutine(benchmark::State& state, Body body) {
  g_largest_aligned.store(0);
  boost::asio::io_context io{1};
  boost::asio::co_spawn(io, body(state), boost::asio::detached);
  io.run();
  state.counters["largest_frame_bytes"] = static_cast<double>(g_largest_aligned.load());
}

// co_await start() in the timed loop; start returns the awaitable (it is
// not a coroutine itself, so it adds no frame).
template <typename Start>
void await_in_loop(benchmark::State& state, Start start) {
  in_coroutine(state, [&start](benchmark::State& st) -> boost::asio::awaitable<void> {
    AllocationCounter allocs(st);
    for (auto _ : st) {
      auto r = co_await start();
      benchmark::DoNotOptimize(&r);
    }
  });
}

void BM_Coroutine_BareCall(benchmark::State& state) {
  await_in_loop(state, [] { return ready_call(1s); });
}
BENCHMARK(BM_Coroutine_BareCall);

void BM_Coroutine_PassThrough(benchmark::State& state) {
  await_in_loop(state, [] { return pass_through(1s); });
}
BENCHMARK(BM_Coroutine_PassThrough);

void policy_execute(benchmark::State& state, PolicyOptions o) {
  obs::Registry registry;
  Policy policy(std::move(o), &registry);
  await_in_loop(state, [&policy] { return policy.execute(ready_call, true); });
}

void BM_Coroutine_PolicyExecute(benchmark::State& state) {
  PolicyOptions o;  // the defaults (named: GCC 12 warns on a designated-initializer temporary here)
  o.name = "bench";
  policy_execute(state, std::move(o));
}
BENCHMARK(BM_Coroutine_PolicyExecute);

// execute with every part switched off (no breaker, no bulkhead, one
// attempt): what remains is the clock read, the deadline and the result's
// way out through the frame. Diagnostic: splits PolicyExecute's cost.
void BM_Coroutine_PolicyExecute_PartsOff(benchmark::State& state) {
  PolicyOptions o;
  o.name = "bench";
  o.breaker.reset();
  o.bulkhead.reset();
  o.retry.max_attempts = 1;
  policy_execute(state, std::move(o));
}
BENCHMARK(BM_Coroutine_PolicyExecute_PartsOff);

}  // namespace

BENCHMARK_MAIN();
