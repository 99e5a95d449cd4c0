// Bulkhead: a limit on the calls in flight to one downstream, so a slow
// downstream holds at most max_concurrent_calls of the caller's capacity.
// A call beyond the limit waits at most max_wait for a slot (first come,
// first served; a freed slot is handed to the oldest waiter), then is rejected.
// Thread-safety: all methods are safe from any thread. try_acquire/release
// are lock-free when no one waits; waiters are queued under mu_.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/thread_annotations.h"
#include "obs/metrics.h"

namespace scalelab::resilience {

struct BulkheadOptions {
  std::string name = "default";          // metrics label
  std::size_t max_concurrent_calls = 32;  // calls in flight at once
  std::chrono::milliseconds max_wait{0};  // wait for a free slot; 0 rejects at once
};

class Bulkhead {
 public:
  // registry may be null. Throws std::invalid_argument when max_concurrent_calls is 0.
  explicit Bulkhead(BulkheadOptions options, obs::Registry* registry = nullptr);
  ~Bulkhead();
  Bulkhead(const Bulkhead&) = delete;
  Bulkhead& operator=(const Bulkhead&) = delete;

  // Takes a slot if one is free now. Counts a rejection when not.
  bool try_acquire();
  // Takes a slot, waiting up to min(max_wait, options().max_wait) on the
  // calling coroutine's executor (real time). False: rejected.
  boost::asio::awaitable<bool> acquire(std::chrono::milliseconds max_wait);
  boost::asio::awaitable<bool> acquire() { return acquire(options_.max_wait); }
  // REQUIRES: a slot taken by try_acquire or acquire.
  void release();

  std::size_t in_flight() const { return count_.load(std::memory_order_relaxed); }
  std::size_t waiting() const { return waiting_.load(std::memory_order_relaxed); }
  const BulkheadOptions& options() const { return options_; }

 private:
  struct Waiter;
  bool take_slot();  // no rejection counted

  const BulkheadOptions options_;
  std::atomic<std::size_t> count_{0};
  std::atomic<std::size_t> waiting_{0};
  core::Mutex mu_;
  // Weak: a waiter whose coroutine was destroyed (its io_context went away)
  // is skipped rather than handed a slot.
  std::deque<std::weak_ptr<Waiter>> queue_ GUARDED_BY(mu_);
  obs::Gauge* in_flight_gauge_ = nullptr;
  obs::Counter* rejected_ = nullptr;
};

}  // namespace scalelab::resilience
