// Orders over a real RabbitMQ (the ctest fixture) and a private Redis each
// test starts (ctest fixtures cannot be combined here): async orders
// complete exactly once, and kill -9 of a worker process with orders in
// flight loses and double-charges nothing; `serve order-functions` is a
// drop-in for the worker processes. Each test ends with the counting check
// (orders::audit) and asserts it holds.
#include <csignal>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "infra/process.h"
#include "mq/broker.h"
#include "orders_infra.h"
#include "orders_support.h"
#include "store/store.h"
#include "support/test_server.h"
#include "support/eventually.h"

namespace scalelab::orders {
namespace {

using namespace std::chrono_literals;
using testing::field;
using testing::kGoodOrder;
using testing::post;

struct Real {
  Real() {
    auto b = mq::open_broker(testkit::infra_url("rabbitmq"));
    EXPECT_TRUE(b) << (b ? "" : b.error().message);
    if (b) broker = std::move(*b);
    auto started = redis.start();
    EXPECT_TRUE(started) << (started ? "" : started.error().message);
    if (!started) return;
    redis_url = redis.url();
    auto s = store::open_store(redis_url);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    if (s) store = std::move(*s);
    if (!broker || !store) return;
    EXPECT_TRUE(declare_topology(*broker));
    service = std::make_unique<OrdersService>(*store, broker.get(), ServiceOptions{});
    server = std::make_unique<testkit::TestServer>([this](http::Router& r) { service->register_routes(r); });
    client = std::make_unique<http::BlockingClient>(http::ClientOptions{.port = server->port()});
  }
  std::vector<std::string> accept(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      auto r = post(*client, "/orders/async", kGoodOrder, fmt::format("rmq-{}-{}-{}", ::getpid(), this_test(), i));
      EXPECT_TRUE(r) << r.error().message;
      if (!r) break;
      EXPECT_EQ(r->status, 202u) << r->body;
      if (r->status == 202) ids.push_back(field(r->body, "order_id"));
    }
    return ids;
  }
  static std::string this_test() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }
  ~Real() {
    client.reset();
    server.reset();
    service.reset();
    store.reset();
  }
  testing::PrivateNode redis{"redis", this_test()};
  std::string redis_url;
  std::unique_ptr<mq::Broker> broker;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<OrdersService> service;
  std::unique_ptr<testkit::TestServer> server;
  std::unique_ptr<http::BlockingClient> client;
};

TEST(OrdersRabbitmq, AsyncOrdersCompleteExactlyOnce) {
  Real r;
  ASSERT_TRUE(r.client);
  auto worker = OrderWorker::start(*r.broker, *r.store, {.workers = 4, .payment = {.slots = 4, .delay = 20ms}});
  ASSERT_TRUE(worker) << worker.error().message;
  auto ids = r.accept(40);
  ASSERT_EQ(ids.size(), 40u);
  // A retry with the same key is the same order, not a 41st.
  auto again = post(*r.client, "/orders/async", kGoodOrder, fmt::format("rmq-{}-{}-{}", ::getpid(), Real::this_test(), 0));
  ASSERT_TRUE(again);
  EXPECT_EQ(field(again->body, "order_id"), ids[0]);
  auto a = testing::wait_for_all_finished(*r.store, ids, 60s);
  EXPECT_TRUE(a.ok()) << a.describe();
  EXPECT_EQ(a.completed, 40u);
  EXPECT_EQ((*worker)->stats().charged, 40u);
}

TEST(OrdersRabbitmq, KillingAWorkerWithOrdersInFlightStillCompletesEachOrderOnce) {
  Real r;
  ASSERT_TRUE(r.client);
  auto logs = std::filesystem::temp_directory_path() / fmt::format("scalelab-orders-kill-{}", ::getpid());
  std::filesystem::create_directories(logs);
  // Worker 0 runs alone until it is killed, so every order in `processing`
  // after its death was in its hands; worker 1 then takes over.
  std::vector<infra::Process> workers;
  auto first = testing::spawn_order_worker(testkit::infra_url("rabbitmq"), r.redis_url, logs / "worker-0.log", 4, "250ms");
  ASSERT_TRUE(first) << first.error().message;
  workers.push_back(std::move(*first));
  auto ids = r.accept(48);
  ASSERT_EQ(ids.size(), 48u);
  // Wait (bounded) until worker 0 is busy: some orders done, some in hand.
  Audit mid;
  scalelab::testkit::eventually(
      [&] {
        auto a = run_blocking(audit(*r.store, ids));
        if (!a) return false;
        mid = *a;
        return mid.completed >= 4 && !testing::with_status(*r.store, ids, "processing").empty();
      },
      60s);
  ASSERT_GE(mid.completed, 4u) << "the worker never got going; see " << logs;
  ASSERT_LT(mid.completed, 40u) << "too late to kill a worker mid-run";
  workers[0].signal(SIGKILL);
  auto code = workers[0].wait_for(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 128 + SIGKILL);
  auto in_flight = testing::with_status(*r.store, ids, "processing");
  ASSERT_FALSE(in_flight.empty()) << "no order was in flight at the kill; the test proves nothing";
  auto second = testing::spawn_order_worker(testkit::infra_url("rabbitmq"), r.redis_url, logs / "worker-1.log", 4, "250ms");
  ASSERT_TRUE(second) << second.error().message;
  workers.push_back(std::move(*second));
  auto a = testing::wait_for_all_finished(*r.store, ids, 120s);
  EXPECT_TRUE(a.ok()) << a.describe();
  EXPECT_EQ(a.completed, 48u);
  EXPECT_EQ(a.charges, 48u);
  auto redone = run_blocking(audit(*r.store, in_flight));
  ASSERT_TRUE(redone);
  EXPECT_TRUE(redone->ok()) << redone->describe();
  EXPECT_EQ(redone->completed, in_flight.size()) << "the orders in flight at the kill were not all completed";
  EXPECT_TRUE(workers[1].running()) << "see " << logs;
  workers[1].stop();
  std::filesystem::remove_all(logs);
}

TEST(OrdersRabbitmq, AFunctionRunnerProcessCompletesEachOrderOnceAndReportsItsCost) {
  Real r;
  ASSERT_TRUE(r.client);
  auto logs = std::filesystem::temp_directory_path() / fmt::format("scalelab-orders-functions-{}", ::getpid());
  std::filesystem::create_directories(logs);
  auto log = logs / "functions.log";
  auto p = infra::Process::spawn({.argv = {SCALELAB_BINARY, "serve", "order-functions", "--port", "0", "--broker",
                                         testkit::infra_url("rabbitmq"), "--store", r.redis_url, "--max-concurrency",
                                         "16", "--cold-start-min", "10ms", "--cold-start-max", "30ms",
                                         "--payment-delay", "100ms"},
                                .log_file = log});
  ASSERT_TRUE(p) << p.error().message;
  auto ids = r.accept(48);
  ASSERT_EQ(ids.size(), 48u);
  auto a = testing::wait_for_all_finished(*r.store, ids, 60s);
  EXPECT_TRUE(a.ok()) << a.describe() << "; see " << log;
  EXPECT_EQ(a.completed, 48u);
  EXPECT_EQ(a.charges, 48u);
  EXPECT_EQ(p->stop(), 0);
  std::string text = testkit::read_file(log);
  EXPECT_NE(text.find("orders: 48 completed"), std::string::npos) << text;
  EXPECT_NE(text.find("cold starts"), std::string::npos) << text;
  EXPECT_NE(text.find("break-even"), std::string::npos) << text;
  std::filesystem::remove_all(logs);
}

}  // namespace
}  // namespace scalelab::orders
