#include "resilience/retry.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <random>
#include <stdexcept>
#include <string>

namespace scalelab::resilience {

namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

RetrySchedule::RetrySchedule(const RetryOptions& options, std::uint64_t seed)
    : options_(options), state_(seed), previous_(options.base_delay) {}

double RetrySchedule::uniform() {
  return static_cast<double>(splitmix64(state_) >> 11) * 0x1.0p-53;
}

Clock::duration RetrySchedule::next_delay() {
  using D = Clock::duration;
  const D base = std::chrono::duration_cast<D>(options_.base_delay);
  const D cap = std::chrono::duration_cast<D>(options_.max_delay);
  const std::size_t n = retries_++;
  D delay{};
  switch (options_.jitter) {
    case Jitter::kNone:
    case Jitter::kFull: {
      // base * 2^n without overflow: stop doubling at the cap.
      D ceiling = base;
      for (std::size_t i = 0; i < n && ceiling < cap; ++i) ceiling *= 2;
      ceiling = std::min(ceiling, cap);
      delay = options_.jitter == Jitter::kNone
                  ? ceiling
                  : D(static_cast<D::rep>(uniform() * static_cast<double>(ceiling.count())));
      break;
    }
    case Jitter::kDecorrelated: {
      const D hi = std::max(base, std::min(cap, previous_ * 3));
      delay = base + D(static_cast<D::rep>(uniform() * static_cast<double>((hi - base).count())));
      delay = std::min(delay, cap);
      previous_ = delay;
      break;
    }
  }
  return delay;
}

RetryBudget::RetryBudget(RetryBudgetOptions options)
    : options_(options),
      bucket_len_(options.buckets == 0 ? Clock::duration(1)
                                       : std::chrono::duration_cast<Clock::duration>(options.window) /
                                             static_cast<std::int64_t>(options.buckets)),
      buckets_(std::make_unique<Bucket[]>(std::max<std::size_t>(options.buckets, 1))) {
  if (options_.buckets == 0 || bucket_len_ <= Clock::duration::zero())
    throw std::invalid_argument("retry budget: window must be at least one nanosecond per bucket");
  if (options_.retry_ratio < 0) throw std::invalid_argument("retry budget: retry_ratio must be >= 0");
}

RetryBudget::Bucket& RetryBudget::current(Clock::time_point now) {
  const std::int64_t epoch = epoch_of(now);
  Bucket& b = buckets_[static_cast<std::size_t>(epoch) % options_.buckets];
  std::int64_t seen = b.epoch.load(std::memory_order_acquire);
  if (seen < epoch && b.epoch.compare_exchange_strong(seen, epoch, std::memory_order_acq_rel)) {
    b.requests.store(0, std::memory_order_relaxed);
    b.retries.store(0, std::memory_order_relaxed);
  }
  return b;
}

void RetryBudget::record_request(Clock::time_point now) {
  current(now).requests.fetch_add(1, std::memory_order_relaxed);
}

bool RetryBudget::try_spend(Clock::time_point now) {
  core::MutexLock lock(spend_mu_);
  const Stats s = stats(now);
  const double allowed = std::max(static_cast<double>(options_.min_retries),
                                  options_.retry_ratio * static_cast<double>(s.requests));
  if (static_cast<double>(s.retries) + 1.0 > allowed) return false;
  current(now).retries.fetch_add(1, std::memory_order_relaxed);
  return true;
}

RetryBudget::Stats RetryBudget::stats(Clock::time_point now) const {
  const std::int64_t epoch = epoch_of(now);
  const std::int64_t oldest = epoch - static_cast<std::int64_t>(options_.buckets) + 1;
  Stats s;
  for (std::size_t i = 0; i < options_.buckets; ++i) {
    const Bucket& b = buckets_[i];
    const std::int64_t e = b.epoch.load(std::memory_order_acquire);
    if (e < oldest || e > epoch) continue;
    s.requests += b.requests.load(std::memory_order_relaxed);
    s.retries += b.retries.load(std::memory_order_relaxed);
  }
  return s;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    long long seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return std::chrono::seconds(seconds);
  }
  std::tm tm{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (at <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
}

}  // namespace scalelab::resilience
