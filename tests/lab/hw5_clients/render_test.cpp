// compare_clients and render_hw5_clients from hand-made load reports: no load runs.
#include <gtest/gtest.h>

#include "lab/hw5_clients/hw5_clients.h"
#include "lab/render_testing.h"

namespace scalelab::lab {
namespace {

using testkit::contains;

load::Report report(std::uint64_t requests, double busy, bool trustworthy) {
  load::Report r;
  r.elapsed_s = 2;
  r.aggregate.count = requests;
  for (std::uint64_t i = 0; i < requests; ++i) r.aggregate.latency_us.record(1000);
  r.check.generator_busy = busy;
  r.check.trustworthy = trustworthy;
  return r;
}

Hw5ClientsResult small_result() {
  Hw5ClientsResult r;
  r.host = "http://127.0.0.1:1";
  r.duration = std::chrono::seconds(2);
  r.runs.push_back({load::ClientKind::kSimple, 8, report(200, 0.99, false)});
  r.runs.push_back({load::ClientKind::kFast, 8, report(1000, 0.3, true)});
  r.reading = compare_clients(r.runs);
  return r;
}

TEST(Hw5ClientsCompare, ACpuBoundSimpleClientIsTheBottleneck) {
  auto reading = small_result().reading;
  ASSERT_EQ(reading.size(), 1u);
  EXPECT_TRUE(contains(reading[0], "8 users: fast 500 req/s vs simple 100 req/s (5.00x)"));
  EXPECT_TRUE(contains(reading[0], "the simple client was the bottleneck"));
}

TEST(Hw5ClientsRender, WritesResultsSummaryAndPageWithBothClients) {
  auto dir = testkit::fresh_dir("hw5");
  auto files = render_hw5_clients(small_result(), dir);
  ASSERT_TRUE(files) << files.error().message;

  const auto csv = testkit::read_file(files->csv);
  EXPECT_TRUE(contains(csv, "simple,8,200,0,100.0,"));
  EXPECT_TRUE(contains(csv, "fast,8,1000,0,500.0,"));

  auto json = testkit::read_json(files->json);
  EXPECT_EQ(json.at("experiment").as_string(), "hw5-clients");
  EXPECT_EQ(json.at("runs").at(0).at("client").as_string(), "simple");
  EXPECT_FALSE(json.at("runs").at(0).at("trustworthy").as_bool());
  EXPECT_EQ(json.at("reading").as_array().size(), 1u);

  const auto html = testkit::read_file(files->report);
  EXPECT_TRUE(contains(html, "no: generator-bound"));
  EXPECT_TRUE(contains(html, "href=\"results.csv\""));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace scalelab::lab
