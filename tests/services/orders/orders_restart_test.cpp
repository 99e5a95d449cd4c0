// Orders across a RabbitMQ restart. The service (in this process) and a
// `serve order-worker` process share a private Redis and a private RabbitMQ
// node this test starts, stops and starts again (so the shared fixture is
// never disturbed). Clients keep posting async orders while the node goes
// down and comes back: publishers and the worker reconnect, every 202 order
// completes exactly once, and every 503 order is not in the system (no
// visible order, no charge, its idempotency key free), by the counting check.
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "mq/broker.h"
#include "orders_infra.h"
#include "orders_support.h"
#include "store/store.h"
#include "support/test_server.h"
#include "support/eventually.h"

namespace scalelab::orders {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::field;
using testing::kGoodOrder;
using testing::post;

// What the clients were told, shared between their threads.
struct Outcomes {
  std::mutex mu;
  std::vector<std::string> accepted;       // order ids answered 202
  std::vector<std::string> accepted_keys;  // their idempotency keys
  std::vector<std::string> refused_keys;   // idempotency keys answered 503
  std::vector<std::string> other;          // anything else: a status, a timeout
  std::size_t accepted_count() {
    std::lock_guard lock(mu);
    return accepted.size();
  }
  std::size_t refused_count() {
    std::lock_guard lock(mu);
    return refused_keys.size();
  }
};

// Waits (bounded) until done() holds.
template <typename F>
bool wait_until(F done, std::chrono::seconds timeout) {
  return scalelab::testkit::eventually(done, timeout);
}

TEST(OrdersBrokerRestart, Every202OrderCompletesOnceAndNo503OrderStaysInTheSystem) {
  testing::PrivateNode rabbit("rabbitmq", "restart");
  testing::PrivateNode redis("redis", "restart");
  ASSERT_TRUE(rabbit.start());
  ASSERT_TRUE(redis.start());
  auto opened_store = store::open_store(redis.url());
  ASSERT_TRUE(opened_store) << opened_store.error().message;
  auto& store = **opened_store;
  // A short connect wait, so a request made while the node is down is
  // answered 503 in about a second rather than five.
  auto opened = mq::open_broker(rabbit.url(), {.connect_timeout = 1s, .reconnect_max_backoff = 500ms});
  ASSERT_TRUE(opened) << opened.error().message;
  auto& broker = **opened;
  ASSERT_TRUE(declare_topology(broker));
  OrdersService service(store, &broker, {});
  testkit::TestServer server([&](http::Router& r) { service.register_routes(r); });

  auto logs = std::filesystem::temp_directory_path() / fmt::format("scalelab-orders-restart-{}", ::getpid());
  std::filesystem::create_directories(logs);
  auto worker = testing::spawn_order_worker(rabbit.url(), redis.url(), logs / "worker.log", 8, "5ms");
  ASSERT_TRUE(worker) << worker.error().message;

  // Three clients, each posting one order every 30 ms, at most 1500 each.
  Outcomes out;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c) {
    clients.emplace_back([&, c] {
      http::BlockingClient client(http::ClientOptions{.port = server.port()});
      for (int i = 0; i < 1500 && !stop; ++i) {
        std::string key = fmt::format("restart-{}-{}-{}", ::getpid(), c, i);
        auto r = post(client, "/orders/async", kGoodOrder, key, 30s);
        std::lock_guard lock(out.mu);
        if (r && r->status == 202) {
          out.accepted.push_back(field(r->body, "order_id"));
          out.accepted_keys.push_back(key);
        } else if (r && r->status == 503) {
          out.refused_keys.push_back(key);
        } else {
          out.other.push_back(r ? fmt::format("{} {}", r->status, r->body) : r.error().message);
        }
        std::this_thread::sleep_for(30ms);
      }
    });
  }
  auto finish_clients = [&] {
    stop = true;
    for (auto& t : clients) t.join();
  };

  bool ok = wait_until([&] { return out.accepted_count() >= 40; }, 60s);
  if (ok) {
    rabbit.stop();  // with orders in flight
    std::size_t before = out.accepted_count();
    ok = wait_until([&] { return out.refused_count() >= 5; }, 60s);
    EXPECT_TRUE(ok) << "no 503 while the broker was down";
    if (ok) {
      auto started = rabbit.start();  // same port and data: the same node
      EXPECT_TRUE(started) << (started ? "" : started.error().message);
      ok = started && wait_until([&] { return out.accepted_count() >= before + 40; }, 120s);
      EXPECT_TRUE(ok) << "the service did not accept orders again after the restart";
    }
  } else {
    ADD_FAILURE() << "the first 40 orders were not accepted";
  }
  finish_clients();
  ASSERT_TRUE(ok);
  {
    std::lock_guard lock(out.mu);
    EXPECT_TRUE(out.other.empty()) << out.other.size() << " requests neither 202 nor 503, e.g. " << out.other.front();
  }

  // Every 202 order completes, once. The refused ones are the `rejected`
  // markers, one per 503, and nothing else is in the store.
  auto a = testing::wait_for_all_finished(store, out.accepted, 120s);
  EXPECT_TRUE(a.ok()) << a.describe() << "; worker log " << logs;
  EXPECT_EQ(a.completed, out.accepted.size());
  std::set<std::string> accepted(out.accepted.begin(), out.accepted.end());
  auto records = run_blocking(store.scan("order/"));
  ASSERT_TRUE(records) << records.error().message;
  std::vector<std::string> rejected;
  for (const auto& [key, value] : *records) {
    std::string id = key.substr(std::string("order/").size());
    if (accepted.count(id)) continue;
    auto order = decode_order(value);
    EXPECT_TRUE(order && order->status == OrderStatus::kRejected) << "an order that got no 202 is in the store: " << value;
    rejected.push_back(id);
  }
  EXPECT_EQ(rejected.size(), out.refused_keys.size()) << "one marker per 503";
  auto refused = run_blocking(audit(store, out.accepted, rejected));
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_TRUE(refused->ok()) << refused->describe();
  auto charges = run_blocking(store.scan("order-charge/"));
  ASSERT_TRUE(charges);
  EXPECT_EQ(charges->size(), out.accepted.size()) << "a charge for an order that got no 202";
  for (const auto& key : out.refused_keys) {
    const std::string idem = idempotency_key(key);
    auto held = run_blocking(store.get(idem));
    ASSERT_TRUE(held);
    EXPECT_FALSE(held->has_value()) << "the idempotency key of a 503 order is still held: " << key;
  }
  auto keys = run_blocking(store.scan("order-idem/"));
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->size(), out.accepted_keys.size());
  EXPECT_TRUE(worker->running()) << "the worker died; see " << logs;
  worker->stop();
  std::filesystem::remove_all(logs);
}

}  // namespace
}  // namespace scalelab::orders
