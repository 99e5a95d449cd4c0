// Overhead of the resilience policies on the success path, uncontended, and
// the heap allocations per call (a counting global operator new in this
// binary). Reference points measured in the same run: a steady_clock read
// and an uncontended std::mutex lock/unlock, the two costs a policy cannot
// avoid entirely. Run: build/release/bin/resilience_bench
#include <benchmark/benchmark.h>

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
}  // namespace

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

// Reports heap allocations per iteration of the timed loop.
class AllocationCounter {
 public:
  explicit AllocationCounter(benchmark::State& state) : state_(state), start_(g_allocations.load()) {}
  ~AllocationCounter() {
    const auto n = g_allocations.load() - start_;
    state_.counters["allocs_per_call"] =
        benchmark::Counter(static_cast<double>(n), benchmark::Counter::kAvgIterations);
  }

 private:
  benchmark::State& state_;
  std::uint64_t start_;
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
// record, the retry decision and the call counter. With the default options
// that is one clock read; judging slow calls (or a time window) adds the read
// at the end of the call.
void policy_sync_path(benchmark::State& state, bool with_rate_limit, bool judge_slow_calls) {
  obs::Registry registry;
  PolicyOptions o;
  o.name = "bench";
  if (with_rate_limit) o.rate_limit = RateLimiterOptions{.permits_per_second = 1e9, .burst = 1'000'000};
  if (judge_slow_calls) o.breaker->slow_call_rate_threshold = 0.5;
  Policy policy(o, &registry);
  Clock& clock = policy.clock();
  const Result<http::ClientResponse> ok = http::ClientResponse{.status = 200};
  std::optional<RetrySchedule> schedule;
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
    benchmark::DoNotOptimize(policy.retry_delay(ok, 1, true, deadline, schedule, end));
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
// against the same call co_awaited bare. The difference is the policy's cost
// including its coroutine frame.
auto ready_call = [](std::chrono::milliseconds) -> boost::asio::awaitable<Result<http::ClientResponse>> {
  co_return http::ClientResponse{.status = 200};
};

void BM_Coroutine_BareCall(benchmark::State& state) {
  boost::asio::io_context io{1};
  boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
    AllocationCounter allocs(state);
    for (auto _ : state) {
      auto r = co_await ready_call(1s);
      benchmark::DoNotOptimize(r.ok());
    }
  }, boost::asio::detached);
  io.run();
}
BENCHMARK(BM_Coroutine_BareCall);

void BM_Coroutine_PolicyExecute(benchmark::State& state) {
  obs::Registry registry;
  Policy policy({.name = "bench"}, &registry);
  boost::asio::io_context io{1};
  boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
    AllocationCounter allocs(state);
    for (auto _ : state) {
      auto r = co_await policy.execute(ready_call, true);
      benchmark::DoNotOptimize(r.result.ok());
    }
  }, boost::asio::detached);
  io.run();
}
BENCHMARK(BM_Coroutine_PolicyExecute);

}  // namespace

BENCHMARK_MAIN();
