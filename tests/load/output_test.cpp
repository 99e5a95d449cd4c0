#include "load/output.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "load/html_report.h"
#include "load/stub.h"
#include "support/test_server.h"

using namespace scalelab;
using namespace scalelab::load;
using namespace std::chrono_literals;

namespace {

using scalelab::testkit::read_file;

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, ',')) out.push_back(f);
  return out;
}

Report sample_report() {
  Stub stub({});
  testkit::TestServer server([&](http::Router& r) { stub.register_routes(r); });
  auto s = parse_scenario(fmt::format(R"(
host: http://127.0.0.1:{}
duration: 1500ms
users: 2
wait: 5ms
tasks:
  - {{name: ok, path: /a}}
  - {{name: "bad, with comma", path: /b, expect: 404}}
)", server.port()));
  EXPECT_TRUE(s.ok());
  auto r = run(*s);
  EXPECT_TRUE(r.ok());
  return std::move(*r);
}

std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("scalelab-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace

TEST(LocustCsv, HeadersAreLocustsColumns) {
  // Locust 2.12's StatsCSV column lists, copied from locust/stats.py.
  EXPECT_EQ(split(kLocustStatsHeader),
            (std::vector<std::string>{"Type", "Name", "Request Count", "Failure Count", "Median Response Time",
                                      "Average Response Time", "Min Response Time", "Max Response Time",
                                      "Average Content Size", "Requests/s", "Failures/s", "50%", "66%", "75%",
                                      "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"}));
  EXPECT_EQ(split(kLocustFailuresHeader), (std::vector<std::string>{"Method", "Name", "Error", "Occurrences"}));
  const auto history = split(kLocustHistoryHeader);
  ASSERT_EQ(history.size(), 24u);
  EXPECT_EQ(history[0], "Timestamp");
  EXPECT_EQ(history[1], "User Count");
  EXPECT_EQ(history[17], "Total Request Count");
  EXPECT_EQ(history[23], "Total Average Content Size");
}

TEST(LocustCsv, InstalledLocustUsesTheSameColumns) {
  const std::filesystem::path stats_py = "/usr/lib/python3/dist-packages/locust/stats.py";
  ASSERT_TRUE(std::filesystem::exists(stats_py)) << "python3-locust is not installed (scripts/setup.sh installs it)";
  const std::string src = read_file(stats_py);
  for (const char* header : {kLocustStatsHeader, kLocustHistoryHeader, kLocustFailuresHeader})
    for (const auto& col : split(header)) {
      if (col.ends_with('%')) continue;  // generated from PERCENTILES_TO_REPORT
      EXPECT_NE(src.find("\"" + col + "\""), std::string::npos) << col;
    }
  EXPECT_NE(src.find("PERCENTILES_TO_REPORT = [0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0]"),
            std::string::npos);
}

TEST(LocustCsv, FilesHaveOneRowPerNameAggregatedLastAndQuotedFields) {
  const Report r = sample_report();
  const auto dir = temp_dir("csv");
  ASSERT_TRUE(write_locust_csv(r, (dir / "run").string(), 1700000000).ok());
  std::istringstream stats(read_file(dir / "run_stats.csv"));
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(stats, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], kLocustStatsHeader);
  EXPECT_EQ(lines[1].rfind("GET,ok,", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("GET,\"bad, with comma\",", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3].rfind(",Aggregated,", 0), 0u) << lines[3];
  EXPECT_EQ(split(lines[1]).size(), 22u);
  EXPECT_EQ(split(lines[3])[2], std::to_string(r.aggregate.count));

  const std::string failures = read_file(dir / "run_failures.csv");
  EXPECT_NE(failures.find("GET,\"bad, with comma\",HTTP 200 (expected 404),"), std::string::npos) << failures;
  const std::string history = read_file(dir / "run_stats_history.csv");
  EXPECT_EQ(history.rfind(std::string(kLocustHistoryHeader) + "\n1700000001,2,,Aggregated,", 0), 0u) << history;
  std::filesystem::remove_all(dir);
}

TEST(LoadOutput, JsonHasTotalsPercentilesAndSeries) {
  const Report r = sample_report();
  auto j = boost::json::parse(report_json(r, evaluate({*parse_threshold("errors<1%")}, r)));
  EXPECT_EQ(j.at("total_requests").to_number<std::uint64_t>(), r.aggregate.count);
  EXPECT_EQ(j.at("failures").to_number<std::uint64_t>(), r.aggregate.failures);
  EXPECT_GT(j.at("requests_per_s").to_number<double>(), 0);
  EXPECT_TRUE(j.at("aggregate").at("percentiles_ms").as_object().contains("p99.9"));
  EXPECT_EQ(j.at("requests").as_array().size(), 2u);
  EXPECT_FALSE(j.at("thresholds").at(0).at("pass").as_bool());
  EXPECT_GE(j.at("series").as_array().size(), 1u);
  EXPECT_TRUE(j.at("self_check").at("trustworthy").is_bool());
}

TEST(LoadOutput, HtmlReportListsEachGeneratorAndTheLostOne) {
  const Report r = sample_report();
  const auto dir = temp_dir("html-generators");
  ASSERT_TRUE(load::write_load_report(r, dir / "split.html", {},
                                      {{"process 1 (pid 11)", &r, ""},
                                       {"process 2 (pid 22)", nullptr, "killed by signal 9"}})
                  .ok());
  const std::string html = read_file(dir / "split.html");
  EXPECT_NE(html.find("Generators"), std::string::npos);
  // The finished one's own users, requests and failures; the lost one marked, with why.
  EXPECT_NE(html.find(fmt::format("<td>process 1 (pid 11)</td><td>2 users</td><td>{}</td><td>{}</td>",
                                  r.aggregate.count, r.aggregate.failures)),
            std::string::npos);
  EXPECT_NE(html.find("<td>process 2 (pid 22)</td><td>lost mid-run</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>killed by signal 9</td>"), std::string::npos);
  EXPECT_NE(html.find("1 finished, 1 lost"), std::string::npos);

  ASSERT_TRUE(load::write_load_report(r, dir / "one.html").ok());
  EXPECT_EQ(read_file(dir / "one.html").find("Generators"), std::string::npos) << "an unsplit run has no such section";
  std::filesystem::remove_all(dir);
}

TEST(LoadOutput, TableAndHtmlReport) {
  const Report r = sample_report();
  const std::string table = summary_table(r);
  EXPECT_NE(table.find("Aggregated"), std::string::npos);
  EXPECT_NE(table.find("HTTP 200 (expected 404)"), std::string::npos);
  const auto dir = temp_dir("html");
  ASSERT_TRUE(load::write_load_report(r, dir / "r.html").ok());
  const std::string html = read_file(dir / "r.html");
  EXPECT_NE(html.find("new Chart("), std::string::npos);
  EXPECT_NE(html.find("p99"), std::string::npos);
  EXPECT_NE(html.find("logarithmic"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(LoadOutput, LiveEditsShowInTheJsonAndTheHtmlReport) {
  Report r = sample_report();
  r.edits.push_back(LiveEdit{.t_s = 2.0, .users = 5, .spawn_rate = 1});
  auto j = boost::json::parse(report_json(r, {}));
  const auto& edits = j.at("edits").as_array();
  ASSERT_EQ(edits.size(), 1u);
  EXPECT_EQ(edits[0].at("users").to_number<unsigned>(), 5u);
  EXPECT_DOUBLE_EQ(edits[0].at("t_s").to_number<double>(), 2.0);
  const auto dir = temp_dir("html-edits");
  ASSERT_TRUE(load::write_load_report(r, dir / "r.html").ok());
  const std::string html = read_file(dir / "r.html");
  EXPECT_NE(html.find("Changes during the run"), std::string::npos);
  EXPECT_NE(html.find("<td>2.0 s</td><td>5 users, spawn rate 1/s</td>"), std::string::npos);
  std::filesystem::remove_all(dir);
}
