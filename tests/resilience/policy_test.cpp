#include "resilience/policy.h"

#include <deque>

#include <gtest/gtest.h>

#include "core/run_blocking.h"
#include "obs/metrics.h"

using namespace std::chrono_literals;
using namespace scalelab;
using namespace scalelab::resilience;
namespace asio = boost::asio;

namespace {

Result<http::ClientResponse> status(unsigned s, std::string retry_after = "") {
  http::ClientResponse r;
  r.status = s;
  if (!retry_after.empty()) r.headers.emplace_back("Retry-After", retry_after);
  return r;
}
Result<http::ClientResponse> unavailable() { return Error{ErrorKind::kUnavailable, "connection reset"}; }
Result<http::ClientResponse> timed_out() { return Error{ErrorKind::kTimeout, "no answer"}; }

// A downstream that answers from a script, one entry per attempt, taking
// `latency` of the manual clock each time, and records each attempt's timeout.
struct Script {
  ManualClock& clock;
  std::deque<Result<http::ClientResponse>> answers;
  Clock::duration latency{0};
  std::vector<std::chrono::milliseconds> timeouts;

  auto callable() {
    return [this](std::chrono::milliseconds timeout) -> asio::awaitable<Result<http::ClientResponse>> {
      timeouts.push_back(timeout);
      clock.advance(latency);
      if (answers.empty()) co_return status(200);
      auto r = std::move(answers.front());
      answers.pop_front();
      co_return r;
    };
  }
};

PolicyOptions options() {
  PolicyOptions o;
  o.name = "dep";
  o.timeout = 10s;
  o.retry.max_attempts = 3;
  o.retry.base_delay = 50ms;
  o.retry.max_delay = 1s;
  o.retry.jitter = Jitter::kNone;
  o.breaker->consecutive_failures = 0;
  o.breaker->minimum_calls = 20;
  return o;
}

CallResult run(Policy& p, Script& s, bool retry_safe = true, Deadline d = Deadline::never()) {
  return run_blocking(p.execute(s.callable(), retry_safe, d));
}

}  // namespace

TEST(Policy, PassesASuccessThroughOnce) {
  ManualClock clock;
  Policy p(options(), nullptr, clock);
  Script s{clock, {status(200)}};
  auto r = run(p, s);
  ASSERT_TRUE(r.result.ok());
  EXPECT_EQ(r.result->status, 200u);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_FALSE(r.failed);
  EXPECT_EQ(clock.sleeps(), 0u);
}

TEST(Policy, RetriesConnectionErrorsUntilASuccess) {
  ManualClock clock;
  Policy p(options(), nullptr, clock);
  Script s{clock, {unavailable(), unavailable(), status(200)}};
  auto r = run(p, s);
  ASSERT_TRUE(r.result.ok());
  EXPECT_EQ(r.attempts, 3u);
  EXPECT_FALSE(r.failed);
  EXPECT_EQ(clock.sleeps(), 2u);
  EXPECT_EQ(clock.slept(), Clock::duration(50ms + 100ms));  // exponential, no jitter
}

TEST(Policy, StopsAtMaxAttempts) {
  ManualClock clock;
  Policy p(options(), nullptr, clock);
  Script s{clock, {status(503), status(503), status(503), status(200)}};
  auto r = run(p, s);
  ASSERT_TRUE(r.result.ok());
  EXPECT_EQ(r.result->status, 503u);
  EXPECT_EQ(r.attempts, 3u);
  EXPECT_TRUE(r.failed);
}

TEST(Policy, DoesNotRetryAnUnsafeCall) {
  ManualClock clock;
  Policy p(options(), nullptr, clock);
  Script s{clock, {unavailable(), status(200)}};
  auto r = run(p, s, /*retry_safe=*/false);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_TRUE(r.failed);
}

TEST(Policy, DoesNotRetryAClientError) {
  ManualClock clock;
  Policy p(options(), nullptr, clock);
  Script s{clock, {status(404), status(200)}};
  auto r = run(p, s);
  EXPECT_EQ(r.result->status, 404u);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_FALSE(r.failed);  // the downstream answered
}

TEST(Policy, RetrySafetyFollowsMethodAndIdempotencyKey) {
  http::ClientRequest get{.method = http::Method::kGet};
  http::ClientRequest post{.method = http::Method::kPost};
  http::ClientRequest keyed_post{.method = http::Method::kPost};
  keyed_post.headers.emplace_back("idempotency-key", "abc");
  http::ClientRequest put{.method = http::Method::kPut};
  http::ClientRequest patch{.method = http::Method::kPatch};
  EXPECT_TRUE(Policy::is_retry_safe(get));
  EXPECT_TRUE(Policy::is_retry_safe(put));
  EXPECT_FALSE(Policy::is_retry_safe(post));
  EXPECT_FALSE(Policy::is_retry_safe(patch));
  EXPECT_TRUE(Policy::is_retry_safe(keyed_post));
}

TEST(Policy, HonoursRetryAfter) {
  ManualClock clock;
  Policy p(options(), nullptr, clock);
  Script s{clock, {status(503, "2"), status(200)}};
  auto r = run(p, s);
  EXPECT_EQ(r.result->status, 200u);
  EXPECT_EQ(clock.slept(), Clock::duration(2s));
}

TEST(Policy, DoesNotRetryWhenRetryAfterReachesPastTheDeadline) {
  ManualClock clock;
  Policy p(options(), nullptr, clock);
  Script s{clock, {status(503, "5"), status(200)}};
  auto r = run(p, s, true, Deadline::after(clock, 3s));
  EXPECT_EQ(r.result->status, 503u);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_EQ(clock.sleeps(), 0u);
}

TEST(Policy, NeverRetriesPastTheDeadline) {
  ManualClock clock;
  Policy p(options(), nullptr, clock);
  Script s{clock, {unavailable(), unavailable(), unavailable()}, 100ms};
  const auto start = clock.now();
  auto r = run(p, s, true, Deadline::after(clock, 300ms));
  // t=100 fail, pause 50, t=250 fail, the next pause (100) would end at 350.
  EXPECT_EQ(r.attempts, 2u);
  EXPECT_LE(clock.now() - start, Clock::duration(300ms));
  ASSERT_EQ(s.timeouts.size(), 2u);
  EXPECT_EQ(s.timeouts[0], 300ms);
  EXPECT_EQ(s.timeouts[1], 150ms);  // each attempt gets only what is left
}

TEST(Policy, PerTryTimeoutCapsEachAttempt) {
  ManualClock clock;
  auto o = options();
  o.per_try_timeout = 100ms;
  Policy p(o, nullptr, clock);
  Script s{clock, {timed_out(), status(200)}};
  auto r = run(p, s, true, Deadline::after(clock, 1s));
  EXPECT_EQ(r.result->status, 200u);
  ASSERT_EQ(s.timeouts.size(), 2u);
  EXPECT_EQ(s.timeouts[0], 100ms);
  EXPECT_EQ(s.timeouts[1], 100ms);
}

TEST(Policy, OwnTimeoutCapsALaterDeadline) {
  ManualClock clock;
  auto o = options();
  o.timeout = 400ms;
  Policy p(o, nullptr, clock);
  Script s{clock, {status(200)}};
  run(p, s, true, Deadline::after(clock, 1h));
  ASSERT_EQ(s.timeouts.size(), 1u);
  EXPECT_EQ(s.timeouts[0], 400ms);
}

TEST(Policy, RejectsACallWhoseDeadlineHasPassed) {
  ManualClock clock;
  Policy p(options(), nullptr, clock);
  Script s{clock, {}};
  auto d = Deadline::after(clock, 10ms);
  clock.advance(20ms);
  auto r = run(p, s, true, d);
  EXPECT_EQ(r.rejection, Rejection::kDeadline);
  EXPECT_EQ(r.result.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.attempts, 0u);
  EXPECT_TRUE(s.timeouts.empty());
}

TEST(Policy, RetryBudgetExhaustionStopsRetries) {
  ManualClock clock;
  obs::Registry registry;
  auto o = options();
  o.retry.max_attempts = 5;
  o.retry_budget = {.retry_ratio = 0.0, .min_retries = 2, .window = 10s, .buckets = 10};
  Policy p(o, &registry, clock);
  Script s{clock, {unavailable(), unavailable(), unavailable(), unavailable(), unavailable(), unavailable()}};
  auto first = run(p, s);
  EXPECT_EQ(first.attempts, 3u);  // the first try and the budget's two retries
  auto second = run(p, s);
  EXPECT_EQ(second.attempts, 1u);  // no budget left
  const auto text = registry.render();
  EXPECT_NE(text.find(R"(resilience_retry_budget_exhausted_total{downstream="dep"} 2)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(resilience_retries_total{downstream="dep"} 2)"), std::string::npos);
}

TEST(Policy, OpenBreakerRejectsWithoutCalling) {
  ManualClock clock;
  auto o = options();
  o.retry.max_attempts = 1;
  o.breaker->consecutive_failures = 2;
  Policy p(o, nullptr, clock);
  Script s{clock, {status(503), status(503), status(200)}};
  run(p, s);
  run(p, s);
  EXPECT_EQ(p.breaker()->state(), BreakerState::kOpen);
  auto r = run(p, s);
  EXPECT_EQ(r.rejection, Rejection::kCircuitOpen);
  EXPECT_EQ(r.attempts, 0u);
  EXPECT_EQ(s.timeouts.size(), 2u);  // the third call never reached the downstream
}

TEST(Policy, RetriesStopWhenTheBreakerOpensMidCall) {
  ManualClock clock;
  auto o = options();
  o.retry.max_attempts = 5;
  o.breaker->consecutive_failures = 2;
  Policy p(o, nullptr, clock);
  Script s{clock, {unavailable(), unavailable(), unavailable(), unavailable(), unavailable()}};
  auto r = run(p, s);
  EXPECT_EQ(r.attempts, 2u);
  EXPECT_EQ(r.result.error().kind, ErrorKind::kUnavailable);  // the last real result, not the rejection
  EXPECT_EQ(r.rejection, Rejection::kNone);
}

TEST(Policy, BreakerRecoversThroughTrialCalls) {
  ManualClock clock;
  auto o = options();
  o.retry.max_attempts = 1;
  o.breaker->consecutive_failures = 1;
  o.breaker->half_open_permits = 2;
  o.breaker->wait_in_open = 1s;
  Policy p(o, nullptr, clock);
  Script s{clock, {status(500)}};
  run(p, s);
  EXPECT_EQ(p.breaker()->state(), BreakerState::kOpen);
  clock.advance(1s);
  EXPECT_FALSE(run(p, s).failed);
  EXPECT_EQ(p.breaker()->state(), BreakerState::kHalfOpen);
  EXPECT_FALSE(run(p, s).failed);
  EXPECT_EQ(p.breaker()->state(), BreakerState::kClosed);
}

TEST(Policy, FullBulkheadRejects) {
  ManualClock clock;
  auto o = options();
  o.bulkhead->max_concurrent_calls = 1;
  Policy p(o, nullptr, clock);
  ASSERT_EQ(p.admit(clock.now()), Rejection::kNone);  // one call in flight
  Script s{clock, {}};
  auto r = run(p, s);
  EXPECT_EQ(r.rejection, Rejection::kBulkheadFull);
  p.leave();
  EXPECT_EQ(run(p, s).rejection, Rejection::kNone);
  EXPECT_EQ(p.bulkhead()->in_flight(), 0u);
}

TEST(Policy, RateLimitRejectsBeyondTheBurst) {
  ManualClock clock;
  auto o = options();
  o.rate_limit = RateLimiterOptions{.permits_per_second = 1, .burst = 2};
  Policy p(o, nullptr, clock);
  Script s{clock, {}};
  EXPECT_EQ(run(p, s).rejection, Rejection::kNone);
  EXPECT_EQ(run(p, s).rejection, Rejection::kNone);
  EXPECT_EQ(run(p, s).rejection, Rejection::kRateLimited);
  EXPECT_EQ(p.bulkhead()->in_flight(), 0u);  // the slot taken before the limiter was given back
}

TEST(Policy, ExceptionFromTheCallReleasesTheBulkheadSlot) {
  ManualClock clock;
  auto o = options();
  o.bulkhead->max_concurrent_calls = 1;
  Policy p(o, nullptr, clock);
  auto throwing = [](std::chrono::milliseconds) -> asio::awaitable<Result<http::ClientResponse>> {
    throw std::runtime_error("boom");
    co_return status(200);
  };
  EXPECT_THROW(run_blocking(p.execute(throwing, true)), std::runtime_error);
  EXPECT_EQ(p.bulkhead()->in_flight(), 0u);
}

TEST(Policy, ExportsCallsByResult) {
  ManualClock clock;
  obs::Registry registry;
  auto o = options();
  o.retry.max_attempts = 1;
  Policy p(o, &registry, clock);
  Script s{clock, {status(200), status(503), unavailable()}};
  run(p, s);
  run(p, s);
  run(p, s);
  const auto text = registry.render();
  EXPECT_NE(text.find(R"(resilience_calls_total{downstream="dep",result="success"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(resilience_calls_total{downstream="dep",result="failure"} 2)"), std::string::npos);
  EXPECT_NE(text.find(R"(resilience_circuit_breaker_state{name="dep",state="closed"} 1)"), std::string::npos);
}

TEST(FailureClassifier, FailsServerErrorsTimeoutsAndConnectionErrorsNotClientErrors) {
  FailureClassifier c;
  EXPECT_EQ(c(status(503)), Outcome::kFailure);
  EXPECT_EQ(c(status(500)), Outcome::kFailure);
  EXPECT_EQ(c(timed_out()), Outcome::kFailure);
  EXPECT_EQ(c(unavailable()), Outcome::kFailure);
  EXPECT_EQ(c(status(404)), Outcome::kSuccess);
  EXPECT_EQ(c(status(400)), Outcome::kSuccess);
  EXPECT_EQ(c(status(429)), Outcome::kSuccess);
  EXPECT_EQ(c(status(200)), Outcome::kSuccess);
  c.server_errors = false;
  c.timeouts = false;
  c.too_many_requests = true;
  EXPECT_EQ(c(status(503)), Outcome::kSuccess);
  EXPECT_EQ(c(timed_out()), Outcome::kIgnored);
  EXPECT_EQ(c(status(429)), Outcome::kFailure);
}
