// The stored order record: its one codec, and transitions by compare-and-set
// on the in-process store.
#include <gtest/gtest.h>

#include "core/run_blocking.h"
#include "orders_support.h"
#include "services/orders/record.h"
#include "store/store.h"

namespace scalelab::orders {
namespace {

Order sample() {
  Order o;
  o.order_id = "o-1";
  o.customer_id = 42;
  o.status = OrderStatus::kProcessing;
  o.items = {{.product_id = 1, .quantity = 2, .price = 9.99}, {.product_id = 7, .quantity = 1, .price = 100}};
  o.created_at = "2026-01-01T00:00:00Z";
  return o;
}

std::unique_ptr<store::Store> memory_store() {
  auto s = store::open_store("memory://");
  return std::move(*s);
}

TEST(OrderRecord, DecodesWhatItEncodes) {
  Order o = sample();
  o.reason = "why \"not\"";
  auto back = decode_order(encode_order(o));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->order_id, o.order_id);
  EXPECT_EQ(back->customer_id, 42);
  EXPECT_EQ(back->status, OrderStatus::kProcessing);
  ASSERT_EQ(back->items.size(), 2u);
  EXPECT_DOUBLE_EQ(back->items[0].price, 9.99);
  EXPECT_EQ(back->created_at, o.created_at);
  EXPECT_EQ(back->reason, o.reason);
}

TEST(OrderRecord, WritesTheStatusByNameAndOmitsAnEmptyReason) {
  const std::string text = encode_order(sample());
  EXPECT_EQ(testing::field(text, "status"), "processing");
  EXPECT_EQ(text.find("reason"), std::string::npos) << text;
}

TEST(OrderRecord, RefusesAnUnknownStatusOrAMissingId) {
  auto unknown = decode_order(testing::stored_order("x", "shipped", R"([{"product_id":1,"quantity":1,"price":1}])"));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("shipped"), std::string::npos);
  EXPECT_FALSE(decode_order(testing::stored_order("", "pending", R"([{"product_id":1,"quantity":1,"price":1}])")));
  EXPECT_FALSE(decode_order("not json"));
}

TEST(OrderRecord, RecordStatusReadsARecordThatDoesNotDecode) {
  auto r = record_status(R"({"order_id":"p","status":"failed","reason":"no items","items":[]})");
  EXPECT_EQ(r.status, OrderStatus::kFailed);
  EXPECT_EQ(r.reason, "no items");
  EXPECT_FALSE(record_status("[]").status);
}

TEST(OrderTransition, MovesTheStoredOrderByCompareAndSet) {
  auto store = memory_store();
  Order o = sample();
  o.status = OrderStatus::kPending;
  ASSERT_TRUE(run_blocking(store->put(order_key(o.order_id), encode_order(o))));
  auto moved = run_blocking(transition(*store, o.order_id, OrderStatus::kPending, OrderStatus::kProcessing, ""));
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(moved->order.status, OrderStatus::kProcessing);
  auto stored = run_blocking(store->get(order_key(o.order_id)));
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ(**stored, moved->text);
}

TEST(OrderTransition, LosesToAWriterThatChangedTheRecordSinceItWasRead) {
  auto store = memory_store();
  Order o = sample();
  o.status = OrderStatus::kPending;
  const std::string pending = encode_order(o);
  ASSERT_TRUE(run_blocking(store->put(order_key(o.order_id), pending)));
  StoredOrder read{o, pending};
  ASSERT_TRUE(run_blocking(transition(*store, o.order_id, OrderStatus::kPending, OrderStatus::kProcessing, "")));
  auto late = run_blocking(transition(*store, read, OrderStatus::kRejected, "too late"));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(read.order.status, OrderStatus::kPending) << "the loser's copy is unchanged";
}

TEST(OrderTransition, RefusesAMoveTheLifecycleForbidsOrFromAnotherStatus) {
  auto store = memory_store();
  Order o = sample();  // processing
  ASSERT_TRUE(run_blocking(store->put(order_key(o.order_id), encode_order(o))));
  auto wrong_from = run_blocking(transition(*store, o.order_id, OrderStatus::kPending, OrderStatus::kProcessing, ""));
  ASSERT_FALSE(wrong_from);
  EXPECT_EQ(wrong_from.error().kind, ErrorKind::kConflict);
  auto forbidden = run_blocking(transition(*store, o.order_id, OrderStatus::kProcessing, OrderStatus::kPending, ""));
  ASSERT_FALSE(forbidden);
  EXPECT_EQ(forbidden.error().kind, ErrorKind::kConflict);
  auto missing = run_blocking(transition(*store, "nope", OrderStatus::kPending, OrderStatus::kProcessing, ""));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST(OrderCharge, IsRecordedOnce) {
  auto store = memory_store();
  EXPECT_TRUE(*run_blocking(record_charge(*store, sample())));
  EXPECT_FALSE(*run_blocking(record_charge(*store, sample())));
  auto charge = run_blocking(store->get(charge_key("o-1")));
  ASSERT_TRUE(charge && *charge);
  EXPECT_EQ(testing::field(**charge, "order_id"), "o-1");
}

}  // namespace
}  // namespace scalelab::orders
