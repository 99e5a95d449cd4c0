#include "obs/histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

using scalelab::obs::LogLinearHistogram;

TEST(LogLinearHistogram, EmptyReportsZeros) {
  LogLinearHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.quantile(0.5), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(LogLinearHistogram, SmallValuesAreExact) {
  LogLinearHistogram h;
  for (std::uint64_t v = 0; v < 100; ++v) h.record(v);
  EXPECT_EQ(h.quantile(0.5), 49u);
  EXPECT_EQ(h.quantile(1.0), 99u);
  EXPECT_EQ(h.min(), 0u);
}

TEST(LogLinearHistogram, QuantilesWithinOnePercentOfExact) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(7.0, 1.5);  // a long-tailed latency shape
  LogLinearHistogram h;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 200'000; ++i) {
    auto v = static_cast<std::uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999, 0.9999}) {
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    const double exact = static_cast<double>(values[rank - 1]);
    const double got = static_cast<double>(h.quantile(q));
    EXPECT_LE(std::fabs(got - exact), 0.01 * exact + 1) << "q=" << q;
  }
}

TEST(LogLinearHistogram, MergeEqualsRecordingEverythingInOne) {
  LogLinearHistogram a, b, all;
  for (std::uint64_t v = 1; v < 100'000; v += 7) {
    (v % 2 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.sum(), all.sum());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double q : {0.1, 0.5, 0.99}) EXPECT_EQ(a.quantile(q), all.quantile(q));
}

TEST(LogLinearHistogram, ClampsHugeValues) {
  LogLinearHistogram h;
  h.record(UINT64_MAX);
  EXPECT_EQ(h.max(), LogLinearHistogram::max_value());
  EXPECT_EQ(h.count(), 1u);
}

namespace scalelab::obs {
namespace {

TEST(LogLinearHistogram, RestoredFromItsBucketsIsTheSame) {
  LogLinearHistogram h;
  for (std::uint64_t v : {3u, 170u, 171u, 9'000u, 1'234'567u}) h.record(v);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> buckets;
  h.for_each_bucket([&](std::uint64_t lower, std::uint64_t, std::uint64_t n) { buckets.emplace_back(lower, n); });
  const LogLinearHistogram r = LogLinearHistogram::restore(buckets, h.sum(), h.min(), h.max());
  EXPECT_EQ(r.count(), h.count());
  EXPECT_EQ(r.sum(), h.sum());
  EXPECT_EQ(r.min(), h.min());
  EXPECT_EQ(r.max(), h.max());
  for (double q : {0.0, 0.25, 0.5, 0.75, 1.0}) EXPECT_EQ(r.quantile(q), h.quantile(q)) << q;
}

}  // namespace
}  // namespace scalelab::obs
