// lab rolling-restart end to end with a private HAProxy and real catalog
// instances, at short settles: the drained rollouts lose no request, and
// every variant's rows and files are there.
#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "infra/process.h"
#include "lab/render_testing.h"
#include "lab/rolling_restart/rolling_restart.h"

using namespace scalelab;
using namespace std::chrono_literals;

namespace {

bool haproxy_installed() {
  auto probe = infra::Process::spawn({.argv = {"haproxy", "-v"}, .log_file = "/dev/null"});
  return probe.ok() && probe->wait_for(10s) == 0;
}

const lab::RollingVariantResult* find(const lab::RollingRestartResult& r, lab::RolloutStrategy s) {
  auto it = std::find_if(r.variants.begin(), r.variants.end(), [&](const auto& v) { return v.variant.strategy == s; });
  return it == r.variants.end() ? nullptr : &*it;
}

lab::RollingRestartOptions short_run(const std::filesystem::path& dir) {
  auto o = lab::quick_rolling_restart({});
  o.scalelab = SCALELAB_BINARY;
  o.out_dir = dir;
  o.settle = 1500ms;
  o.pause = 300ms;
  // Checks every 600 ms rather than 300: a quarter-core instance on a busy
  // (or sanitized) build still answers one within its interval.
  o.time_scale = 50;
  o.progress = false;
  return o;
}

TEST(RollingRestartLab, DrainedRolloutsLoseNoRequestAndEveryVariantIsReported) {
  if (!haproxy_installed()) GTEST_SKIP() << "haproxy is not installed (scripts/setup.sh installs it)";
  const auto dir = testkit::fresh_dir("scalelab-rolling-restart-test");
  auto r = lab::run_rolling_restart(short_run(dir));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->variants.size(), 3u);

  const auto* at_66 = find(*r, lab::RolloutStrategy::kStopFirst);
  ASSERT_NE(at_66, nullptr);
  EXPECT_EQ(at_66->variant.instances, 3);
  EXPECT_EQ(at_66->failed, 0u);
  EXPECT_EQ(at_66->downtime_s, 0);
  EXPECT_GE(at_66->min_healthy_seen, 2);

  const auto* surge = find(*r, lab::RolloutStrategy::kSurge);
  ASSERT_NE(surge, nullptr);
  EXPECT_EQ(surge->failed, 0u);
  EXPECT_EQ(surge->downtime_s, 0);
  EXPECT_GE(surge->min_healthy_seen, 2);

  // The naive one's failures are reported, not asserted: how many depends
  // on where the kill falls between two health checks.
  const auto* naive = find(*r, lab::RolloutStrategy::kKillFirst);
  ASSERT_NE(naive, nullptr);
  EXPECT_GT(naive->down_detection_s, 0);

  for (const auto& v : r->variants) {
    EXPECT_GT(v.requests, 0u) << v.variant.name;
    EXPECT_FALSE(v.timeline.empty()) << v.variant.name;
    // Each old instance was replaced: one "healthy" event per instance.
    auto healthy = std::count_if(v.events.begin(), v.events.end(),
                                 [](const auto& e) { return e.what.ends_with(" healthy"); });
    EXPECT_EQ(healthy, v.variant.instances) << v.variant.name;
  }

  auto files = lab::render_rolling_restart(*r, dir);
  ASSERT_TRUE(files.ok()) << files.error().message;
  for (const auto& f : {files->report, files->csv, files->json}) EXPECT_GT(std::filesystem::file_size(f), 0u) << f;
  const auto rows = testkit::read_json(files->json).at("variants").as_array();
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows)
    for (const char* key : {"name", "instances", "min_healthy_percent", "downtime_s", "failed_requests", "requests",
                            "p99_ms"})
      EXPECT_TRUE(row.as_object().contains(key)) << key;
  std::filesystem::remove_all(dir);
}

}  // namespace
