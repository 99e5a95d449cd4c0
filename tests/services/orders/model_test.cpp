// The order model without I/O: status names, transitions, validation of a
// posted order, the total.
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "services/orders/model.h"

namespace scalelab::orders {
namespace {

constexpr OrderStatus kAll[] = {OrderStatus::kPending, OrderStatus::kProcessing, OrderStatus::kCompleted,
                                OrderStatus::kFailed, OrderStatus::kRejected};

TEST(OrderStatus, EveryStatusRoundTripsThroughItsWireName) {
  for (auto s : kAll) EXPECT_EQ(parse_status(to_string(s)), s) << to_string(s);
  EXPECT_EQ(to_string(OrderStatus::kProcessing), "processing");
  EXPECT_FALSE(parse_status("Completed"));
  EXPECT_FALSE(parse_status(""));
}

TEST(OrderStatus, OnlyCompletedAndFailedAreFinished) {
  EXPECT_TRUE(is_finished(OrderStatus::kCompleted));
  EXPECT_TRUE(is_finished(OrderStatus::kFailed));
  EXPECT_FALSE(is_finished(OrderStatus::kPending));
  EXPECT_FALSE(is_finished(OrderStatus::kProcessing));
  EXPECT_FALSE(is_finished(OrderStatus::kRejected));
}

TEST(OrderStatus, TransitionsFollowTheLifecycle) {
  int allowed = 0;
  for (auto from : kAll)
    for (auto to : kAll) allowed += can_transition(from, to);
  EXPECT_EQ(allowed, 5);
  EXPECT_TRUE(can_transition(OrderStatus::kPending, OrderStatus::kProcessing));
  EXPECT_TRUE(can_transition(OrderStatus::kPending, OrderStatus::kRejected));
  EXPECT_TRUE(can_transition(OrderStatus::kProcessing, OrderStatus::kCompleted));
  EXPECT_TRUE(can_transition(OrderStatus::kPending, OrderStatus::kFailed));
  EXPECT_TRUE(can_transition(OrderStatus::kProcessing, OrderStatus::kFailed));
  EXPECT_FALSE(can_transition(OrderStatus::kPending, OrderStatus::kCompleted)) << "never charged";
  EXPECT_FALSE(can_transition(OrderStatus::kRejected, OrderStatus::kProcessing)) << "a refused order stays refused";
  EXPECT_FALSE(can_transition(OrderStatus::kCompleted, OrderStatus::kFailed));
}

TEST(OrderFromRequest, ReadsCustomerAndItems) {
  auto order = order_from_request(boost::json::parse(
      R"({"customer_id":42,"items":[{"product_id":1,"quantity":2,"price":9.5},{"product_id":7,"quantity":1,"price":100}],"extra":1})"));
  ASSERT_TRUE(order) << order.error().message;
  EXPECT_EQ(order->customer_id, 42);
  ASSERT_EQ(order->items.size(), 2u);
  EXPECT_EQ(order->items[1].product_id, 7);
  EXPECT_DOUBLE_EQ(order_total(*order), 119.0);
}

TEST(OrderFromRequest, NamesTheOffendingItemField) {
  struct Case {
    const char* body;
    const char* message_part;
  };
  for (const Case& c : {
           Case{R"({"customer_id":1,"items":[{"product_id":1,"quantity":1,"price":1},{"product_id":1,"quantity":0,"price":1}]})",
                "'items[1].quantity'"},
           Case{R"({"customer_id":1,"items":[{"quantity":1,"price":1}]})", "'items[0].product_id' is required"},
           Case{R"({"customer_id":1,"items":[{"product_id":1.0,"quantity":1,"price":1}]})", "'items[0].product_id'"},
           Case{R"({"customer_id":1,"items":[{"product_id":1,"quantity":1,"price":-1}]})", "'items[0].price'"},
           Case{R"({"customer_id":"1","items":[{"product_id":1,"quantity":1,"price":1}]})", "'customer_id'"},
       }) {
    auto order = order_from_request(boost::json::parse(c.body));
    ASSERT_FALSE(order) << c.body;
    EXPECT_EQ(order.error().kind, ErrorKind::kInvalidInput);
    EXPECT_NE(order.error().message.find(c.message_part), std::string::npos) << order.error().message;
  }
}

}  // namespace
}  // namespace scalelab::orders
