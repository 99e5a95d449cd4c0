#include "resilience/circuit_breaker.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace scalelab::resilience {

const char* to_string(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half_open";
    case BreakerState::kDisabled: return "disabled";
    case BreakerState::kForcedOpen: return "forced_open";
  }
  return "unknown";
}

namespace {

constexpr BreakerState kAllStates[] = {BreakerState::kClosed, BreakerState::kOpen, BreakerState::kHalfOpen,
                                       BreakerState::kDisabled, BreakerState::kForcedOpen};

void validate(const CircuitBreakerOptions& o) {
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument("circuit breaker '" + o.name + "': " + what);
  };
  if (o.window_size == 0) fail("window_size must be at least 1");
  if (o.minimum_calls == 0) fail("minimum_calls must be at least 1");
  if (o.window_type == WindowType::kCountBased && o.minimum_calls > o.window_size)
    fail("minimum_calls cannot exceed window_size (the window would never be judged)");
  if (o.time_window_buckets == 0) fail("time_window_buckets must be at least 1");
  if (o.window_type == WindowType::kTimeBased &&
      o.time_window.count() < static_cast<std::int64_t>(o.time_window_buckets))
    fail("time_window must be at least 1 ms per bucket");
  if (!(o.failure_rate_threshold > 0.0 && o.failure_rate_threshold <= 1.0))
    fail("failure_rate_threshold must be in (0, 1]");
  if (!(o.slow_call_rate_threshold >= 0.0 && o.slow_call_rate_threshold <= 1.0))
    fail("slow_call_rate_threshold must be in [0, 1] (0 disables)");
  if (o.half_open_permits == 0) fail("half_open_permits must be at least 1");
  if (o.wait_in_open.count() < 0 || o.half_open_max_duration.count() <= 0)
    fail("wait_in_open must be >= 0 and half_open_max_duration > 0");
}

std::uint64_t pack(BreakerState s, std::uint32_t generation) {
  return static_cast<std::uint64_t>(s) | (static_cast<std::uint64_t>(generation) << 8);
}

}  // namespace

struct PendingChange {
  bool any = false;
  BreakerState from{}, to{};
  std::string why;
};

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options, obs::Registry* registry, Clock& clock)
    : options_(std::move(options)), clock_(clock), registry_(registry) {
  validate(options_);
  if (options_.window_type == WindowType::kCountBased) ring_.assign(options_.window_size, 0);
  else buckets_.assign(options_.time_window_buckets, Bucket{});
  state_since_ = clock_.now();
  if (registry_) {
    const std::string& n = options_.name;
    const char* calls_help = "Calls seen by the circuit breaker, by outcome (rejected: not permitted)";
    calls_success_ = &registry_->counter("resilience_circuit_breaker_calls_total", calls_help,
                                         {{"name", n}, {"outcome", "success"}});
    calls_failure_ = &registry_->counter("resilience_circuit_breaker_calls_total", calls_help,
                                         {{"name", n}, {"outcome", "failure"}});
    calls_rejected_ = &registry_->counter("resilience_circuit_breaker_calls_total", calls_help,
                                          {{"name", n}, {"outcome", "rejected"}});
    calls_slow_ = &registry_->counter("resilience_circuit_breaker_slow_calls_total",
                                      "Calls at or above slow_call_duration", {{"name", n}});
    for (BreakerState s : kAllStates) {
      const auto i = static_cast<std::size_t>(s);
      transitions_[i] = &registry_->counter("resilience_circuit_breaker_transitions_total",
                                            "State changes of the circuit breaker, by new state",
                                            {{"name", n}, {"to", to_string(s)}});
      state_gauges_[i] = &registry_->gauge("resilience_circuit_breaker_state",
                                           "1 for the circuit breaker's current state, else 0",
                                           {{"name", n}, {"state", to_string(s)}});
      state_gauges_[i]->set(s == BreakerState::kClosed ? 1 : 0);
    }
  }
}

CircuitBreaker::~CircuitBreaker() = default;

CircuitBreaker::Permit CircuitBreaker::try_acquire() {
  const std::uint64_t packed = packed_.load(std::memory_order_acquire);
  const BreakerState s = state_of(packed);
  if (s == BreakerState::kClosed || s == BreakerState::kDisabled) [[likely]]
    return Permit{generation_of(packed), true, false};
  return acquire_slow(packed);
}

CircuitBreaker::Permit CircuitBreaker::acquire_slow(std::uint64_t packed) {
  if (state_of(packed) == BreakerState::kForcedOpen) {
    if (calls_rejected_) calls_rejected_->inc();
    return {};
  }
  PendingChange change;
  Permit permit;
  {
    core::MutexLock lock(mu_);
    const auto now = clock_.now();
    BreakerState s = state();
    if (s == BreakerState::kOpen && now - state_since_ >= options_.wait_in_open) {
      change = {true, s, BreakerState::kHalfOpen,
                fmt::format("{} ms in open: letting {} trial calls through", options_.wait_in_open.count(),
                            options_.half_open_permits)};
      transition(BreakerState::kHalfOpen, now);
      s = BreakerState::kHalfOpen;
    } else if (s == BreakerState::kHalfOpen && now - state_since_ >= options_.half_open_max_duration) {
      change = {true, s, BreakerState::kOpen,
                fmt::format("no verdict from the trial calls within {} ms",
                            options_.half_open_max_duration.count())};
      transition(BreakerState::kOpen, now);
      s = BreakerState::kOpen;
    }
    const std::uint32_t generation = generation_of(packed_.load(std::memory_order_relaxed));
    if (s == BreakerState::kClosed || s == BreakerState::kDisabled) {
      permit = Permit{generation, true, false};
    } else if (s == BreakerState::kHalfOpen && trials_issued_ < options_.half_open_permits) {
      ++trials_issued_;
      permit = Permit{generation, true, true};
    }
  }
  if (!permit && calls_rejected_) calls_rejected_->inc();
  if (change.any) notify(change.from, change.to, change.why);
  return permit;
}

void CircuitBreaker::on_result(const Permit& permit, Outcome outcome, Clock::duration elapsed) {
  if (!permit.granted) return;
  if (outcome == Outcome::kIgnored) {
    release(permit);
    return;
  }
  const bool failure = outcome == Outcome::kFailure;
  const bool slow = elapsed >= options_.slow_call_duration;
  if (calls_success_) (failure ? calls_failure_ : calls_success_)->inc();
  if (slow && calls_slow_) calls_slow_->inc();
  // A fast success into a window of nothing but fast successes: recording it
  // would overwrite an identical entry. If a failure is being recorded
  // concurrently, this success is simply ordered before it.
  if (!failure && !slow && !permit.trial && clean_.load(std::memory_order_acquire)) [[likely]]
    return;

  PendingChange change;
  {
    core::MutexLock lock(mu_);
    const std::uint64_t packed = packed_.load(std::memory_order_relaxed);
    if (generation_of(packed) != permit.generation) return;  // from before a state change
    const BreakerState s = state_of(packed);
    if (s == BreakerState::kClosed) {
      const auto now = options_.window_type == WindowType::kTimeBased ? clock_.now() : Clock::time_point{};
      if (const char* reason = record_in_window(failure, slow, now)) {
        std::size_t calls = 0, failures = 0, slow_calls = 0;
        totals(now, calls, failures, slow_calls);
        change = {true, s, BreakerState::kOpen,
                  fmt::format("{}: {} of {} calls failed, {} slow, {} failures in a row", reason, failures,
                              calls, slow_calls, consecutive_)};
        transition(BreakerState::kOpen, clock_.now());
      }
    } else if (s == BreakerState::kHalfOpen) {
      const bool slow_counts = options_.slow_call_rate_threshold > 0.0 && slow;
      if (failure || slow_counts) {
        change = {true, s, BreakerState::kOpen,
                  failure ? "a trial call failed" : "a trial call was slow"};
        transition(BreakerState::kOpen, clock_.now());
      } else if (++trials_succeeded_ >= options_.half_open_permits) {
        change = {true, s, BreakerState::kClosed,
                  fmt::format("{} trial calls succeeded", trials_succeeded_)};
        transition(BreakerState::kClosed, clock_.now());
      }
    }
  }
  if (change.any) notify(change.from, change.to, change.why);
}

void CircuitBreaker::release(const Permit& permit) {
  if (!permit.granted || !permit.trial) return;
  core::MutexLock lock(mu_);
  const std::uint64_t packed = packed_.load(std::memory_order_relaxed);
  if (generation_of(packed) == permit.generation && state_of(packed) == BreakerState::kHalfOpen &&
      trials_issued_ > 0)
    --trials_issued_;
}

const char* CircuitBreaker::record_in_window(bool failure, bool slow, Clock::time_point now) {
  consecutive_ = failure ? consecutive_ + 1 : 0;
  std::size_t calls = 0, failures = 0, slow_calls = 0;
  if (options_.window_type == WindowType::kCountBased) {
    if (ring_filled_ == ring_.size()) {
      const std::uint8_t old = ring_[ring_next_];
      ring_failures_ -= old & 1u;
      ring_slow_ -= (old >> 1) & 1u;
    } else {
      ++ring_filled_;
    }
    ring_[ring_next_] = static_cast<std::uint8_t>((failure ? 1u : 0u) | (slow ? 2u : 0u));
    ring_failures_ += failure;
    ring_slow_ += slow;
    if (++ring_next_ == ring_.size()) ring_next_ = 0;
    calls = ring_filled_;
    failures = ring_failures_;
    slow_calls = ring_slow_;
    clean_.store(ring_filled_ == ring_.size() && ring_failures_ == 0 && ring_slow_ == 0,
                 std::memory_order_release);
  } else {
    const auto bucket_len = options_.time_window / static_cast<std::int64_t>(buckets_.size());
    const std::int64_t epoch = now.time_since_epoch() / bucket_len;
    Bucket& b = buckets_[static_cast<std::size_t>(epoch) % buckets_.size()];
    if (b.epoch != epoch) b = Bucket{epoch, 0, 0, 0};
    ++b.calls;
    b.failures += failure;
    b.slow += slow;
    totals(now, calls, failures, slow_calls);
  }
  if (options_.consecutive_failures > 0 && consecutive_ >= options_.consecutive_failures)
    return "consecutive failures";
  if (calls < options_.minimum_calls) return nullptr;
  const double n = static_cast<double>(calls);
  if (static_cast<double>(failures) >= options_.failure_rate_threshold * n) return "failure rate";
  if (options_.slow_call_rate_threshold > 0.0 &&
      static_cast<double>(slow_calls) >= options_.slow_call_rate_threshold * n)
    return "slow call rate";
  return nullptr;
}

void CircuitBreaker::totals(Clock::time_point now, std::size_t& calls, std::size_t& failures,
                            std::size_t& slow) const {
  if (options_.window_type == WindowType::kCountBased) {
    calls = ring_filled_;
    failures = ring_failures_;
    slow = ring_slow_;
    return;
  }
  const auto bucket_len = options_.time_window / static_cast<std::int64_t>(buckets_.size());
  const std::int64_t epoch = now.time_since_epoch() / bucket_len;
  const std::int64_t oldest = epoch - static_cast<std::int64_t>(buckets_.size()) + 1;
  calls = failures = slow = 0;
  for (const Bucket& b : buckets_) {
    if (b.epoch < oldest || b.epoch > epoch) continue;
    calls += b.calls;
    failures += b.failures;
    slow += b.slow;
  }
}

void CircuitBreaker::clear_window() {
  std::fill(ring_.begin(), ring_.end(), 0);
  ring_next_ = ring_filled_ = ring_failures_ = ring_slow_ = 0;
  std::fill(buckets_.begin(), buckets_.end(), Bucket{});
  consecutive_ = 0;
  clean_.store(false, std::memory_order_release);
}

void CircuitBreaker::transition(BreakerState to, Clock::time_point now) {
  const std::uint64_t packed = packed_.load(std::memory_order_relaxed);
  const BreakerState from = state_of(packed);
  // Only the closed state's window may be clean; a new closed state starts empty.
  clean_.store(false, std::memory_order_release);
  packed_.store(pack(to, generation_of(packed) + 1), std::memory_order_release);
  state_since_ = now;
  trials_issued_ = trials_succeeded_ = 0;
  if (to == BreakerState::kClosed) clear_window();
  if (registry_) {
    transitions_[static_cast<std::size_t>(to)]->inc();
    state_gauges_[static_cast<std::size_t>(from)]->set(0);
    state_gauges_[static_cast<std::size_t>(to)]->set(1);
  }
}

void CircuitBreaker::notify(BreakerState from, BreakerState to, const std::string& why) {
  if (to == BreakerState::kOpen || to == BreakerState::kForcedOpen)
    spdlog::warn("circuit breaker {}: {} -> {} ({})", options_.name, to_string(from), to_string(to), why);
  else
    spdlog::info("circuit breaker {}: {} -> {} ({})", options_.name, to_string(from), to_string(to), why);
  Listener listener;
  {
    core::MutexLock lock(mu_);
    listener = listener_;
  }
  if (listener) listener(from, to, why);
}

void CircuitBreaker::disable() {
  BreakerState from;
  {
    core::MutexLock lock(mu_);
    from = state();
    if (from == BreakerState::kDisabled) return;
    transition(BreakerState::kDisabled, clock_.now());
  }
  notify(from, BreakerState::kDisabled, "disabled by request");
}

void CircuitBreaker::force_open() {
  BreakerState from;
  {
    core::MutexLock lock(mu_);
    from = state();
    if (from == BreakerState::kForcedOpen) return;
    transition(BreakerState::kForcedOpen, clock_.now());
  }
  notify(from, BreakerState::kForcedOpen, "forced open by request");
}

void CircuitBreaker::reset() {
  BreakerState from;
  {
    core::MutexLock lock(mu_);
    from = state();
    transition(BreakerState::kClosed, clock_.now());
  }
  notify(from, BreakerState::kClosed, "reset by request");
}

void CircuitBreaker::set_listener(Listener listener) {
  core::MutexLock lock(mu_);
  listener_ = std::move(listener);
}

CircuitBreaker::Snapshot CircuitBreaker::snapshot() const {
  core::MutexLock lock(mu_);
  Snapshot s{state(), 0, 0, 0, consecutive_};
  totals(clock_.now(), s.calls, s.failures, s.slow_calls);
  return s;
}

}  // namespace scalelab::resilience
