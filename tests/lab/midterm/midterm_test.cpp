// `lab midterm` with tiny phases: the report and its files are written, the
// vulnerable version fails visibly and the resilient one fails less.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/test_server.h"

#include "lab/midterm/midterm.h"

namespace scalelab {
namespace {

using namespace std::chrono_literals;

using testkit::read_file;

TEST(LabMidterm, ResilienceOnFailsLessThanOffThroughTheFaultTimeline) {
  auto dir = scalelab::testkit::fresh_dir("scalelab_midterm");
  lab::MidtermOptions o;
  o.out_dir = dir;
  o.phase = 1'500ms;
  o.users = 10;
  o.wait_min = 100ms;
  o.wait_max = 300ms;
  o.slow = 600ms;
  o.breaker_wait = 500ms;
  o.off_timeout = 1'000ms;
  o.progress = false;
  auto r = lab::run_midterm(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->off.phases.size(), 5u);
  ASSERT_EQ(r->on.phases.size(), 5u);
  EXPECT_GT(r->off.all.add, 0u);
  EXPECT_GT(r->on.all.add, 0u);
  // Healthy: nothing fails either way.
  EXPECT_EQ(r->off.phases[0].add_failed, 0u);
  EXPECT_EQ(r->on.phases[0].add_failed, 0u);
  // Off: the 503 phase fails add to cart visibly.
  EXPECT_GT(r->off.phases[1].add_failed, 0u);
  // On fails less than off.
  EXPECT_LT(r->on.all.add_failure_pct(), r->off.all.add_failure_pct());
  EXPECT_FALSE(r->on.timeline.empty());
  EXPECT_FALSE(r->off.timeline.front().breaker.has_value());  // off: carts has no breaker
  EXPECT_TRUE(r->on.timeline.front().breaker.has_value());
  auto files = lab::render_midterm(*r, dir);
  ASSERT_TRUE(files.ok()) << files.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir / "timeline.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "phases.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "summary.json"));
  // The acceptance is judged from the same figures the report shows.
  const auto& acc = r->acceptance;
  EXPECT_TRUE(acc.off_visible);
  double worst = 0;
  for (const auto& p : r->on.phases) worst = std::max(worst, p.add_failure_pct());
  EXPECT_DOUBLE_EQ(acc.worst_add_failure_pct, worst);
  EXPECT_EQ(acc.add_failures_ok, worst <= 1.0);
  EXPECT_EQ(acc.breaker_closed_ok, r->on.breaker_closed_after_s && *r->on.breaker_closed_after_s <= 0.5 + 1.0);
  EXPECT_NE(read_file(dir / "summary.json").find("\"acceptance\""), std::string::npos);
  std::string html = read_file(files->report);
  EXPECT_NE(html.find("Midterm"), std::string::npos);
  EXPECT_NE(html.find("65%"), std::string::npos);     // the course's figures beside ours
  EXPECT_NE(html.find("0.07%"), std::string::npos);
  EXPECT_NE(html.find("Circuit breaker state"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace scalelab
