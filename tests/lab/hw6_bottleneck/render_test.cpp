// render_hw6_bottleneck from a hand-made result: no catalog, no cgroup.
#include <gtest/gtest.h>

#include "lab/hw6_bottleneck/hw6_bottleneck.h"
#include "lab/render_testing.h"

namespace scalelab::lab {
namespace {

using testkit::contains;

Hw6BottleneckResult small_result() {
  Hw6BottleneckResult r;
  r.cpu_cores = 0.25;
  r.limited = true;
  r.limit = "0.25 core: test";
  r.single_search_ms = 3;
  r.phase_1 = {.users = 5, .seconds = 2, .requests = 200, .rps = 100, .p50_ms = 10, .cpu_percent = 24};
  r.phase_2 = {.users = 20, .seconds = 2, .requests = 210, .rps = 105, .p50_ms = 40, .cpu_percent = 25};
  r.timeline = {{.second = 1, .users = 5, .requests = 100, .cpu_percent = 24, .rss_mb = 12},
                {.second = 2, .users = 20, .requests = 105, .cpu_percent = 25, .rss_mb = 13}};
  r.throttled_periods = 42;
  return r;
}

TEST(Hw6BottleneckRender, WritesTimelineSummaryAndPageWithTheReading) {
  auto dir = testkit::fresh_dir("hw6");
  auto files = render_hw6_bottleneck(small_result(), dir);
  ASSERT_TRUE(files) << files.error().message;

  const auto csv = testkit::read_file(files->csv);
  EXPECT_TRUE(contains(csv, "2,20,105,0,0.000,0.000,0.000,25.0,13.0\n"));

  auto json = testkit::read_json(files->json);
  EXPECT_EQ(json.at("experiment").as_string(), "hw6-bottleneck");
  EXPECT_EQ(json.at("throttled_periods").to_number<int>(), 42);
  EXPECT_DOUBLE_EQ(json.at("phase_2").at("rps").to_number<double>(), 105);

  const auto html = testkit::read_file(files->report);
  EXPECT_TRUE(contains(html, "sat at its limit of 25% of one core"));
  EXPECT_TRUE(contains(html, "a saturated server does not serve more users faster, they queue"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace scalelab::lab
