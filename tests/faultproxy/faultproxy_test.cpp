// The fault proxy, one test per fault kind, and the resilience policies with
// an http::Client through it against a TestServer upstream.
#include "faultproxy/faultproxy.h"

#include <atomic>

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/run_blocking.h"
#include "http/client.h"
#include "resilience/policy.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using namespace scalelab;
using namespace scalelab::faultproxy;
using scalelab::testkit::TestServer;
namespace asio = boost::asio;

namespace {

struct Upstream {
  std::atomic<int> hits{0};
  TestServer server{[this](http::Router& r) {
    r.get("/ok", [this](http::Request&) -> asio::awaitable<http::Response> {
      hits.fetch_add(1);
      co_return http::Response::text(200, "ok");
    });
    r.get("/big", [this](http::Request&) -> asio::awaitable<http::Response> {
      hits.fetch_add(1);
      co_return http::Response::text(200, std::string(20'000, 'x'));
    });
  }};
};

struct Rig {
  Upstream up;
  FaultProxy proxy{{.upstream_port = up.server.port(), .seed = 42}};
  Rig() { proxy.start(); }
  http::ClientOptions to_proxy() const { return {.host = "127.0.0.1", .port = proxy.port()}; }
  Result<http::ClientResponse> get(const std::string& target = "/ok", std::chrono::milliseconds timeout = 5s) {
    http::BlockingClient c(to_proxy());
    return c.get(target, timeout);
  }
  void add(Fault f) { ASSERT_TRUE(proxy.add(std::move(f)).ok()); }
  std::uint64_t applied(FaultKind k) const { return proxy.stats().faults_applied[static_cast<std::size_t>(k)]; }
};

}  // namespace

TEST(FaultProxy, PassesTrafficThroughWithoutFaults) {
  Rig rig;
  for (int i = 0; i < 5; ++i) {
    auto r = rig.get();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body, "ok");
  }
  EXPECT_EQ(rig.up.hits.load(), 5);
  auto big = rig.get("/big");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->body.size(), 20'000u);
}

TEST(FaultProxy, LatencyDelaysAnswersBeyondAShortTimeout) {
  Rig rig;
  rig.add({.name = "slow", .kind = FaultKind::kLatency, .latency = 400ms, .jitter = 50ms});
  auto r = rig.get("/ok", 100ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  auto patient = rig.get("/ok", 5s);
  ASSERT_TRUE(patient.ok()) << patient.error().message;
  EXPECT_EQ(patient->status, 200u);
  EXPECT_GE(rig.applied(FaultKind::kLatency), 2u);
}

TEST(FaultProxy, HttpErrorIsAnsweredByTheProxyWithoutCallingUpstream) {
  Rig rig;
  rig.add({.name = "e", .kind = FaultKind::kHttpError, .status = 503, .retry_after = 2s});
  auto r = rig.get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 503u);
  EXPECT_EQ(r->header("Retry-After"), "2");
  EXPECT_NE(r->body.find("FAULT_INJECTED"), std::string::npos);
  EXPECT_EQ(rig.up.hits.load(), 0);
}

TEST(FaultProxy, ResetIsAConnectionError) {
  Rig rig;
  rig.add({.kind = FaultKind::kReset});
  auto r = rig.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(rig.up.hits.load(), 0);
}

TEST(FaultProxy, HangIsOnlyEndedByTheClientsTimeout) {
  Rig rig;
  rig.add({.kind = FaultKind::kHang});
  auto r = rig.get("/ok", 200ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(rig.up.hits.load(), 0);
}

TEST(FaultProxy, HangWithCloseAfterClosesTheConnection) {
  Rig rig;
  rig.add({.kind = FaultKind::kHang, .close_after = 100ms});
  auto r = rig.get("/ok", 10s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
}

TEST(FaultProxy, BandwidthLimitSlowsLargeResponses) {
  Rig rig;
  ASSERT_TRUE(rig.get("/big", 2s).ok());  // unthrottled it fits easily
  rig.add({.kind = FaultKind::kBandwidth, .rate_bytes_per_second = 8'000});  // ~2.5 s for the body
  auto r = rig.get("/big", 1s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  auto patient = rig.get("/big", 10s);
  ASSERT_TRUE(patient.ok()) << patient.error().message;
  EXPECT_EQ(patient->body.size(), 20'000u);
}

TEST(FaultProxy, DownRefusesConnectionsUntilRemoved) {
  Rig rig;
  ASSERT_TRUE(rig.get().ok());
  rig.add({.name = "down", .kind = FaultKind::kDown});
  auto r = rig.get("/ok", 1s);  // add() returns once the listener is closed
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
  ASSERT_TRUE(rig.proxy.remove("down"));
  r = rig.get("/ok", 1s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200u);
}

TEST(FaultProxy, ProbabilityAppliesAFaultToAShareOfRequests) {
  Rig rig;
  rig.add({.kind = FaultKind::kHttpError, .probability = 0.5, .status = 500});
  int errors = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = rig.get();
    ASSERT_TRUE(r.ok());
    errors += r->status == 500;
  }
  EXPECT_GT(errors, 25);
  EXPECT_LT(errors, 75);
  EXPECT_EQ(rig.up.hits.load(), 100 - errors);
}

TEST(FaultProxy, ZeroProbabilityNeverApplies) {
  Rig rig;
  rig.add({.kind = FaultKind::kReset, .probability = 0.0});
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(rig.get().ok());
  EXPECT_EQ(rig.applied(FaultKind::kReset), 0u);
}

TEST(FaultProxy, RejectsDuplicateNamesAndNonLoopbackAddresses) {
  Rig rig;
  rig.add({.name = "a", .kind = FaultKind::kReset});
  auto dup = rig.proxy.add({.name = "a", .kind = FaultKind::kHang});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::kConflict);
  EXPECT_THROW(FaultProxy({.listen_address = "0.0.0.0", .upstream_port = 1}), std::invalid_argument);
  EXPECT_THROW(FaultProxy({.upstream_host = "10.0.0.1", .upstream_port = 1}), std::invalid_argument);
}

TEST(FaultProxyControl, AddsListsAndRemovesFaultsOverJson) {
  Rig rig;
  TestServer control([&](http::Router& r) { rig.proxy.register_control_routes(r); });
  http::BlockingClient c({.host = "127.0.0.1", .port = control.port()});
  auto added = c.post_json("/faults", R"({"name":"boom","type":"http_error","status":502,"probability":1})", 2s);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->status, 201u);
  auto r = rig.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 502u);

  auto listed = c.get("/faults", 2s);
  ASSERT_TRUE(listed.ok());
  auto faults = boost::json::parse(listed->body).at("faults").as_array();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].at("name").as_string(), "boom");
  EXPECT_EQ(faults[0].at("status").as_int64(), 502);

  EXPECT_EQ(c.post_json("/faults", R"({"name":"boom","type":"reset"})", 2s)->status, 409u);
  EXPECT_EQ(c.post_json("/faults", R"({"type":"teleport"})", 2s)->status, 400u);
  EXPECT_EQ(c.post_json("/faults", R"({"type":"latency","probability":2})", 2s)->status, 400u);
  EXPECT_EQ(c.post_json("/faults", R"({"type":"http_error","status":200})", 2s)->status, 400u);
  EXPECT_EQ(c.post_json("/faults", R"({"type":"bandwidth"})", 2s)->status, 400u);
  EXPECT_EQ(c.post_json("/faults", R"(not json)", 2s)->status, 400u);

  http::ClientRequest del{.method = http::Method::kDelete, .target = "/faults/boom"};
  EXPECT_EQ(c.send(del, 2s)->status, 204u);
  EXPECT_EQ(c.send(del, 2s)->status, 404u);
  auto healthy = rig.get();
  ASSERT_TRUE(healthy.ok());
  EXPECT_EQ(healthy->status, 200u);

  auto stats = c.get("/stats", 2s);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(boost::json::parse(stats->body).at("faults_applied").at("http_error").as_int64(), 1);
}

TEST(FaultJson, RoundTrips) {
  Fault f{.name = "x", .kind = FaultKind::kLatency, .probability = 0.25, .latency = 120ms, .jitter = 30ms};
  auto back = fault_from_json(to_json(f));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->name, "x");
  EXPECT_EQ(back->kind, FaultKind::kLatency);
  EXPECT_DOUBLE_EQ(back->probability, 0.25);
  EXPECT_EQ(back->latency, 120ms);
  EXPECT_EQ(back->jitter, 30ms);
}

// ---- The resilience policies through the proxy ----

namespace {

// Makes `n` calls through `policy` with one client on one io_context.
std::vector<resilience::CallResult> calls(resilience::Policy& policy, std::uint16_t port, int n,
                                          resilience::Policy::Fallback fallback = {}, std::string target = "/ok") {
  return run_blocking([&]() -> asio::awaitable<std::vector<resilience::CallResult>> {
    auto executor = co_await asio::this_coro::executor;
    http::Client client(executor, {.host = "127.0.0.1", .port = port});
    std::vector<resilience::CallResult> out;
    for (int i = 0; i < n; ++i) {
      http::ClientRequest request{.target = target};
      if (fallback) {
        auto r = co_await policy.send(client, std::move(request), resilience::Deadline::never(), fallback);
        out.push_back(std::move(r));
      } else {
        auto r = co_await policy.send(client, std::move(request));
        out.push_back(std::move(r));
      }
    }
    co_return out;
  }());
}

resilience::PolicyOptions quick_policy() {
  resilience::PolicyOptions o;
  o.name = "upstream";
  o.timeout = 2s;
  o.retry.max_attempts = 1;
  o.retry.base_delay = 1ms;
  o.retry.max_delay = 5ms;
  return o;
}

}  // namespace

TEST(PolicyThroughFaultProxy, BreakerOpensOnInjected503sAndStopsCallingUpstream) {
  Rig rig;
  rig.add({.kind = FaultKind::kHttpError, .status = 503});
  auto o = quick_policy();
  o.breaker->consecutive_failures = 3;
  resilience::Policy policy(o);
  auto results = calls(policy, rig.proxy.port(), 6);
  EXPECT_EQ(policy.breaker()->state(), resilience::BreakerState::kOpen);
  EXPECT_EQ(rig.applied(FaultKind::kHttpError), 3u);  // calls 4-6 never left the caller
  EXPECT_EQ(results[2].result->status, 503u);
  EXPECT_EQ(results[3].rejection, resilience::Rejection::kCircuitOpen);
  EXPECT_EQ(results[5].rejection, resilience::Rejection::kCircuitOpen);
}

TEST(PolicyThroughFaultProxy, TimeoutBoundsAHang) {
  Rig rig;
  rig.add({.kind = FaultKind::kHang});
  auto o = quick_policy();
  o.timeout = 300ms;
  resilience::Policy policy(o);
  auto results = calls(policy, rig.proxy.port(), 1);
  ASSERT_FALSE(results[0].result.ok());
  EXPECT_EQ(results[0].result.error().kind, ErrorKind::kTimeout);
  EXPECT_TRUE(results[0].failed);
}

TEST(PolicyThroughFaultProxy, RetryRecoversFromResets) {
  Rig rig;
  rig.add({.kind = FaultKind::kReset, .probability = 0.5});
  auto o = quick_policy();
  o.retry.max_attempts = 10;
  o.retry_budget.min_retries = 1000;
  o.breaker.reset();  // judge retries alone
  resilience::Policy policy(o);
  auto results = calls(policy, rig.proxy.port(), 20);
  std::size_t attempts = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.result.ok()) << r.result.error().message;
    EXPECT_EQ(r.result->status, 200u);
    attempts += r.attempts;
  }
  EXPECT_GT(rig.applied(FaultKind::kReset), 0u);
  EXPECT_GT(attempts, 20u);
  EXPECT_EQ(rig.up.hits.load(), 20);
}

TEST(PolicyThroughFaultProxy, RetriesHonourTheProxysRetryAfter) {
  Rig rig;
  rig.add({.name = "e", .kind = FaultKind::kHttpError, .status = 503, .retry_after = 1s});
  auto o = quick_policy();
  o.retry.max_attempts = 3;
  o.timeout = 500ms;  // shorter than Retry-After: no retry may be made
  resilience::Policy policy(o);
  auto results = calls(policy, rig.proxy.port(), 1);
  EXPECT_EQ(results[0].attempts, 1u);
  EXPECT_EQ(results[0].result->status, 503u);
}

TEST(PolicyThroughFaultProxy, SlowCallsFromLatencyOpenTheBreaker) {
  Rig rig;
  rig.add({.kind = FaultKind::kLatency, .latency = 150ms});
  auto o = quick_policy();
  o.breaker->slow_call_duration = 100ms;
  o.breaker->slow_call_rate_threshold = 0.5;
  o.breaker->minimum_calls = 3;
  o.breaker->window_size = 3;
  resilience::Policy policy(o);
  auto results = calls(policy, rig.proxy.port(), 4);
  EXPECT_TRUE(results[0].result.ok());  // slow but answered
  EXPECT_EQ(policy.breaker()->state(), resilience::BreakerState::kOpen);
  EXPECT_EQ(results[3].rejection, resilience::Rejection::kCircuitOpen);
}

TEST(PolicyThroughFaultProxy, FallbackAnswersWhenTheDownstreamIsDown) {
  Rig rig;
  rig.add({.name = "down", .kind = FaultKind::kDown});
  auto o = quick_policy();
  o.breaker->consecutive_failures = 2;
  resilience::Policy policy(o);
  auto results = calls(policy, rig.proxy.port(), 4, [](const resilience::CallResult&) -> Result<http::ClientResponse> {
    http::ClientResponse cached;
    cached.status = 200;
    cached.body = "cached";
    return cached;
  });
  for (const auto& r : results) {
    ASSERT_TRUE(r.result.ok());
    EXPECT_EQ(r.result->body, "cached");
    EXPECT_TRUE(r.from_fallback);
    EXPECT_TRUE(r.failed);
  }
  EXPECT_EQ(results[3].rejection, resilience::Rejection::kCircuitOpen);
}

TEST(PolicyThroughFaultProxy, BandwidthLimitPastThePerTryTimeoutFailsAndOpensTheBreaker) {
  Rig rig;
  rig.add({.kind = FaultKind::kBandwidth, .rate_bytes_per_second = 8'000});  // /big: ~2.5 s
  auto o = quick_policy();
  o.timeout = 300ms;
  o.breaker->consecutive_failures = 2;
  resilience::Policy policy(o);
  auto results = calls(policy, rig.proxy.port(), 3, {}, "/big");
  for (int i = 0; i < 2; ++i) {
    ASSERT_FALSE(results[i].result.ok()) << i;
    EXPECT_EQ(results[i].result.error().kind, ErrorKind::kTimeout);  // a trickle is a timeout, not an answer
    EXPECT_TRUE(results[i].failed);
  }
  EXPECT_EQ(results[2].rejection, resilience::Rejection::kCircuitOpen);
  EXPECT_GT(rig.applied(FaultKind::kBandwidth), 0u);
}
