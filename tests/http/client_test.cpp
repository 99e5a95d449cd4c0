#include "http/client.h"

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "support/eventually.h"
#include "support/test_server.h"

using namespace std::chrono_literals;
using namespace scalelab;
using namespace scalelab::http;
using scalelab::testkit::TestServer;
using scalelab::testkit::metric_value;

namespace {

void add_routes(Router& r) {
  r.get("/hello", [](Request& req) -> boost::asio::awaitable<Response> {
    Response res = Response::text(200, "hi " + std::string(req.header("X-Who")));
    res.headers.emplace_back("X-Custom", "yes");
    co_return res;
  });
  r.post("/echo", [](Request& req) -> boost::asio::awaitable<Response> {
    co_return Response::json(201, req.json());
  });
  r.get("/slow", [](Request&) -> boost::asio::awaitable<Response> {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 3s);
    co_await t.async_wait(boost::asio::use_awaitable);
    co_return Response::text(200, "late");
  });
}

ClientOptions to(std::uint16_t port) {
  ClientOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  return o;
}


}  // namespace

TEST(Client, SendsHeadersAndReadsResponse) {
  TestServer s(add_routes);
  BlockingClient c(to(s.port()));
  ClientRequest req;
  req.target = "/hello";
  req.headers.emplace_back("X-Who", "there");
  auto r = c.send(req, 2s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "hi there");
  EXPECT_EQ(r->header("x-custom"), "yes");
}

TEST(Client, PostsJson) {
  TestServer s(add_routes);
  BlockingClient c(to(s.port()));
  auto r = c.post_json("/echo", R"({"a":[1,2]})", 2s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 201u);
  EXPECT_EQ(r->body, R"({"a":[1,2]})");
}

TEST(Client, ReusesOneKeepAliveConnection) {
  TestServer s(add_routes);
  BlockingClient c(to(s.port()));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.get("/hello", 2s).ok());
  EXPECT_EQ(metric_value(s.registry(), "http_connections_accepted_total"), 1);
}

TEST(Client, TimesOutAtTheDeadline) {
  TestServer s(add_routes);
  BlockingClient c(to(s.port()));
  auto r = c.get("/slow", 100ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  // The client stays usable after a timeout.
  EXPECT_TRUE(c.get("/hello", 2s).ok());
}

TEST(Client, ConnectionRefusedIsUnavailable) {
  std::uint16_t port;
  {
    TestServer s(add_routes);
    port = s.port();
  }
  BlockingClient c(to(port));
  auto r = c.get("/hello", 2s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
}

TEST(Client, RetriesAnIdleConnectionTheServerClosed) {
  auto opts = TestServer::defaults();
  // Long enough that a loaded machine (ASan, parallel builds) sends the first
  // request before the server counts the new connection as idle.
  opts.idle_timeout = 300ms;
  TestServer s(add_routes, opts);
  BlockingClient c(to(s.port()));
  ASSERT_TRUE(c.get("/hello", 2s).ok());
  // Wait until the server has closed the idle connection.
  ASSERT_TRUE(testkit::eventually([&] { return metric_value(s.registry(), "http_connections_active") == 0; }, 5s))
      << metric_value(s.registry(), "http_connections_active");
  auto r = c.get("/hello", 2s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200u);
}

TEST(Client, RetriesOnANewConnectionWhenEveryIdleConnectionWasClosed) {
  auto opts = TestServer::defaults();
  opts.idle_timeout = 50ms;
  TestServer s(add_routes, opts);
  boost::asio::io_context io;
  Client c(io.get_executor(), to(s.port()));
  auto hello = [&](int& ok) -> boost::asio::awaitable<void> {
    ClientRequest req{.target = "/hello"};
    auto r = co_await c.send(std::move(req), 2s);
    ok += r.ok() && r->status == 200;
  };
  // Four requests at once: four connections, then four idle in the pool.
  int ok = 0;
  for (int i = 0; i < 4; ++i) boost::asio::co_spawn(io, hello(ok), boost::asio::detached);
  io.run();
  ASSERT_EQ(ok, 4);
  // The server closes all four while they are idle.
  ASSERT_TRUE(testkit::eventually([&] { return metric_value(s.registry(), "http_connections_active") == 0; }, 2s))
      << metric_value(s.registry(), "http_connections_active");
  // One stale connection found, the rest dropped, the request made anew:
  // not a second stale connection and a failure.
  ok = 0;
  io.restart();
  boost::asio::co_spawn(io, hello(ok), boost::asio::detached);
  io.run();
  EXPECT_EQ(ok, 1);
}

// A client shared by callers on other io_contexts (a server's threads calling
// a downstream through one client) must not leave work on a caller's context
// once the call returned: the server that made the call may be destroyed
// then. Both contexts are driven by hand, one handler at a time, so the
// order is the same on every run.
TEST(Client, LeavesNoWorkOnTheCallersContextAfterTheCallReturns) {
  TestServer s(add_routes);
  boost::asio::io_context client_io, caller_io;
  Client client(client_io.get_executor(), to(s.port()));
  bool done = false;
  boost::asio::co_spawn(
      caller_io,
      [&]() -> boost::asio::awaitable<void> {
        ClientRequest req;
        req.target = "/hello";
        auto r = co_await client.send(req, 2s);
        EXPECT_TRUE(r.ok()) << r.error().message;
        done = true;
      },
      boost::asio::detached);
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!done && std::chrono::steady_clock::now() < give_up) {
    client_io.restart();
    caller_io.restart();
    if (client_io.poll_one() + caller_io.poll_one() == 0) std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(done);
  client_io.restart();
  client_io.poll();  // whatever the client still had queued
  caller_io.restart();
  EXPECT_EQ(caller_io.poll(), 0u) << "the client ran handlers on the caller's context after the call returned";
}

TEST(ParseHttpUrl, SplitsHostPortAndPath) {
  auto e = parse_http_url("http://127.0.0.1:8080/albums?x=1");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 8080);
  EXPECT_EQ(e->path, "/albums?x=1");
  auto d = parse_http_url("http://localhost");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, 80);
  EXPECT_EQ(d->path, "/");
}

TEST(ParseHttpUrl, RejectsWhatItCannotServe) {
  for (const char* bad : {"", "localhost:80", "https://x/", "ftp://x/", "http://:80/", "http://x:0/"})
    EXPECT_FALSE(parse_http_url(bad).ok()) << bad;
}
