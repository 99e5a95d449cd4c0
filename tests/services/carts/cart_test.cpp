// The cart model without I/O: adding items, the status codec, the records.
#include "services/carts/cart.h"

#include <gtest/gtest.h>

namespace {

using namespace scalelab::carts;

constexpr std::int32_t kInt32Max = std::numeric_limits<std::int32_t>::max();

TEST(CartModel, AddingANewProductAppendsALine) {
  std::vector<Item> items = {{1, 2}};
  EXPECT_EQ(add_item(items, 7, 3), AddItemOutcome::kAdded);
  EXPECT_EQ(items, (std::vector<Item>{{1, 2}, {7, 3}}));
}

TEST(CartModel, AddingAProductAgainMergesIntoItsLine) {
  std::vector<Item> items = {{1, 2}, {7, 3}};
  EXPECT_EQ(add_item(items, 7, 4), AddItemOutcome::kAdded);
  EXPECT_EQ(items, (std::vector<Item>{{1, 2}, {7, 7}}));
  EXPECT_EQ(item_of(items, 7).quantity, 7);
}

TEST(CartModel, AFullCartRefusesANewProductButTakesMoreOfAKnownOne) {
  std::vector<Item> items;
  for (std::size_t i = 1; i <= kMaxItemsPerCart; ++i) items.push_back({static_cast<std::int32_t>(i), 1});
  EXPECT_EQ(add_item(items, static_cast<std::int32_t>(kMaxItemsPerCart) + 1, 1), AddItemOutcome::kTooManyProducts);
  EXPECT_EQ(items.size(), kMaxItemsPerCart);
  EXPECT_EQ(add_item(items, 1, 1), AddItemOutcome::kAdded);
  EXPECT_EQ(items.front().quantity, 2);
}

TEST(CartModel, QuantityBeyondInt32IsRefusedAndLeavesTheLine) {
  std::vector<Item> items = {{1, kInt32Max - 1}};
  EXPECT_EQ(add_item(items, 1, 2), AddItemOutcome::kQuantityOverflow);
  EXPECT_EQ(items.front().quantity, kInt32Max - 1);
  EXPECT_EQ(add_item(items, 1, 1), AddItemOutcome::kAdded);
  EXPECT_EQ(items.front().quantity, kInt32Max);
}

TEST(CartStatusCodec, EveryStatusRoundTripsThroughItsWireName) {
  for (CartStatus s : {CartStatus::kOpen, CartStatus::kCheckingOut, CartStatus::kCheckedOut})
    EXPECT_EQ(parse_cart_status(to_string(s)), s);
  EXPECT_EQ(to_string(CartStatus::kCheckingOut), "checking_out");
  EXPECT_FALSE(parse_cart_status("closed").has_value());
}

TEST(CartRecord, IsWrittenInTheStoredForm) {
  Cart cart{3, 9, CartStatus::kCheckedOut, {{1, 2}, {5, 1}}, "order-ab"};
  EXPECT_EQ(cart_to_json(cart),
            R"({"shopping_cart_id":3,"customer_id":9,"status":"checked_out","order_id":"order-ab",)"
            R"("items":[{"product_id":1,"quantity":2},{"product_id":5,"quantity":1}]})");
  EXPECT_EQ(cart_to_json(Cart{4, 1, CartStatus::kOpen, {}, {}}),
            R"({"shopping_cart_id":4,"customer_id":1,"status":"open","items":[]})");
}

TEST(CartRecord, RoundTrips) {
  Cart cart{3, 9, CartStatus::kCheckingOut, {{1, 2}}, ""};
  auto back = cart_from_json(cart_to_json(cart));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->id, 3);
  EXPECT_EQ(back->customer_id, 9);
  EXPECT_EQ(back->status, CartStatus::kCheckingOut);
  EXPECT_EQ(back->items, cart.items);
  EXPECT_EQ(back->order_id, "");
}

TEST(CartRecord, UnknownStatusOrMissingFieldIsAProtocolError) {
  EXPECT_FALSE(cart_from_json(R"({"shopping_cart_id":1,"customer_id":1,"status":"closed","items":[]})").ok());
  EXPECT_FALSE(cart_from_json(R"({"shopping_cart_id":1,"status":"open","items":[]})").ok());
  EXPECT_FALSE(cart_from_json("not json").ok());
}

TEST(UserCartRecord, RoundTripsItsItems) {
  std::vector<Item> items = {{2, 1}, {4, 6}};
  EXPECT_EQ(items_to_json(items), R"({"items":[{"product_id":2,"quantity":1},{"product_id":4,"quantity":6}]})");
  auto back = items_from_json(items_to_json(items));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, items);
  EXPECT_FALSE(items_from_json(R"({"items":[{"product_id":2}]})").ok());
}

}  // namespace
