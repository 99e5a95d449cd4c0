// The order model of hw7's flash sale: an order, its items and its status,
// the validation of an order a client posts, and the status transitions the
// system allows. Pure: no I/O, no clock (the caller stamps created_at).
// Strings appear only at the wire: to_string/parse_status convert a status
// for the stored record and the HTTP answers.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.h"

namespace scalelab::orders {

inline constexpr std::size_t kMaxItems = 100;
inline constexpr std::int64_t kMaxQuantity = 10'000;
inline constexpr double kMaxPrice = 1e9;

// pending -> processing -> completed | failed. rejected: refused with 503
// (the broker did not confirm its message), kept so that a late delivery of
// the message is acked without a charge.
enum class OrderStatus { kPending, kProcessing, kCompleted, kFailed, kRejected };

std::string_view to_string(OrderStatus status);
// nullopt for a string that names no status.
std::optional<OrderStatus> parse_status(std::string_view text);

// completed or failed: nothing more happens to the order.
bool is_finished(OrderStatus status);
// Whether the system ever moves an order from `from` to `to`:
// pending -> processing | rejected; processing -> completed;
// pending | processing -> failed (given up on).
bool can_transition(OrderStatus from, OrderStatus to);

struct Item {
  std::int32_t product_id = 0;
  std::int32_t quantity = 0;
  double price = 0;
};

struct Order {
  std::string order_id;
  std::int32_t customer_id = 0;
  OrderStatus status = OrderStatus::kPending;
  std::vector<Item> items;
  std::string created_at;  // RFC 3339 UTC
  std::string reason;      // why it failed or was rejected
};

// What the order costs: the sum of price x quantity.
double order_total(const Order& order);

// Validates a POST body: customer_id an int32 >= 1; items a non-empty array
// (at most kMaxItems) of {product_id int32 >= 1, quantity int32 in
// 1..kMaxQuantity, price a finite number in [0, kMaxPrice]}. Integers must be
// JSON integers (1.0 and "1" are not). Unknown fields are ignored. The error
// (kInvalidInput) names the first offending field, e.g. "items[2].price".
// order_id, status and created_at are left for the caller.
Result<Order> order_from_request(const boost::json::value& body);

}  // namespace scalelab::orders
