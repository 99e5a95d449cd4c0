// The server over real loopback sockets: every status code the runtime owns,
// keep-alive, pipelining, HEAD, limits, slow clients, graceful shutdown.
#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "http/client.h"
#include "http/server.h"
#include "support/eventually.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using namespace scalelab;
using namespace scalelab::http;
using scalelab::testkit::RawConnection;
using scalelab::testkit::read_until_close;
using scalelab::testkit::TestServer;
using scalelab::testkit::metric_value;

namespace {

boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
  co_await t.async_wait(boost::asio::use_awaitable);
}

void add_routes(Router& r) {
  r.get("/echo/{x}", [](Request& req) -> boost::asio::awaitable<Response> {
    co_return Response::text(200, std::string(req.param("x")));
  });
  r.post("/json", [](Request& req) -> boost::asio::awaitable<Response> {
    auto v = req.json();
    co_return Response::json(200, v);
  });
  r.get("/slow/{ms:int}", [](Request& req) -> boost::asio::awaitable<Response> {
    co_await sleep_for(std::chrono::milliseconds(req.param_int("ms")));
    co_return Response::text(200, "slow");
  });
  r.get("/throw", [](Request&) -> boost::asio::awaitable<Response> {
    throw std::runtime_error("boom");
    co_return Response::text(200, "unreachable");
  });
}

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}


void expect_json_error(const testkit::RawResponse& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_NE(r.body.find("\"error\":\"" + code + "\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"message\":"), std::string::npos) << r.body;
}

}  // namespace

TEST(Server, HealthAnswersOk) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  c.send(get("/health"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"status":"ok"})");
}

TEST(Server, MetricsCountRequestsByRouteAndStatus) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  c.send(get("/echo/a") + get("/echo/b") + get("/nope"));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.read_response());
  c.send(get("/metrics"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->header("Content-Type").find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(r->body.find("http_requests_total{method=\"GET\",route=\"/echo/{x}\",status=\"200\"} 2"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("http_requests_total{method=\"ANY\",route=\"(unmatched)\",status=\"404\"} 1"), std::string::npos);
  EXPECT_NE(r->body.find("http_request_duration_seconds_bucket{method=\"GET\",route=\"/echo/{x}\",le=\"+Inf\"} 2"), std::string::npos);
  EXPECT_NE(r->body.find("http_requests_in_flight 1"), std::string::npos);  // the /metrics request itself
  EXPECT_NE(r->body.find("process_cpu_seconds_total "), std::string::npos);
  EXPECT_NE(r->body.find("process_resident_memory_bytes "), std::string::npos);
}

TEST(Server, UnknownPathIs404Json) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  c.send(get("/does/not/exist"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  expect_json_error(*r, 404, "NOT_FOUND");
}

TEST(Server, WrongMethodIs405WithAllow) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  c.send("DELETE /echo/x HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  expect_json_error(*r, 405, "METHOD_NOT_ALLOWED");
  EXPECT_EQ(r->header("Allow"), "GET, HEAD");
}

TEST(Server, MalformedJsonIs400) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  c.send("POST /json HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{\"a\":");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  expect_json_error(*r, 400, "INVALID_INPUT");
}

TEST(Server, WrongContentTypeIs415) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  c.send("POST /json HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  expect_json_error(*r, 415, "UNSUPPORTED_MEDIA_TYPE");
}

TEST(Server, OversizeBodyIs413AndConnectionCloses) {
  auto opts = TestServer::defaults();
  opts.body_limit_bytes = 1024;
  TestServer s(add_routes, opts);
  RawConnection c(s.port());
  const std::string body(4096, 'x');
  c.send("POST /json HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n" + body);
  auto r = c.read_response();
  ASSERT_TRUE(r);
  expect_json_error(*r, 413, "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(Server, OversizeChunkedBodyIs413) {
  auto opts = TestServer::defaults();
  opts.body_limit_bytes = 1024;
  TestServer s(add_routes, opts);
  RawConnection c(s.port());
  std::string req = "POST /json HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) req += "400\r\n" + std::string(1024, 'x') + "\r\n";
  req += "0\r\n\r\n";
  c.send(req);
  auto r = c.read_response();
  ASSERT_TRUE(r);
  expect_json_error(*r, 413, "PAYLOAD_TOO_LARGE");
}

TEST(Server, ChunkedBodyWithinLimitIsAccepted) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  c.send("POST /json HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
         "4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"a":1})");
}

TEST(Server, OversizeHeaderIs431) {
  auto opts = TestServer::defaults();
  opts.header_limit_bytes = 1024;
  TestServer s(add_routes, opts);
  RawConnection c(s.port());
  c.send(get("/echo/a", "X-Big: " + std::string(4000, 'y') + "\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  expect_json_error(*r, 431, "HEADERS_TOO_LARGE");
}

TEST(Server, MalformedRequestIs400) {
  TestServer s(add_routes);
  for (const std::string bad : {"GARBAGE\r\n\r\n", "GET /x HTTP/9.9\r\n\r\n", "GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
                                "POST /json HTTP/1.1\r\nContent-Length: abc\r\n\r\n"}) {
    RawConnection c(s.port());
    c.send(bad);
    auto r = c.read_response();
    ASSERT_TRUE(r) << bad;
    expect_json_error(*r, 400, "INVALID_INPUT");
  }
}

TEST(Server, HandlerExceptionIs500AndServerKeepsServing) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  c.send(get("/throw"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  expect_json_error(*r, 500, "INTERNAL");
  EXPECT_EQ(r->body.find("boom"), std::string::npos) << "internal details must not leak";
  c.send(get("/echo/after"));
  auto r2 = c.read_response();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->body, "after");
}

TEST(Server, KeepAliveServesManyRequestsOnOneConnection) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  for (int i = 0; i < 20; ++i) {
    c.send(get("/echo/" + std::to_string(i)));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, std::to_string(i));
    EXPECT_EQ(r->header("Connection"), "");
  }
  EXPECT_EQ(metric_value(s.registry(), "http_connections_accepted_total"), 1);
}

TEST(Server, Http10ClosesUnlessKeepAliveAsked) {
  TestServer s(add_routes);
  {
    RawConnection c(s.port());
    c.send("GET /echo/a HTTP/1.0\r\n\r\n");
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->head.substr(0, 8), "HTTP/1.0");
    EXPECT_TRUE(c.closed_by_peer());
  }
  RawConnection c(s.port());
  c.send("GET /echo/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Connection"), "keep-alive");
  c.send("GET /echo/b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto r2 = c.read_response();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->body, "b");
}

TEST(Server, ConnectionCloseIsHonoured) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  c.send(get("/echo/a", "Connection: close\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(Server, PipelinedRequestsAreAnsweredInOrder) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  // The first is the slowest: answers must still come back in request order.
  c.send(get("/slow/100") + get("/echo/two") + get("/slow/10") + get("/echo/four"));
  std::vector<std::string> bodies;
  for (int i = 0; i < 4; ++i) {
    auto r = c.read_response();
    ASSERT_TRUE(r) << i;
    bodies.push_back(r->body);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"slow", "two", "slow", "four"}));
}

TEST(Server, ManyPipelinedRequestsInOneWrite) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  std::string batch;
  for (int i = 0; i < 200; ++i) batch += get("/echo/" + std::to_string(i));
  ASSERT_TRUE(c.send(batch));
  for (int i = 0; i < 200; ++i) {
    auto r = c.read_response();
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->body, std::to_string(i));
  }
}

TEST(Server, HeadHasContentLengthButNoBody) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  c.send("HEAD /echo/hello HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = c.read_response(/*head_only=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Length"), "5");
  // The next response must start right away: nothing of a body was sent.
  c.send(get("/echo/next"));
  auto r2 = c.read_response();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->body, "next");
}

TEST(Server, RequestIdIsKeptWhenSentAndGeneratedOtherwise) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  c.send(get("/echo/a", "X-Request-Id: abc-123\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("X-Request-Id"), "abc-123");
  c.send(get("/echo/a"));
  auto r2 = c.read_response();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->header("X-Request-Id").size(), 16u);
  c.send(get("/echo/a"));
  auto r3 = c.read_response();
  ASSERT_TRUE(r3);
  EXPECT_NE(r3->header("X-Request-Id"), r2->header("X-Request-Id"));
}

TEST(Server, ExpectContinueGetsInterimResponse) {
  TestServer s(add_routes);
  RawConnection c(s.port());
  c.send("POST /json HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n");
  auto interim = c.read_response(/*head_only=*/true);
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  c.send(R"({"a":1})");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(Server, SlowClientIsCutOffWhileOthersAreServed) {
  auto opts = TestServer::defaults();
  opts.read_timeout = 300ms;
  TestServer s(add_routes, opts);
  RawConnection slow(s.port(), 5s);
  ASSERT_TRUE(slow.send("GET /echo/a HTTP/1.1\r\nHo"));  // and never the rest
  RawConnection other(s.port());
  for (int i = 0; i < 5; ++i) {
    other.send(get("/echo/ok"));
    auto r = other.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "ok");
  }
  auto r = slow.read_response();
  ASSERT_TRUE(r) << "the slow client is told before it is cut off";
  expect_json_error(*r, 408, "REQUEST_TIMEOUT");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(slow.closed_by_peer());
  EXPECT_EQ(metric_value(s.registry(), "http_read_timeouts_total"), 1);
}

TEST(Server, SlowBodyIsCutOffToo) {
  auto opts = TestServer::defaults();
  opts.read_timeout = 300ms;
  TestServer s(add_routes, opts);
  RawConnection slow(s.port(), 5s);
  ASSERT_TRUE(slow.send("POST /json HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                        "Content-Length: 100\r\n\r\n{\"a\":"));
  auto r = slow.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(slow.closed_by_peer());
}

TEST(Server, IdleKeepAliveConnectionIsClosed) {
  auto opts = TestServer::defaults();
  opts.idle_timeout = 200ms;
  TestServer s(add_routes, opts);
  RawConnection c(s.port(), 5s);
  c.send(get("/echo/a"));
  ASSERT_TRUE(c.read_response());
  EXPECT_TRUE(c.closed_by_peer());
}

TEST(Server, ConnectionsBeyondTheLimitGet503) {
  auto opts = TestServer::defaults();
  opts.max_connections = 2;
  TestServer s(add_routes, opts);
  RawConnection a(s.port()), b(s.port());
  for (auto* c : {&a, &b}) {  // both accepted and being served
    c->send(get("/echo/x"));
    ASSERT_TRUE(c->read_response());
  }
  RawConnection third(s.port());
  third.send(get("/echo/x"));
  auto r = third.read_response();
  ASSERT_TRUE(r);
  expect_json_error(*r, 503, "TOO_MANY_CONNECTIONS");
  EXPECT_EQ(r->header("Retry-After"), "1");
  EXPECT_EQ(metric_value(s.registry(), "http_connections_rejected_total"), 1);
}

TEST(Server, GracefulShutdownFinishesInFlightRequests) {
  std::promise<void> started;
  auto started_future = started.get_future();
  auto opts = TestServer::defaults();
  TestServer s(
      [&](Router& r) {
        r.get("/work", [&](Request&) -> boost::asio::awaitable<Response> {
          started.set_value();
          co_await sleep_for(300ms);
          co_return Response::text(200, "done");
        });
      },
      opts);
  RawConnection c(s.port());
  c.send(get("/work"));
  ASSERT_EQ(started_future.wait_for(5s), std::future_status::ready);
  s.server().stop();
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(r->header("Connection"), "close");
  s.server().wait();
  EXPECT_THROW(RawConnection late(s.port()), std::runtime_error) << "no longer accepting";
}

TEST(Server, ShutdownClosesIdleConnections) {
  auto opts = TestServer::defaults();
  opts.idle_timeout = 60s;
  TestServer s(add_routes, opts);
  RawConnection c(s.port(), 5s);
  c.send(get("/echo/a"));
  ASSERT_TRUE(c.read_response());
  s.server().stop();
  EXPECT_TRUE(c.closed_by_peer());
  s.server().wait();
}

TEST(Server, ShutdownGraceCancelsStuckRequests) {
  auto opts = TestServer::defaults();
  opts.shutdown_grace = 200ms;
  TestServer s(add_routes, opts);
  RawConnection c(s.port(), 10s);
  c.send(get("/slow/60000"));
  ASSERT_TRUE(testkit::eventually([&] { return metric_value(s.registry(), "http_requests_in_flight") == 1; }, 5s))
      << "the request never got in flight";
  s.server().stop();
  s.server().wait();  // returns after the grace period, not after 60 s
  EXPECT_FALSE(c.read_response());
}

TEST(Server, PortInUseFailsToStart) {
  TestServer s(add_routes);
  auto opts = TestServer::defaults();
  opts.port = s.port();
  Router r;
  obs::Registry reg;
  Server second(opts, r, reg);
  EXPECT_THROW(second.start(), std::system_error);
}

TEST(Server, SharedIoModelServesTheSameWay) {
  auto opts = TestServer::defaults();
  opts.io_model = IoModel::kShared;
  TestServer s(add_routes, opts);
  RawConnection c(s.port());
  c.send(get("/slow/20") + get("/echo/b"));
  auto r1 = c.read_response();
  auto r2 = c.read_response();
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(r1->body, "slow");
  EXPECT_EQ(r2->body, "b");
}

TEST(Server, RouterAndRegistryOutliveTheServerSafely) {
  Router router;
  obs::Registry registry;
  add_routes(router);
  for (int i = 0; i < 2; ++i) {  // a second server on the same router and registry
    auto opts = TestServer::defaults();
    Server server(opts, router, registry);
    server.start();
    RawConnection c(server.port());
    c.send(get("/metrics"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    server.stop();
    server.wait();
  }
  EXPECT_NE(registry.render().find("http_connections_accepted_total 2"), std::string::npos);
}

namespace {

// A stream of `count` events ("data: i"), or endless when count is 0; `alive`
// counts the streams whose producer still exists.
Handler event_stream(int count, std::shared_ptr<std::atomic<int>> alive) {
  return [count, alive](Request&) -> boost::asio::awaitable<Response> {
    alive->fetch_add(1);
    auto guard = std::shared_ptr<void>(nullptr, [alive](void*) { alive->fetch_sub(1); });
    auto sent = std::make_shared<int>(0);
    co_return Response::event_stream([count, sent, guard]() -> boost::asio::awaitable<std::optional<std::string>> {
      if (count > 0 && *sent == count) co_return std::nullopt;
      co_await sleep_for(5ms);
      co_return "data: " + std::to_string((*sent)++) + "\n\n";
    });
  };
}

}  // namespace

TEST(Server, EventStreamSendsEachPieceThenCloses) {
  auto alive = std::make_shared<std::atomic<int>>(0);
  TestServer s([&](Router& r) { r.get("/events", event_stream(3, alive)); });
  const std::string all = read_until_close(s.port(), get("/events"));
  EXPECT_NE(all.find("HTTP/1.1 200"), std::string::npos) << all;
  EXPECT_NE(all.find("Content-Type: text/event-stream"), std::string::npos) << all;
  EXPECT_NE(all.find("Connection: close"), std::string::npos) << all;
  EXPECT_EQ(all.find("Content-Length"), std::string::npos) << all;
  EXPECT_TRUE(all.ends_with("\r\n\r\ndata: 0\n\ndata: 1\n\ndata: 2\n\n")) << all;
}

TEST(Server, EventStreamEndsWhenTheClientGoesAway) {
  auto alive = std::make_shared<std::atomic<int>>(0);
  TestServer s([&](Router& r) { r.get("/events", event_stream(0, alive)); });
  {
    RawConnection c(s.port());
    c.send(get("/events"));
    ASSERT_TRUE(testkit::eventually([&] { return alive->load() == 1; }, 5s));
  }  // the client closes mid-stream
  EXPECT_TRUE(testkit::eventually([&] { return alive->load() == 0; }, 5s)) << alive->load();
}

TEST(Server, EventStreamEndsOnShutdown) {
  auto alive = std::make_shared<std::atomic<int>>(0);
  TestServer s([&](Router& r) { r.get("/events", event_stream(0, alive)); });
  RawConnection c(s.port());
  c.send(get("/events"));
  ASSERT_TRUE(testkit::eventually([&] { return alive->load() == 1; }, 5s));
  s.server().stop();
  s.server().wait();
  EXPECT_EQ(alive->load(), 0);
  EXPECT_TRUE(c.closed_by_peer());
}
