#include "services/orders/process.h"

#include <algorithm>
#include <chrono>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json_writer.h"
#include "services/orders/record.h"

namespace scalelab::orders {

namespace json = boost::json;
namespace asio = boost::asio;

namespace {

// A queued order waits for a payment slot as long as it takes: the worker's
// concurrency, not a deadline, bounds the queue in front of the processor.
constexpr auto kQueuedPaymentWait = std::chrono::hours(1);

}  // namespace

mq::Topology topology(int max_deliveries) {
  mq::Topology t;
  t.exchanges.push_back({std::string(kExchange), mq::ExchangeType::kFanout});
  t.exchanges.push_back({std::string(kDeadExchange), mq::ExchangeType::kFanout});
  t.queues.push_back({.name = std::string(kQueue),
                      .dead_letter_exchange = std::string(kDeadExchange),
                      .max_deliveries = std::max(1, max_deliveries)});
  t.queues.push_back({.name = std::string(kDeadQueue)});
  t.bindings.push_back({std::string(kQueue), std::string(kExchange), ""});
  t.bindings.push_back({std::string(kDeadQueue), std::string(kDeadExchange), ""});
  return t;
}

Status declare_topology(mq::Broker& broker, int max_deliveries) { return broker.declare(topology(max_deliveries)); }

mq::Message order_message(const std::string& order_id) {
  std::string body;
  JsonWriter(body).begin_object().field("order_id", order_id).end_object();
  return mq::Message{.routing_key = "order",
                     .body = std::move(body),
                     .headers = {{"order_id", order_id}},
                     .persistent = true};
}

std::optional<std::string> order_id_of_message(const mq::Delivery& delivery, std::string_view who) {
  boost::system::error_code ec;
  auto v = json::parse(delivery.body, ec);
  const json::value* id = !ec && v.is_object() ? v.get_object().if_contains("order_id") : nullptr;
  if (!id || !id->is_string()) {
    spdlog::error("{}: dead-lettering a malformed message ({} bytes)", who, delivery.body.size());
    return std::nullopt;
  }
  return std::string(id->get_string());
}

asio::awaitable<Result<Processed>> process_order(store::Store& store, PaymentProcessor& payments, std::string id) {
  Processed result;
  auto loaded = co_await load_order(store, id);
  if (!loaded) co_return loaded.error();
  if (!*loaded) co_return Error{ErrorKind::kNotFound, fmt::format("order {} is not in the store", id)};
  StoredOrder current = std::move(**loaded);
  if (is_finished(current.order.status)) {  // a redelivery of a finished order
    result.duplicate = true;
    co_return result;
  }
  if (current.order.status == OrderStatus::kRejected) {  // its publish was not confirmed, the client got 503
    result.refused = true;
    co_return result;
  }
  if (current.order.status == OrderStatus::kPending) {
    if (auto moved = co_await transition(store, current, OrderStatus::kProcessing, ""); !moved) co_return moved.error();
  }
  auto charge = co_await store.get(charge_key(id));
  if (!charge) co_return charge.error();
  if (!*charge) {  // not charged yet: verify, then charge once
    auto verified = co_await payments.verify(payments.clock().now() + kQueuedPaymentWait);
    if (!verified) co_return verified.error();
    auto charged = co_await record_charge(store, current.order);
    if (!charged) co_return charged.error();
    result.charged = *charged;
  }
  if (auto done = co_await transition(store, current, OrderStatus::kCompleted, ""); !done) co_return done.error();
  co_return result;
}

asio::awaitable<bool> mark_order_failed(store::Store& store, std::string id, std::string reason, std::string who) {
  Status marked;
  try {
    auto record = co_await store.get(order_key(id));
    if (!record) {
      marked = record.error();
    } else if (!*record) {
      marked = Error{ErrorKind::kNotFound, "order missing"};
    } else if (auto order = decode_order(**record); !order) {
      marked = co_await fail_unreadable(store, id, std::move(**record), std::move(reason));
    } else {
      StoredOrder current{std::move(*order), std::move(**record)};
      marked = co_await transition(store, current, OrderStatus::kFailed, std::move(reason));
    }
  } catch (const std::exception& e) {
    marked = Error{ErrorKind::kInternal, e.what()};
  }
  if (!marked) spdlog::warn("{}: the failure of {} was not recorded: {}", who, id, marked.error().message);
  co_return static_cast<bool>(marked);
}

}  // namespace scalelab::orders
