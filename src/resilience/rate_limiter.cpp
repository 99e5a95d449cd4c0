#include "resilience/rate_limiter.h"

#include <algorithm>
#include <stdexcept>

namespace scalelab::resilience {

namespace {
std::int64_t ns_of(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

RateLimiter::RateLimiter(RateLimiterOptions options, obs::Registry* registry, Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      interval_ns_(options_.permits_per_second > 0 ? static_cast<std::int64_t>(1e9 / options_.permits_per_second) : 0),
      tolerance_ns_(interval_ns_ * static_cast<std::int64_t>(options_.burst > 0 ? options_.burst - 1 : 0)) {
  if (!(options_.permits_per_second > 0) || interval_ns_ <= 0)
    throw std::invalid_argument("rate limiter '" + options_.name + "': permits_per_second must be in (0, 1e9]");
  if (options_.burst == 0) throw std::invalid_argument("rate limiter '" + options_.name + "': burst must be >= 1");
  if (registry) {
    const char* help = "Calls through the rate limiter, by outcome";
    permitted_ = &registry->counter("resilience_rate_limiter_calls_total", help,
                                    {{"name", options_.name}, {"outcome", "permitted"}});
    rejected_ = &registry->counter("resilience_rate_limiter_calls_total", help,
                                   {{"name", options_.name}, {"outcome", "rejected"}});
  }
}

bool RateLimiter::try_acquire_at(Clock::time_point at) {
  const std::int64_t now = ns_of(at);
  std::int64_t tat = tat_.load(std::memory_order_relaxed);
  for (;;) {
    const std::int64_t start = std::max(tat, now);
    if (start - now > tolerance_ns_) {
      if (rejected_) rejected_->inc();
      return false;
    }
    if (tat_.compare_exchange_weak(tat, start + interval_ns_, std::memory_order_relaxed)) {
      if (permitted_) permitted_->inc();
      return true;
    }
  }
}

boost::asio::awaitable<bool> RateLimiter::acquire() {
  const std::int64_t now = ns_of(clock_.now());
  const std::int64_t max_wait = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.max_wait).count();
  std::int64_t tat = tat_.load(std::memory_order_relaxed);
  std::int64_t wait = 0;
  for (;;) {
    const std::int64_t start = std::max(tat, now);
    wait = std::max<std::int64_t>(0, start - now - tolerance_ns_);
    if (wait > max_wait) {
      if (rejected_) rejected_->inc();
      co_return false;
    }
    // Reserve the token now; then wait for its time.
    if (tat_.compare_exchange_weak(tat, start + interval_ns_, std::memory_order_relaxed)) break;
  }
  if (permitted_) permitted_->inc();
  if (wait > 0) co_await clock_.sleep_for(std::chrono::nanoseconds(wait));
  co_return true;
}

}  // namespace scalelab::resilience
