// The cart model: what a cart is and how items are added to it, with no I/O.
// Both carts APIs share it: hw5's shopping carts (Cart, with a status and an
// order once checked out) and the course's per-user carts (a list of Items).
// One codec per stored record: cart_to_json/cart_from_json for "cart/{id}",
// items_to_json/items_from_json for "usercart/{user}".
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace scalelab::carts {

inline constexpr std::size_t kMaxItemsPerCart = 1'000;  // distinct products

struct Item {
  std::int32_t product_id = 0;
  std::int32_t quantity = 0;

  bool operator==(const Item&) const = default;
};

// open -> checking_out (claimed by one checkout) -> checked_out, or back to
// open when the checkout fails.
enum class CartStatus { kOpen, kCheckingOut, kCheckedOut };

// The wire and stored form: "open", "checking_out", "checked_out".
std::string_view to_string(CartStatus status);
std::optional<CartStatus> parse_cart_status(std::string_view text);

struct Cart {
  std::int32_t id = 0;
  std::int32_t customer_id = 0;
  CartStatus status = CartStatus::kOpen;
  std::vector<Item> items;
  std::string order_id;  // set when checked_out
};

enum class AddItemOutcome {
  kAdded,             // a new line, or more of a product already in the cart
  kTooManyProducts,   // the cart already holds kMaxItemsPerCart other products
  kQuantityOverflow,  // the product's quantity would exceed int32
};

// Adds quantity of product_id to items (merging with its line if present).
// On anything but kAdded, items is unchanged. REQUIRES: quantity >= 1.
AddItemOutcome add_item(std::vector<Item>& items, std::int32_t product_id, std::int32_t quantity);

// The line of product_id in items. REQUIRES: it is there.
const Item& item_of(const std::vector<Item>& items, std::int32_t product_id);

std::string cart_to_json(const Cart& cart);
Result<Cart> cart_from_json(std::string_view json);

// A per-user cart's record: {"items":[{product_id, quantity}...]}.
std::string items_to_json(const std::vector<Item>& items);
Result<std::vector<Item>> items_from_json(std::string_view json);

}  // namespace scalelab::carts
