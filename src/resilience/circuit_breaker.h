// CircuitBreaker: stops calling a downstream that is failing, so that callers
// fail fast instead of queueing behind it, and probes it again after a pause.
//
//   closed --(failure rate, slow-call rate or consecutive failures)--> open
//   open --(wait_in_open elapsed)--> half-open: exactly half_open_permits
//     trial calls are let through; all succeed -> closed; any failure -> open;
//     no verdict within half_open_max_duration -> open (it cannot stick).
//   disabled: every call passes, nothing is judged. forced-open: every call
//     is rejected. Both are left only by reset() (-> closed).
//
// The window over which rates are judged is either the last window_size calls
// (count-based) or the last time_window split into buckets (time-based).
// Rates are only judged once minimum_calls are in the window. What counts as a
// failure is the caller's classification (resilience/policy.h classifies
// HTTP results: 5xx, timeouts and connection errors fail; 4xx does not).
//
// Usage: auto p = breaker.try_acquire(); if (!p) reject; ...call...;
// breaker.on_result(p, outcome, elapsed). A result carries the generation of
// its permit: results from before a state change are ignored, so a slow call
// started while closed cannot close a breaker that has since opened.
// A permit that is never reported (a cancelled call) must be given back with
// release(); in half-open this frees its trial slot.
//
// Thread-safety: all methods are safe from any thread. try_acquire() in the
// closed state is one atomic load; results take a mutex (mu_) that guards the
// window and the transition logic, except the common one: a success that
// lands in a full count-based window holding only successes changes nothing
// (the entries it would rotate are all alike), so it takes no lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/thread_annotations.h"
#include "obs/metrics.h"
#include "resilience/clock.h"

namespace scalelab::resilience {

enum class BreakerState : std::uint8_t { kClosed, kOpen, kHalfOpen, kDisabled, kForcedOpen };
const char* to_string(BreakerState s);

enum class WindowType : std::uint8_t { kCountBased, kTimeBased };

// How one call ended, as far as the breaker is concerned.
enum class Outcome : std::uint8_t {
  kSuccess,
  kFailure,
  kIgnored,  // neither (e.g. the caller's own cancellation): not counted
};

// Defaults suit a low-volume caller (a few calls per second): a small count
// window, few minimum calls, and a consecutive-failure rule that trips even
// before the window has minimum_calls.
struct CircuitBreakerOptions {
  std::string name = "default";              // metrics label and log name
  WindowType window_type = WindowType::kCountBased;
  std::size_t window_size = 20;              // calls, for the count-based window
  std::chrono::milliseconds time_window{10'000};  // for the time-based window
  std::size_t time_window_buckets = 10;      // time_window / buckets per bucket
  std::size_t minimum_calls = 5;             // rates are judged from this many calls
  double failure_rate_threshold = 0.5;       // open at >= this fraction failed (0..1]
  // Open at >= this fraction of slow calls; 0 (default) disables the rule,
  // which also spares the caller a clock read per call (see Policy).
  double slow_call_rate_threshold = 0.0;
  std::chrono::milliseconds slow_call_duration{2'000};  // a call this long or longer is slow
  std::size_t consecutive_failures = 5;      // open after this many in a row; 0 disables
  std::chrono::milliseconds wait_in_open{5'000};         // open -> half-open
  std::size_t half_open_permits = 3;         // trial calls in half-open
  std::chrono::milliseconds half_open_max_duration{10'000};  // no verdict by then -> open
};

class CircuitBreaker {
 public:
  // A permission to make one call. Falsy when the call is rejected.
  struct Permit {
    std::uint32_t generation = 0;
    bool granted = false;
    bool trial = false;  // a half-open trial call
    explicit operator bool() const { return granted; }
  };

  // Called (outside the lock) after every state change.
  using Listener = std::function<void(BreakerState from, BreakerState to, const std::string& why)>;

  // registry may be null (no metrics). REQUIRES: clock and registry outlive
  // the breaker. Throws std::invalid_argument on inconsistent options.
  CircuitBreaker(CircuitBreakerOptions options, obs::Registry* registry = nullptr,
                 Clock& clock = steady_clock());
  ~CircuitBreaker();
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  Permit try_acquire();
  void on_result(const Permit& permit, Outcome outcome, Clock::duration elapsed);
  // Gives back a permit whose call never produced a result.
  void release(const Permit& permit);

  BreakerState state() const { return state_of(packed_.load(std::memory_order_acquire)); }
  // Manual controls (an operator, a test, an experiment).
  void disable();
  void force_open();
  void reset();  // -> closed with an empty window
  void set_listener(Listener listener);

  // The window's current figures (for tests, logs and the carts response).
  struct Snapshot {
    BreakerState state;
    std::size_t calls, failures, slow_calls, consecutive_failures;
  };
  Snapshot snapshot() const;
  const CircuitBreakerOptions& options() const { return options_; }
  // Whether on_result's `elapsed` is used (slow-call rule or time window).
  bool needs_elapsed() const {
    return options_.slow_call_rate_threshold > 0.0 || options_.window_type == WindowType::kTimeBased;
  }

 private:
  struct Bucket {
    std::int64_t epoch = -1;  // which bucket-length interval it holds
    std::uint32_t calls = 0, failures = 0, slow = 0;
  };
  static BreakerState state_of(std::uint64_t packed) { return static_cast<BreakerState>(packed & 0xff); }
  static std::uint32_t generation_of(std::uint64_t packed) { return static_cast<std::uint32_t>(packed >> 8); }

  Permit acquire_slow(std::uint64_t packed) EXCLUDES(mu_);
  // Returns the reason for opening, or nullptr.
  const char* record_in_window(bool failure, bool slow, Clock::time_point now) REQUIRES(mu_);
  void totals(Clock::time_point now, std::size_t& calls, std::size_t& failures, std::size_t& slow) const
      REQUIRES(mu_);
  void clear_window() REQUIRES(mu_);
  // Moves to `to`, bumps the generation; the caller notifies after unlocking.
  void transition(BreakerState to, Clock::time_point now) REQUIRES(mu_);
  void notify(BreakerState from, BreakerState to, const std::string& why) EXCLUDES(mu_);
  void check_half_open_expiry(Clock::time_point now) REQUIRES(mu_);

  const CircuitBreakerOptions options_;
  Clock& clock_;
  obs::Registry* registry_;

  // state in the low 8 bits, generation above: read together without the lock.
  std::atomic<std::uint64_t> packed_{0};
  // Closed, count-based, the window full and every entry a fast success:
  // another success may skip the lock. Written under mu_, read without it.
  std::atomic<bool> clean_{false};

  mutable core::Mutex mu_;
  std::vector<std::uint8_t> ring_ GUARDED_BY(mu_);  // count-based: bit 0 failure, bit 1 slow
  std::size_t ring_next_ GUARDED_BY(mu_) = 0;
  std::size_t ring_filled_ GUARDED_BY(mu_) = 0;
  std::size_t ring_failures_ GUARDED_BY(mu_) = 0;
  std::size_t ring_slow_ GUARDED_BY(mu_) = 0;
  std::vector<Bucket> buckets_ GUARDED_BY(mu_);  // time-based
  std::size_t consecutive_ GUARDED_BY(mu_) = 0;
  Clock::time_point state_since_ GUARDED_BY(mu_){};
  std::size_t trials_issued_ GUARDED_BY(mu_) = 0;
  std::size_t trials_succeeded_ GUARDED_BY(mu_) = 0;
  Listener listener_ GUARDED_BY(mu_);

  // Exported series (null without a registry).
  obs::Counter* calls_success_ = nullptr;
  obs::Counter* calls_failure_ = nullptr;
  obs::Counter* calls_rejected_ = nullptr;
  obs::Counter* calls_slow_ = nullptr;
  obs::Counter* transitions_[5] = {};
  obs::Gauge* state_gauges_[5] = {};
};

}  // namespace scalelab::resilience
