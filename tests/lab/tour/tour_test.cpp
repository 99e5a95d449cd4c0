#include "lab/tour/tour.h"

#include <filesystem>
#include <set>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "support/test_server.h"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace scalelab::lab::tour;

namespace {

const Experiment& experiment(const std::string& name) {
  for (const auto& e : course()) {
    if (e.name == name) return e;
  }
  throw std::runtime_error("no experiment " + name);
}

// A result for every experiment: hw1 ok with a summary, hw2 skipped, hw3 failed, the rest not selected.
TourResult hand_made() {
  TourResult r{.quick = true, .seconds = 42};
  for (const auto& e : course()) r.runs.push_back({.name = e.name, .status = Status::kNotSelected});
  r.runs[0] = {.name = "hw1", .status = Status::kOk, .seconds = 5, .report = "hw1/report.html",
               .summary = json::object{{"experiment", "hw1"}, {"total_requests", 1234}, {"median_ms", 0.25},
                                       {"p95_ms", 0.5}, {"p99_ms", 2.5}, {"failed", 0}}};
  r.runs[1] = {.name = "hw2", .status = Status::kSkipped, .reason = "needs redis-server (not found on PATH)"};
  r.runs[2] = {.name = "hw3", .status = Status::kFailed, .reason = "exit status 1; last lines: boom", .seconds = 1};
  return r;
}

}  // namespace

TEST(Tour, CourseListsEveryExperimentInTheCoursesOrderThenThoseBeyondIt) {
  std::vector<std::string> names;
  for (const auto& e : course()) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"hw1", "hw2", "hw3", "hw3-load", "hw4", "hw5-clients", "hw6-bottleneck",
                                             "hw6-scaling", "rolling-restart", "hw7", "midterm",
                                             "redis-failover"}));
}

TEST(Tour, EveryExperimentHasCourseFiguresAMeaningAndDurations) {
  for (const auto& e : course()) {
    EXPECT_FALSE(e.headlines.empty()) << e.name;
    EXPECT_FALSE(e.meaning.empty()) << e.name;
    EXPECT_GT(e.full_s, 0) << e.name;
    EXPECT_GT(e.quick_s, 0) << e.name;
    EXPECT_LE(e.quick_s, e.full_s) << e.name;
  }
}

TEST(Tour, QuickModeIsExpectedToFitInFiveMinutes) {
  double total = 0;
  for (const auto& e : course()) total += e.quick_s;
  EXPECT_LE(total, 300);
}

TEST(Tour, SelectsOnlyAndSkipsByName) {
  auto chosen = select(course(), {"hw1", "hw7"}, {"hw7"});
  ASSERT_TRUE(chosen.ok());
  std::set<std::string> picked;
  for (std::size_t i = 0; i < course().size(); ++i) {
    if ((*chosen)[i]) picked.insert(course()[i].name);
  }
  EXPECT_EQ(picked, std::set<std::string>{"hw1"});
}

TEST(Tour, RefusesAnUnknownExperimentName) {
  auto chosen = select(course(), {"hw9"}, {});
  ASSERT_FALSE(chosen.ok());
  EXPECT_NE(chosen.error().message.find("hw9"), std::string::npos);
}

TEST(Tour, RunsEachExperimentAsALabChildWritingIntoItsOwnDirectory) {
  auto argv = child_argv("/bin/scalelab", experiment("hw6-scaling"), true, "reports/hw6-scaling");
  ASSERT_GE(argv.size(), 5u);
  EXPECT_EQ(argv[0], "/bin/scalelab");
  EXPECT_EQ(argv[1], "lab");
  EXPECT_EQ(argv[2], "hw6-scaling");
  EXPECT_EQ(argv[argv.size() - 2], "--out");
  EXPECT_EQ(argv.back(), "reports/hw6-scaling");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--no-variants"), argv.end());
  auto full = child_argv("/bin/scalelab", experiment("hw6-scaling"), false, "r");
  EXPECT_EQ(std::find(full.begin(), full.end(), "--no-variants"), full.end());
}

TEST(Tour, ABinaryWithoutTheExperimentSkipsIt) {
  EXPECT_EQ(missing_requirement("/bin/false", experiment("hw1")), "not built in this binary");
}

TEST(Tour, HeadlineValuesComeFromTheSummaryOrShowAsMissing) {
  json::value s = json::object{{"p99_ms", 2.5}, {"memory", json::object{{"agree", false}}}};
  EXPECT_EQ(headline_value(s, {"p99", "", "p99_ms", "ms"}), "2.5 ms");
  EXPECT_EQ(headline_value(s, {"agree", "", "memory.agree", "yes/no"}), "no");
  EXPECT_EQ(headline_value(s, {"absent", "", "nope", ""}), "—");
  EXPECT_EQ(headline_value(nullptr, {"p99", "", "p99_ms", "ms"}), "—");
}

TEST(Tour, JsonListsEveryExperimentWithStatusReportAndHeadlines) {
  auto v = tour_json(hand_made());
  const auto& list = v.at("experiments").as_array();
  ASSERT_EQ(list.size(), course().size());
  EXPECT_EQ(list[0].at("status").as_string(), "ok");
  EXPECT_EQ(list[0].at("report").as_string(), "hw1/report.html");
  EXPECT_EQ(list[0].at("headlines").at("median_ms").as_double(), 0.25);
  EXPECT_EQ(list[1].at("status").as_string(), "skipped");
  EXPECT_NE(std::string(list[1].at("reason").as_string()).find("redis-server"), std::string::npos);
  EXPECT_EQ(list[2].at("status").as_string(), "failed");
  EXPECT_EQ(list[3].at("status").as_string(), "not selected");
  EXPECT_TRUE(v.at("quick").as_bool());
}

TEST(Tour, IndexShowsEverySelectedExperimentWithStatusAndTheCoursesFigures) {
  auto dir = scalelab::testkit::fresh_dir("tour-render");
  auto files = render_tour(hand_made(), dir);
  ASSERT_TRUE(files.ok()) << files.error().message;
  const auto html = scalelab::testkit::read_file(files->index);
  for (const char* name : {"hw1", "hw2", "hw3"}) EXPECT_NE(html.find(std::string(name) + ": "), std::string::npos) << name;
  EXPECT_NE(html.find("needs redis-server"), std::string::npos);
  EXPECT_NE(html.find("boom"), std::string::npos);
  EXPECT_NE(html.find("0.25 ms"), std::string::npos);            // scalelab's median
  EXPECT_NE(html.find(experiment("hw2").headlines[0].course), std::string::npos);  // the course's figure
  EXPECT_NE(html.find("href=\"hw1/report.html\""), std::string::npos);
  EXPECT_EQ(html.find("midterm: "), std::string::npos);  // not selected: no card
  auto parsed = json::parse(scalelab::testkit::read_file(files->json));
  EXPECT_EQ(parsed.at("experiments").as_array().size(), course().size());
  fs::remove_all(dir);
}
