#include "services/orders/model.h"

#include <array>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "services/common/validation.h"

namespace scalelab::orders {

namespace json = boost::json;

namespace {

constexpr std::array<std::pair<OrderStatus, std::string_view>, 5> kStatusNames{{
    {OrderStatus::kPending, "pending"},
    {OrderStatus::kProcessing, "processing"},
    {OrderStatus::kCompleted, "completed"},
    {OrderStatus::kFailed, "failed"},
    {OrderStatus::kRejected, "rejected"},
}};

Error invalid(std::string message) { return Error{ErrorKind::kInvalidInput, std::move(message)}; }

// int32_field names the field it reads; an item's fields are reported with
// their place in the array ("items[2].quantity").
Result<std::int32_t> item_int(const json::object& o, std::string_view name, std::string_view at, std::int64_t min,
                              std::int64_t max) {
  auto v = services::int32_field(o, name, min, max);
  if (v) return v;
  std::string message = v.error().message;
  const std::string quoted = fmt::format("'{}'", name);
  if (auto pos = message.find(quoted); pos != std::string::npos)
    message.replace(pos, quoted.size(), fmt::format("'{}.{}'", at, name));
  return invalid(std::move(message));
}

Result<Item> item_from(const json::value& v, std::size_t index) {
  const std::string at = fmt::format("items[{}]", index);
  if (!v.is_object()) return invalid(fmt::format("field '{}' must be an object", at));
  const auto& o = v.get_object();
  auto product = item_int(o, "product_id", at, 1, services::kInt32Max);
  if (!product) return product.error();
  auto quantity = item_int(o, "quantity", at, 1, kMaxQuantity);
  if (!quantity) return quantity.error();
  auto price = o.find("price");
  if (price == o.end()) return invalid(fmt::format("field '{}.price' is required", at));
  if (!price->value().is_number()) return invalid(fmt::format("field '{}.price' must be a number", at));
  const double p = price->value().to_number<double>();
  if (!std::isfinite(p) || p < 0 || p > kMaxPrice)
    return invalid(fmt::format("field '{}.price' must be in [0, {}]", at, kMaxPrice));
  return Item{.product_id = *product, .quantity = *quantity, .price = p};
}

}  // namespace

std::string_view to_string(OrderStatus status) {
  for (const auto& [s, name] : kStatusNames)
    if (s == status) return name;
  return "unknown";
}

std::optional<OrderStatus> parse_status(std::string_view text) {
  for (const auto& [s, name] : kStatusNames)
    if (name == text) return s;
  return std::nullopt;
}

bool is_finished(OrderStatus status) { return status == OrderStatus::kCompleted || status == OrderStatus::kFailed; }

bool can_transition(OrderStatus from, OrderStatus to) {
  switch (to) {
    case OrderStatus::kProcessing:
    case OrderStatus::kRejected: return from == OrderStatus::kPending;
    case OrderStatus::kCompleted: return from == OrderStatus::kProcessing;
    case OrderStatus::kFailed: return from == OrderStatus::kPending || from == OrderStatus::kProcessing;
    case OrderStatus::kPending: return false;
  }
  return false;
}

double order_total(const Order& order) {
  double amount = 0;
  for (const auto& i : order.items) amount += i.price * i.quantity;
  return amount;
}

Result<Order> order_from_request(const json::value& body) {
  if (!body.is_object()) return invalid("the body must be a JSON object");
  const auto& o = body.get_object();
  Order order;
  auto customer = services::int32_field(o, "customer_id", 1);
  if (!customer) return customer.error();
  order.customer_id = *customer;
  auto items = o.find("items");
  if (items == o.end()) return invalid("field 'items' is required");
  if (!items->value().is_array()) return invalid("field 'items' must be an array");
  const auto& array = items->value().get_array();
  if (array.empty()) return invalid("field 'items' must not be empty");
  if (array.size() > kMaxItems) return invalid(fmt::format("field 'items' must have at most {} entries", kMaxItems));
  order.items.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    auto item = item_from(array[i], i);
    if (!item) return item.error();
    order.items.push_back(*item);
  }
  return order;
}

}  // namespace scalelab::orders
