#include "obs/metrics.h"

#include <chrono>

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using scalelab::obs::Registry;

TEST(Metrics, RendersCountersWithLabels) {
  Registry r;
  r.counter("jobs_total", "Jobs done.", {{"kind", "a\"b"}}).inc(3);
  const std::string text = r.render();
  EXPECT_NE(text.find("# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("jobs_total{kind=\"a\\\"b\"} 3\n"), std::string::npos);
}

TEST(Metrics, SameSeriesIsReturnedTwice) {
  Registry r;
  auto& a = r.counter("x_total", "x");
  auto& b = r.counter("x_total", "x");
  EXPECT_EQ(&a, &b);
}

TEST(Metrics, RejectsOneNameWithTwoTypes) {
  Registry r;
  r.counter("x", "x");
  EXPECT_THROW(r.gauge("x", "x"), std::logic_error);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Registry r;
  auto& h = r.histogram("latency_seconds", "Latency.");
  h.observe(50us);   // <= 0.0001
  h.observe(2ms);    // <= 0.0025
  h.observe(20s);    // +Inf only
  const std::string text = r.render();
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.0001\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.0025\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count 3\n"), std::string::npos);
}

TEST(Metrics, ProcessMetricsArePresent) {
  std::string text;
  scalelab::obs::append_process_metrics(text);
  EXPECT_NE(text.find("process_cpu_seconds_total "), std::string::npos);
  EXPECT_NE(text.find("process_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(text.find("process_open_fds "), std::string::npos);
}

TEST(Metrics, RemovedCollectorIsNotRendered) {
  Registry r;
  auto id = r.add_collector([](std::string& out) { out += "custom_metric 1\n"; });
  EXPECT_NE(r.render().find("custom_metric 1"), std::string::npos);
  r.remove_collector(id);
  EXPECT_EQ(r.render().find("custom_metric"), std::string::npos);
}

TEST(Metrics, ProcessStatsOfThisProcessGrowWithWorkAndAreZeroForAMissingProcess) {
  auto before = scalelab::obs::read_process_stats();
  EXPECT_GT(before.resident_bytes, 0);
  volatile double sink = 0;  // burn ~50 ms of CPU (CPU time counts in 10 ms ticks)
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  while (std::chrono::steady_clock::now() < until) sink = sink + 1;
  auto after = scalelab::obs::read_process_stats();
  EXPECT_GE(after.cpu_seconds, before.cpu_seconds);
  EXPECT_GT(after.cpu_seconds, 0);
  auto gone = scalelab::obs::read_process_stats(999'999'999);
  EXPECT_EQ(gone.cpu_seconds, 0);
  EXPECT_EQ(gone.resident_bytes, 0);
}
