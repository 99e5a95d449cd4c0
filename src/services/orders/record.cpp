#include "services/orders/record.h"

#include <chrono>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "core/ids.h"
#include "core/json_writer.h"

namespace scalelab::orders {

namespace json = boost::json;
namespace asio = boost::asio;

namespace {

// Room for a record's fixed part and for each item, so encoding allocates once.
constexpr std::size_t kRecordReserve = 160;
constexpr std::size_t kItemReserve = 56;

}  // namespace

std::string order_key(std::string_view id) { return fmt::format("order/{}", id); }
std::string charge_key(std::string_view id) { return fmt::format("order-charge/{}", id); }
std::string idempotency_key(std::string_view key) { return fmt::format("order-idem/{}", key); }

std::string now_rfc3339() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

std::string encode_order(const Order& order) {
  std::string out;
  out.reserve(kRecordReserve + order.items.size() * kItemReserve);
  JsonWriter w(out);
  w.begin_object()
      .field("order_id", order.order_id)
      .field("customer_id", order.customer_id)
      .field("status", to_string(order.status))
      .key("items")
      .begin_array();
  for (const auto& i : order.items)
    w.begin_object().field("product_id", i.product_id).field("quantity", i.quantity).field("price", i.price).end_object();
  w.end_array().field("created_at", order.created_at);
  if (!order.reason.empty()) w.field("reason", order.reason);
  w.end_object();
  return out;
}

Result<Order> decode_order(std::string_view text) {
  auto invalid = [](std::string m) { return Error{ErrorKind::kInvalidInput, std::move(m)}; };
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return invalid("stored order is not JSON");
  auto order = order_from_request(v);
  if (!order) return order.error();
  const auto& o = v.get_object();
  auto str = [&](std::string_view name) -> std::string {
    auto* f = o.if_contains(name);
    return f && f->is_string() ? std::string(f->get_string()) : std::string();
  };
  order->order_id = str("order_id");
  order->created_at = str("created_at");
  order->reason = str("reason");
  if (order->order_id.empty()) return invalid("stored order has no order_id");
  const std::string status = str("status");
  auto parsed = parse_status(status);
  if (!parsed) return invalid(fmt::format("stored order has an unknown status '{}'", status));
  order->status = *parsed;
  return order;
}

RecordStatus record_status(std::string_view text) {
  RecordStatus out;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return out;
  const auto& o = v.get_object();
  if (auto* s = o.if_contains("status"); s && s->is_string()) out.status = parse_status(s->get_string());
  if (auto* r = o.if_contains("reason"); r && r->is_string()) out.reason = r->get_string();
  return out;
}

asio::awaitable<Result<std::optional<StoredOrder>>> load_order(store::Store& store, std::string id) {
  auto record = co_await store.get(order_key(id));
  if (!record) co_return record.error();
  if (!*record) co_return std::optional<StoredOrder>{};
  auto order = decode_order(**record);
  if (!order) co_return Error{ErrorKind::kInvalidInput, "invalid order: " + order.error().message};
  co_return std::optional<StoredOrder>{StoredOrder{std::move(*order), std::move(**record)}};
}

asio::awaitable<Status> transition(store::Store& store, StoredOrder& current, OrderStatus to, std::string reason) {
  if (!can_transition(current.order.status, to))
    co_return Error{ErrorKind::kConflict, fmt::format("order {} cannot move from {} to {}", current.order.order_id,
                                                      to_string(current.order.status), to_string(to))};
  Order next = current.order;
  next.status = to;
  next.reason = std::move(reason);
  std::string text = encode_order(next);
  // Durable: an order's status (a completed order must not come back pending).
  auto moved = co_await store.compare_and_set_durable(order_key(next.order_id), current.text, text);
  if (!moved) co_return moved.error();
  if (!*moved) co_return Error{ErrorKind::kConflict, "the order changed while being processed"};
  current = StoredOrder{std::move(next), std::move(text)};
  co_return Status{};
}

asio::awaitable<Result<StoredOrder>> transition(store::Store& store, std::string id, OrderStatus from,
                                                OrderStatus to, std::string reason) {
  auto loaded = co_await load_order(store, id);
  if (!loaded) co_return loaded.error();
  if (!*loaded) co_return Error{ErrorKind::kNotFound, fmt::format("order {} is not in the store", id)};
  StoredOrder current = std::move(**loaded);
  if (current.order.status != from)
    co_return Error{ErrorKind::kConflict, fmt::format("order {} is {}, not {}", id, to_string(current.order.status),
                                                      to_string(from))};
  auto moved = co_await transition(store, current, to, std::move(reason));
  if (!moved) co_return moved.error();
  co_return current;
}

asio::awaitable<Status> fail_unreadable(store::Store& store, std::string id, std::string raw, std::string reason) {
  boost::system::error_code ec;
  auto v = json::parse(raw, ec);
  if (ec || !v.is_object()) v = json::object{{"order_id", id}, {"raw", raw}};
  auto& o = v.as_object();
  if (auto* s = o.if_contains("status"); s && (*s == "completed" || *s == "rejected"))
    co_return Error{ErrorKind::kConflict, fmt::format("order {} is {}", id, json::serialize(*s))};
  o["status"] = to_string(OrderStatus::kFailed);
  o["reason"] = reason;
  auto moved = co_await store.compare_and_set_durable(order_key(id), raw, json::serialize(v));
  if (!moved) co_return moved.error();
  if (!*moved) co_return Error{ErrorKind::kConflict, "the order changed while being marked failed"};
  co_return Status{};
}

asio::awaitable<Result<bool>> record_charge(store::Store& store, Order order) {
  std::string txn;
  assign_random_hex_id(txn);
  std::string record;
  JsonWriter(record)
      .begin_object()
      .field("order_id", order.order_id)
      .field("amount", order_total(order))
      .field("transaction_id", "txn-" + txn)
      .field("charged_at", now_rfc3339())
      .end_object();
  // Durable: a charge lost at a failover would be charged again on redelivery.
  auto stored = co_await store.put_if_absent_durable(charge_key(order.order_id), std::move(record));
  if (!stored) co_return stored.error();
  co_return *stored;
}

}  // namespace scalelab::orders
