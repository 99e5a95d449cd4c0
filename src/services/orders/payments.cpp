#include "services/orders/payments.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace scalelab::orders {

namespace asio = boost::asio;

// A caller queued for a slot. `granted` is written under the processor's mu_
// (the analysis cannot name another object's mutex here).
struct PaymentProcessor::Waiter {
  explicit Waiter(asio::any_io_executor ex) : channel(ex, 1) {}
  asio::experimental::concurrent_channel<void(boost::system::error_code)> channel;
  bool granted = false;
};

PaymentProcessor::PaymentProcessor(Options options) : options_(options), free_(std::max(1, options.slots)) {
  options_.slots = std::max(1, options.slots);
  if (!options_.clock) options_.clock = &resilience::steady_clock();
}

PaymentProcessor::~PaymentProcessor() = default;

int PaymentProcessor::busy() const {
  core::MutexLock lock(mu_);
  return options_.slots - free_;
}
int PaymentProcessor::waiting() const {
  core::MutexLock lock(mu_);
  return static_cast<int>(waiters_.size());
}
std::uint64_t PaymentProcessor::verifications() const {
  core::MutexLock lock(mu_);
  return done_;
}

void PaymentProcessor::release() {
  std::shared_ptr<Waiter> next;
  {
    core::MutexLock lock(mu_);
    ++done_;
    if (waiters_.empty()) {
      ++free_;
      return;
    }
    next = waiters_.front();
    waiters_.pop_front();
    next->granted = true;  // the slot passes straight to it
  }
  next->channel.try_send(boost::system::error_code{});
}

// Waits until release() hands `waiter` a slot or the deadline passes (a real
// timer for the time left on the processor's clock). True when granted; a
// waiter that timed out leaves the queue.
asio::awaitable<bool> PaymentProcessor::wait_for_slot(std::shared_ptr<Waiter> waiter,
                                                      resilience::Clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  const auto left = std::max(resilience::Clock::duration::zero(), deadline - clock().now());
  asio::steady_timer timer(co_await asio::this_coro::executor, left);
  boost::system::error_code ec1, ec2;
  co_await (waiter->channel.async_receive(asio::redirect_error(asio::use_awaitable, ec1)) ||
            timer.async_wait(asio::redirect_error(asio::use_awaitable, ec2)));
  core::MutexLock lock(mu_);
  if (waiter->granted) co_return true;
  std::erase(waiters_, waiter);
  co_return false;
}

asio::awaitable<Status> PaymentProcessor::verify(resilience::Clock::time_point deadline) {
  auto ex = co_await asio::this_coro::executor;
  std::shared_ptr<Waiter> waiter;
  {
    core::MutexLock lock(mu_);
    if (free_ > 0) {
      --free_;
    } else {
      waiter = std::make_shared<Waiter>(ex);
      waiters_.push_back(waiter);
    }
  }
  if (waiter && !co_await wait_for_slot(waiter, deadline))
    co_return Error{ErrorKind::kTimeout, "no payment slot free before the deadline"};
  // Holding a slot: the verification takes exactly `delay`.
  struct Release {
    PaymentProcessor* p;
    ~Release() { p->release(); }
  } release{this};
  if (options_.delay.count() > 0) co_await clock().sleep_for(options_.delay);
  co_return Status{};
}

std::string retry_after_seconds(const PaymentProcessor& p) {
  const double per = std::chrono::duration<double>(p.options().delay).count();
  const double queued = static_cast<double>(p.waiting()) / p.options().slots + 1;
  return std::to_string(std::max<long>(1, static_cast<long>(std::ceil(per * queued))));
}

}  // namespace scalelab::orders
