// The stored records of the orders service and their one codec, and the
// store operations every use case shares: load an order, move it from one
// status to another by compare-and-set, record its charge once.
//
// Keys (in a store::Store: memory:// in one process, redis:// when the
// service and the workers are separate processes):
//   order/{id}          the order (encode_order/decode_order)
//   order-idem/{key}    the order id an Idempotency-Key created
//   order-charge/{id}   the charge of an order, written once (put_if_absent)
// Thread-safety: pure functions and coroutines over a thread-safe Store.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "services/orders/model.h"
#include "store/store.h"

namespace scalelab::orders {

std::string order_key(std::string_view id);
std::string charge_key(std::string_view id);
std::string idempotency_key(std::string_view key);

// The current time, UTC, to the second: "2026-01-01T00:00:00Z".
std::string now_rfc3339();

// The stored order as JSON: {order_id, customer_id, status, items,
// created_at, reason (only when set)}.
std::string encode_order(const Order& order);
// Parses a stored order: the validation of order_from_request plus a
// non-empty order_id and a known status. kInvalidInput otherwise.
Result<Order> decode_order(std::string_view text);

// The status and reason of any stored order record, also one that does not
// decode as an order (a poison order marked failed in place): what the
// counting check reads. status is nullopt when the record has none.
struct RecordStatus {
  std::optional<OrderStatus> status;
  std::string reason;
};
RecordStatus record_status(std::string_view text);

// An order as read from the store: `text` is the exact record, the value a
// compare-and-set must find for a transition to win.
struct StoredOrder {
  Order order;
  std::string text;
};

// The order `id`: nullopt when absent; kInvalidInput when its record does
// not decode.
boost::asio::awaitable<Result<std::optional<StoredOrder>>> load_order(store::Store& store, std::string id);

// Moves `current` to `to` (with `reason`, "" for none) by compare-and-set
// against exactly the record read, and updates `current` when it wins.
// kConflict when can_transition() forbids it or the record changed since it
// was read. `current` is the caller's, which awaits this call, so the
// reference outlives every suspension.
boost::asio::awaitable<Status> transition(store::Store& store, StoredOrder& current, OrderStatus to,
                                          std::string reason);
// Loads order `id` and moves it from `from` to `to` as above: kNotFound when
// it is absent, kConflict when its status is not `from` (or it changed).
// Returns the order as stored after the move.
boost::asio::awaitable<Result<StoredOrder>> transition(store::Store& store, std::string id, OrderStatus from,
                                                       OrderStatus to, std::string reason);

// Marks a record that does not decode (a poison order) failed with
// `reason`, keeping its other fields (a record that is not a JSON object is
// kept under "raw"), by compare-and-set against `raw`, the record read.
// kConflict when it says completed or rejected, or changed meanwhile.
boost::asio::awaitable<Status> fail_unreadable(store::Store& store, std::string id, std::string raw,
                                               std::string reason);

// Records the charge of an order once ({order_id, amount, transaction_id,
// charged_at}): true when this call charged it, false when it had been
// charged before (a redelivery, a retry).
boost::asio::awaitable<Result<bool>> record_charge(store::Store& store, Order order);

}  // namespace scalelab::orders
