// render_hw1 from a small hand-made result: no experiment runs.
#include <gtest/gtest.h>

#include "lab/hw1/hw1.h"
#include "lab/render_testing.h"

namespace scalelab::lab {
namespace {

using testkit::contains;

Hw1Result small_result() {
  Hw1Result r;
  for (std::uint64_t i = 0; i < 10; ++i)
    r.samples.push_back({i, 0.1 * static_cast<double>(i), 1.0 + static_cast<double>(i), 200});
  r.samples[9].status = 500;
  r.sorted_ms = sorted_latencies(r.samples);
  r.summary = summarize(r.samples, r.sorted_ms, 2.0);
  r.summary.url = "http://127.0.0.1:1/albums";
  r.summary.first_error = "HTTP 500";
  r.duration = std::chrono::seconds(2);
  r.timeout = std::chrono::seconds(1);
  return r;
}

TEST(Hw1Render, WritesSamplesSummaryAndPageWithTheFigures) {
  auto dir = testkit::fresh_dir("hw1");
  auto files = render_hw1(small_result(), dir);
  ASSERT_TRUE(files) << files.error().message;

  const auto csv = testkit::read_file(files->csv);
  EXPECT_EQ(csv.rfind("request,start_s,latency_ms,status\n", 0), 0u);
  EXPECT_TRUE(contains(csv, "9,0.900000,10.0000,500\n"));

  auto json = testkit::read_json(files->json);
  EXPECT_EQ(json.at("experiment").as_string(), "hw1");
  EXPECT_EQ(json.at("total_requests").to_number<int>(), 10);
  EXPECT_EQ(json.at("failed").to_number<int>(), 1);
  EXPECT_DOUBLE_EQ(json.at("max_ms").to_number<double>(), 10.0);
  EXPECT_DOUBLE_EQ(json.at("throughput_rps").to_number<double>(), 5.0);
  EXPECT_EQ(json.at("first_error").as_string(), "HTTP 500");

  const auto html = testkit::read_file(files->report);
  EXPECT_TRUE(contains(html, "10.000 ms"));  // the max in the table
  EXPECT_TRUE(contains(html, "First failure: HTTP 500"));
  EXPECT_TRUE(contains(html, "href=\"samples.csv\""));
  EXPECT_TRUE(contains(html, "href=\"summary.json\""));
  std::filesystem::remove_all(dir);
}

TEST(Hw1Render, FailsClearlyWhenTheDirectoryCannotBeWritten) {
  auto files = render_hw1(small_result(), "/proc/scalelab-cannot-write-here");
  ASSERT_FALSE(files);
  EXPECT_TRUE(contains(files.error().message, "/proc/scalelab-cannot-write-here"));
}

}  // namespace
}  // namespace scalelab::lab
