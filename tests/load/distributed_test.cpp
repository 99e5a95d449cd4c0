// Load across processes: shares add up to the whole scenario, a share's
// result survives its JSON trip exactly, and merging shares gives the same
// histogram as one generator that saw every sample (never averaged
// percentiles).
#include <random>

#include <gtest/gtest.h>

#include "load/distributed.h"

namespace scalelab::load {
namespace {

TEST(LoadShares, AddUpToTheWholeScenario) {
  Scenario s;
  s.users = 10;
  s.rate = 100;
  s.spawn_rate = 8;
  s.max_requests = 1001;
  s.max_in_flight = 7;
  s.seed = 5;
  unsigned users = 0;
  std::uint64_t requests = 0;
  double rate = 0, spawn = 0;
  for (unsigned i = 0; i < 4; ++i) {
    const Scenario part = share_of(s, i, 4);
    users += part.users;
    requests += part.max_requests;
    rate += part.rate;
    spawn += part.spawn_rate;
    EXPECT_GE(part.max_in_flight, 1u);
    EXPECT_EQ(part.seed, 5u + i);  // each share its own random sequence
  }
  EXPECT_EQ(users, 10u);
  EXPECT_EQ(requests, 1001u);
  EXPECT_DOUBLE_EQ(rate, 100);
  EXPECT_DOUBLE_EQ(spawn, 8);
}

TEST(LoadShares, ClosedStagesSplitTheirUserTargets) {
  Scenario s;
  s.stages = {{std::chrono::seconds(1), 5}, {std::chrono::seconds(1), 0}};
  EXPECT_EQ(share_of(s, 0, 2).stages[0].target, 3);
  EXPECT_EQ(share_of(s, 1, 2).stages[0].target, 2);
}

// A share with `n` samples from `rng`, recorded both in its report and in
// `all` (what one generator would have seen).
PartReport make_part(const char* name, int n, std::mt19937& rng, obs::LogLinearHistogram& all) {
  std::lognormal_distribution<double> latency_us(8.0, 1.0);
  PartReport p;
  p.name = name;
  p.report.requests.push_back({"GET /x", "GET"});
  p.report.aggregate.name = "Aggregated";
  for (int i = 0; i < n; ++i) {
    const auto us = static_cast<std::uint64_t>(latency_us(rng));
    const std::size_t second = static_cast<std::size_t>(i) * 3 / static_cast<std::size_t>(n);
    if (p.second_latency_us.size() <= second) p.second_latency_us.resize(second + 1);
    p.second_latency_us[second].record(us);
    p.report.requests[0].latency_us.record(us);
    p.report.aggregate.latency_us.record(us);
    all.record(us);
  }
  p.report.requests[0].count = p.report.aggregate.count = static_cast<std::uint64_t>(n);
  p.report.elapsed_s = 3;
  for (std::size_t s = 0; s < p.second_latency_us.size(); ++s) {
    SecondPoint pt;
    pt.t_s = static_cast<double>(s + 1);
    pt.requests = p.second_latency_us[s].count();
    p.report.series.push_back(pt);
  }
  return p;
}

TEST(LoadMerge, MergedPercentilesEqualOneGeneratorsOverAllSamples) {
  std::mt19937 rng(42);
  obs::LogLinearHistogram all;
  std::vector<PartReport> parts{make_part("a", 5'000, rng, all), make_part("b", 3'000, rng, all),
                                make_part("c", 800, rng, all)};
  const Report m = merge_parts(parts);
  EXPECT_EQ(m.aggregate.count, 8'800u);
  EXPECT_EQ(m.requests[0].count, 8'800u);
  for (double q : {0.5, 0.9, 0.99, 0.999})
    EXPECT_EQ(m.aggregate.latency_us.quantile(q), all.quantile(q)) << q;
  EXPECT_EQ(m.aggregate.latency_us.sum(), all.sum());
  EXPECT_EQ(m.aggregate.latency_us.max(), all.max());
  ASSERT_EQ(m.series.size(), 3u);
  std::uint64_t series_total = 0;
  for (const auto& pt : m.series) series_total += pt.requests;
  EXPECT_EQ(series_total, 8'800u);
  EXPECT_EQ(m.series.back().total_requests, 8'800u);
}

TEST(LoadMerge, ShareJsonRoundTripsExactly) {
  std::mt19937 rng(7);
  obs::LogLinearHistogram all;
  PartReport p = make_part("process 1 (pid 1)", 2'000, rng, all);
  p.report.requests[0].failures_by_reason["HTTP 500"] = 3;
  p.report.check.reasons.push_back("busy");
  auto back = part_from_json(part_to_json(p));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->name, p.name);
  const auto& h = back->report.aggregate.latency_us;
  EXPECT_EQ(h.count(), all.count());
  EXPECT_EQ(h.sum(), all.sum());
  EXPECT_EQ(h.min(), all.min());
  EXPECT_EQ(h.quantile(0.99), all.quantile(0.99));
  EXPECT_EQ(back->report.requests[0].failures_by_reason.at("HTTP 500"), 3u);
  EXPECT_EQ(back->second_latency_us.size(), p.second_latency_us.size());
  EXPECT_EQ(back->report.check.reasons, p.report.check.reasons);
}

TEST(LoadMerge, MalformedShareIsAnError) {
  EXPECT_FALSE(part_from_json("{\"name\":\"x\"}"));
  EXPECT_FALSE(part_from_json("not json"));
}

TEST(LoadMerge, SelfCheckReasonsNameTheirProcess) {
  std::mt19937 rng(1);
  obs::LogLinearHistogram all;
  auto a = make_part("process 1", 10, rng, all);
  auto b = make_part("process 2", 10, rng, all);
  b.report.check.trustworthy = false;
  b.report.check.reasons.push_back("generator busy 99%");
  const Report m = merge_parts({a, b});
  EXPECT_FALSE(m.check.trustworthy);
  ASSERT_EQ(m.check.reasons.size(), 1u);
  EXPECT_EQ(m.check.reasons[0], "process 2: generator busy 99%");
}

TEST(LoadProgress, LiveLineSumsTheSharesAndCountsTheRunningOnes) {
  ShareProgress a{2.0, 3, 100, 1, 50};
  ShareProgress b{2.1, 2, 60, 0, 30};
  const auto back = progress_from_json(progress_to_json(b));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->requests, 60u);
  const std::string line = merged_progress_line({a, *back, std::nullopt}, 2);
  EXPECT_NE(line.find("generators 2/3"), std::string::npos) << line;
  EXPECT_NE(line.find("users     5"), std::string::npos) << line;
  EXPECT_NE(line.find("requests       160"), std::string::npos) << line;
  EXPECT_NE(line.find("2.1s"), std::string::npos) << line;
}

}  // namespace
}  // namespace scalelab::load
