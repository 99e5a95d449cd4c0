// The function runner over the in-process store and broker: cold starts and
// warm reuse, the concurrency limit (also at 200), keep-warm reclaim,
// billing, retry-then-dead-letter, redeliveries charged once, the counting
// check after a burst through the HTTP service, and its /metrics.
#include "services/orders/functions.h"

#include <functional>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mq/broker.h"
#include "orders_support.h"
#include "store/store.h"
#include "support/test_server.h"
#include "support/eventually.h"

namespace scalelab::orders {
namespace {

using namespace std::chrono_literals;
using testing::field;
using testing::kGoodOrder;
using testing::order_message;
using testing::post;
using testing::stored_order;

constexpr const char* kOneItem = R"([{"product_id":1,"quantity":2,"price":5}])";

struct Bus {
  Bus() {
    auto s = store::open_store("memory://");
    store = std::move(*s);
    auto b = mq::open_broker("memory://");
    broker = std::move(*b);
    EXPECT_TRUE(declare_topology(*broker));
  }
  // A pending order in the store and its message on the exchange.
  void order(const std::string& id, const std::string& items = kOneItem) {
    ASSERT_TRUE(run_blocking(store->put(order_key(id), stored_order(id, "pending", items))));
    publish(id);
  }
  // Many pending orders, published as one batch.
  void orders(const std::vector<std::string>& ids) {
    std::vector<mq::Message> messages;
    for (const auto& id : ids) {
      ASSERT_TRUE(run_blocking(store->put(order_key(id), stored_order(id, "pending", kOneItem))));
      messages.push_back({.routing_key = "", .body = order_message(id)});
    }
    ASSERT_TRUE(broker->publish_batch(std::string(kExchange), std::move(messages)));
  }
  void publish(const std::string& id) {
    ASSERT_TRUE(broker->publish(std::string(kExchange), {.routing_key = "", .body = order_message(id)}));
  }
  std::unique_ptr<store::Store> store;
  std::unique_ptr<mq::Broker> broker;
};

FunctionOptions quick(int max_concurrency) {
  return {.max_concurrency = max_concurrency,
          .cold_start_min = 10ms,
          .cold_start_max = 20ms,
          .keep_warm = 60s,
          .memory_mb = 512,
          .retries = 2,
          .payment_delay = 5ms};
}

// Polls until pred holds (bounded: 20 s by default); returns whether it did.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s) {
  return scalelab::testkit::eventually(pred, timeout);
}

std::vector<std::string> ids(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(fmt::format("{}-{}", prefix, i));
  return out;
}

TEST(FunctionRunner, PaysAColdStartOnlyForANewInstanceAndReusesAWarmOne) {
  Bus bus;
  auto runner = FunctionRunner::start(*bus.broker, *bus.store, quick(4));
  ASSERT_TRUE(runner) << runner.error().message;
  auto& r = **runner;
  for (int i = 0; i < 5; ++i) {  // one at a time: the one warm instance serves all
    bus.order(fmt::format("seq-{}", i));
    ASSERT_TRUE(eventually([&] { return r.stats().completed == static_cast<std::uint64_t>(i + 1); }));
  }
  auto s = r.stats();
  EXPECT_EQ(s.invocations, 5u);
  EXPECT_EQ(s.cold_starts, 1u);
  EXPECT_EQ(s.instances, 1);
  EXPECT_EQ(s.peak_instances, 1);
  EXPECT_GE(s.init_max_ms, 10.0) << "the cold start did not wait its init";
  EXPECT_GE(s.duration_p50_ms, 5.0);
  auto a = testing::wait_for_all_finished(*bus.store, ids("seq", 5), 10s);
  EXPECT_TRUE(a.ok()) << a.describe();
}

// n orders at once through a runner of max_concurrency instances, each
// holding its instance for `work`. The stats once all completed (and the
// counting check passed); the most busy and alive seen while it ran.
struct Burst {
  FunctionStats stats;
  int most_busy = 0, most_alive = 0;
};
Burst burst(int max_concurrency, int n, std::chrono::milliseconds work) {
  Bus bus;
  auto o = quick(max_concurrency);
  o.cold_start_min = o.cold_start_max = 5ms;
  o.payment_delay = work;
  auto runner = FunctionRunner::start(*bus.broker, *bus.store, o);
  EXPECT_TRUE(runner);
  if (!runner) return {};
  auto all = ids("burst", n);
  bus.orders(all);
  Burst b;
  EXPECT_TRUE(eventually([&] {
    auto s = (*runner)->stats();
    b.most_busy = std::max(b.most_busy, s.busy);
    b.most_alive = std::max(b.most_alive, s.instances);
    return s.completed == static_cast<std::uint64_t>(n);
  }, 60s)) << (*runner)->stats().completed << " of " << n;
  b.stats = (*runner)->stats();
  auto a = testing::wait_for_all_finished(*bus.store, all, 10s);
  EXPECT_TRUE(a.ok()) << a.describe();
  return b;
}

TEST(FunctionRunner, NeverRunsMoreThanTheConcurrencyLimitAndReachesItUnderLoad) {
  auto b = burst(8, 40, 50ms);
  EXPECT_LE(b.most_busy, 8);
  EXPECT_LE(b.most_alive, 8);
  EXPECT_EQ(b.stats.peak_concurrency, 8);
  EXPECT_EQ(b.stats.peak_instances, 8);
  EXPECT_EQ(b.stats.cold_starts, 8u) << "an instance was created beyond the limit or a warm one was not reused";
  EXPECT_EQ(b.stats.invocations, 40u);
}

TEST(FunctionRunner, RunsTwoHundredInstancesAtOnce) {
  auto b = burst(200, 400, 500ms);
  EXPECT_EQ(b.stats.peak_concurrency, 200);
  EXPECT_EQ(b.stats.cold_starts, 200u);
  EXPECT_EQ(b.stats.charged, 400u);
  EXPECT_LE(b.most_alive, 200);
}

TEST(FunctionRunner, ReclaimsIdleInstancesAfterKeepWarmAndColdStartsAgain) {
  Bus bus;
  auto o = quick(4);
  o.keep_warm = 50ms;
  o.payment_delay = 30ms;
  auto runner = FunctionRunner::start(*bus.broker, *bus.store, o);
  ASSERT_TRUE(runner);
  auto& r = **runner;
  bus.orders(ids("warm", 4));
  ASSERT_TRUE(eventually([&] { return r.stats().completed == 4; }));
  auto before = r.stats();
  ASSERT_GE(before.cold_starts, 1u);
  ASSERT_TRUE(eventually([&] { return r.stats().instances == 0; }, 10s)) << r.stats().instances << " still alive";
  EXPECT_EQ(r.stats().reclaimed, before.cold_starts) << "every instance created was reclaimed";
  bus.order("after-idle");
  ASSERT_TRUE(eventually([&] { return r.stats().completed == 5; }));
  EXPECT_EQ(r.stats().cold_starts, before.cold_starts + 1) << "a reclaimed instance was reused";
}

TEST(FunctionBilling, RoundsEachInvocationUpToAMillisecond) {
  EXPECT_EQ(billed_ms(0ns), 1u);  // every invocation bills at least 1 ms
  EXPECT_EQ(billed_ms(1ns), 1u);
  EXPECT_EQ(billed_ms(1ms), 1u);
  EXPECT_EQ(billed_ms(1ms + 1ns), 2u);
  EXPECT_EQ(billed_ms(2999'200us), 3000u);
  EXPECT_EQ(billed_ms(3s), 3000u);
  EXPECT_DOUBLE_EQ(gb_seconds(3000, 512), 1.5);
  EXPECT_DOUBLE_EQ(gb_seconds(1, 128), 0.000125);
  EXPECT_DOUBLE_EQ(gb_seconds(1000, 1024), 1.0);
  EXPECT_DOUBLE_EQ(gb_seconds(0, 512), 0.0);
}

TEST(FunctionBilling, BillsTheRunnersInvocationsInGbSecondsOfItsMemory) {
  Bus bus;
  auto o = quick(2);
  o.memory_mb = 256;
  o.payment_delay = 7ms;
  auto runner = FunctionRunner::start(*bus.broker, *bus.store, o);
  ASSERT_TRUE(runner);
  bus.orders(ids("bill", 6));
  ASSERT_TRUE(eventually([&] { return (*runner)->stats().completed == 6; }));
  auto s = (*runner)->stats();
  EXPECT_EQ(s.invocations, 6u);
  // Each invocation took its 7 ms payment at least, and each cold one its init.
  EXPECT_GE(s.billed_ms, 6 * 7 + s.cold_starts * 10);
  EXPECT_DOUBLE_EQ(s.gb_seconds, static_cast<double>(s.billed_ms) / 1000.0 * 0.25);
  EXPECT_DOUBLE_EQ(s.billed_seconds_per_invocation(), static_cast<double>(s.billed_ms) / 6000.0);
}

TEST(FunctionRunner, RetriesAFailedInvocationTwiceThenFailsTheOrderAndDeadLettersIt) {
  Bus bus;
  auto runner = FunctionRunner::start(*bus.broker, *bus.store, quick(1));  // one at a time: poison first
  ASSERT_TRUE(runner);
  bus.order("poison", "[]");  // no items: never chargeable
  bus.order("fine");
  auto& r = **runner;
  ASSERT_TRUE(eventually([&] { return r.stats().completed == 1; }));
  auto s = r.stats();
  EXPECT_EQ(s.invocations, 4u) << "3 attempts at the poison order, 1 for the fine one (no loop)";
  EXPECT_EQ(s.retried, 2u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.dead_lettered, 1u);
  auto record = run_blocking(bus.store->get(order_key("poison")));
  ASSERT_TRUE(record && *record);
  EXPECT_EQ(field(**record, "status"), "failed");
  EXPECT_NE(field(**record, "reason").find("items"), std::string::npos) << **record;
  EXPECT_NE(field(**record, "reason").find("after 3 attempts"), std::string::npos) << **record;
  std::uint64_t dead = 0;
  EXPECT_TRUE(eventually([&] { return (dead = *bus.broker->queue_depth(std::string(kDeadQueue))) == 1; }));
  EXPECT_EQ(*bus.broker->queue_depth(std::string(kQueue)), 0u);
  auto a = testing::wait_for_all_finished(*bus.store, {"poison", "fine"}, 10s);
  EXPECT_TRUE(a.ok()) << a.describe();
  EXPECT_EQ(a.failed, 1u);
}

TEST(FunctionRunner, DeadLettersAMalformedMessageWithoutInvoking) {
  Bus bus;
  auto runner = FunctionRunner::start(*bus.broker, *bus.store, quick(1));
  ASSERT_TRUE(runner);
  ASSERT_TRUE(bus.broker->publish(std::string(kExchange), {.routing_key = "", .body = "not json"}));
  ASSERT_TRUE(eventually([&] { return (*runner)->stats().dead_lettered == 1; }));
  EXPECT_EQ((*runner)->stats().invocations, 0u);
  EXPECT_TRUE(eventually([&] { return *bus.broker->queue_depth(std::string(kDeadQueue)) == 1; }));
}

TEST(FunctionRunner, ChargesARedeliveredOrderOnce) {
  Bus bus;
  bus.order("dup");
  bus.publish("dup");  // the same order delivered again, as after a lost ack
  // An order charged by an instance that died before completing it.
  std::string half_json = stored_order("half", "processing", kOneItem);
  ASSERT_TRUE(run_blocking(bus.store->put(order_key("half"), half_json)));
  auto half = decode_order(half_json);
  ASSERT_TRUE(half);
  ASSERT_TRUE(run_blocking(record_charge(*bus.store, *half)));
  bus.publish("half");
  auto runner = FunctionRunner::start(*bus.broker, *bus.store, quick(1));
  ASSERT_TRUE(runner);
  ASSERT_TRUE(eventually([&] {
    auto s = (*runner)->stats();
    return s.completed + s.duplicates == 3;
  }));
  auto s = (*runner)->stats();
  EXPECT_EQ(s.charged, 1u) << "only 'dup' needed a charge";
  EXPECT_EQ(s.duplicates, 1u);
  EXPECT_EQ(s.completed, 2u);
  auto a = testing::wait_for_all_finished(*bus.store, {"dup", "half"}, 10s);
  EXPECT_TRUE(a.ok()) << a.describe();
  EXPECT_EQ(a.charges, 2u);
}

TEST(FunctionRunner, ABurstThroughTheServicePassesTheCountingCheck) {
  Bus bus;
  OrdersService service(*bus.store, bus.broker.get(), {});
  testkit::TestServer server([&](http::Router& r) { service.register_routes(r); });
  http::BlockingClient client({.port = server.port()});
  auto o = quick(20);
  o.payment_delay = 20ms;
  auto runner = FunctionRunner::start(*bus.broker, *bus.store, o);
  ASSERT_TRUE(runner);
  std::vector<std::string> accepted;
  for (int i = 0; i < 60; ++i) {
    auto r = post(client, "/orders/async", kGoodOrder);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->status, 202u) << r->body;
    accepted.push_back(field(r->body, "order_id"));
  }
  auto a = testing::wait_for_all_finished(*bus.store, accepted, 30s);
  EXPECT_TRUE(a.ok()) << a.describe();
  EXPECT_EQ(a.completed, 60u);
  EXPECT_EQ(a.charges, 60u);
  auto s = (*runner)->stats();
  EXPECT_EQ(s.charged, 60u);
  EXPECT_LE(s.peak_concurrency, 20);
}

TEST(FunctionRunner, ExportsItsCountersToTheRegistry) {
  Bus bus;
  obs::Registry registry;
  auto o = quick(2);
  o.metrics = &registry;
  {
    auto runner = FunctionRunner::start(*bus.broker, *bus.store, o);
    ASSERT_TRUE(runner);
    bus.orders(ids("metered", 3));
    ASSERT_TRUE(eventually([&] { return (*runner)->stats().completed == 3; }));
    auto s = (*runner)->stats();
    std::string text = registry.render();
    EXPECT_NE(text.find("function_invocations_total 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find(fmt::format("function_cold_starts_total {}\n", s.cold_starts)), std::string::npos) << text;
    EXPECT_NE(text.find(fmt::format("function_billed_milliseconds_total {}\n", s.billed_ms)), std::string::npos);
    EXPECT_NE(text.find("function_billed_gb_seconds_total "), std::string::npos);
    EXPECT_NE(text.find(fmt::format("function_peak_concurrency {}\n", s.peak_concurrency)), std::string::npos);
    EXPECT_NE(text.find(fmt::format("function_instances {}\n", s.instances)), std::string::npos);
    EXPECT_NE(text.find(R"(function_orders_total{outcome="completed"} 3)"), std::string::npos) << text;
  }
  EXPECT_EQ(registry.render().find("function_invocations_total"), std::string::npos)
      << "a closed runner is still exported";
}

TEST(FunctionRunner, RefusesOptionsItCannotRun) {
  Bus bus;
  auto zero = quick(0);
  EXPECT_FALSE(FunctionRunner::start(*bus.broker, *bus.store, zero));
  auto inverted = quick(1);
  inverted.cold_start_min = 300ms;
  inverted.cold_start_max = 70ms;
  auto r = FunctionRunner::start(*bus.broker, *bus.store, inverted);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  auto no_memory = quick(1);
  no_memory.memory_mb = 0;
  EXPECT_FALSE(FunctionRunner::start(*bus.broker, *bus.store, no_memory));
}

}  // namespace
}  // namespace scalelab::orders
