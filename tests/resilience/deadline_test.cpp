#include "resilience/deadline.h"

#include <atomic>

#include <gtest/gtest.h>

#include "core/run_blocking.h"
#include "http/client.h"
#include "resilience/policy.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using namespace scalelab;
using namespace scalelab::resilience;
using scalelab::testkit::TestServer;

namespace {
http::Request request_with(const std::string* deadline_value) {
  using Lookup = http::Request::HeaderLookup;
  Lookup lookup = [](const void* msg, std::string_view name) -> std::string_view {
    const auto* v = static_cast<const std::string*>(msg);
    if (v && name == http::kDeadlineHeader) return *v;
    return {};
  };
  return http::Request(http::Method::kGet, "GET", "/", {}, {}, deadline_value, lookup);
}
}  // namespace

TEST(Deadline, RemainingCountsDownAndStopsAtZero) {
  ManualClock clock;
  auto d = Deadline::after(clock, 300ms);
  EXPECT_EQ(d.remaining(clock), Clock::duration(300ms));
  EXPECT_FALSE(d.expired(clock));
  clock.advance(250ms);
  EXPECT_EQ(d.header_value(clock), "50");
  clock.advance(100ms);
  EXPECT_TRUE(d.expired(clock));
  EXPECT_EQ(d.remaining(clock), Clock::duration::zero());
  EXPECT_EQ(d.header_value(clock), "0");
}

TEST(Deadline, NeverHasNoHeaderAndNeverExpires) {
  ManualClock clock;
  auto d = Deadline::never();
  clock.advance(1000h);
  EXPECT_FALSE(d.expired(clock));
  EXPECT_EQ(d.header_value(clock), "");
  EXPECT_EQ(d.min(Deadline::after(clock, 1s)).remaining(clock), Clock::duration(1s));
}

TEST(Deadline, HeaderValueRoundsDown) {
  ManualClock clock;
  auto d = Deadline::after(clock, 1999us);
  EXPECT_EQ(d.header_value(clock), "1");
}

TEST(Deadline, ParsesTheHeader) {
  EXPECT_EQ(http::parse_deadline_ms("250"), 250ms);
  EXPECT_EQ(http::parse_deadline_ms(" 0 "), 0ms);
  EXPECT_EQ(http::parse_deadline_ms("-5"), -5ms);
  EXPECT_FALSE(http::parse_deadline_ms(""));
  EXPECT_FALSE(http::parse_deadline_ms("1s"));
  EXPECT_FALSE(http::parse_deadline_ms("abc"));
}

TEST(Deadline, IncomingHeaderSetsTheDeadlineCappedByTheServiceBudget) {
  ManualClock clock;
  std::string v = "300";
  auto req = request_with(&v);
  EXPECT_EQ(deadline_of(req, clock, 1s).remaining(clock), Clock::duration(300ms));
  v = "5000";
  EXPECT_EQ(deadline_of(req, clock, 1s).remaining(clock), Clock::duration(1s));
  EXPECT_EQ(deadline_of(req, clock, 1s, false).remaining(clock), Clock::duration(5s));
  v = "garbage";
  EXPECT_EQ(deadline_of(req, clock, 1s).remaining(clock), Clock::duration(1s));
  auto none = request_with(nullptr);
  EXPECT_EQ(deadline_of(none, clock, 2s).remaining(clock), Clock::duration(2s));
}

namespace {
struct Upstream {
  std::atomic<int> handled{0};
  std::string last_deadline;
  std::mutex mu;
  TestServer server{[this](http::Router& r) {
    r.get("/work", [this](http::Request& req) -> boost::asio::awaitable<http::Response> {
      handled.fetch_add(1);
      {
        std::lock_guard lock(mu);
        last_deadline = std::string(req.header(http::kDeadlineHeader));
      }
      co_return http::Response::text(200, "done");
    });
  }};
};

testkit::RawResponse get_with_deadline(std::uint16_t port, const std::string& value) {
  testkit::RawConnection c(port);
  c.send("GET /work HTTP/1.1\r\nHost: x\r\nX-Deadline-Ms: " + value + "\r\n\r\n");
  auto r = c.read_response();
  return r ? *r : testkit::RawResponse{};
}
}  // namespace

TEST(DeadlineServer, RejectsARequestThatArrivesOutOfTimeWithoutRunningTheHandler) {
  Upstream up;
  auto r = get_with_deadline(up.server.port(), "0");
  EXPECT_EQ(r.status, 504);
  EXPECT_NE(r.body.find("DEADLINE_EXCEEDED"), std::string::npos);
  EXPECT_EQ(get_with_deadline(up.server.port(), "-20").status, 504);
  EXPECT_EQ(up.handled.load(), 0);
}

TEST(DeadlineServer, RejectsAMalformedDeadlineWith400) {
  Upstream up;
  auto r = get_with_deadline(up.server.port(), "soon");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("X-Deadline-Ms"), std::string::npos);
  EXPECT_EQ(up.handled.load(), 0);
}

TEST(DeadlineServer, RunsARequestWithTimeLeft) {
  Upstream up;
  EXPECT_EQ(get_with_deadline(up.server.port(), "500").status, 200);
  EXPECT_EQ(up.handled.load(), 1);
}

TEST(DeadlineServer, UnknownRouteIsStill404) {
  Upstream up;
  testkit::RawConnection c(up.server.port());
  c.send("GET /nope HTTP/1.1\r\nHost: x\r\nX-Deadline-Ms: 0\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST(DeadlinePropagation, PolicySendsTheRemainingTimeDownstream) {
  Upstream up;
  ManualClock clock;  // frozen: the header is exactly what is left
  PolicyOptions o;
  o.name = "up";
  o.timeout = 5s;
  Policy policy(o, nullptr, clock);
  auto result = run_blocking([&]() -> boost::asio::awaitable<CallResult> {
    auto executor = co_await boost::asio::this_coro::executor;
    http::Client client(executor, {.host = "127.0.0.1", .port = up.server.port()});
    http::ClientRequest request{.target = "/work"};
    const Deadline deadline = Deadline::after(clock, 3000ms);
    // Named, not temporaries: GCC 12 mishandles temporaries inside co_await.
    CallResult r = co_await policy.send(client, std::move(request), deadline);
    co_return r;
  }());
  ASSERT_TRUE(result.result.ok()) << result.result.error().message;
  EXPECT_EQ(result.result->status, 200u);
  std::lock_guard lock(up.mu);
  EXPECT_EQ(up.last_deadline, "3000");
}

TEST(DeadlinePropagation, PerTryTimeoutIsWhatTheDownstreamIsTold) {
  Upstream up;
  ManualClock clock;
  PolicyOptions o;
  o.name = "up";
  o.timeout = 5s;
  o.per_try_timeout = 2000ms;
  Policy policy(o, nullptr, clock);
  auto result = run_blocking([&]() -> boost::asio::awaitable<CallResult> {
    auto executor = co_await boost::asio::this_coro::executor;
    http::Client client(executor, {.host = "127.0.0.1", .port = up.server.port()});
    http::ClientRequest request{.target = "/work"};
    const Deadline deadline = Deadline::after(clock, 3000ms);
    CallResult r = co_await policy.send(client, std::move(request), deadline);
    co_return r;
  }());
  ASSERT_TRUE(result.result.ok());
  std::lock_guard lock(up.mu);
  EXPECT_EQ(up.last_deadline, "2000");
}
