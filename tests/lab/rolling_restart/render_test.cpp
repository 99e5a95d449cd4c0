// render_rolling_restart from a hand-made result: no balancer, no instance.
#include <gtest/gtest.h>

#include "lab/render_testing.h"
#include "lab/rolling_restart/rolling_restart.h"

namespace scalelab::lab {
namespace {

using testkit::contains;

RollingVariantResult variant(const RollingVariant& v, std::uint64_t failed, int downtime) {
  RollingVariantResult r{.variant = v, .seconds = 3, .requests = 300, .failed = failed, .p99_ms = 4.5,
                         .downtime_s = downtime, .error_seconds = failed > 0 ? 1 : 0, .min_healthy_seen = 1};
  r.timeline = {{.second = 1, .requests = 100, .healthy = v.instances, .registered = v.instances},
                {.second = 2, .requests = 100, .failures = failed, .p99_ms = 4.5, .healthy = 1, .registered = 2}};
  r.events = {{.at_s = 1.5, .what = "i3 started (replaces i1)"}};
  return r;
}

RollingRestartResult small_result() {
  RollingRestartResult r{.cpu_cores = 0.25, .limit = "test", .rate = 100, .time_scale = 100,
                         .check_interval = std::chrono::milliseconds(300), .rise = 2, .fall = 2};
  const auto variants = default_rolling_variants();
  r.variants = {variant(variants[0], 0, 0), variant(variants[1], 0, 0), variant(variants[2], 30, 0)};
  r.variants[2].down_detection_s = 0.6;
  return r;
}

TEST(RollingRestartRender, WritesOneRowPerVariantWithTheCourseFigureBesideIt) {
  auto dir = testkit::fresh_dir("rolling-restart-render");
  auto files = render_rolling_restart(small_result(), dir);
  ASSERT_TRUE(files) << files.error().message;

  auto json = testkit::read_json(files->json);
  EXPECT_EQ(json.at("experiment").as_string(), "rolling-restart");
  EXPECT_EQ(json.at("health_check").at("interval_ms").to_number<int>(), 300);
  const auto& rows = json.at("variants").as_array();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].at("name").as_string(), "surge-2-at-100");
  EXPECT_EQ(rows[0].at("course_downtime_s").to_number<int>(), 35);
  EXPECT_EQ(rows[1].at("min_healthy_instances").to_number<int>(), 2);
  EXPECT_EQ(rows[1].at("course_downtime_s").to_number<int>(), 0);
  EXPECT_TRUE(rows[2].at("course_downtime_s").is_null());
  EXPECT_EQ(rows[2].at("failed_requests").to_number<int>(), 30);
  EXPECT_DOUBLE_EQ(rows[2].at("down_detection_course_s").to_number<double>(), 60);

  const auto csv = testkit::read_file(files->csv);
  EXPECT_TRUE(contains(csv, "naive-kill-first-2,2,100,30,4.500,1,2\n"));

  const auto html = testkit::read_file(files->report);
  EXPECT_TRUE(contains(html, "about 35 s of downtime"));
  EXPECT_TRUE(contains(html, "i3 started (replaces i1)"));
  EXPECT_TRUE(contains(html, "lost 0 request(s)"));
  EXPECT_TRUE(contains(html, "here that took 0.60 s on average"));
  EXPECT_TRUE(contains(html, "is 60 s (0.60 s x 100)"));
  std::filesystem::remove_all(dir);
}

TEST(RollingRestartVariants, MinimumHealthyRoundsUpAsEcsDoes) {
  EXPECT_EQ(min_healthy_instances(2, 100), 2);
  EXPECT_EQ(min_healthy_instances(3, 66), 2);
  EXPECT_EQ(min_healthy_instances(3, 67), 3);
  EXPECT_EQ(min_healthy_instances(2, 50), 1);
  EXPECT_EQ(min_healthy_instances(4, 0), 0);
}

}  // namespace
}  // namespace scalelab::lab
