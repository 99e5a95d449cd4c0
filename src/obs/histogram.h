// LogLinearHistogram: a constant-memory latency histogram with <= 0.4% relative
// error (128 linear sub-buckets per power of two, HDR-style), mergeable across
// threads and runs. Values are non-negative integers (microseconds by
// convention); values above max_value() are clamped into the top bucket.
// Thread-safety: none; give each thread its own and merge().
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace scalelab::obs {

class LogLinearHistogram {
 public:
  static constexpr int kSubBucketBits = 7;  // 128 sub-buckets: width/value <= 1/128
  static constexpr int kMaxExponent = 42;   // 2^42 us ~ 50 days

  LogLinearHistogram();

  void record(std::uint64_t value);
  void merge(const LogLinearHistogram& other);
  // Rebuilds a histogram that travelled elsewhere (another process) from its
  // for_each_bucket() visit (lower bound and count of each bucket) and its
  // exact count-independent totals, so merging it is exact.
  // REQUIRES: every lower is a bucket lower bound from for_each_bucket().
  static LogLinearHistogram restore(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& buckets,
                                    std::uint64_t sum, std::uint64_t min, std::uint64_t max);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  std::uint64_t sum() const { return sum_; }

  // The value at quantile q in [0, 1] (nearest rank), as a bucket midpoint
  // clamped to [min, max]. 0 when empty.
  std::uint64_t quantile(double q) const;

  static std::uint64_t max_value() { return (std::uint64_t{1} << kMaxExponent) - 1; }

  // Visits non-empty buckets in increasing order: f(lower, upper_inclusive, count).
  template <typename F>
  void for_each_bucket(F&& f) const {
    for (std::size_t i = 0; i < counts_.size(); ++i)
      if (counts_[i]) f(bucket_lower(i), bucket_upper(i), counts_[i]);
  }

 private:
  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t bucket_lower(std::size_t index);
  static std::uint64_t bucket_upper(std::size_t index);

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace scalelab::obs
