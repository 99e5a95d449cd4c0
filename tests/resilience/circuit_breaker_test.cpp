#include "resilience/circuit_breaker.h"

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "obs/metrics.h"

using namespace std::chrono_literals;
using namespace scalelab;
using namespace scalelab::resilience;

namespace {

CircuitBreakerOptions base_options() {
  CircuitBreakerOptions o;
  o.name = "test";
  o.window_size = 10;
  o.minimum_calls = 10;
  o.failure_rate_threshold = 0.5;
  o.consecutive_failures = 0;
  o.wait_in_open = 5s;
  o.half_open_permits = 3;
  o.half_open_max_duration = 10s;
  return o;
}

// One call through the breaker; false when it was rejected.
bool call(CircuitBreaker& b, Outcome outcome, Clock::duration elapsed = 1ms) {
  auto p = b.try_acquire();
  if (!p) return false;
  b.on_result(p, outcome, elapsed);
  return true;
}

// Runs body on 8 threads released at once (to race each other).
template <typename Body>
void race(Body body) {
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      body();
    });
  go = true;
  for (auto& t : threads) t.join();
}

void open_it(CircuitBreaker& b) {
  b.force_open();
  b.reset();
  for (int i = 0; i < 10 && b.state() == BreakerState::kClosed; ++i) call(b, Outcome::kFailure);
  ASSERT_EQ(b.state(), BreakerState::kOpen);
}

// A breaker with `permits` half-open trial calls, opened; advancing the
// clock by 5 s half-opens it.
struct Opened {
  explicit Opened(std::size_t permits) : b(with_permits(permits), nullptr, clock) { open_it(b); }
  static CircuitBreakerOptions with_permits(std::size_t n) {
    auto o = base_options();
    o.half_open_permits = n;
    return o;
  }
  ManualClock clock;
  CircuitBreaker b;
};

}  // namespace

TEST(CircuitBreaker, StartsClosedAndPermitsCalls) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_TRUE(call(b, Outcome::kSuccess));
}

TEST(CircuitBreaker, OpensAfterFiveConsecutiveFailures) {
  ManualClock clock;
  auto o = base_options();
  o.consecutive_failures = 5;
  o.minimum_calls = 10;  // the rate rule alone could not judge yet
  CircuitBreaker b(o, nullptr, clock);
  for (int i = 0; i < 4; ++i) call(b, Outcome::kFailure);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  call(b, Outcome::kFailure);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, SuccessResetsTheConsecutiveFailureCount) {
  ManualClock clock;
  auto o = base_options();
  o.consecutive_failures = 3;
  o.window_size = 20;
  o.minimum_calls = 20;
  CircuitBreaker b(o, nullptr, clock);
  for (int i = 0; i < 5; ++i) {
    call(b, Outcome::kFailure);
    call(b, Outcome::kFailure);
    call(b, Outcome::kSuccess);
  }
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, DoesNotJudgeTheRateBeforeMinimumCalls) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  for (int i = 0; i < 9; ++i) call(b, Outcome::kFailure);  // 100% but only 9 calls
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  call(b, Outcome::kFailure);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, OpensWhenFailureRateReachesThreshold) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  for (int i = 0; i < 4; ++i) {
    call(b, Outcome::kSuccess);
    call(b, Outcome::kFailure);
  }
  call(b, Outcome::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kClosed);  // 4 of 9
  call(b, Outcome::kFailure);                    // 5 of 10 = 50%
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, StaysClosedBelowFailureRate) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  for (int i = 0; i < 50; ++i) call(b, i % 3 == 0 ? Outcome::kFailure : Outcome::kSuccess);  // 1 in 3
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, CountWindowForgetsTheOldestCalls) {
  ManualClock clock;
  auto o = base_options();
  o.window_size = 4;
  o.minimum_calls = 4;
  CircuitBreaker b(o, nullptr, clock);
  call(b, Outcome::kFailure);
  for (int i = 0; i < 4; ++i) call(b, Outcome::kSuccess);  // the failure slides out
  call(b, Outcome::kFailure);                              // [S S S F]: 25%
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_EQ(b.snapshot().failures, 1u);
  call(b, Outcome::kFailure);  // [S S F F]: 50% (all history would be 3 of 7)
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, SuccessesIntoAFullWindowOfSuccessesKeepItsCountsExact) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);  // window 10, judged from 10 calls, 50%
  for (int i = 0; i < 10; ++i) call(b, Outcome::kSuccess);   // full, successes only
  for (int i = 0; i < 100; ++i) call(b, Outcome::kSuccess);  // recorded without the lock
  auto s = b.snapshot();
  EXPECT_EQ(s.calls, 10u);
  EXPECT_EQ(s.failures, 0u);
  for (int i = 0; i < 4; ++i) call(b, Outcome::kFailure);
  s = b.snapshot();
  EXPECT_EQ(s.failures, 4u);
  EXPECT_EQ(s.consecutive_failures, 4u);
  call(b, Outcome::kSuccess);  // the window is no longer clean: counted under the lock
  s = b.snapshot();
  EXPECT_EQ(s.failures, 4u);
  EXPECT_EQ(s.consecutive_failures, 0u);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  call(b, Outcome::kFailure);  // 5 of the last 10
  EXPECT_EQ(b.state(), BreakerState::kOpen);

  // A slow success is not a plain one: with slow calls judged it still counts.
  auto o = base_options();
  o.slow_call_rate_threshold = 0.5;
  o.slow_call_duration = 100ms;
  CircuitBreaker slow(o, nullptr, clock);
  for (int i = 0; i < 10; ++i) call(slow, Outcome::kSuccess, 1ms);
  for (int i = 0; i < 4; ++i) call(slow, Outcome::kSuccess, 200ms);
  EXPECT_EQ(slow.state(), BreakerState::kClosed);
  call(slow, Outcome::kSuccess, 200ms);
  EXPECT_EQ(slow.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, TimeWindowDropsExpiredBuckets) {
  ManualClock clock;
  auto o = base_options();
  o.window_type = WindowType::kTimeBased;
  o.time_window = 10s;
  o.time_window_buckets = 10;
  o.minimum_calls = 4;
  CircuitBreaker b(o, nullptr, clock);
  for (int i = 0; i < 3; ++i) call(b, Outcome::kFailure);
  EXPECT_EQ(b.snapshot().calls, 3u);
  clock.advance(11s);  // those three are out of the window now
  EXPECT_EQ(b.snapshot().calls, 0u);
  for (int i = 0; i < 3; ++i) call(b, Outcome::kSuccess);
  call(b, Outcome::kFailure);  // 1 of 4 (with the old ones it would be 4 of 7)
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  clock.advance(1s);
  call(b, Outcome::kFailure);  // 2 of 5
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  call(b, Outcome::kFailure);  // 3 of 6 = 50%
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, TimeWindowCountsCallsAcrossBuckets) {
  ManualClock clock;
  auto o = base_options();
  o.window_type = WindowType::kTimeBased;
  o.time_window = 10s;
  o.time_window_buckets = 10;
  o.minimum_calls = 4;
  CircuitBreaker b(o, nullptr, clock);
  for (int i = 0; i < 4; ++i) {
    call(b, i < 2 ? Outcome::kSuccess : Outcome::kFailure);
    clock.advance(2s);  // each call in another bucket, all within 10 s
  }
  EXPECT_EQ(b.state(), BreakerState::kOpen);  // 2 of 4
}

TEST(CircuitBreaker, OpensWhenSlowCallRateReachesThreshold) {
  ManualClock clock;
  auto o = base_options();
  o.minimum_calls = 4;
  o.window_size = 4;
  o.slow_call_rate_threshold = 0.75;
  o.slow_call_duration = 1s;
  CircuitBreaker b(o, nullptr, clock);
  call(b, Outcome::kSuccess, 10ms);
  call(b, Outcome::kSuccess, 2s);
  call(b, Outcome::kSuccess, 1s);  // at the threshold counts as slow
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_EQ(b.snapshot().slow_calls, 2u);
  call(b, Outcome::kSuccess, 5s);  // 3 of 4 slow
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, SlowCallsIgnoredWhenRateDisabled) {
  ManualClock clock;
  auto o = base_options();
  o.minimum_calls = 4;
  o.window_size = 4;
  o.slow_call_rate_threshold = 0.0;  // off
  o.slow_call_duration = 1s;
  CircuitBreaker b(o, nullptr, clock);
  for (int i = 0; i < 8; ++i) call(b, Outcome::kSuccess, 10s);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, RejectsWhileOpenUntilWaitElapsesThenHalfOpens) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  open_it(b);
  EXPECT_FALSE(b.try_acquire());
  clock.advance(5s - 1ms);
  EXPECT_FALSE(b.try_acquire());
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  clock.advance(1ms);
  auto p = b.try_acquire();
  EXPECT_TRUE(p);
  EXPECT_TRUE(p.trial);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
}

TEST(CircuitBreaker, HalfOpenLetsExactlyTheTrialCallsThrough) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  open_it(b);
  clock.advance(5s);
  std::vector<CircuitBreaker::Permit> permits;
  for (int i = 0; i < 3; ++i) permits.push_back(b.try_acquire());
  for (auto& p : permits) EXPECT_TRUE(p);
  EXPECT_FALSE(b.try_acquire());
  EXPECT_FALSE(b.try_acquire());
}

TEST(CircuitBreaker, ClosesAfterAllTrialCallsSucceed) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  open_it(b);
  clock.advance(5s);
  auto p1 = b.try_acquire(), p2 = b.try_acquire(), p3 = b.try_acquire();
  b.on_result(p1, Outcome::kSuccess, 1ms);
  b.on_result(p2, Outcome::kSuccess, 1ms);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  b.on_result(p3, Outcome::kSuccess, 1ms);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_EQ(b.snapshot().calls, 0u);  // a fresh window
}

TEST(CircuitBreaker, OneFailureInHalfOpenReopens) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  open_it(b);
  clock.advance(5s);
  auto p1 = b.try_acquire(), p2 = b.try_acquire();
  b.on_result(p1, Outcome::kSuccess, 1ms);
  b.on_result(p2, Outcome::kFailure, 1ms);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_FALSE(b.try_acquire());  // and waits a full wait_in_open again
  clock.advance(5s);
  EXPECT_TRUE(b.try_acquire());
}

TEST(CircuitBreaker, HalfOpenWithoutVerdictReopensAfterMaxDuration) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  open_it(b);
  clock.advance(5s);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.try_acquire());  // never reported
  clock.advance(10s);
  EXPECT_FALSE(b.try_acquire());
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  clock.advance(5s);
  EXPECT_TRUE(b.try_acquire());
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
}

TEST(CircuitBreaker, ReleasedTrialPermitFreesItsSlot) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  open_it(b);
  clock.advance(5s);
  auto p1 = b.try_acquire();
  b.try_acquire();
  b.try_acquire();
  EXPECT_FALSE(b.try_acquire());
  b.release(p1);
  EXPECT_TRUE(b.try_acquire());
  EXPECT_FALSE(b.try_acquire());
}

TEST(CircuitBreaker, IgnoredOutcomeIsNotCounted) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  for (int i = 0; i < 20; ++i) call(b, Outcome::kIgnored);
  EXPECT_EQ(b.snapshot().calls, 0u);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, ResultFromBeforeAStateChangeIsIgnored) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  auto old = b.try_acquire();  // taken while closed
  open_it(b);
  clock.advance(5s);
  auto t1 = b.try_acquire(), t2 = b.try_acquire(), t3 = b.try_acquire();
  b.on_result(t1, Outcome::kSuccess, 1ms);
  b.on_result(t2, Outcome::kSuccess, 1ms);
  b.on_result(old, Outcome::kSuccess, 1ms);  // must not count as the third trial
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  b.on_result(t3, Outcome::kSuccess, 1ms);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, DisabledPermitsEverythingAndNeverOpens) {
  ManualClock clock;
  auto o = base_options();
  o.consecutive_failures = 2;
  CircuitBreaker b(o, nullptr, clock);
  b.disable();
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(call(b, Outcome::kFailure));
  EXPECT_EQ(b.state(), BreakerState::kDisabled);
}

TEST(CircuitBreaker, ForcedOpenRejectsEverythingUntilReset) {
  ManualClock clock;
  CircuitBreaker b(base_options(), nullptr, clock);
  b.force_open();
  clock.advance(1h);
  EXPECT_FALSE(b.try_acquire());
  EXPECT_EQ(b.state(), BreakerState::kForcedOpen);
  b.reset();
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_TRUE(b.try_acquire());
}

TEST(CircuitBreaker, HalfOpenPermitsAreExactUnderConcurrency) {
  for (int round = 0; round < 20; ++round) {
    Opened rig(5);
    auto& b = rig.b;
    rig.clock.advance(5s);
    std::atomic<int> granted{0};
    race([&] {
      for (int i = 0; i < 100; ++i)
        if (b.try_acquire()) granted.fetch_add(1);
    });
    ASSERT_EQ(granted.load(), 5) << "round " << round;
  }
}

TEST(CircuitBreaker, HalfOpenTrialsStayExactWhileResultsArriveConcurrently) {
  // All trials succeed: exactly 4 are handed out and it closes once. The
  // first trial fails: at most 4 were handed out and it reopens, never closed.
  for (bool first_fails : {false, true})
    for (int round = 0; round < 20; ++round) {
      SCOPED_TRACE(testing::Message() << (first_fails ? "first trial fails" : "trials succeed") << ", round " << round);
      Opened rig(4);
      auto& b = rig.b;
      std::atomic<int> closes{0};
      b.set_listener([&](BreakerState, BreakerState to, const std::string&) { closes += to == BreakerState::kClosed; });
      rig.clock.advance(5s);
      std::atomic<int> trials{0}, plain{0};
      race([&] {
        for (int i = 0; i < 200; ++i) {
          auto p = b.try_acquire();
          if (!p) continue;
          const bool first = p.trial && trials.fetch_add(1) == 0;
          if (!p.trial) plain.fetch_add(1);
          // Each result races the other threads' acquires.
          b.on_result(p, first && first_fails ? Outcome::kFailure : Outcome::kSuccess, 1ms);
        }
      });
      if (first_fails) {
        ASSERT_GE(trials.load(), 1);
        ASSERT_LE(trials.load(), 4);
        ASSERT_EQ(plain.load(), 0);  // it never closed
        ASSERT_EQ(b.state(), BreakerState::kOpen);
      } else {
        ASSERT_EQ(trials.load(), 4);  // never a fifth trial, even as the first ones are judged
        ASSERT_EQ(b.state(), BreakerState::kClosed);
        ASSERT_EQ(closes.load(), 1);
        ASSERT_GT(plain.load(), 0);  // closed again: calls flow without trials
      }
    }
}

TEST(CircuitBreaker, ConcurrentResultsKeepTheWindowConsistent) {
  ManualClock clock;
  auto o = base_options();
  o.window_size = 100;
  o.minimum_calls = 100;
  o.failure_rate_threshold = 1.0;
  CircuitBreaker b(o, nullptr, clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) call(b, i % 2 ? Outcome::kFailure : Outcome::kSuccess);
    });
  for (auto& t : threads) t.join();
  auto s = b.snapshot();
  EXPECT_EQ(s.calls, 100u);
  EXPECT_LE(s.failures, 100u);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreaker, ExportsStateCallsAndTransitions) {
  ManualClock clock;
  obs::Registry registry;
  auto o = base_options();
  o.name = "catalog";
  o.consecutive_failures = 2;
  CircuitBreaker b(o, &registry, clock);
  call(b, Outcome::kSuccess);
  call(b, Outcome::kFailure);
  call(b, Outcome::kFailure);
  EXPECT_FALSE(b.try_acquire());
  const std::string text = registry.render();
  EXPECT_NE(text.find(R"(resilience_circuit_breaker_state{name="catalog",state="open"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(resilience_circuit_breaker_state{name="catalog",state="closed"} 0)"), std::string::npos);
  EXPECT_NE(text.find(R"(resilience_circuit_breaker_calls_total{name="catalog",outcome="failure"} 2)"), std::string::npos);
  EXPECT_NE(text.find(R"(resilience_circuit_breaker_calls_total{name="catalog",outcome="rejected"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(resilience_circuit_breaker_transitions_total{name="catalog",to="open"} 1)"), std::string::npos);
}

TEST(CircuitBreaker, ListenerHearsEveryStateChange) {
  ManualClock clock;
  auto o = base_options();
  o.consecutive_failures = 1;
  o.half_open_permits = 1;
  CircuitBreaker b(o, nullptr, clock);
  std::vector<std::pair<BreakerState, BreakerState>> seen;
  b.set_listener([&](BreakerState from, BreakerState to, const std::string&) { seen.emplace_back(from, to); });
  call(b, Outcome::kFailure);
  clock.advance(5s);
  call(b, Outcome::kSuccess);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_pair(BreakerState::kClosed, BreakerState::kOpen));
  EXPECT_EQ(seen[1], std::make_pair(BreakerState::kOpen, BreakerState::kHalfOpen));
  EXPECT_EQ(seen[2], std::make_pair(BreakerState::kHalfOpen, BreakerState::kClosed));
}

TEST(CircuitBreaker, LogsEveryStateChangeWithItsReason) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(logger);
  {
    ManualClock clock;
    auto o = base_options();
    o.name = "catalog";
    o.consecutive_failures = 2;
    o.half_open_permits = 1;
    CircuitBreaker b(o, nullptr, clock);
    call(b, Outcome::kFailure);
    call(b, Outcome::kFailure);
    clock.advance(5s);
    call(b, Outcome::kSuccess);
  }
  spdlog::set_default_logger(previous);
  auto logged = sink->last_raw();
  ASSERT_EQ(logged.size(), 3u);
  auto text = [&](std::size_t i) { return std::string(logged[i].payload.data(), logged[i].payload.size()); };
  EXPECT_EQ(logged[0].level, spdlog::level::warn);  // opening is worth a warning
  EXPECT_NE(text(0).find("circuit breaker catalog: closed -> open (consecutive failures"), std::string::npos) << text(0);
  EXPECT_NE(text(1).find("open -> half_open"), std::string::npos) << text(1);
  EXPECT_EQ(logged[2].level, spdlog::level::info);
  EXPECT_NE(text(2).find("half_open -> closed (1 trial calls succeeded)"), std::string::npos) << text(2);
}

TEST(CircuitBreaker, RejectsInconsistentOptions) {
  auto o = base_options();
  o.minimum_calls = 11;  // > window_size 10
  EXPECT_THROW(CircuitBreaker b(o), std::invalid_argument);
  o = base_options();
  o.failure_rate_threshold = 0;
  EXPECT_THROW(CircuitBreaker b(o), std::invalid_argument);
  o = base_options();
  o.half_open_permits = 0;
  EXPECT_THROW(CircuitBreaker b(o), std::invalid_argument);
}

TEST(CircuitBreaker, DefaultsTripOnAFewFailuresOfALowVolumeCaller) {
  ManualClock clock;
  CircuitBreaker b(CircuitBreakerOptions{}, nullptr, clock);
  for (int i = 0; i < 5; ++i) call(b, Outcome::kFailure);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreaker, DefaultsRideOutTheOccasionalFailureOfALowVolumeCaller) {
  ManualClock clock;
  CircuitBreaker b(CircuitBreakerOptions{}, nullptr, clock);
  // The first call failing is not 100% of anything: rates need 5 calls.
  call(b, Outcome::kFailure);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  // One failure in four, for a hundred calls: 25% < 50%, never 5 in a row.
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(call(b, i % 4 == 3 ? Outcome::kFailure : Outcome::kSuccess)) << i;
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  // And after opening, the 5 s wait and 3 trials bring it back.
  for (int i = 0; i < 5; ++i) call(b, Outcome::kFailure);
  ASSERT_EQ(b.state(), BreakerState::kOpen);
  clock.advance(5s);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(call(b, Outcome::kSuccess));
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}
