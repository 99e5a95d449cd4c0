// The orders service's HTTP routes over the in-process store and broker:
// validation, sync and async orders, a publish whose confirm is lost,
// idempotency keys.
#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "mq/broker.h"
#include "orders_support.h"
#include "store/store.h"
#include "support/eventually.h"
#include "support/test_server.h"

namespace scalelab::orders {
namespace {

using namespace std::chrono_literals;
using testing::field;
using testing::Fixture;
using testing::kGoodOrder;
using testing::post;
using testing::store_order;

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
  ASSERT_TRUE(testkit::eventually([&] { return f.service->payments().busy() == 1; }, 10s));
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
  EXPECT_TRUE(testkit::eventually([&] { return (*worker)->stats().refused >= 1; }, 20s));
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
    (void)testkit::eventually([&] {
      auto rec = run_blocking(store.get(order_key(id)));
      return rec && *rec && decode_order(**rec) && decode_order(**rec)->status != OrderStatus::kPending;
    }, 10s);
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

}  // namespace
}  // namespace scalelab::orders
