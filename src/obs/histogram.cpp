#include "obs/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace scalelab::obs {

namespace {
constexpr std::uint64_t kSub = std::uint64_t{1} << LogLinearHistogram::kSubBucketBits;
constexpr std::size_t kBuckets =
    kSub + (LogLinearHistogram::kMaxExponent - LogLinearHistogram::kSubBucketBits) * kSub;
}  // namespace

LogLinearHistogram::LogLinearHistogram() : counts_(kBuckets, 0) {}

std::size_t LogLinearHistogram::index_of(std::uint64_t v) {
  if (v < kSub) return static_cast<std::size_t>(v);
  const int exponent = std::bit_width(v) - 1;  // >= kSubBucketBits
  const int shift = exponent - kSubBucketBits;
  const std::uint64_t sub = (v >> shift) - kSub;  // 0..kSub-1
  return static_cast<std::size_t>(kSub + static_cast<std::uint64_t>(shift) * kSub + sub);
}

std::uint64_t LogLinearHistogram::bucket_lower(std::size_t index) {
  if (index < kSub) return index;
  const std::uint64_t shift = (index - kSub) / kSub;
  const std::uint64_t sub = (index - kSub) % kSub;
  return (kSub + sub) << shift;
}

std::uint64_t LogLinearHistogram::bucket_upper(std::size_t index) {
  if (index < kSub) return index;
  const std::uint64_t shift = (index - kSub) / kSub;
  return bucket_lower(index) + (std::uint64_t{1} << shift) - 1;
}

void LogLinearHistogram::record(std::uint64_t value) {
  value = std::min(value, max_value());
  ++counts_[index_of(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void LogLinearHistogram::merge(const LogLinearHistogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

LogLinearHistogram LogLinearHistogram::restore(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& buckets,
                                               std::uint64_t sum, std::uint64_t min, std::uint64_t max) {
  LogLinearHistogram h;
  for (const auto& [lower, n] : buckets) {
    h.counts_[index_of(std::min(lower, max_value()))] += n;
    h.count_ += n;
  }
  if (h.count_) {
    h.sum_ = sum;
    h.min_ = min;
    h.max_ = max;
  }
  return h;
}

void LogLinearHistogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
}

std::uint64_t LogLinearHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  if (q == 0.0) return min();
  if (q == 1.0) return max_;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t mid = bucket_lower(i) + (bucket_upper(i) - bucket_lower(i)) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

}  // namespace scalelab::obs
