// The payment processor: its slots, a waiter's deadline, and the injected
// clock (no test here sleeps through a verification delay).
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "core/run_blocking.h"
#include "services/orders/payments.h"
#include "support/eventually.h"

namespace scalelab::orders {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// A clock whose sleeps last until the test opens the gate: verifications
// hold their slots exactly as long as the test wants.
class GatedClock final : public resilience::Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  asio::awaitable<void> sleep_for(duration) override {
    asio::steady_timer gate(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    {
      std::lock_guard lock(mu_);
      if (open_) co_return;
      gates_.push_back(&gate);
    }
    co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  // Ends every sleep, now and later. The timers belong to one io_context
  // thread: cancelled on it.
  void open(asio::io_context& io) {
    std::lock_guard lock(mu_);
    open_ = true;
    for (auto* g : gates_) asio::post(io, [g] { g->cancel(); });
  }

 private:
  std::mutex mu_;
  bool open_ = false;
  std::vector<asio::steady_timer*> gates_;
};

// Starts `n` verifications (deadline: now + wait) on io; results[i] gets each.
void verify_all(asio::io_context& io, PaymentProcessor& p, std::vector<std::optional<Status>>& results,
                std::chrono::milliseconds wait) {
  for (std::size_t i = 0; i < results.size(); ++i)
    asio::co_spawn(io, [&p, &results, i, wait]() -> asio::awaitable<void> {
      results[i] = co_await p.verify(p.clock().now() + wait);
    }, asio::detached);
}

TEST(PaymentProcessor, NeverRunsMoreVerificationsThanSlots) {
  GatedClock clock;
  PaymentProcessor p({.slots = 2, .delay = 3s, .clock = &clock});
  asio::io_context io;
  std::vector<std::optional<Status>> results(3);
  verify_all(io, p, results, 10s);
  std::thread runner([&] { io.run(); });
  EXPECT_TRUE(testkit::eventually([&] { return p.busy() == 2 && p.waiting() == 1; }, 10s))
      << p.busy() << " busy, " << p.waiting() << " waiting";
  clock.open(io);
  runner.join();
  for (const auto& r : results) EXPECT_TRUE(r && *r);
  EXPECT_EQ(p.verifications(), 3u);
  EXPECT_EQ(p.busy(), 0);
}

TEST(PaymentProcessor, AWaiterGivesUpAtItsDeadlineWithoutTakingASlot) {
  GatedClock clock;
  PaymentProcessor p({.slots = 1, .delay = 3s, .clock = &clock});
  asio::io_context io;
  std::vector<std::optional<Status>> holder(1);
  verify_all(io, p, holder, 10s);
  std::thread runner([&] { io.run(); });
  ASSERT_TRUE(testkit::eventually([&] { return p.busy() == 1; }, 10s));
  auto s = run_blocking(p.verify(clock.now() + 20ms));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(p.waiting(), 0);
  clock.open(io);
  runner.join();
  ASSERT_TRUE(holder[0] && *holder[0]);
  EXPECT_EQ(p.verifications(), 1u);
}

TEST(PaymentProcessor, OnAManualClockAVerificationTakesItsDelayInSimulatedTime) {
  resilience::ManualClock clock;
  PaymentProcessor p({.slots = 1, .delay = 3s, .clock = &clock});
  const auto start = clock.now();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(run_blocking(p.verify(clock.now() + 1s)));
  EXPECT_EQ(clock.now() - start, 9s);
  EXPECT_EQ(p.verifications(), 3u);
}

TEST(PaymentProcessor, RetryAfterCountsTheQueueAheadPerSlot) {
  PaymentProcessor p({.slots = 2, .delay = 1500ms});
  EXPECT_EQ(retry_after_seconds(p), "2");  // nobody waiting: one delay, rounded up
}

}  // namespace
}  // namespace scalelab::orders
