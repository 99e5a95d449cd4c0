// The order worker over the in-process store and broker: redelivery, poison
// orders and the dead-letter queue, and the counting check.
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
  EXPECT_TRUE(testkit::eventually([&] { return (*worker)->stats().duplicates >= 1; }, 10s));
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
  std::uint64_t dead = 0;
  EXPECT_TRUE(testkit::eventually([&] {
    auto d = f.broker->queue_depth(std::string(kDeadQueue));
    return d && (dead = *d) == 1;
  }, 10s)) << dead;
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
