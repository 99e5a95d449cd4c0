#include "resilience/bulkhead.h"

#include <algorithm>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace scalelab::resilience {

namespace asio = boost::asio;

struct Bulkhead::Waiter {
  explicit Waiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  bool granted = false;  // guarded by the bulkhead's mu_: a slot was handed over
};

Bulkhead::Bulkhead(BulkheadOptions options, obs::Registry* registry) : options_(std::move(options)) {
  if (options_.max_concurrent_calls == 0)
    throw std::invalid_argument("bulkhead '" + options_.name + "': max_concurrent_calls must be at least 1");
  if (registry) {
    in_flight_gauge_ = &registry->gauge("resilience_bulkhead_in_flight", "Calls holding a bulkhead slot",
                                        {{"name", options_.name}});
    rejected_ = &registry->counter("resilience_bulkhead_rejected_total",
                                   "Calls rejected because every bulkhead slot was taken",
                                   {{"name", options_.name}});
    registry->gauge("resilience_bulkhead_max_concurrent_calls", "The bulkhead's limit", {{"name", options_.name}})
        .set(static_cast<double>(options_.max_concurrent_calls));
  }
}

Bulkhead::~Bulkhead() = default;

bool Bulkhead::take_slot() {
  std::size_t c = count_.load(std::memory_order_relaxed);
  while (c < options_.max_concurrent_calls) {
    if (count_.compare_exchange_weak(c, c + 1, std::memory_order_seq_cst)) {
      // A plain store, not a second atomic add: cheap, and exact whenever
      // the bulkhead is quiet (concurrent updates may briefly reorder).
      if (in_flight_gauge_) in_flight_gauge_->set(static_cast<double>(c + 1));
      return true;
    }
  }
  return false;
}

bool Bulkhead::try_acquire() {
  if (take_slot()) [[likely]]
    return true;
  if (rejected_) rejected_->inc();
  return false;
}

asio::awaitable<bool> Bulkhead::acquire(std::chrono::milliseconds max_wait) {
  if (take_slot()) co_return true;
  const auto wait = std::min(max_wait, options_.max_wait);
  if (wait <= std::chrono::milliseconds::zero()) {
    if (rejected_) rejected_->inc();
    co_return false;
  }
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  waiter->timer.expires_after(wait);
  {
    core::MutexLock lock(mu_);
    queue_.push_back(waiter);
    waiting_.fetch_add(1, std::memory_order_seq_cst);
    // A release between our failed attempt and the line above saw no waiter:
    // try again now that we are visible to release().
    if (take_slot()) {
      queue_.pop_back();
      waiting_.fetch_sub(1);
      co_return true;
    }
  }
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  core::MutexLock lock(mu_);
  if (waiter->granted) co_return true;
  std::erase_if(queue_, [&](const std::weak_ptr<Waiter>& w) { return w.lock() == waiter; });
  waiting_.fetch_sub(1);
  if (rejected_) rejected_->inc();
  co_return false;
}

void Bulkhead::release() {
  const std::size_t before = count_.fetch_sub(1, std::memory_order_seq_cst);
  if (in_flight_gauge_) in_flight_gauge_->set(static_cast<double>(before - 1));
  if (waiting_.load(std::memory_order_seq_cst) == 0) [[likely]]
    return;
  core::MutexLock lock(mu_);
  while (!queue_.empty()) {
    auto waiter = queue_.front().lock();
    if (!waiter) {  // its coroutine is gone
      queue_.pop_front();
      waiting_.fetch_sub(1);
      continue;
    }
    if (!take_slot()) break;
    queue_.pop_front();
    waiting_.fetch_sub(1);
    waiter->granted = true;
    // The timer belongs to the waiter's executor: cancel it there.
    asio::post(waiter->timer.get_executor(), [waiter] { waiter->timer.cancel(); });
  }
}

}  // namespace scalelab::resilience
