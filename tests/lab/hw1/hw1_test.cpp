#include "lab/hw1/hw1.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "support/test_server.h"

using namespace std::chrono_literals;
using namespace scalelab::lab;

namespace {

using scalelab::testkit::read_file;

std::filesystem::path temp_dir(const std::string& name) { return scalelab::testkit::fresh_dir("scalelab-test-" + name); }

}  // namespace

TEST(Hw1Summary, PercentilesAreNearestRank) {
  std::vector<Hw1Sample> samples;
  for (int i = 1; i <= 100; ++i) samples.push_back({static_cast<std::uint64_t>(i), 0, double(i), 200});
  samples[99].status = 0;  // one failure
  auto s = summarize(samples, 2.0);
  EXPECT_EQ(s.total, 100u);
  EXPECT_EQ(s.ok, 99u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_DOUBLE_EQ(s.median_ms, 50);
  EXPECT_DOUBLE_EQ(s.p95_ms, 95);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
  EXPECT_DOUBLE_EQ(s.throughput_rps, 50);
}

TEST(Hw1, RunAgainstInProcessAlbumsWritesReportCsvAndJson) {
  Hw1Options o;
  o.duration = 10s;
  o.max_requests = 300;  // bounded by count; the duration is only a cap
  o.progress = false;
  o.out_dir = temp_dir("hw1");
  auto r = run_hw1(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto files = render_hw1(*r, o.out_dir);
  ASSERT_TRUE(files.ok()) << files.error().message;
  EXPECT_EQ(r->summary.total, 300u);
  EXPECT_EQ(r->summary.failed, 0u);
  EXPECT_GT(r->summary.median_ms, 0);
  EXPECT_LE(r->summary.median_ms, r->summary.p95_ms);
  EXPECT_LE(r->summary.p99_ms, r->summary.max_ms);

  const std::string csv = read_file(files->csv);
  EXPECT_EQ(csv.rfind("request,start_s,latency_ms,status\n", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 301);

  auto json = boost::json::parse(read_file(files->json));
  EXPECT_EQ(json.at("total_requests").to_number<std::uint64_t>(), 300u);

  const std::string html = read_file(files->report);
  EXPECT_NE(html.find("new Chart("), std::string::npos);
  EXPECT_NE(html.find("\"type\":\"bar\""), std::string::npos);
  EXPECT_NE(html.find("\"type\":\"scatter\""), std::string::npos);
  EXPECT_EQ(html.find("<script src="), std::string::npos) << "Chart.js must be inlined";
  std::filesystem::remove_all(o.out_dir);
}

TEST(Hw1, UnreachableTargetFailsClearly) {
  Hw1Options o;
  o.url = "http://127.0.0.1:1/albums";
  o.timeout = 1s;
  o.progress = false;
  o.out_dir = temp_dir("hw1-unreachable");
  auto r = run_hw1(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cannot reach http://127.0.0.1:1/albums"), std::string::npos);
}
