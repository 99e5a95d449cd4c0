// The orders service and worker over the in-process store and broker:
// validation, the payment processor's slots, sync and async orders,
// idempotency keys, redelivery and poison orders, and the counting check.
#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "mq/broker.h"
#include "orders_support.h"
#include "store/store.h"
#include "support/test_server.h"

namespace scalelab::orders {
namespace {

using namespace std::chrono_literals;
using testing::field;
using testing::kGoodOrder;
using testing::post;

struct Fixture {
  explicit Fixture(ServiceOptions options = {.payment = {.slots = 1, .delay = 5ms}, .sync_wait = 5s},
                   mq::Broker* broker_override = nullptr) {
    auto s = store::open_store("memory://");
    store = std::move(*s);
    auto b = mq::open_broker("memory://");
    broker = std::move(*b);
    EXPECT_TRUE(declare_topology(*broker, 3));
    service = std::make_unique<OrdersService>(*store, broker_override ? broker_override : broker.get(), options);
    server = std::make_unique<testkit::TestServer>([this](http::Router& r) { service->register_routes(r); });
    client = std::make_unique<http::BlockingClient>(http::ClientOptions{.port = server->port()});
  }
  std::unique_ptr<store::Store> store;
  std::unique_ptr<mq::Broker> broker;
  std::unique_ptr<OrdersService> service;
  std::unique_ptr<testkit::TestServer> server;
  std::unique_ptr<http::BlockingClient> client;
};

TEST(OrdersValidation, RejectsMalformedOrdersWith400NamingTheField) {
  Fixture f;
  struct Case {
    const char* body;
    const char* mentions;
  };
  for (const Case& c : {
           Case{R"([1,2])", "object"},
           Case{R"({"items":[{"product_id":1,"quantity":1,"price":1}]})", "customer_id"},
           Case{R"({"customer_id":"42","items":[{"product_id":1,"quantity":1,"price":1}]})", "customer_id"},
           Case{R"({"customer_id":1.0,"items":[{"product_id":1,"quantity":1,"price":1}]})", "customer_id"},
           Case{R"({"customer_id":0,"items":[{"product_id":1,"quantity":1,"price":1}]})", "customer_id"},
           Case{R"({"customer_id":4294967296,"items":[{"product_id":1,"quantity":1,"price":1}]})", "customer_id"},
           Case{R"({"customer_id":1})", "items"},
           Case{R"({"customer_id":1,"items":{}})", "items"},
           Case{R"({"customer_id":1,"items":[]})", "items"},
           Case{R"({"customer_id":1,"items":[7]})", "items[0]"},
           Case{R"({"customer_id":1,"items":[{"quantity":1,"price":1}]})", "items[0].product_id"},
           Case{R"({"customer_id":1,"items":[{"product_id":1,"quantity":0,"price":1}]})", "items[0].quantity"},
           Case{R"({"customer_id":1,"items":[{"product_id":1,"quantity":1,"price":1},{"product_id":2,"quantity":1,"price":-1}]})",
                "items[1].price"},
           Case{R"({"customer_id":1,"items":[{"product_id":1,"quantity":1,"price":"1"}]})", "items[0].price"},
           Case{R"({"customer_id":1,"items":[{"product_id":1,"quantity":1}]})", "items[0].price"},
       }) {
    for (const char* target : {"/orders/sync", "/orders/async"}) {
      auto r = post(*f.client, target, c.body);
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->status, 400u) << target << " " << c.body;
      EXPECT_EQ(field(r->body, "error"), "INVALID_INPUT") << c.body;
      EXPECT_NE(field(r->body, "message").find(c.mentions), std::string::npos) << c.body << " -> " << r->body;
    }
  }
  auto bad_json = post(*f.client, "/orders/sync", "{nope");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400u);
  auto none = run_blocking(f.store->scan("order"));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty()) << "a rejected order left state behind";
}

TEST(OrdersSync, ReturnsTheCompletedOrderAndChargesItOnce) {
  Fixture f;
  auto r = post(*f.client, "/orders/sync", kGoodOrder);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, 200u) << r->body;
  EXPECT_EQ(field(r->body, "status"), "completed");
  std::string id = field(r->body, "order_id");
  ASSERT_FALSE(id.empty());
  EXPECT_FALSE(field(r->body, "created_at").empty());
  auto got = f.client->get("/orders/" + id, 5s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200u);
  EXPECT_EQ(field(got->body, "status"), "completed");
  auto a = run_blocking(audit(*f.store, {id}));
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->ok()) << a->describe();
  EXPECT_EQ(a->charges, 1u);
  EXPECT_EQ(f.service->payments().verifications(), 1u);
}

TEST(OrdersSync, Answers503WithRetryAfterWhenTheSlotStaysBusyPastTheDeadline) {
  Fixture f({.payment = {.slots = 1, .delay = 1500ms}, .sync_wait = 100ms});
  auto first = std::async(std::launch::async, [&] {
    http::BlockingClient c({.port = f.server->port()});
    return post(c, "/orders/sync", kGoodOrder);
  });
  auto until = std::chrono::steady_clock::now() + 10s;
  while (f.service->payments().busy() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(2ms);
  ASSERT_EQ(f.service->payments().busy(), 1);
  auto second = post(*f.client, "/orders/sync", kGoodOrder, "retry-me", 5s);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->status, 503u) << second->body;
  EXPECT_EQ(field(second->body, "error"), "UNAVAILABLE");
  EXPECT_FALSE(second->header("Retry-After").empty());
  auto done = first.get();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->status, 200u);
  // The 503 left nothing behind: the same key can be retried and succeeds.
  auto retry = post(*f.client, "/orders/sync", kGoodOrder, "retry-me", 10s);
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->status, 200u) << retry->body;
  auto orders = run_blocking(f.store->scan("order/"));
  ASSERT_TRUE(orders);
  EXPECT_EQ(orders->size(), 2u);
}

TEST(PaymentProcessor, NeverRunsMoreVerificationsThanSlots) {
  PaymentProcessor p({.slots = 2, .delay = 20ms});
  std::atomic<int> peak{0};
  std::vector<std::future<bool>> calls;
  for (int i = 0; i < 6; ++i)
    calls.push_back(std::async(std::launch::async, [&] {
      auto task = [&]() -> boost::asio::awaitable<bool> {
        auto s = co_await p.verify(std::chrono::steady_clock::now() + 10s);
        co_return static_cast<bool>(s);
      };
      return run_blocking(task());
    }));
  auto until = std::chrono::steady_clock::now() + 10s;
  while (p.verifications() < 6 && std::chrono::steady_clock::now() < until) {
    peak = std::max(peak.load(), p.busy());
    std::this_thread::sleep_for(1ms);
  }
  for (auto& c : calls) EXPECT_TRUE(c.get());
  EXPECT_EQ(p.verifications(), 6u);
  EXPECT_LE(peak.load(), 2);
  EXPECT_EQ(p.busy(), 0);
}

TEST(PaymentProcessor, AWaiterGivesUpAtItsDeadlineWithoutTakingASlot) {
  PaymentProcessor p({.slots = 1, .delay = 300ms});
  auto holder = std::async(std::launch::async, [&] {
    return run_blocking([&]() -> boost::asio::awaitable<bool> {
      co_return static_cast<bool>(co_await p.verify(std::chrono::steady_clock::now() + 10s));
    }());
  });
  auto until = std::chrono::steady_clock::now() + 10s;
  while (p.busy() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  auto s = run_blocking([&]() -> boost::asio::awaitable<Status> {
    co_return co_await p.verify(std::chrono::steady_clock::now() + 20ms);
  }());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(p.waiting(), 0);
  EXPECT_TRUE(holder.get());
  EXPECT_EQ(p.verifications(), 1u);
}

TEST(OrdersAsync, AcceptsWith202AndTheWorkerCompletesEveryOrderOnce) {
  Fixture f;
  auto worker = OrderWorker::start(*f.broker, *f.store, {.workers = 4, .payment = {.slots = 4, .delay = 10ms}, .max_deliveries = 3});
  ASSERT_TRUE(worker) << worker.error().message;
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    auto r = post(*f.client, "/orders/async", kGoodOrder);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->status, 202u) << r->body;
    ids.push_back(field(r->body, "order_id"));
  }
  auto a = testing::wait_for_all_finished(*f.store, ids, 30s);
  EXPECT_TRUE(a.ok()) << a.describe();
  EXPECT_EQ(a.completed, 30u);
  EXPECT_EQ((*worker)->stats().charged, 30u);
  auto got = f.client->get("/orders/" + ids[0], 5s);
  ASSERT_TRUE(got);
  EXPECT_EQ(field(got->body, "status"), "completed");
  auto missing = f.client->get("/orders/nope", 5s);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404u);
}

TEST(OrdersAsync, AcceptingDoesNotWaitOnPayment) {
  // Payment takes 2 s and there is one slot: 5 orders are still all accepted
  // at once, and they are pending/processing afterwards.
  Fixture f;
  auto worker = OrderWorker::start(*f.broker, *f.store, {.workers = 1, .payment = {.slots = 1, .delay = 2s}, .max_deliveries = 3});
  ASSERT_TRUE(worker);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = post(*f.client, "/orders/async", kGoodOrder, "", 2s);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->status, 202u);
    ids.push_back(field(r->body, "order_id"));
  }
  auto a = run_blocking(audit(*f.store, ids));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->unfinished, 5u);
  (*worker)->abandon();
}

class RefusingBroker : public mq::Broker {
 public:
  mq::BrokerKind kind() const override { return mq::BrokerKind::kMemory; }
  Status declare(const mq::Topology&) override { return {}; }
  void publish_async(const std::string&, mq::Message, mq::PublishCallback done) override {
    done(Error{ErrorKind::kUnavailable, "connection lost before the confirm"});
  }
  Result<std::unique_ptr<mq::Subscription>> subscribe(const std::string&, mq::SubscribeOptions, mq::Handler) override {
    return Error{ErrorKind::kUnavailable, "no"};
  }
  Result<std::unique_ptr<mq::Subscription>> subscribe(const std::string&, mq::SubscribeOptions,
                                                      mq::AsyncHandler) override {
    return Error{ErrorKind::kUnavailable, "no"};
  }
  Result<std::uint64_t> queue_depth(const std::string&) override { return std::uint64_t{0}; }
};

TEST(OrdersAsync, AnUnconfirmedPublishIs503AndLeavesNoOrder) {
  RefusingBroker refusing;
  Fixture f({}, &refusing);
  auto r = post(*f.client, "/orders/async", kGoodOrder, "k1");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 503u) << r->body;
  EXPECT_FALSE(r->header("Retry-After").empty());
  // Only the marker for a late message is left: not an order anyone can see,
  // no charge, and the key is free for the retry.
  auto left = run_blocking(f.store->scan("order"));
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().first.rfind("order/", 0), 0u) << left->front().first;
  auto id = left->front().first.substr(6);
  auto marker = decode_order(left->front().second);
  ASSERT_TRUE(marker) << left->front().second;
  EXPECT_EQ(marker->status, OrderStatus::kRejected);
  auto got = f.client->get("/orders/" + id, 5s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 404u) << got->body;
  auto a = run_blocking(audit(*f.store, {}, {id}));
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->ok()) << a->describe();
}

// Delivers every message but reports its confirm as lost: what a connection
// that drops between the broker's enqueue and its basic.ack looks like.
// before_failing(order_id) runs first, on a thread of its own.
class LosingConfirmBroker : public mq::Broker {
 public:
  LosingConfirmBroker(mq::Broker& inner, std::function<void(const std::string&)> before_failing = {})
      : inner_(inner), before_failing_(std::move(before_failing)) {}
  ~LosingConfirmBroker() override {
    std::lock_guard lock(mu_);
    for (auto& t : threads_) t.join();
  }
  mq::BrokerKind kind() const override { return inner_.kind(); }
  Status declare(const mq::Topology& t) override { return inner_.declare(t); }
  void publish_async(const std::string& exchange, mq::Message m, mq::PublishCallback done) override {
    std::string id = m.headers["order_id"];
    inner_.publish_async(exchange, std::move(m), [this, id, done = std::move(done)](Status) {
      std::lock_guard lock(mu_);
      threads_.emplace_back([this, id, done] {
        if (before_failing_) before_failing_(id);
        done(Error{ErrorKind::kUnavailable, "connection lost before the confirm"});
      });
    });
  }
  Result<std::unique_ptr<mq::Subscription>> subscribe(const std::string& q, mq::SubscribeOptions o,
                                                      mq::Handler h) override {
    return inner_.subscribe(q, o, std::move(h));
  }
  Result<std::unique_ptr<mq::Subscription>> subscribe(const std::string& q, mq::SubscribeOptions o,
                                                      mq::AsyncHandler h) override {
    return inner_.subscribe(q, o, std::move(h));
  }
  Result<std::uint64_t> queue_depth(const std::string& q) override { return inner_.queue_depth(q); }

 private:
  mq::Broker& inner_;
  std::function<void(const std::string&)> before_failing_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

TEST(OrdersAsync, AMessageWhoseConfirmWasLostIsAckedWithoutACharge) {
  // The service answers 503 before any worker runs; the message is in the
  // queue all the same. The worker that gets it must not charge the order.
  Fixture f;
  LosingConfirmBroker losing(*f.broker);
  OrdersService service(*f.store, &losing, {});
  testkit::TestServer server([&](http::Router& r) { service.register_routes(r); });
  http::BlockingClient client(http::ClientOptions{.port = server.port()});
  auto r = post(client, "/orders/async", kGoodOrder, "lost-1");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, 503u) << r->body;
  auto depth = f.broker->queue_depth(std::string(kQueue));
  ASSERT_TRUE(depth);
  ASSERT_EQ(*depth, 1u) << "the message should have reached the queue";
  auto orders = run_blocking(f.store->scan("order/"));
  ASSERT_TRUE(orders);
  ASSERT_EQ(orders->size(), 1u);
  std::string id = orders->front().first.substr(6);
  auto worker = OrderWorker::start(*f.broker, *f.store, {.workers = 1, .payment = {.slots = 1, .delay = 1ms}, .max_deliveries = 3});
  ASSERT_TRUE(worker);
  auto until = std::chrono::steady_clock::now() + 20s;
  while ((*worker)->stats().refused < 1 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  (*worker)->close();
  auto st = (*worker)->stats();
  EXPECT_EQ(st.refused, 1u);
  EXPECT_EQ(st.charged, 0u);
  EXPECT_EQ(st.requeued, 0u) << "a refused order's message is acked at once, not retried";
  auto a = run_blocking(audit(*f.store, {}, {id}));
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->ok()) << a->describe();
  auto idem = run_blocking(f.store->get(idempotency_key("lost-1")));
  ASSERT_TRUE(idem);
  EXPECT_FALSE(idem->has_value()) << "the key of a refused order must be free for the retry";
  // The retry with the same key is a new order, accepted and charged once.
  OrdersService direct(*f.store, f.broker.get(), {});
  testkit::TestServer server2([&](http::Router& r) { direct.register_routes(r); });
  http::BlockingClient client2(http::ClientOptions{.port = server2.port()});
  auto again = post(client2, "/orders/async", kGoodOrder, "lost-1");
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 202u) << again->body;
  EXPECT_NE(field(again->body, "order_id"), id);
}

TEST(OrdersAsync, AnOrderAWorkerTookBeforeTheLostConfirmIsAcceptedNot503) {
  // The worker moves the order to processing before the service learns the
  // confirm was lost: the message evidently arrived, so the order is
  // accepted (202) and completed once; answering 503 would leave a charge on
  // an order the client was told failed.
  Fixture f;
  auto worker = OrderWorker::start(*f.broker, *f.store, {.workers = 1, .payment = {.slots = 1, .delay = 200ms}, .max_deliveries = 3});
  ASSERT_TRUE(worker);
  store::Store& store = *f.store;
  LosingConfirmBroker losing(*f.broker, [&store](const std::string& id) {
    auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      auto rec = run_blocking(store.get(order_key(id)));
      if (rec && *rec && decode_order(**rec) && decode_order(**rec)->status != OrderStatus::kPending) return;
      std::this_thread::sleep_for(1ms);
    }
  });
  OrdersService service(*f.store, &losing, {});
  testkit::TestServer server([&](http::Router& r) { service.register_routes(r); });
  http::BlockingClient client(http::ClientOptions{.port = server.port()});
  auto r = post(client, "/orders/async", kGoodOrder);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, 202u) << r->body;
  EXPECT_NE(field(r->body, "status"), "pending") << r->body;
  auto a = testing::wait_for_all_finished(*f.store, {field(r->body, "order_id")}, 20s);
  EXPECT_TRUE(a.ok()) << a.describe();
  EXPECT_EQ(a.completed, 1u);
  EXPECT_EQ((*worker)->stats().charged, 1u);
}

TEST(OrdersIdempotency, ARetriedRequestReturnsTheOriginalOrder) {
  Fixture f;
  auto worker = OrderWorker::start(*f.broker, *f.store, {.workers = 2, .payment = {.slots = 2, .delay = 5ms}, .max_deliveries = 3});
  ASSERT_TRUE(worker);
  auto a1 = post(*f.client, "/orders/async", kGoodOrder, "client-7-order-1");
  auto a2 = post(*f.client, "/orders/async", kGoodOrder, "client-7-order-1");
  ASSERT_TRUE(a1 && a2);
  EXPECT_EQ(a1->status, 202u);
  EXPECT_EQ(a2->status, 202u);
  EXPECT_EQ(field(a1->body, "order_id"), field(a2->body, "order_id"));
  auto s1 = post(*f.client, "/orders/sync", kGoodOrder, "client-7-order-2");
  auto s2 = post(*f.client, "/orders/sync", kGoodOrder, "client-7-order-2");
  ASSERT_TRUE(s1 && s2);
  EXPECT_EQ(s1->status, 200u);
  EXPECT_EQ(s2->status, 200u);
  EXPECT_EQ(field(s1->body, "order_id"), field(s2->body, "order_id"));
  EXPECT_EQ(f.service->payments().verifications(), 1u) << "the retry was verified again";
  auto bad = post(*f.client, "/orders/sync", kGoodOrder, std::string(300, 'k'));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400u);
  auto a = testing::wait_for_all_finished(*f.store, {field(a1->body, "order_id"), field(s1->body, "order_id")}, 20s);
  EXPECT_TRUE(a.ok()) << a.describe();
  auto orders = run_blocking(f.store->scan("order/"));
  ASSERT_TRUE(orders);
  EXPECT_EQ(orders->size(), 2u);
}

Status store_order(store::Store& store, const std::string& id, const std::string& status, const std::string& items) {
  return run_blocking(store.put(order_key(id), testing::stored_order(id, status, items)));
}

TEST(OrderWorker, ARedeliveredOrderIsChargedOnce) {
  Fixture f;
  ASSERT_TRUE(store_order(*f.store, "dup", "pending", R"([{"product_id":1,"quantity":1,"price":5}])"));
  // The same order published twice (as a redelivery after a lost ack would be).
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(f.broker->publish(std::string(kExchange), {.routing_key = "", .body = R"({"order_id":"dup"})"}));
  // And an order charged before its worker died (processing, charge recorded).
  ASSERT_TRUE(store_order(*f.store, "half", "processing", R"([{"product_id":1,"quantity":1,"price":5}])"));
  ASSERT_TRUE(run_blocking(record_charge(*f.store, *decode_order(R"({"order_id":"half","customer_id":1,"status":"processing","items":[{"product_id":1,"quantity":1,"price":5}]})"))));
  ASSERT_TRUE(f.broker->publish(std::string(kExchange), {.routing_key = "", .body = R"({"order_id":"half"})"}));
  auto worker = OrderWorker::start(*f.broker, *f.store, {.workers = 1, .payment = {.slots = 1, .delay = 5ms}, .max_deliveries = 3});
  ASSERT_TRUE(worker);
  auto a = testing::wait_for_all_finished(*f.store, {"dup", "half"}, 20s);
  auto until = std::chrono::steady_clock::now() + 10s;
  while ((*worker)->stats().duplicates < 1 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(a.ok()) << a.describe();
  EXPECT_EQ(a.charges, 2u);
  auto st = (*worker)->stats();
  EXPECT_EQ(st.charged, 1u) << "only 'dup' needed a charge";
  EXPECT_EQ(st.duplicates, 1u);
  EXPECT_EQ(st.completed, 2u);
}

TEST(OrderWorker, APoisonOrderFailsWithItsReasonAndGoesToTheDeadLetterQueue) {
  Fixture f;
  ASSERT_TRUE(store_order(*f.store, "poison", "pending", "[]"));  // no items: can never be charged
  ASSERT_TRUE(store_order(*f.store, "fine", "pending", R"([{"product_id":1,"quantity":1,"price":5}])"));
  ASSERT_TRUE(f.broker->publish(std::string(kExchange), {.routing_key = "", .body = R"({"order_id":"poison"})"}));
  ASSERT_TRUE(f.broker->publish(std::string(kExchange), {.routing_key = "", .body = R"({"order_id":"fine"})"}));
  auto worker = OrderWorker::start(*f.broker, *f.store, {.workers = 1, .payment = {.slots = 1, .delay = 1ms}, .max_deliveries = 3});
  ASSERT_TRUE(worker);
  auto a = testing::wait_for_all_finished(*f.store, {"poison", "fine"}, 20s);
  EXPECT_TRUE(a.ok()) << a.describe();
  EXPECT_EQ(a.completed, 1u);
  EXPECT_EQ(a.failed, 1u);
  auto got = f.client->get("/orders/poison", 5s);
  ASSERT_TRUE(got);
  EXPECT_EQ(field(got->body, "status"), "failed");
  EXPECT_NE(field(got->body, "reason").find("items"), std::string::npos) << got->body;
  EXPECT_NE(field(got->body, "reason").find("3 deliveries"), std::string::npos) << got->body;
  auto until = std::chrono::steady_clock::now() + 10s;
  std::uint64_t dead = 0;
  while (std::chrono::steady_clock::now() < until) {
    auto d = f.broker->queue_depth(std::string(kDeadQueue));
    ASSERT_TRUE(d);
    if ((dead = *d) == 1) break;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(dead, 1u);
  EXPECT_EQ((*worker)->stats().requeued, 2u);
}

TEST(OrdersAudit, FlagsAMissingChargeAndAnOrderWithoutAReason) {
  auto opened = store::open_store("memory://");
  auto store = std::move(*opened);
  ASSERT_TRUE(store_order(*store, "a", "completed", R"([{"product_id":1,"quantity":1,"price":5}])"));
  ASSERT_TRUE(store_order(*store, "b", "failed", R"([{"product_id":1,"quantity":1,"price":5}])"));
  auto a = run_blocking(audit(*store, {"a", "b", "a", "c"}));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->ok());
  EXPECT_EQ(a->completed, 1u);
  EXPECT_EQ(a->charges, 0u);
  EXPECT_EQ(a->failed_without_reason, 1u);
  EXPECT_EQ(a->duplicates, 1u);
  EXPECT_EQ(a->unfinished, 1u);
}

TEST(OrdersAudit, FlagsARefusedOrderThatIsStillInTheSystem) {
  auto opened = store::open_store("memory://");
  auto store = std::move(*opened);
  const std::string items = R"([{"product_id":1,"quantity":1,"price":5}])";
  ASSERT_TRUE(store_order(*store, "marker", "rejected", items));   // refused, as it should be left
  ASSERT_TRUE(store_order(*store, "visible", "pending", items));   // refused yet still an order
  ASSERT_TRUE(store_order(*store, "charged", "rejected", items));  // refused yet charged
  ASSERT_TRUE(run_blocking(record_charge(*store, *decode_order(R"({"order_id":"charged","customer_id":1,"status":"rejected","items":[{"product_id":1,"quantity":1,"price":5}]})"))));
  auto clean = run_blocking(audit(*store, {}, {"marker", "gone"}));
  ASSERT_TRUE(clean);
  EXPECT_TRUE(clean->ok()) << clean->describe();
  auto a = run_blocking(audit(*store, {"marker"}, {"visible", "charged"}));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->ok());
  EXPECT_EQ(a->rejected, 1u) << "an accepted order marked rejected";
  EXPECT_EQ(a->refused, 2u);
  EXPECT_EQ(a->refused_in_system, 2u);
}

}  // namespace
}  // namespace scalelab::orders
