// render_midterm from a small hand-made result (no experiment run): the files
// it writes, the figures they carry, and one colour per run on every chart.
#include <filesystem>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "support/test_server.h"

#include "lab/midterm/midterm.h"
#include "report/html.h"

namespace scalelab {
namespace {

using resilience::BreakerState;
using testkit::read_file;

lab::MidtermRun run(lab::Resilience r, std::uint64_t add_failed_in_503) {
  lab::MidtermRun run;
  run.resilience = r;
  for (auto phase : lab::kMidtermPhases) {
    lab::MidtermPhaseStats p;
    p.phase = phase;
    p.add = 100;
    p.add_failed = phase == lab::MidtermPhase::kCatalog503 ? add_failed_in_503 : 0;
    p.add_p50_ms = 20;
    p.add_p99_ms = 120;
    p.view = 30;
    run.phases.push_back(p);
  }
  run.all.add = 500;
  run.all.add_failed = add_failed_in_503;
  run.rps = 12.5;
  std::optional<BreakerState> open, closed;
  if (r == lab::Resilience::kOn) {
    open = BreakerState::kOpen;
    closed = BreakerState::kClosed;
    run.breaker_closed_after_s = 0.75;
  }
  run.timeline = {{.second = 1, .requests = 10, .breaker = closed},
                  {.second = 2, .requests = 10, .failures = 5, .breaker = open},
                  {.second = 3, .requests = 10, .breaker = closed}};
  return run;
}

lab::MidtermResult hand_made() {
  lab::MidtermResult r;
  r.off = run(lab::Resilience::kOff, 65);
  r.on = run(lab::Resilience::kOn, 1);
  r.acceptance = lab::judge_midterm(r.off, r.on, r.options);
  return r;
}

class MidtermRender : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scalelab::testkit::fresh_dir("scalelab_midterm_render");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(MidtermRender, WritesEveryFileAndReturnsTheirPaths) {
  auto files = lab::render_midterm(hand_made(), dir_);
  ASSERT_TRUE(files.ok()) << files.error().message;
  EXPECT_EQ(files->report, dir_ / "report.html");
  EXPECT_EQ(files->timeline_csv, dir_ / "timeline.csv");
  EXPECT_EQ(files->phases_csv, dir_ / "phases.csv");
  EXPECT_EQ(files->summary, dir_ / "summary.json");
  for (const auto& f : {files->report, files->timeline_csv, files->phases_csv, files->summary})
    EXPECT_TRUE(std::filesystem::exists(f)) << f;
}

TEST_F(MidtermRender, CsvNamesRunsPhasesAndBreakerStates) {
  auto files = lab::render_midterm(hand_made(), dir_);
  ASSERT_TRUE(files.ok()) << files.error().message;
  std::string timeline = read_file(files->timeline_csv);
  EXPECT_NE(timeline.find("\noff,1,10,0,0,0,none\n"), std::string::npos) << timeline;
  EXPECT_NE(timeline.find("\non,2,10,5,0,0,open\n"), std::string::npos) << timeline;
  std::string phases = read_file(files->phases_csv);
  EXPECT_NE(phases.find("\noff,catalog 503,100,65,20,120,30,0,0,0\n"), std::string::npos) << phases;
  EXPECT_NE(phases.find("\non,recovered,100,0,"), std::string::npos) << phases;
}

TEST_F(MidtermRender, SummaryJsonCarriesTheFiguresAndTheAcceptance) {
  auto files = lab::render_midterm(hand_made(), dir_);
  ASSERT_TRUE(files.ok()) << files.error().message;
  auto s = boost::json::parse(read_file(files->summary)).as_object();
  EXPECT_EQ(s.at("off").at("resilience").as_string(), "off");
  EXPECT_EQ(s.at("on").at("phases").as_array()[1].at("phase").as_string(), "catalog 503");
  EXPECT_EQ(s.at("on").at("all").at("phase").as_string(), "all");
  EXPECT_DOUBLE_EQ(s.at("off").at("all").at("add_failure_pct").to_number<double>(), 13.0);
  EXPECT_TRUE(s.at("off").at("breaker_closed_after_recovery_s").is_null());
  EXPECT_DOUBLE_EQ(s.at("on").at("breaker_closed_after_recovery_s").to_number<double>(), 0.75);
  const auto& acc = s.at("acceptance");
  EXPECT_TRUE(acc.at("add_failures_le_1pct").as_bool());  // on: 1 of 100 in the worst phase
  EXPECT_TRUE(acc.at("off_failure_visible").as_bool());
  EXPECT_TRUE(acc.at("met").as_bool());
}

TEST_F(MidtermRender, EachRunKeepsOneColourOnEveryChart) {
  auto files = lab::render_midterm(hand_made(), dir_);
  ASSERT_TRUE(files.ok()) << files.error().message;
  std::string html = read_file(files->report);
  EXPECT_NE(html.find("65%"), std::string::npos);  // the course's figures beside ours
  EXPECT_NE(html.find("Circuit breaker state"), std::string::npos);
  EXPECT_NE(html.find("href=\"phases.csv\""), std::string::npos);
  const std::string off = report::chart_color(1), on = report::chart_color(0);
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = html.find(needle); at != std::string::npos; at = html.find(needle, at + 1)) ++n;
    return n;
  };
  // Five charts, each with both runs in their own colour.
  EXPECT_EQ(count("\"borderColor\":\"" + off + "\""), 5u);
  EXPECT_EQ(count("\"borderColor\":\"" + on + "\""), 5u);
}

}  // namespace
}  // namespace scalelab
