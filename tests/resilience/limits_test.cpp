#include <atomic>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "core/run_blocking.h"
#include "obs/metrics.h"
#include "resilience/bulkhead.h"
#include "resilience/rate_limiter.h"

using namespace std::chrono_literals;
using namespace scalelab;
using namespace scalelab::resilience;
namespace asio = boost::asio;

TEST(Bulkhead, RejectsCallsBeyondTheLimit) {
  obs::Registry registry;
  Bulkhead b({.name = "x", .max_concurrent_calls = 2}, &registry);
  EXPECT_TRUE(b.try_acquire());
  EXPECT_TRUE(b.try_acquire());
  EXPECT_FALSE(b.try_acquire());
  EXPECT_EQ(b.in_flight(), 2u);
  b.release();
  EXPECT_TRUE(b.try_acquire());
  EXPECT_NE(registry.render().find(R"(resilience_bulkhead_rejected_total{name="x"} 1)"), std::string::npos);
}

TEST(Bulkhead, WaitingCallGetsTheNextFreedSlot) {
  Bulkhead b({.name = "x", .max_concurrent_calls = 1, .max_wait = 10s});
  ASSERT_TRUE(b.try_acquire());
  asio::io_context io;
  std::optional<bool> got;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { got = co_await b.acquire(); }, asio::detached);
  io.run_one();  // the waiter is queued
  EXPECT_FALSE(got);
  EXPECT_EQ(b.waiting(), 1u);
  b.release();  // hands the slot to the waiter
  io.run();
  ASSERT_TRUE(got);
  EXPECT_TRUE(*got);
  EXPECT_EQ(b.in_flight(), 1u);
  EXPECT_EQ(b.waiting(), 0u);
}

TEST(Bulkhead, WaitIsBounded) {
  Bulkhead b({.name = "x", .max_concurrent_calls = 1, .max_wait = 20ms});
  ASSERT_TRUE(b.try_acquire());
  EXPECT_FALSE(run_blocking(b.acquire()));
  EXPECT_EQ(b.waiting(), 0u);
  EXPECT_EQ(b.in_flight(), 1u);
}

TEST(Bulkhead, NoWaitRejectsAtOnce) {
  Bulkhead b({.name = "x", .max_concurrent_calls = 1, .max_wait = 0ms});
  ASSERT_TRUE(b.try_acquire());
  EXPECT_FALSE(run_blocking(b.acquire(10s)));
}

TEST(Bulkhead, ConcurrentCallsNeverExceedTheLimit) {
  Bulkhead b({.name = "x", .max_concurrent_calls = 3});
  std::atomic<int> inside{0}, max_inside{0}, admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (!b.try_acquire()) continue;
        admitted.fetch_add(1);
        const int now = inside.fetch_add(1) + 1;
        int seen = max_inside.load();
        while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {}
        inside.fetch_sub(1);
        b.release();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_LE(max_inside.load(), 3);
  EXPECT_GT(admitted.load(), 0);
  EXPECT_EQ(b.in_flight(), 0u);
}

TEST(Bulkhead, ManyWaitersAllServedAsSlotsFree) {
  Bulkhead b({.name = "x", .max_concurrent_calls = 2, .max_wait = 10s});
  asio::io_context io;
  int done = 0;
  for (int i = 0; i < 10; ++i)
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      if (!co_await b.acquire()) co_return;
      // hold it across a turn of the loop, then let the next one in
      co_await asio::post(io, asio::use_awaitable);
      b.release();
      ++done;
    }, asio::detached);
  io.run();
  EXPECT_EQ(done, 10);
  EXPECT_EQ(b.in_flight(), 0u);
}

TEST(RateLimiter, AllowsTheBurstThenTheRate) {
  ManualClock clock;
  RateLimiter r({.name = "x", .permits_per_second = 10, .burst = 3}, nullptr, clock);
  EXPECT_TRUE(r.try_acquire());
  EXPECT_TRUE(r.try_acquire());
  EXPECT_TRUE(r.try_acquire());
  EXPECT_FALSE(r.try_acquire());
  clock.advance(99ms);
  EXPECT_FALSE(r.try_acquire());
  clock.advance(1ms);
  EXPECT_TRUE(r.try_acquire());
  EXPECT_FALSE(r.try_acquire());
  clock.advance(1s);  // refills to the burst, not beyond
  int n = 0;
  while (r.try_acquire() && n < 100) ++n;
  EXPECT_EQ(n, 3);
}

TEST(RateLimiter, AcquireWaitsForTheNextTokenWithinMaxWait) {
  ManualClock clock;
  RateLimiter r({.name = "x", .permits_per_second = 10, .burst = 1, .max_wait = 150ms}, nullptr, clock);
  EXPECT_TRUE(r.try_acquire());
  const auto before = clock.now();
  EXPECT_TRUE(run_blocking(r.acquire()));
  EXPECT_EQ(clock.now() - before, Clock::duration(100ms));
  // The next is due 100 ms after that one: fine; the one after, 200 ms: too long.
  EXPECT_TRUE(run_blocking(r.acquire()));
  EXPECT_TRUE(r.try_acquire() == false);
}

TEST(RateLimiter, AcquireRejectsWhenTheWaitWouldExceedMaxWait) {
  ManualClock clock;
  RateLimiter r({.name = "x", .permits_per_second = 1, .burst = 1, .max_wait = 100ms}, nullptr, clock);
  EXPECT_TRUE(r.try_acquire());
  EXPECT_FALSE(run_blocking(r.acquire()));
  EXPECT_EQ(clock.sleeps(), 0u);
}

TEST(RateLimiter, ConcurrentCallersGetExactlyTheBurst) {
  ManualClock clock;  // time stands still: only the burst is available
  RateLimiter r({.name = "x", .permits_per_second = 1, .burst = 50}, nullptr, clock);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i)
        if (r.try_acquire()) granted.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 50);
}
