#include "resilience/retry.h"

#include <set>

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using namespace scalelab::resilience;

namespace {
RetryOptions exp_options(Jitter jitter) {
  RetryOptions o;
  o.base_delay = 100ms;
  o.max_delay = 1s;
  o.jitter = jitter;
  return o;
}
}  // namespace

TEST(RetrySchedule, WithoutJitterDoublesUpToTheCap) {
  auto o = exp_options(Jitter::kNone);
  RetrySchedule s(o, 1);
  const std::vector<Clock::duration> expected{100ms, 200ms, 400ms, 800ms, 1s, 1s, 1s};
  for (auto e : expected) EXPECT_EQ(s.next_delay(), e);
}

TEST(RetrySchedule, FullJitterStaysUnderTheExponentialCeiling) {
  auto o = exp_options(Jitter::kFull);
  std::set<Clock::duration::rep> first_pauses;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    RetrySchedule s(o, seed);
    Clock::duration ceiling = 100ms;
    for (int n = 0; n < 8; ++n) {
      const auto d = s.next_delay();
      EXPECT_GE(d, Clock::duration::zero());
      EXPECT_LE(d, std::min<Clock::duration>(ceiling, 1s));
      if (n == 0) first_pauses.insert(d.count());
      ceiling *= 2;
    }
  }
  EXPECT_GT(first_pauses.size(), 150u);  // spread out, not one value
}

TEST(RetrySchedule, DecorrelatedJitterStaysBetweenBaseAndThreeTimesThePrevious) {
  auto o = exp_options(Jitter::kDecorrelated);
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    RetrySchedule s(o, seed);
    Clock::duration previous = 100ms;
    for (int n = 0; n < 10; ++n) {
      const auto d = s.next_delay();
      EXPECT_GE(d, Clock::duration(100ms));
      EXPECT_LE(d, std::min<Clock::duration>(previous * 3, 1s));
      previous = d;
    }
  }
}

TEST(RetrySchedule, SameSeedGivesTheSameSchedule) {
  auto o = exp_options(Jitter::kFull);
  RetrySchedule a(o, 42), b(o, 42), c(o, 43);
  bool differs = false;
  for (int i = 0; i < 5; ++i) {
    const auto da = a.next_delay();
    EXPECT_EQ(da, b.next_delay());
    differs |= da != c.next_delay();
  }
  EXPECT_TRUE(differs);
}

TEST(RetryBudget, AllowsTheMinimumEvenWithFewRequests) {
  ManualClock clock;
  RetryBudget budget({.retry_ratio = 0.1, .min_retries = 3, .window = 10s, .buckets = 10});
  for (int i = 0; i < 5; ++i) budget.record_request(clock.now());
  EXPECT_TRUE(budget.try_spend(clock.now()));
  EXPECT_TRUE(budget.try_spend(clock.now()));
  EXPECT_TRUE(budget.try_spend(clock.now()));
  EXPECT_FALSE(budget.try_spend(clock.now()));
}

TEST(RetryBudget, AllowsRetriesUpToTheRatioOfRequests) {
  ManualClock clock;
  RetryBudget budget({.retry_ratio = 0.2, .min_retries = 0, .window = 10s, .buckets = 10});
  for (int i = 0; i < 100; ++i) budget.record_request(clock.now());
  int spent = 0;
  while (budget.try_spend(clock.now()) && spent < 1000) ++spent;
  EXPECT_EQ(spent, 20);
  EXPECT_EQ(budget.stats(clock.now()).retries, 20u);
}

TEST(RetryBudget, RefillsAsTheWindowSlides) {
  ManualClock clock;
  RetryBudget budget({.retry_ratio = 0.0, .min_retries = 2, .window = 10s, .buckets = 10});
  EXPECT_TRUE(budget.try_spend(clock.now()));
  EXPECT_TRUE(budget.try_spend(clock.now()));
  EXPECT_FALSE(budget.try_spend(clock.now()));
  clock.advance(5s);
  EXPECT_FALSE(budget.try_spend(clock.now()));  // still in the window
  clock.advance(6s);
  EXPECT_TRUE(budget.try_spend(clock.now()));
}

TEST(RetryBudget, OldRequestsStopEarningRetries) {
  ManualClock clock;
  RetryBudget budget({.retry_ratio = 0.5, .min_retries = 0, .window = 10s, .buckets = 10});
  for (int i = 0; i < 10; ++i) budget.record_request(clock.now());
  clock.advance(11s);
  EXPECT_EQ(budget.stats(clock.now()).requests, 0u);
  EXPECT_FALSE(budget.try_spend(clock.now()));
}

TEST(RetryAfter, ParsesSecondsAndHttpDates) {
  EXPECT_EQ(parse_retry_after("2"), std::chrono::milliseconds(2000));
  EXPECT_EQ(parse_retry_after(" 0 "), std::chrono::milliseconds(0));
  const auto now = std::chrono::system_clock::from_time_t(1445412470);  // 07:27:50 GMT
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), std::chrono::milliseconds(10'000));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), std::chrono::milliseconds(0));
  EXPECT_FALSE(parse_retry_after(""));
  EXPECT_FALSE(parse_retry_after("soon"));
  EXPECT_FALSE(parse_retry_after("-3"));
  EXPECT_FALSE(parse_retry_after("3s"));
}
