// The orders service's use cases: accepting an order synchronously (verify
// the payment now, answer with the completed order) or asynchronously (store
// it pending, queue it for a worker). Both honour an Idempotency-Key: a retry
// gets the original order, not a second one. The outcome is typed; the
// routes (routes.h) map it to HTTP.
// Thread-safety: thread-safe; the Store, Broker and PaymentProcessor must
// outlive the Intake.
#pragma once

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "mq/broker.h"
#include "services/orders/model.h"
#include "services/orders/payments.h"
#include "store/store.h"

namespace scalelab::orders {

struct Accepted {
  enum class Kind {
    kCompleted,      // sync: verified, charged and completed (`record` is the stored order)
    kQueued,         // async: stored and queued, or already taken by a worker (`status` says which)
    kReplayed,       // an Idempotency-Key retry: `record` is the original order (async: `status` too)
    kNotCompleted,   // sync retry whose original has not completed
    kKeyInProgress,  // the Idempotency-Key's original request is still in progress
    kPaymentBusy,    // sync: no payment slot before the deadline
    kNotQueued,      // async: no broker, or the broker did not confirm (nothing kept)
    kOriginalRefused,  // async retry whose original was refused a moment ago
  };
  Kind kind = Kind::kCompleted;
  std::string order_id;
  OrderStatus status = OrderStatus::kPending;
  std::string record;       // the stored order (kCompleted, kReplayed)
  std::string retry_after;  // seconds (kPaymentBusy, kNotQueued, kOriginalRefused)
  std::string message;      // why, for the refusals
};

class Intake {
 public:
  // broker may be null: then accept_async is kNotQueued.
  Intake(store::Store& store, mq::Broker* broker, PaymentProcessor& payments);

  // `order` is validated and stamped (id, created_at). `key` is the
  // Idempotency-Key ("" for none). Waits up to `wait` for a payment slot.
  // A store failure is an error (kInvalidInput/kInternal for a stored
  // original that does not decode).
  boost::asio::awaitable<Result<Accepted>> accept_sync(Order order, std::string key, std::chrono::milliseconds wait);
  boost::asio::awaitable<Result<Accepted>> accept_async(Order order, std::string key);

 private:
  // What claiming an Idempotency-Key found: `answer` set when the request is
  // answered already (the key's request is in flight, or the store failed);
  // else `earlier` holds the original order's record, if the key was used.
  struct KeyClaim {
    std::optional<std::string> earlier;
    std::optional<Result<Accepted>> answer;
  };
  boost::asio::awaitable<KeyClaim> claim_key(std::string key, std::string order_id);
  boost::asio::awaitable<std::optional<OrderStatus>> refuse(Order order, std::string pending, std::string key);
  boost::asio::awaitable<void> forget(std::string order_id, std::string key);
  boost::asio::awaitable<void> roll_back_charge(std::string order_id, std::string key);
  store::Store& store_;
  mq::Broker* broker_;
  PaymentProcessor& payments_;
};

}  // namespace scalelab::orders
