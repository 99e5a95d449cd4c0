// The live dashboard over loopback: its event JSON, the progress and event
// stream endpoints, the control endpoint's answers, the report files.
#include "load/web/dashboard.h"


#include <cmath>
#include <fstream>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "support/test_server.h"

using namespace scalelab;
using namespace scalelab::load;
using namespace scalelab::load::web;
using testkit::RawConnection;
using testkit::read_until_close;

namespace {

std::string get(const std::string& target) { return "GET " + target + " HTTP/1.1\r\nHost: t\r\n\r\n"; }

std::string post_json(const std::string& target, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

testkit::RawResponse ask(std::uint16_t port, const std::string& request) {
  RawConnection c(port);
  c.send(request);
  auto r = c.read_response();
  EXPECT_TRUE(r);
  return r ? *r : testkit::RawResponse{};
}

SecondPoint second(double t, unsigned users, std::uint64_t requests, std::uint64_t failures) {
  SecondPoint p;
  p.t_s = t;
  p.users = users;
  p.requests = requests;
  p.failures = failures;
  for (std::size_t i = 0; i < std::size(kLocustPercentiles); ++i) p.percentiles_ms.push_back(10.0 * (i + 1));
  return p;
}

struct Running {
  explicit Running(Model model, DashboardKind kind = DashboardKind::kLoad)
      : control(model), dashboard(options(kind), control) {
    EXPECT_TRUE(dashboard.start().ok());
  }
  static DashboardOptions options(DashboardKind kind) {
    DashboardOptions o;
    o.port = 0;
    o.percentiles = {0.5, 0.99};
    o.kind = kind;
    return o;
  }
  void publish(const SecondPoint& p, const std::vector<LiveEdit>& edits = {}) {
    Progress pr;
    pr.last = &p;
    pr.edits = &edits;
    dashboard.publish(pr);
  }
  LiveControl control;
  Dashboard dashboard;
};

}  // namespace

TEST(LiveDashboard, PercentilesMustBeOnesTheEngineKeeps) {
  auto ok = parse_percentiles("50,90,99.9");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::vector<double>{0.5, 0.9, 0.999}));
  EXPECT_FALSE(parse_percentiles("50,97").ok());
  EXPECT_FALSE(parse_percentiles("").ok());
  EXPECT_FALSE(parse_percentiles("p50").ok());
}

TEST(LiveDashboard, ListenAddressIsAddressColonPort) {
  DashboardOptions o;
  ASSERT_TRUE(parse_listen("0.0.0.0:9000", o).ok());
  EXPECT_EQ(o.address, "0.0.0.0");
  EXPECT_EQ(o.port, 9000);
  EXPECT_FALSE(parse_listen("9000", o).ok());
  EXPECT_FALSE(parse_listen("127.0.0.1:70000", o).ok());
  EXPECT_FALSE(parse_listen(":80", o).ok());
}

TEST(LiveDashboard, APointCarriesRatesUsersAndTheChosenPercentiles) {
  SecondPoint p = second(3, 7, 200, 10);
  p.interval_s = 0.5;
  const auto j = boost::json::parse(point_event(p, {0.5, 0.99})).as_object();
  EXPECT_EQ(j.at("type").as_string(), "point");
  EXPECT_DOUBLE_EQ(j.at("rps").to_number<double>(), 400);
  EXPECT_DOUBLE_EQ(j.at("fps").to_number<double>(), 20);
  EXPECT_EQ(j.at("users").to_number<unsigned>(), 7u);
  const auto& ms = j.at("p").as_array();
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_DOUBLE_EQ(ms[0].to_number<double>(), 10);  // p50: the first of Locust's percentiles
  EXPECT_DOUBLE_EQ(ms[1].to_number<double>(), 80);  // p99: the eighth
}

TEST(LiveDashboard, AnExperimentsOwnEventsNameTheirPhaseChartSeriesAndProgress) {
  const auto phase = boost::json::parse(phase_event(12.34, "breaking")).as_object();
  EXPECT_EQ(phase.at("type").as_string(), "phase");
  EXPECT_DOUBLE_EQ(phase.at("t").to_number<double>(), 12.3);
  EXPECT_EQ(phase.at("name").as_string(), "breaking");
  const auto s = boost::json::parse(series_event(3, "instances", "ready", 2)).as_object();
  EXPECT_EQ(s.at("type").as_string(), "series");
  EXPECT_EQ(s.at("chart").as_string(), "instances");
  EXPECT_EQ(s.at("name").as_string(), "ready");
  EXPECT_DOUBLE_EQ(s.at("value").to_number<double>(), 2);
  // JSON has no NaN: a value that is not a number is sent as 0, never as invalid JSON.
  EXPECT_DOUBLE_EQ(boost::json::parse(series_event(3, "cpu", "avg", std::nan(""))).at("value").to_number<double>(), 0);
  const auto p = boost::json::parse(progress_event(4, "configurations", 3, 9)).as_object();
  EXPECT_EQ(p.at("what").as_string(), "configurations");
  EXPECT_DOUBLE_EQ(p.at("done").to_number<double>(), 3);
  EXPECT_DOUBLE_EQ(p.at("total").to_number<double>(), 9);
  const auto e = boost::json::parse(experiment_event(2, 11, "hw2", 125.6)).as_object();
  EXPECT_EQ(e.at("type").as_string(), "experiment");
  EXPECT_EQ(e.at("k").to_number<int>(), 2);
  EXPECT_EQ(e.at("n").to_number<int>(), 11);
  EXPECT_EQ(e.at("name").as_string(), "hw2");
  EXPECT_DOUBLE_EQ(e.at("left").to_number<double>(), 126);
}

TEST(LiveDashboard, AnExperimentsPageOffersStopButNoEditOfItsLoad) {
  Running r(Model::kClosed, DashboardKind::kLab);
  const auto page = ask(r.dashboard.port(), get("/")).body;
  EXPECT_EQ(page.find("id=\"edit\""), std::string::npos);
  EXPECT_NE(page.find("id=\"stop\""), std::string::npos);
  EXPECT_NE(page.find("\"kind\":\"lab\""), std::string::npos);
  EXPECT_EQ(ask(r.dashboard.port(), post_json("/control", R"({"users":3})")).status, 409);
  EXPECT_FALSE(r.control.take_edit());
  EXPECT_EQ(ask(r.dashboard.port(), post_json("/control", R"({"stop":true})")).status, 202);
  EXPECT_TRUE(r.control.stop_requested());
}

TEST(LiveDashboard, TwoExperimentsFilesOfOneNameAreServedUnderTwoNames) {
  Running r(Model::kClosed, DashboardKind::kTour);
  const auto dir = testkit::fresh_dir("dashboard-tour-files");
  for (const char* exp : {"hw1", "hw2"}) {
    std::filesystem::create_directories(dir / exp);
    std::ofstream(dir / exp / "report.html") << exp;
  }
  const auto first = boost::json::parse(r.dashboard.files_event("hw1", {{"HTML report", dir / "hw1" / "report.html"}}));
  const auto second = boost::json::parse(r.dashboard.files_event("hw2", {{"HTML report", dir / "hw2" / "report.html"}}));
  EXPECT_EQ(first.at("type").as_string(), "files");
  EXPECT_EQ(second.at("experiment").as_string(), "hw2");
  const auto href1 = std::string(first.at("files").at(0).at("href").as_string());
  const auto href2 = std::string(second.at("files").at(0).at("href").as_string());
  EXPECT_EQ(href1, "/files/report.html");
  EXPECT_EQ(href2, "/files/hw2-report.html");
  EXPECT_EQ(ask(r.dashboard.port(), get(href1)).body, "hw1");
  EXPECT_EQ(ask(r.dashboard.port(), get(href2)).body, "hw2");
  std::filesystem::remove_all(dir);
}

TEST(LiveDashboard, ProgressListsEventsFromTheAskedIndexWithEditsInOrder) {
  Running r(Model::kClosed);
  r.publish(second(1, 2, 10, 0));
  r.publish(second(2, 4, 20, 0), {LiveEdit{.t_s = 1.5, .users = 4, .spawn_rate = 0}});
  auto all = boost::json::parse(ask(r.dashboard.port(), get("/progress?after=0")).body).as_array();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].at("type").as_string(), "edit");
  EXPECT_EQ(all[1].at("users").to_number<unsigned>(), 4u);
  auto later = boost::json::parse(ask(r.dashboard.port(), get("/progress?after=2")).body).as_array();
  ASSERT_EQ(later.size(), 1u);
  EXPECT_DOUBLE_EQ(later[0].at("t").to_number<double>(), 2);
  EXPECT_EQ(ask(r.dashboard.port(), get("/progress?after=x")).status, 400);
}

TEST(LiveDashboard, EventStreamSendsEveryEventThenEndsWithTheRun) {
  Running r(Model::kClosed);
  r.publish(second(1, 2, 10, 0));
  r.dashboard.finish({});
  const std::string all = read_until_close(r.dashboard.port(), get("/events"));
  EXPECT_NE(all.find("Content-Type: text/event-stream"), std::string::npos) << all;
  EXPECT_NE(all.find("id: 1\ndata: {\"type\":\"point\""), std::string::npos) << all;
  EXPECT_NE(all.find("id: 2\ndata: {\"type\":\"end\""), std::string::npos) << all;
}

TEST(LiveDashboard, AReconnectingWatcherResumesAfterItsLastEventId) {
  Running r(Model::kClosed);
  r.publish(second(1, 2, 10, 0));
  r.publish(second(2, 2, 10, 0));
  r.dashboard.finish({});
  const std::string all = read_until_close(
      r.dashboard.port(), "GET /events HTTP/1.1\r\nHost: t\r\nLast-Event-ID: 1\r\n\r\n");
  EXPECT_EQ(all.find("id: 1\n"), std::string::npos) << all;
  EXPECT_NE(all.find("id: 2\n"), std::string::npos) << all;
}

TEST(LiveDashboard, ControlChangesUsersAndAnswersBadInputWithJsonErrors) {
  Running r(Model::kClosed);
  const auto port = r.dashboard.port();
  EXPECT_EQ(ask(port, post_json("/control", R"({"users":5,"spawn_rate":2})")).status, 202);
  auto edit = r.control.take_edit();
  ASSERT_TRUE(edit);
  EXPECT_EQ(edit->users, 5u);
  EXPECT_DOUBLE_EQ(edit->spawn_rate, 2);
  for (const char* bad : {R"({"users":-1})", R"({"users":2.5})", R"({"users":"many"})", R"({"users":3,"spawn_rate":-1})",
                          R"({"what":1})", "[1]"}) {
    auto res = ask(port, post_json("/control", bad));
    EXPECT_EQ(res.status, 400) << bad;
    EXPECT_NE(res.body.find("\"error\":\"INVALID_INPUT\""), std::string::npos) << bad << res.body;
  }
  EXPECT_EQ(ask(port, post_json("/control", R"({"rate":10})")).status, 409);  // closed model
  EXPECT_FALSE(r.control.take_edit());
  EXPECT_EQ(ask(port, post_json("/control", R"({"stop":true})")).status, 202);
  EXPECT_TRUE(r.control.stop_requested());
}

TEST(LiveDashboard, ControlChangesTheRateOfAnOpenModelRun) {
  Running r(Model::kOpen);
  EXPECT_EQ(ask(r.dashboard.port(), post_json("/control", R"({"rate":50})")).status, 202);
  auto edit = r.control.take_edit();
  ASSERT_TRUE(edit);
  EXPECT_DOUBLE_EQ(edit->rate, 50);
  EXPECT_EQ(ask(r.dashboard.port(), post_json("/control", R"({"users":3})")).status, 409);
}

TEST(LiveDashboard, ReportFilesAreServedOnceTheRunEnded) {
  Running r(Model::kClosed);
  const auto dir = testkit::fresh_dir("dashboard-files");
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "run.json") << R"({"ok":true})";
  EXPECT_EQ(ask(r.dashboard.port(), get("/files/run.json")).status, 404);
  r.dashboard.finish({{"JSON", dir / "run.json"}});
  auto res = ask(r.dashboard.port(), get("/files/run.json"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, R"({"ok":true})");
  EXPECT_EQ(ask(r.dashboard.port(), get("/files/other.json")).status, 404);
  EXPECT_EQ(ask(r.dashboard.port(), post_json("/control", R"({"users":1})")).status, 409);  // ended
  std::filesystem::remove_all(dir);
}

TEST(LiveDashboard, ThePageInlinesChartJsAndAsksNothingElsewhere) {
  Running r(Model::kClosed);
  auto res = ask(r.dashboard.port(), get("/"));
  EXPECT_EQ(res.status, 200);
  EXPECT_NE(res.body.find("new EventSource('/events')"), std::string::npos);
  EXPECT_NE(res.body.find("Chart"), std::string::npos);
  EXPECT_EQ(res.body.find("src=\"http"), std::string::npos);
  EXPECT_EQ(res.body.find("cdn"), std::string::npos);
}
