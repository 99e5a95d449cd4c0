// Policy: everything one caller applies to its calls to one downstream,
// composed in a fixed order around an Asio awaitable call:
//
//   deadline  -> bulkhead -> rate limiter -> [ circuit breaker -> attempt
//   (per-try timeout, X-Deadline-Ms sent on) -> classify ] -> retry with
//   backoff, within the retry budget and the deadline -> fallback (optional)
//
// One Policy per downstream (e.g. carts -> catalog), shared by every request
// that calls it: the breaker, bulkhead, rate limiter and retry budget are
// per downstream by construction. Each part is configured by its options
// struct (defaults documented there) and may be switched off.
//
//   resilience::Policy catalog({.name = "catalog"}, &registry);
//   auto r = co_await catalog.send(client, request, deadline_of(req, clock, 1s));
//   if (r.failed) ... serve from a cache, mark the item unconfirmed ...
//
// Exported (label downstream=name, plus the parts' own series):
// resilience_calls_total{result}, resilience_retries_total,
// resilience_retry_budget_exhausted_total, resilience_fallbacks_total.
// Thread-safety: all methods are safe from any thread and coroutine.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "http/client.h"
#include "obs/metrics.h"
#include "resilience/bulkhead.h"
#include "resilience/circuit_breaker.h"
#include "resilience/clock.h"
#include "resilience/deadline.h"
#include "resilience/rate_limiter.h"
#include "resilience/retry.h"

namespace scalelab::resilience {

// What counts as a failure for the breaker (and for CallResult::failed).
struct FailureClassifier {
  bool server_errors = true;       // 5xx responses
  bool too_many_requests = false;  // 429 (the downstream is shedding load, not broken)
  bool timeouts = true;            // ErrorKind::kTimeout; when false, timeouts are not counted at all
  bool connection_errors = true;   // kUnavailable (refused, reset, closed) and kProtocol
  // 4xx other than 429 is always a success: the downstream answered.
  Outcome operator()(const Result<http::ClientResponse>& result) const;
};

struct PolicyOptions {
  std::string name = "downstream";               // metrics label; names the parts too
  std::chrono::milliseconds timeout{2'000};      // end-to-end cap, also when the caller's deadline is later
  std::chrono::milliseconds per_try_timeout{0};  // each attempt's cap inside the deadline; 0: all that is left
  RetryOptions retry;                            // max_attempts = 1 switches retries off
  RetryBudgetOptions retry_budget;
  std::optional<CircuitBreakerOptions> breaker = CircuitBreakerOptions{};  // nullopt: no breaker
  std::optional<BulkheadOptions> bulkhead = BulkheadOptions{};             // nullopt: no limit
  std::optional<RateLimiterOptions> rate_limit;                            // nullopt (default): no limit
  FailureClassifier classify;
};

// Why a call was not made (or not made again).
enum class Rejection : std::uint8_t { kNone, kDeadline, kCircuitOpen, kBulkheadFull, kRateLimited };
const char* to_string(Rejection r);

struct CallResult {
  // The last attempt's result, or the rejection as an Error (kTimeout for the
  // deadline, kUnavailable for the others), or the fallback's value.
  Result<http::ClientResponse> result = Error{ErrorKind::kInternal, "not called"};
  Rejection rejection = Rejection::kNone;
  std::size_t attempts = 0;     // calls actually made
  bool failed = true;           // an error, a rejection or a failing status (per the classifier)
  bool from_fallback = false;   // result came from the fallback
};

class Policy {
 public:
  // One attempt: given its timeout, make the call.
  //   boost::asio::awaitable<Result<http::ClientResponse>>(std::chrono::milliseconds)
  using Fallback = std::function<Result<http::ClientResponse>(const CallResult&)>;

  // registry may be null. REQUIRES: registry and clock outlive the policy.
  // Throws std::invalid_argument on inconsistent options.
  explicit Policy(PolicyOptions options, obs::Registry* registry = nullptr, Clock& clock = steady_clock());
  ~Policy();
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  // Runs call through the policy. retry_safe: the call may be repeated (an
  // idempotent method or an idempotency key). The deadline is capped by
  // options().timeout.
  template <typename Call>
  boost::asio::awaitable<CallResult> execute(Call call, bool retry_safe, Deadline deadline = Deadline::never());

  // An http::Client call through the policy: each attempt carries
  // X-Deadline-Ms (its timeout); retry_safe from is_retry_safe(request).
  // The request is taken by value; `client` is borrowed and must outlive the
  // awaited call (callers own it for as long as the Policy).
  boost::asio::awaitable<CallResult> send(http::Client& client, http::ClientRequest request,
                                          Deadline deadline = Deadline::never());
  // The same; on failure, the fallback's value is returned instead (with
  // from_fallback set, failed still true).
  boost::asio::awaitable<CallResult> send(http::Client& client, http::ClientRequest request, Deadline deadline,
                                          Fallback fallback);

  // GET, HEAD, PUT, DELETE, OPTIONS, or any call with an Idempotency-Key header.
  static bool is_retry_safe(const http::ClientRequest& request);

  CircuitBreaker* breaker() { return breaker_.get(); }
  Bulkhead* bulkhead() { return bulkhead_.get(); }
  RateLimiter* rate_limiter() { return rate_limiter_.get(); }
  RetryBudget& retry_budget() { return budget_; }
  Clock& clock() { return clock_; }
  const PolicyOptions& options() const { return options_; }

  // The synchronous steps of execute(), public for callers that are not
  // coroutines and for the overhead benchmark. admit() takes a bulkhead slot
  // (no waiting), a rate-limiter token and counts the request in the retry
  // budget; leave() gives the slot back. REQUIRES: leave() after an admit()
  // that returned kNone.
  Rejection admit(Clock::time_point now);
  void leave();
  CircuitBreaker::Permit begin_attempt() {
    return breaker_ ? breaker_->try_acquire() : CircuitBreaker::Permit{0, true, false};
  }
  Outcome end_attempt(const CircuitBreaker::Permit& permit, const Result<http::ClientResponse>& result,
                      Clock::duration elapsed);
  // The pause before the next attempt, or nullopt when the call is over:
  // not retry-safe, out of attempts, not a retryable result, the pause would
  // reach the deadline, or the budget is spent. Counts the retry.
  std::optional<Clock::duration> retry_delay(const Result<http::ClientResponse>& result, std::size_t attempt,
                                             bool retry_safe, Deadline deadline,
                                             std::optional<RetrySchedule>& schedule, Clock::time_point now);
  // Counts the call's end in resilience_calls_total.
  void record_call(const CallResult& r);

 private:
  boost::asio::awaitable<Rejection> admit_waiting(Deadline deadline);
  std::chrono::milliseconds attempt_timeout(Deadline deadline, Clock::time_point now) const;
  CallResult rejected(Rejection r, std::size_t attempts) const;
  std::uint64_t next_seed() { return seed_base_ + seed_counter_.fetch_add(1, std::memory_order_relaxed); }

  // Releases what a coroutine holds if it ends early (an exception, or its
  // frame destroyed while suspended).
  struct SlotGuard {
    Policy* policy = nullptr;
    ~SlotGuard() { if (policy) policy->leave(); }
  };
  struct PermitGuard {
    CircuitBreaker* breaker = nullptr;
    CircuitBreaker::Permit permit;
    ~PermitGuard() { if (breaker) breaker->release(permit); }
  };

  const PolicyOptions options_;
  Clock& clock_;
  std::unique_ptr<CircuitBreaker> breaker_;
  std::unique_ptr<Bulkhead> bulkhead_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  RetryBudget budget_;
  bool admission_may_wait_ = false;
  bool needs_elapsed_ = false;      // the breaker uses call durations
  bool retries_below_400_ = false;  // retry_on_status lists a status < 400
  std::uint64_t seed_base_;
  std::atomic<std::uint64_t> seed_counter_{0};

  struct Counters {
    obs::Counter* by_result[7] = {};  // success, failure, then one per Rejection (from kDeadline)
    obs::Counter* retries = nullptr;
    obs::Counter* budget_exhausted = nullptr;
    obs::Counter* fallbacks = nullptr;
  } counters_;
  void inc(obs::Counter* c) { if (c) c->inc(); }
};

template <typename Call>
boost::asio::awaitable<CallResult> Policy::execute(Call call, bool retry_safe, Deadline deadline) {
  // The success path reads the clock once, here (twice when the breaker
  // judges durations: again when the attempt ends).
  Clock::time_point now = clock_.now();
  deadline = deadline.min(Deadline::at(now + options_.timeout));
  if (now >= deadline.when()) {
    CallResult r = rejected(Rejection::kDeadline, 0);
    record_call(r);
    co_return r;
  }
  const Rejection admission = admission_may_wait_ ? co_await admit_waiting(deadline) : admit(now);
  if (admission != Rejection::kNone) {
    CallResult r = rejected(admission, 0);
    record_call(r);
    co_return r;
  }
  if (admission_may_wait_) now = clock_.now();
  SlotGuard slot{this};
  CallResult out;
  std::optional<RetrySchedule> schedule;  // made at the first retry only
  for (std::size_t attempt = 1;; ++attempt) {
    const auto timeout = attempt_timeout(deadline, now);
    if (timeout.count() <= 0) {
      if (out.attempts == 0) out = rejected(Rejection::kDeadline, 0);
      break;
    }
    PermitGuard permit{breaker_.get(), begin_attempt()};
    if (!permit.permit) {
      permit.breaker = nullptr;
      // The breaker opened under a retry loop: the last real result stands
      // unless there was none.
      if (out.attempts == 0) out = rejected(Rejection::kCircuitOpen, 0);
      break;
    }
    const auto start = now;
    out.result = co_await call(timeout);
    // A plain success needs no second clock read unless the breaker judges
    // durations; anything that may be retried does.
    if (needs_elapsed_ || !out.result.ok() || out.result->status >= 400 || retries_below_400_) now = clock_.now();
    ++out.attempts;
    permit.breaker = nullptr;  // reported below
    const Outcome outcome = end_attempt(permit.permit, out.result, now - start);
    out.failed = !out.result.ok() || outcome == Outcome::kFailure;
    // A plain success is never retried: skip the retry decision.
    if (!out.failed && out.result->status < 400 && !retries_below_400_) break;
    const auto pause = retry_delay(out.result, attempt, retry_safe, deadline, schedule, now);
    if (!pause) break;
    co_await clock_.sleep_for(*pause);
    now = clock_.now();
  }
  record_call(out);
  co_return std::move(out);
}

}  // namespace scalelab::resilience
