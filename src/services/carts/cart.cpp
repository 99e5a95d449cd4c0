#include "services/carts/cart.h"

#include <algorithm>
#include <limits>

#include <boost/json/parse.hpp>

#include "core/json_writer.h"

namespace scalelab::carts {

namespace {

constexpr std::int64_t kMaxQuantity = std::numeric_limits<std::int32_t>::max();

void write_items(JsonWriter& w, const std::vector<Item>& items) {
  w.key("items").begin_array();
  for (const Item& item : items)
    w.begin_object().field("product_id", item.product_id).field("quantity", item.quantity).end_object();
  w.end_array();
}

std::vector<Item> parse_items(const boost::json::object& o) {
  std::vector<Item> items;
  for (const auto& item : o.at("items").as_array()) {
    const auto& io = item.as_object();
    items.push_back({static_cast<std::int32_t>(io.at("product_id").as_int64()),
                     static_cast<std::int32_t>(io.at("quantity").as_int64())});
  }
  return items;
}

}  // namespace

std::string_view to_string(CartStatus status) {
  switch (status) {
    case CartStatus::kOpen: return "open";
    case CartStatus::kCheckingOut: return "checking_out";
    case CartStatus::kCheckedOut: return "checked_out";
  }
  return "open";
}

std::optional<CartStatus> parse_cart_status(std::string_view text) {
  for (CartStatus s : {CartStatus::kOpen, CartStatus::kCheckingOut, CartStatus::kCheckedOut})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

AddItemOutcome add_item(std::vector<Item>& items, std::int32_t product_id, std::int32_t quantity) {
  auto it = std::find_if(items.begin(), items.end(), [&](const Item& i) { return i.product_id == product_id; });
  if (it == items.end()) {
    if (items.size() >= kMaxItemsPerCart) return AddItemOutcome::kTooManyProducts;
    items.push_back({product_id, quantity});
    return AddItemOutcome::kAdded;
  }
  if (static_cast<std::int64_t>(it->quantity) + quantity > kMaxQuantity) return AddItemOutcome::kQuantityOverflow;
  it->quantity += quantity;
  return AddItemOutcome::kAdded;
}

const Item& item_of(const std::vector<Item>& items, std::int32_t product_id) {
  return *std::find_if(items.begin(), items.end(), [&](const Item& i) { return i.product_id == product_id; });
}

std::string cart_to_json(const Cart& c) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("shopping_cart_id", c.id).field("customer_id", c.customer_id);
  w.field("status", to_string(c.status));
  if (!c.order_id.empty()) w.field("order_id", c.order_id);
  write_items(w, c.items);
  w.end_object();
  return out;
}

Result<Cart> cart_from_json(std::string_view json) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return Error{ErrorKind::kProtocol, "cart is not a JSON object"};
  const auto& o = v.get_object();
  Cart c;
  try {
    c.id = static_cast<std::int32_t>(o.at("shopping_cart_id").as_int64());
    c.customer_id = static_cast<std::int32_t>(o.at("customer_id").as_int64());
    auto status = parse_cart_status(o.at("status").as_string());
    if (!status) return Error{ErrorKind::kProtocol, "malformed cart: unknown status"};
    c.status = *status;
    if (auto it = o.find("order_id"); it != o.end()) c.order_id = std::string(it->value().as_string());
    c.items = parse_items(o);
  } catch (const std::exception& e) {
    return Error{ErrorKind::kProtocol, std::string("malformed cart: ") + e.what()};
  }
  return c;
}

std::string items_to_json(const std::vector<Item>& items) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  write_items(w, items);
  w.end_object();
  return out;
}

Result<std::vector<Item>> items_from_json(std::string_view json) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return Error{ErrorKind::kProtocol, "user cart is not a JSON object"};
  try {
    return parse_items(v.get_object());
  } catch (const std::exception& e) {
    return Error{ErrorKind::kProtocol, std::string("malformed user cart: ") + e.what()};
  }
}

}  // namespace scalelab::carts
