// RateLimiter: a token bucket (implemented as GCRA: one atomic "theoretical
// arrival time"), refilled at permits_per_second up to `burst` tokens.
// try_acquire takes a token now or fails; acquire may wait (on the injected
// clock) for the next token when it comes within max_wait.
// Thread-safety: all methods are safe from any thread; lock-free.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "obs/metrics.h"
#include "resilience/clock.h"

namespace scalelab::resilience {

struct RateLimiterOptions {
  std::string name = "default";           // metrics label
  double permits_per_second = 100.0;      // steady rate
  std::size_t burst = 10;                 // tokens available at once (bucket size)
  std::chrono::milliseconds max_wait{0};  // acquire() waits at most this long; 0: never waits
};

class RateLimiter {
 public:
  // Throws std::invalid_argument on a non-positive rate or a zero burst.
  RateLimiter(RateLimiterOptions options, obs::Registry* registry = nullptr, Clock& clock = steady_clock());

  bool try_acquire() { return try_acquire_at(clock_.now()); }
  bool try_acquire_at(Clock::time_point now);
  // Waits (clock.sleep_for) when the next token is due within max_wait.
  boost::asio::awaitable<bool> acquire();

  const RateLimiterOptions& options() const { return options_; }

 private:
  const RateLimiterOptions options_;
  Clock& clock_;
  const std::int64_t interval_ns_;   // one token every interval
  const std::int64_t tolerance_ns_;  // (burst - 1) intervals
  std::atomic<std::int64_t> tat_{INT64_MIN / 2};  // theoretical arrival time, ns since the clock's epoch
  obs::Counter* permitted_ = nullptr;
  obs::Counter* rejected_ = nullptr;
};

}  // namespace scalelab::resilience
