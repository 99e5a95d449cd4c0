#include "load/engine.h"

#include <atomic>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "load/stub.h"
#include "support/test_server.h"

using namespace scalelab;
using namespace scalelab::load;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

std::string host_of(testkit::TestServer& s) { return fmt::format("http://127.0.0.1:{}", s.port()); }

Scenario one_request(const std::string& host, const std::string& path) {
  auto s = parse_scenario(fmt::format("host: {}\ntasks: [{{path: {}}}]\n", host, path));
  EXPECT_TRUE(s.ok()) << s.error().message;
  return *s;
}

testkit::TestServer stub_server(Stub& stub) {
  return testkit::TestServer([&](http::Router& r) { stub.register_routes(r); });
}

}  // namespace

TEST(LoadEngine, ClosedModelStopsAtMaxRequestsAndCountsThemAll) {
  Stub stub({});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.users = 4;
  s.max_requests = 500;
  s.duration = 30s;
  auto r = run(s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->aggregate.count, 500u);
  EXPECT_EQ(r->aggregate.failures, 0u);
  EXPECT_EQ(stub.answered(), 500u);
  ASSERT_EQ(r->requests.size(), 1u);
  EXPECT_EQ(r->requests[0].name, "GET /x");
  EXPECT_EQ(r->requests[0].latency_us.count(), 500u);
  std::uint64_t in_series = 0;
  for (const auto& p : r->series) in_series += p.requests;
  EXPECT_EQ(in_series, 500u);
  EXPECT_GT(r->requests[0].bytes, 0u);
}

TEST(LoadEngine, EveryClientKindGetsTheSameAnswers) {
  for (auto kind : {ClientKind::kFast, ClientKind::kSimple, ClientKind::kRuntime}) {
    Stub stub({});
    auto server = stub_server(stub);
    Scenario s = one_request(host_of(server), "/x");
    s.users = 3;
    s.max_requests = 60;
    s.duration = 30s;
    s.client = kind;
    auto r = run(s);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->aggregate.count, 60u) << to_string(kind);
    EXPECT_EQ(r->aggregate.failures, 0u) << to_string(kind);
    EXPECT_EQ(stub.answered(), 60u) << to_string(kind);
  }
}

TEST(LoadEngine, UnexpectedStatusesAreFailuresByReason) {
  testkit::TestServer server([](http::Router& r) {
    r.get("/ok", [](http::Request&) -> asio::awaitable<http::Response> { co_return http::Response::json_text(200, "{}"); });
  });
  auto s = parse_scenario(fmt::format(R"(
host: {}
max_requests: 200
tasks:
  - path: /ok
  - path: /missing
  - {{name: wants 201, path: /ok, expect: 201}}
)", host_of(server)));
  ASSERT_TRUE(s.ok()) << s.error().message;
  s->users = 2;
  auto r = run(*s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->requests.size(), 3u);
  EXPECT_EQ(r->requests[0].failures, 0u);
  EXPECT_EQ(r->requests[1].failures, r->requests[1].count);
  EXPECT_EQ(r->requests[1].failures_by_reason.begin()->first, "HTTP 404");
  EXPECT_EQ(r->requests[2].failures_by_reason.begin()->first, "HTTP 200 (expected 201)");
  EXPECT_EQ(r->aggregate.count, 200u);
  EXPECT_EQ(r->aggregate.failures, r->requests[1].count + r->requests[2].count);
  EXPECT_GT(r->requests[0].count, 0u);
}

TEST(LoadEngine, CapturedValuesFeedLaterRequests) {
  std::mutex mu;
  std::vector<std::string> seen;
  std::atomic<int> next{0};
  testkit::TestServer server([&](http::Router& r) {
    r.post("/items", [&](http::Request&) -> asio::awaitable<http::Response> {
      co_return http::Response::json_text(201, fmt::format(R"({{"data":{{"id":"it{}"}}}})", next++));
    });
    r.get("/items/{id}", [&](http::Request& req) -> asio::awaitable<http::Response> {
      std::lock_guard lock(mu);
      seen.emplace_back(req.param("id"));
      co_return http::Response::json_text(200, "{}");
    });
  });
  auto s = parse_scenario(fmt::format(R"(
host: {}
max_requests: 20
tasks:
  - requests:
      - {{method: POST, path: /items, capture: {{item: data.id}}, expect: 201}}
      - {{path: "/items/{{{{item}}}}"}}
)", host_of(server)));
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto r = run(*s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->aggregate.failures, 0u);
  ASSERT_EQ(seen.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], fmt::format("it{}", i));
}

TEST(LoadEngine, UnreachableHostIsCountedAsConnectionErrors) {
  Scenario s = one_request("http://127.0.0.1:1", "/x");
  s.users = 2;
  s.max_requests = 50;
  s.duration = 10s;
  auto r = run(s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->aggregate.count, 50u);
  EXPECT_EQ(r->aggregate.failures, 50u);
  ASSERT_EQ(r->requests[0].failures_by_reason.size(), 1u);
  EXPECT_EQ(r->requests[0].failures_by_reason.begin()->first, "connect: Connection refused");
}

TEST(LoadEngine, ATimeoutIsAFailureAndTheRunStillEnds) {
  Stub stub({.delay = 2s});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/slow");
  s.users = 2;
  s.max_requests = 4;
  s.duration = 20s;
  s.timeout = 100ms;
  auto r = run(s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->aggregate.count, 4u);
  EXPECT_EQ(r->aggregate.failures, 4u);
  EXPECT_EQ(r->requests[0].failures_by_reason.begin()->first, "timeout");
  // Latency of a timed-out request is at least the timeout.
  EXPECT_GE(r->aggregate.latency_us.min(), 99'000u);
}

TEST(LoadEngine, OpenModelCountsLatencyFromTheIntendedStart) {
  // The server takes 50 ms and only one iteration may be in flight, while
  // arrivals come every 10 ms: they queue, start late, and their latency
  // includes the wait (no coordinated omission).
  Stub stub({.delay = 50ms});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.model = Model::kOpen;
  s.rate = 100;
  s.max_in_flight = 1;
  s.duration = 1s;
  auto r = run(s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GE(r->arrivals, 90u);
  EXPECT_LE(r->arrivals, 100u);
  EXPECT_GT(r->late_starts, 5u);
  ASSERT_GT(r->aggregate.count, 5u);
  // Each completed iteration after the first waited behind the previous ones:
  // the n-th (0-based) finishes at least 50(n+1) ms after start but was due
  // at 10n ms, so the slowest completed one waited well beyond the 50 ms
  // service time.
  const double n = static_cast<double>(r->aggregate.count);
  EXPECT_GE(static_cast<double>(r->aggregate.latency_us.max()) / 1000.0, 50 * n - 10 * (n - 1) - 5);
  EXPECT_GT(r->unfinished, 0u);  // arrivals still queued when the run ended
  EXPECT_GT(r->max_start_lag_ms, 100);
}

TEST(LoadEngine, OpenModelStallShowsInTheHighPercentiles) {
  Stub stub({.stall_at = 300ms, .stall_for = 700ms});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.model = Model::kOpen;
  s.rate = 200;
  s.max_in_flight = 400;
  s.duration = 2s;
  auto r = run(s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->aggregate.failures, 0u);
  // The first request to arrive in the stall waits ~700 ms; with arrivals
  // throughout, roughly a third of requests are held, so p90 is far above
  // the stub's sub-millisecond answer.
  EXPECT_GE(r->aggregate.quantile_ms(0.999), 500);
  EXPECT_GE(r->aggregate.quantile_ms(0.9), 100);
  EXPECT_LT(r->aggregate.quantile_ms(0.5), r->aggregate.quantile_ms(0.9));
}

TEST(LoadEngine, SpawnRateBringsUsersInOverTime) {
  Stub stub({});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.users = 6;
  s.spawn_rate = 4;  // all 6 by 1.5 s
  s.duration = 2500ms;
  s.wait = {WaitSpec::Kind::kConstant, 20ms};
  auto r = run(s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_GE(r->series.size(), 2u);
  EXPECT_LE(r->series[0].users, 5u);  // about 4 after the first second
  EXPECT_GE(r->series[0].users, 3u);
  EXPECT_EQ(r->series[1].users, 6u);
  EXPECT_EQ(r->peak_users, 6u);
}

TEST(LoadEngine, StagesRampUsersDown) {
  Stub stub({});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.stages = {{1s, 4}, {1s, 4}, {1s, 0}};
  s.wait = {WaitSpec::Kind::kConstant, 10ms};
  auto r = run(s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_GE(r->series.size(), 3u);
  EXPECT_EQ(r->peak_users, 4u);
  EXPECT_EQ(r->series[1].users, 4u);
  EXPECT_LE(r->series[2].users, 1u);
  EXPECT_LT(r->elapsed_s, 4.5);
  EXPECT_GT(r->aggregate.count, 0u);
}

TEST(LoadEngine, PacingKeepsOneIterationPerPeriod) {
  Stub stub({});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.users = 1;
  s.duration = 1s;
  s.wait = {WaitSpec::Kind::kPacing, 200ms};
  auto r = run(s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GE(r->aggregate.count, 4u);
  EXPECT_LE(r->aggregate.count, 5u);
}

TEST(LoadEngine, StopFlagEndsTheRunEarly) {
  Stub stub({});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.users = 2;
  s.duration = 60s;
  s.wait = {WaitSpec::Kind::kConstant, 5ms};
  std::atomic<bool> stop{false};
  RunOptions o;
  o.stop = &stop;
  o.on_sample = [&](const Sample&) { stop = true; };
  auto r = run(s, o);
  ASSERT_TRUE(r.ok());
  EXPECT_LT(r->elapsed_s, 10);
  EXPECT_GE(r->aggregate.count, 1u);
}

TEST(LoadEngine, SamplesAndProgressAreReported) {
  Stub stub({});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.users = 1;
  s.duration = 1200ms;
  s.wait = {WaitSpec::Kind::kConstant, 10ms};
  std::vector<Sample> samples;
  int progress = 0;
  RunOptions o;
  o.on_sample = [&](const Sample& x) { samples.push_back(x); };
  o.on_progress = [&](const Progress& p) {
    ++progress;
    EXPECT_NE(p.last, nullptr);
  };
  auto r = run(s, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(samples.size(), r->aggregate.count);
  EXPECT_GE(progress, 1);
  for (std::size_t i = 1; i < samples.size(); ++i) EXPECT_GE(samples[i].start_s, samples[i - 1].start_s);
  EXPECT_EQ(samples.front().status, 200u);
}

TEST(LoadEngine, BadHostFailsBeforeAnyLoad) {
  Scenario s = one_request("http://127.0.0.1:1", "/x");
  s.host = "ftp://x";
  s.max_requests = 1;
  auto r = run(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("host"), std::string::npos);
}

TEST(LoadEngine, AThresholdOnAnUnknownRequestNameFailsBeforeAnyLoad) {
  Stub stub({});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.max_requests = 5;
  s.thresholds.push_back(*parse_threshold("GET /y:p99<1s"));
  auto r = run(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no request is named 'GET /y' (request names: GET /x)"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(stub.answered(), 0u);
}

TEST(LoadEngine, PerNameThresholdsJudgeEachRequestOnItsOwnRows) {
  // /slow takes 200 ms, /fast answers at once: a 100 ms rule holds for
  // /fast only, and the aggregate (half slow) fails it too.
  testkit::TestServer server([&](http::Router& r) {
    r.get("/fast", [](http::Request&) -> asio::awaitable<http::Response> {
      co_return http::Response::json_text(200, "{}");
    });
    r.get("/slow", [](http::Request&) -> asio::awaitable<http::Response> {
      auto ex = co_await asio::this_coro::executor;
      asio::steady_timer t(ex, 200ms);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      co_return http::Response::json_text(200, "{}");
    });
  });
  auto s = parse_scenario(fmt::format(R"(
host: {}
users: 4
max_requests: 40
duration: 20s
tasks:
  - requests: [{{path: /fast}}, {{path: /slow}}]
thresholds:
  - GET /fast: p99<100ms
  - GET /slow: p99<100ms
  - p99<100ms
  - GET /slow: [p50>=190ms, errors<1%]
)", host_of(server)));
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto r = run(*s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->aggregate.count, 40u);
  const auto res = evaluate(s->thresholds, *r);
  ASSERT_EQ(res.size(), 5u);
  std::vector<bool> pass;
  for (const auto& x : res) pass.push_back(x.pass);
  EXPECT_EQ(pass, (std::vector<bool>{true, false, false, true, true})) << res[0].actual << " " << res[1].actual;
  EXPECT_GE(res[1].actual, 190);  // the histogram's buckets are within 1%
}

TEST(LoadEngine, SeveralGeneratorThreadsCountEveryRequestOnce) {
  // Three generator threads share the request budget, the {{seq}} counter
  // and the controller's per-second collection; every answer is counted
  // exactly once, in the rows and in the series (also run under TSan).
  for (auto kind : {ClientKind::kFast, ClientKind::kRuntime}) {
    for (auto model : {Model::kClosed, Model::kOpen}) {
      Stub stub({});
      auto server = stub_server(stub);
      auto s = parse_scenario(fmt::format(R"(
host: {}
threads: 3
users: 9
max_requests: 600
duration: 20s
tasks:
  - {{path: "/a/{{{{seq}}}}", weight: 2}}
  - {{method: POST, path: /b, json: {{n: "{{{{seq}}}}"}}}}
)", host_of(server)));
      ASSERT_TRUE(s.ok()) << s.error().message;
      s->client = kind;
      s->model = model;
      s->rate = 2000;
      std::atomic<std::uint64_t> samples{0};
      RunOptions o;
      o.on_sample = [&](const Sample&) { samples.fetch_add(1, std::memory_order_relaxed); };
      auto r = run(*s, o);
      const std::string what = fmt::format("{} {}", to_string(kind), to_string(model));
      ASSERT_TRUE(r.ok()) << what << ": " << r.error().message;
      EXPECT_EQ(r->aggregate.count, 600u) << what;
      EXPECT_EQ(r->aggregate.failures, 0u) << what;
      EXPECT_EQ(stub.answered(), 600u) << what;
      EXPECT_EQ(samples.load(), 600u) << what;
      ASSERT_EQ(r->requests.size(), 2u) << what;
      EXPECT_EQ(r->requests[0].count + r->requests[1].count, 600u) << what;
      std::uint64_t in_series = 0;
      for (const auto& p : r->series) in_series += p.requests;
      EXPECT_EQ(in_series, 600u) << what;
      EXPECT_EQ(r->threads, 3u) << what;
    }
  }
}

TEST(LoadStub, WakingEarlyToSpinStillWaitsTheWholeDelayAndMeasuresItsLateness) {
  Stub stub({.delay = 20ms, .spin = 5ms});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.users = 2;
  s.max_requests = 10;
  s.duration = 20s;
  auto r = run(s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->aggregate.count, 10u);
  EXPECT_EQ(r->aggregate.failures, 0u);
  EXPECT_GE(r->aggregate.latency_us.min(), 20'000u);  // woken early, polled, never answered early
  EXPECT_EQ(stub.lateness().count(), 10u);
  EXPECT_LE(stub.lead(), 5ms);  // the learnt lead stays within --spin

  testkit::RawConnection c(server.port());
  ASSERT_TRUE(c.send("GET /stub/count HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto res = c.read_response();
  ASSERT_TRUE(res.has_value());
  auto j = boost::json::parse(res->body);
  EXPECT_EQ(j.at("answered").to_number<std::uint64_t>(), 10u);
  EXPECT_EQ(j.at("late_us").at("count").to_number<std::uint64_t>(), 10u);
  EXPECT_EQ(j.at("late_us").at("max").to_number<std::uint64_t>(), stub.lateness().max());
}

TEST(LoadStub, ASleepingStubCountsTheLatenessOfEveryDelayedAnswer) {
  Stub stub({.delay = 5ms});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.max_requests = 10;
  ASSERT_TRUE(run(s).ok());
  EXPECT_EQ(stub.lateness().count(), 10u);
  EXPECT_EQ(stub.lead(), 0us);
}

TEST(LoadStub, AnswersWithoutADelayRecordNoLateness) {
  Stub stub({});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.max_requests = 5;
  ASSERT_TRUE(run(s).ok());
  EXPECT_EQ(stub.answered(), 5u);
  EXPECT_EQ(stub.lateness().count(), 0u);
}

// Edits made from on_progress (the controller thread, once a second) are
// applied at the next second: an edit asked at t=1 shows from the point at t=3.
// A 5.5 s closed run of `users` users (10 ms waits) against a stub whose
// user count is edited to `at_1` at second 1 and to `at_3` at second 3.
static Result<Report> run_with_user_edits(unsigned users, unsigned at_1, unsigned at_3) {
  Stub stub({});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.users = users;
  s.duration = 5500ms;
  s.wait = {WaitSpec::Kind::kConstant, 10ms};
  LiveControl live(Model::kClosed);
  RunOptions o;
  o.live = &live;
  int second = 0;
  o.on_progress = [&](const Progress&) {
    ++second;
    if (second == 1) {
      EXPECT_TRUE(live.set_users(at_1, 0).ok());
    }
    if (second == 3) {
      EXPECT_TRUE(live.set_users(at_3, 0).ok());
    }
  };
  return run(s, o);
}

TEST(LoadEngine, LiveEditsChangeTheUsersWhileTheRunGoes) {
  auto r = run_with_user_edits(1, 4, 2);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_GE(r->series.size(), 5u);
  EXPECT_EQ(r->series[0].users, 1u);
  EXPECT_EQ(r->series[2].users, 4u);
  EXPECT_EQ(r->series[4].users, 2u);
  ASSERT_EQ(r->edits.size(), 2u);
  EXPECT_EQ(r->edits[0].users, 4u);
  EXPECT_NEAR(r->edits[0].t_s, 2.0, 0.5);
  EXPECT_EQ(r->edits[1].users, 2u);
  EXPECT_EQ(r->peak_users, 4u);
}

TEST(LoadEngine, LiveUsersParkedByAnEditComeBackWithTheNext) {
  auto r = run_with_user_edits(3, 0, 3);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_GE(r->series.size(), 5u);
  EXPECT_EQ(r->series[2].users, 0u);
  EXPECT_EQ(r->series[2].requests, 0u);
  EXPECT_EQ(r->series[4].users, 3u);
  EXPECT_GT(r->series[4].requests, 0u);
}

TEST(LoadEngine, LiveRateEditChangesTheArrivals) {
  Stub stub({});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.model = Model::kOpen;
  s.rate = 20;
  s.duration = 3500ms;
  LiveControl live(Model::kOpen);
  RunOptions o;
  o.live = &live;
  int second = 0;
  o.on_progress = [&](const Progress&) {
    if (++second == 1) {
      EXPECT_TRUE(live.set_rate(100).ok());
    }
  };
  auto r = run(s, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_GE(r->series.size(), 3u);
  EXPECT_NEAR(static_cast<double>(r->series[0].requests), 20, 3);
  EXPECT_NEAR(static_cast<double>(r->series[2].requests), 100, 10);
  EXPECT_DOUBLE_EQ(r->series[0].arrival_rate, 20);
  EXPECT_DOUBLE_EQ(r->series[2].arrival_rate, 100);
  ASSERT_EQ(r->edits.size(), 1u);
  EXPECT_DOUBLE_EQ(r->edits[0].rate, 100);
}

TEST(LoadEngine, LiveStopEndsTheRunEarly) {
  Stub stub({});
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.users = 2;
  s.duration = 60s;
  s.wait = {WaitSpec::Kind::kConstant, 10ms};
  LiveControl live(Model::kClosed);
  RunOptions o;
  o.live = &live;
  o.on_progress = [&](const Progress&) { live.stop(); };
  auto r = run(s, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_LT(r->elapsed_s, 5);
  EXPECT_GT(r->aggregate.count, 0u);
}

// Users an edit adds may land on a Worker that had none: its deadline
// watchdog must still be running, or their requests could outlast --timeout.
TEST(LoadEngine, LiveUsersAddedToAnIdleWorkerStillTimeOut) {
  StubOptions so;
  so.delay = 2s;
  Stub stub(so);
  auto server = stub_server(stub);
  Scenario s = one_request(host_of(server), "/x");
  s.users = 1;
  s.threads = 2;  // the second Worker starts with no user
  s.timeout = 300ms;
  s.duration = 4500ms;
  LiveControl live(Model::kClosed);
  RunOptions o;
  o.live = &live;
  int second = 0;
  o.on_progress = [&](const Progress&) {
    if (++second == 1) {
      EXPECT_TRUE(live.set_users(2, 0).ok());
    }
  };
  auto r = run(s, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->peak_users, 2u);
  EXPECT_GT(r->aggregate.failures_by_reason["timeout"], 0u);
  EXPECT_LT(r->aggregate.quantile_ms(1.0), 1000) << "a request outlasted the 300 ms timeout";
}
