// `lab midterm` with tiny phases: the report and its files are written, the
// vulnerable version fails visibly and the resilient one fails less.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/test_server.h"

#include "lab/midterm.h"

namespace scalelab {
namespace {

using namespace std::chrono_literals;

using testkit::read_file;

TEST(LabMidterm, ResilienceOnFailsLessThanOffThroughTheFaultTimeline) {
  auto dir = std::filesystem::temp_directory_path() / ("scalelab_midterm_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
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
  EXPECT_EQ(r->off.timeline.front().breaker, "none");
  EXPECT_TRUE(std::filesystem::exists(dir / "timeline.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "phases.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "summary.json"));
  std::string html = read_file(r->report);
  EXPECT_NE(html.find("Midterm"), std::string::npos);
  EXPECT_NE(html.find("65%"), std::string::npos);     // the course's figures beside ours
  EXPECT_NE(html.find("0.07%"), std::string::npos);
  EXPECT_NE(html.find("Circuit breaker state"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace scalelab
