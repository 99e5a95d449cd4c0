// The payment processor of hw7: `slots` verifications at once, each taking
// exactly `delay` on its clock. verify() waits for a free slot until
// `deadline` (first come, first served), then holds it for `delay`. It fails
// with kTimeout, having used no slot, when no slot freed up by the deadline.
// The clock is injectable: on a resilience::ManualClock a verification
// completes at once (advancing the clock by `delay`), so tests do not sleep.
// Thread-safety: thread-safe; verify() may run on any executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "core/thread_annotations.h"
#include "resilience/clock.h"

namespace scalelab::orders {

class PaymentProcessor {
 public:
  struct Options {
    int slots = 1;                           // >= 1
    std::chrono::milliseconds delay{3'000};  // >= 0
    // The time source of the verification delay; null: the steady clock.
    // REQUIRES: outlives the processor.
    resilience::Clock* clock = nullptr;
  };
  explicit PaymentProcessor(Options options);
  ~PaymentProcessor();

  // `deadline` is a time point of the processor's clock (clock().now() + wait).
  boost::asio::awaitable<Status> verify(resilience::Clock::time_point deadline);

  const Options& options() const { return options_; }
  resilience::Clock& clock() const { return *options_.clock; }
  int busy() const;                     // slots in use
  int waiting() const;                  // callers queued for a slot
  std::uint64_t verifications() const;  // completed verify() calls

 private:
  struct Waiter;
  boost::asio::awaitable<bool> wait_for_slot(std::shared_ptr<Waiter> waiter, resilience::Clock::time_point deadline);
  void release();
  Options options_;
  mutable core::Mutex mu_;
  int free_ GUARDED_BY(mu_);
  std::deque<std::shared_ptr<Waiter>> waiters_ GUARDED_BY(mu_);
  std::uint64_t done_ GUARDED_BY(mu_) = 0;
};

// The Retry-After (whole seconds, at least 1) for a caller refused a slot:
// the queue ahead of it divided among the slots, times the delay.
std::string retry_after_seconds(const PaymentProcessor& payments);

}  // namespace scalelab::orders
