// render_hw7 from a small hand-made result (no experiment run): the files it
// writes and the figures they carry.
#include <filesystem>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "support/test_server.h"

#include "lab/hw7/hw7.h"

namespace scalelab {
namespace {

using testkit::read_file;

lab::Hw7SyncPhase sync_phase(lab::Hw7SyncLoad load, unsigned users, std::uint64_t ok, std::uint64_t rejected) {
  lab::Hw7SyncPhase p;
  p.load = load;
  p.users = users;
  p.duration_s = 30;
  p.ok = ok;
  p.rejected = rejected;
  p.attempts = ok + rejected;
  p.p50_s = 12;
  p.p99_s = 29;
  p.completed_per_s = 0.33;
  p.samples = {{.start_s = 1, .latency_s = 3, .status = 200}, {.start_s = 2, .latency_s = 30, .status = 503}};
  return p;
}

lab::Hw7AsyncRun async_run(lab::Hw7RunKind kind, int workers, bool drained) {
  lab::Hw7AsyncRun a;
  a.kind = kind;
  a.workers = workers;
  a.rate = 10;
  a.duration_s = 20;
  a.attempts = a.accepted = a.server_accepted = 200;
  a.accept_pct = 100;
  a.accept_p50_ms = 1.5;
  a.accept_p99_ms = 4.25;
  a.peak_depth = drained ? 4 : 180;
  a.depth_at_end = drained ? 1 : 170;
  a.keep_up_bound = 3;
  a.keeps_up = drained;
  if (drained) a.drain_s = 3.5;
  a.left = drained ? 0 : 170;
  a.audit_ok = true;
  a.audit_text = "ok";
  a.timeline = {{.t_s = 0, .depth = 0}, {.t_s = 10, .depth = a.peak_depth}, {.t_s = 20, .depth = a.depth_at_end}};
  return a;
}

lab::Hw7Result hand_made() {
  lab::Hw7Result r;
  r.options.rate = 10;
  r.options.time_scale = 0.5;
  r.broker = "memory";
  r.load_average = "0.10 0.20 0.30";
  r.normal = sync_phase(lab::Hw7SyncLoad::kNormal, 5, 10, 0);
  r.flash = sync_phase(lab::Hw7SyncLoad::kFlash, 20, 6, 14);
  r.async = {async_run(lab::Hw7RunKind::kWorkers, 1, false), async_run(lab::Hw7RunKind::kWorkers, 40, true)};
  r.search = lab::Hw7Search{.probes = {async_run(lab::Hw7RunKind::kProbe, 60, true),
                                       async_run(lab::Hw7RunKind::kProbe, 10, false)},
                            .minimum = 30, .arithmetic = 30, .note = "30 kept up, 29 did not"};
  r.functions = async_run(lab::Hw7RunKind::kFunctions, 200, true);
  orders::FunctionStats f;
  f.invocations = 200;
  f.cold_starts = 31;
  f.peak_concurrency = 30;
  r.functions->functions = f;
  r.cost = lab::hw7_cost(3.0, r.options);
  r.verdict = {"sync: the first verdict line", "counting check: ok in every async run"};
  return r;
}

class Hw7Render : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scalelab::testkit::fresh_dir("scalelab_hw7_render");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(Hw7Render, WritesEveryFileAndReturnsTheirPaths) {
  auto files = lab::render_hw7(hand_made(), dir_);
  ASSERT_TRUE(files.ok()) << files.error().message;
  EXPECT_EQ(files->report, dir_ / "report.html");
  EXPECT_EQ(files->runs_csv, dir_ / "runs.csv");
  EXPECT_EQ(files->depth_csv, dir_ / "depth.csv");
  EXPECT_EQ(files->sync_csv, dir_ / "sync_samples.csv");
  EXPECT_EQ(files->summary, dir_ / "summary.json");
  for (const auto& f : {files->report, files->runs_csv, files->depth_csv, files->sync_csv, files->summary})
    EXPECT_TRUE(std::filesystem::exists(f)) << f;
}

TEST_F(Hw7Render, RunsCsvHasARowPerRunNamedByItsKind) {
  auto files = lab::render_hw7(hand_made(), dir_);
  ASSERT_TRUE(files.ok()) << files.error().message;
  std::string csv = read_file(files->runs_csv);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 + 2 + 1);  // header, async, probes, functions
  EXPECT_NE(csv.find("\nworkers,1,10,20,200,200,100.00,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nprobe,60,"), std::string::npos);
  EXPECT_NE(csv.find("\nfunctions,200,"), std::string::npos);
  std::string depth = read_file(files->depth_csv);
  EXPECT_EQ(std::count(depth.begin(), depth.end(), '\n'), 1 + 5 * 3);  // three points per run
  std::string sync = read_file(files->sync_csv);
  EXPECT_NE(sync.find("\nflash,2.000,30.000,503\n"), std::string::npos) << sync;
}

TEST_F(Hw7Render, SummaryJsonCarriesTheKeyFigures) {
  auto files = lab::render_hw7(hand_made(), dir_);
  ASSERT_TRUE(files.ok()) << files.error().message;
  auto s = boost::json::parse(read_file(files->summary)).as_object();
  EXPECT_DOUBLE_EQ(s.at("time_scale").to_number<double>(), 0.5);
  EXPECT_EQ(s.at("broker").as_string(), "memory");
  EXPECT_EQ(s.at("load_average").as_string(), "0.10 0.20 0.30");
  EXPECT_EQ(s.at("sync_flash").at("phase").as_string(), "flash");
  EXPECT_EQ(s.at("sync_flash").at("rejected_503").to_number<int>(), 14);
  const auto& async = s.at("async").as_array();
  ASSERT_EQ(async.size(), 2u);
  EXPECT_EQ(async[0].at("kind").as_string(), "workers");
  EXPECT_TRUE(async[0].at("drain_s").is_null());  // 1 worker did not drain
  EXPECT_DOUBLE_EQ(async[1].at("drain_s").to_number<double>(), 3.5);
  EXPECT_EQ(s.at("search").at("minimum").to_number<int>(), 30);
  EXPECT_EQ(s.at("search").at("probes").as_array()[0].at("kind").as_string(), "probe");
  EXPECT_EQ(s.at("functions").at("kind").as_string(), "functions");
  EXPECT_EQ(s.at("functions").at("functions").at("cold_starts").to_number<int>(), 31);
  EXPECT_EQ(s.at("cost").at("cases").as_array().size(), 4u);
  EXPECT_EQ(s.at("verdict").as_array().size(), 2u);
}

TEST_F(Hw7Render, PageShowsEveryPartAndLinksTheData) {
  auto files = lab::render_hw7(hand_made(), dir_);
  ASSERT_TRUE(files.ok()) << files.error().message;
  std::string html = read_file(files->report);
  for (const char* text :
       {"Verdict", "sync: the first verdict line", "1. Sync: POST /orders/sync", "Queue depth over time",
        "Sync and async side by side", "3. The minimum workers that keep up", "Function concurrency over time",
        "Cost per month", "href=\"runs.csv\"", "href=\"depth.csv\"", "href=\"sync_samples.csv\"",
        "href=\"summary.json\""})
    EXPECT_NE(html.find(text), std::string::npos) << text;
}

TEST_F(Hw7Render, APartNotRunHasNoSection) {
  auto r = hand_made();
  r.normal.reset();
  r.flash.reset();
  r.search.reset();
  auto files = lab::render_hw7(r, dir_);
  ASSERT_TRUE(files.ok()) << files.error().message;
  std::string html = read_file(files->report);
  EXPECT_EQ(html.find("1. Sync"), std::string::npos);
  EXPECT_EQ(html.find("side by side"), std::string::npos);
  EXPECT_EQ(html.find("3. The minimum workers"), std::string::npos);
  EXPECT_NE(html.find("Queue depth over time"), std::string::npos);
}

lab::Hw7KillNode kill_run() {
  lab::Hw7KillNode k;
  k.node = "rabbit-a@localhost";
  k.nodes = 3;
  k.workers = 36;
  k.rate = 60;
  k.kill_s = 5, k.restart_s = 10, k.back_s = 17, k.load_s = 23;
  k.attempts = 1381, k.accepted = 1379, k.refused = 2, k.completed = 1379, k.charge_records = 1379;
  k.completed_after_back = 378;
  k.resumed_s = 1.4;
  k.before_p99_ms = 10, k.spike_p99_ms = 993, k.spike_max_ms = 1011;
  k.ok = true;
  k.seconds = {{.t_s = 5, .requests = 60, .p99_ms = 10, .max_ms = 10}, {.t_s = 7, .requests = 118, .p99_ms = 993,
                                                                         .max_ms = 1011}};
  return k;
}

TEST_F(Hw7Render, KillNodeRunHasItsSectionGuaranteeAndSummaryKey) {
  auto r = hand_made();
  r.kill_node = kill_run();
  auto files = lab::render_hw7(r, dir_);
  ASSERT_TRUE(files.ok()) << files.error().message;
  auto k = boost::json::parse(read_file(files->summary)).as_object().at("kill_node").as_object();
  EXPECT_EQ(k.at("node").as_string(), "rabbit-a@localhost");
  EXPECT_EQ(k.at("accepted").to_number<int>(), 1379);
  EXPECT_EQ(k.at("lost").to_number<int>(), 0);
  EXPECT_EQ(k.at("double_charged").to_number<int>(), 0);
  EXPECT_EQ(k.at("completed_after_restart").to_number<int>(), 378);
  EXPECT_DOUBLE_EQ(k.at("consumers_resumed_s").to_number<double>(), 1.4);
  EXPECT_DOUBLE_EQ(k.at("spike_p99_ms").to_number<double>(), 993);
  EXPECT_EQ(k.at("seconds").as_array().size(), 2u);
  EXPECT_TRUE(k.at("drain_s").is_null());
  std::string html = read_file(files->report);
  for (const char* text : {"5. A RabbitMQ node killed under load", "Guarantee checked", "kill -9 rabbit-a@localhost",
                           "restart started", "node answers again"})
    EXPECT_NE(html.find(text), std::string::npos) << text;
}

TEST_F(Hw7Render, NoKillNodeRunNoKillNodeKey) {
  auto files = lab::render_hw7(hand_made(), dir_);
  ASSERT_TRUE(files.ok()) << files.error().message;
  EXPECT_FALSE(boost::json::parse(read_file(files->summary)).as_object().contains("kill_node"));
  EXPECT_EQ(read_file(files->report).find("killed under load"), std::string::npos);
}

}  // namespace
}  // namespace scalelab
