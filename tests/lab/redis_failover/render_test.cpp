// lab redis-failover's files from a hand-made result: summary.json carries
// the figures the ctest and the tour read, the page marks the kill and the
// promotion, and the CSV has a row per stream and second.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "lab/redis_failover/redis_failover.h"
#include "lab/render_testing.h"

using namespace scalelab;

namespace {

lab::RedisFailoverResult made_up(double promotion_s) {
  lab::RedisFailoverResult r{.replicas = 2, .sentinels = 3, .down_after_ms = 1000, .seconds = 9, .kill_s = 3.0,
                             .promotion_s = promotion_s};
  r.streams = {{"orders sync", 10, 2, 2.4, {{0, 5, 0}, {1, 3, 2}, {2, 2, 0}}},
               {"carts", 20, 1, 2.5, {{0, 10, 0}, {1, 9, 1}}}};
  r.sync = {.accepted = 10, .completed = 9, .charges = 9};
  r.async = {.accepted = 4, .completed = 4, .charges = 4};
  r.carts.created = 6;
  r.carts.paid = 5;
  r.carts.paid_lost = 1;
  r.unanswered_charges = 1;
  return r;
}

TEST(RedisFailoverRender, SummaryCarriesTheCheckedFigures) {
  const auto dir = testkit::fresh_dir("scalelab-redis-failover-render");
  auto files = lab::render_redis_failover(made_up(5.3), dir);
  ASSERT_TRUE(files.ok()) << files.error().message;
  auto s = testkit::read_json(files->json).as_object();
  EXPECT_EQ(s.at("experiment").as_string(), "redis-failover");
  EXPECT_EQ(s.at("failed_requests").to_number<int>(), 3);
  EXPECT_EQ(s.at("lost_durable").to_number<int>(), 2);  // a sync order not completed, a paid cart lost
  EXPECT_EQ(s.at("double_charges").to_number<int>(), 1);
  EXPECT_DOUBLE_EQ(s.at("recovery_s").to_number<double>(), 2.5);  // the slowest stream's
  EXPECT_NEAR(s.at("promotion_after_kill_s").to_number<double>(), 2.3, 1e-9);
  EXPECT_EQ(s.at("carts").at("paid_lost").to_number<int>(), 1);
}

TEST(RedisFailoverRender, PageMarksTheKillAndThePromotionAndStatesTheGuarantee) {
  const auto dir = testkit::fresh_dir("scalelab-redis-failover-render-page");
  auto files = lab::render_redis_failover(made_up(5.3), dir);
  ASSERT_TRUE(files.ok()) << files.error().message;
  const auto page = testkit::read_file(files->report);
  EXPECT_TRUE(testkit::contains(page, "kill -9 of the primary (3.00 s)"));
  EXPECT_TRUE(testkit::contains(page, "Sentinel names the new primary (5.30 s)"));
  EXPECT_TRUE(testkit::contains(page, lab::kRedisFailoverGuarantee));
  const auto csv = testkit::read_file(files->csv);
  EXPECT_TRUE(testkit::contains(csv, "stream,second,ok,failed\norders sync,0,5,0\n"));
  EXPECT_TRUE(testkit::contains(csv, "carts,1,9,1\n"));
}

TEST(RedisFailoverRender, PromotionNotSeenIsNullAndUnmarked) {
  const auto dir = testkit::fresh_dir("scalelab-redis-failover-render-none");
  auto files = lab::render_redis_failover(made_up(std::numeric_limits<double>::quiet_NaN()), dir);
  ASSERT_TRUE(files.ok()) << files.error().message;
  EXPECT_TRUE(testkit::read_json(files->json).as_object().at("promotion_after_kill_s").is_null());
  EXPECT_FALSE(testkit::contains(testkit::read_file(files->report), "Sentinel names the new primary ("));
}

}  // namespace
