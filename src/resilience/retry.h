// Retry: what to retry, how long to wait between attempts, and a budget that
// keeps retries from multiplying load on a downstream that is already failing.
//
// RetrySchedule yields the pauses: exponential from base_delay, capped at
// max_delay, with full jitter (uniform in [0, min(cap, base * 2^n)]) or
// decorrelated jitter (min(cap, uniform[base, 3 * previous])), or none.
// RetryBudget is shared by every call to one downstream: within a sliding
// window, retries may be at most retry_ratio of the requests, but always at
// least min_retries (so a low-volume caller can still retry at all).
// The retry loop itself (never past the deadline, Retry-After, only safe
// calls) is resilience::Policy.
// Thread-safety: RetrySchedule is per call (one coroutine); RetryBudget is
// safe from any thread (record_request is lock-free; spending takes mu_).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "core/thread_annotations.h"
#include "resilience/clock.h"

namespace scalelab::resilience {

enum class Jitter : std::uint8_t {
  kNone,          // base * 2^n, capped
  kFull,          // uniform [0, min(cap, base * 2^n)]
  kDecorrelated,  // min(cap, uniform [base, 3 * previous pause])
};

struct RetryOptions {
  std::size_t max_attempts = 3;                // the first call included; 1 disables retries
  std::chrono::milliseconds base_delay{50};    // the first pause before jitter
  std::chrono::milliseconds max_delay{1'000};  // cap on any one pause
  Jitter jitter = Jitter::kFull;
  bool honour_retry_after = true;              // wait at least what a 429/503 Retry-After asks
  std::vector<unsigned> retry_on_status{429, 502, 503, 504};  // responses worth another try
  bool retry_on_timeout = true;                // a per-try timeout inside a longer deadline
  bool retry_on_connection_error = true;       // refused, reset, closed, malformed
  std::uint64_t seed = 0;                      // jitter seed; 0: random per process
};

class RetrySchedule {
 public:
  RetrySchedule(const RetryOptions& options, std::uint64_t seed);
  // The pause before the next retry (the first call is not preceded by one).
  Clock::duration next_delay();

 private:
  double uniform();  // [0, 1)
  const RetryOptions& options_;
  std::uint64_t state_;
  std::size_t retries_ = 0;
  Clock::duration previous_;
};

struct RetryBudgetOptions {
  double retry_ratio = 0.2;                  // retries <= this fraction of requests in the window
  std::size_t min_retries = 10;              // ...but this many are always allowed per window
  std::chrono::milliseconds window{10'000};  // sliding window, in buckets
  std::size_t buckets = 10;
};

class RetryBudget {
 public:
  // Throws std::invalid_argument on inconsistent options.
  explicit RetryBudget(RetryBudgetOptions options = {});

  // Counts one original request (every call, before its first attempt).
  // Lock-free; a count racing with a bucket roll-over may be lost (the
  // budget is approximate at bucket edges by design).
  void record_request(Clock::time_point now);
  // True when one more retry fits the budget; the retry is then counted.
  bool try_spend(Clock::time_point now);

  struct Stats {
    std::uint64_t requests = 0, retries = 0;
  };
  Stats stats(Clock::time_point now) const;
  const RetryBudgetOptions& options() const { return options_; }

 private:
  struct Bucket {
    std::atomic<std::int64_t> epoch{-1};
    std::atomic<std::uint32_t> requests{0};
    std::atomic<std::uint32_t> retries{0};
  };
  std::int64_t epoch_of(Clock::time_point now) const { return now.time_since_epoch() / bucket_len_; }
  Bucket& current(Clock::time_point now);

  const RetryBudgetOptions options_;
  const Clock::duration bucket_len_;
  std::unique_ptr<Bucket[]> buckets_;
  core::Mutex spend_mu_;  // serialises check-and-count in try_spend (the buckets are atomics)
};

// A Retry-After value: delta-seconds ("120") or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT", relative to `now`). nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace scalelab::resilience
