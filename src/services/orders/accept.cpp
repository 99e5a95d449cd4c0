#include "services/orders/accept.h"

#include <spdlog/spdlog.h>

#include "services/orders/process.h"
#include "services/orders/record.h"

namespace scalelab::orders {

namespace asio = boost::asio;

namespace {

// A refusal the client may retry after a second: the broker or a racing
// request settles by then.
constexpr std::string_view kRetrySoon = "1";

Accepted refusal(Accepted::Kind kind, std::string message, std::string retry_after) {
  Accepted a;
  a.kind = kind;
  a.message = std::move(message);
  a.retry_after = std::move(retry_after);
  return a;
}

}  // namespace

Intake::Intake(store::Store& store, mq::Broker* broker, PaymentProcessor& payments)
    : store_(store), broker_(broker), payments_(payments) {}

// Claims an Idempotency-Key for order_id: claimed (go on, nothing set), or
// the stored original order of an earlier request with the key, or an answer
// now: kKeyInProgress while that request is still in flight (the key is
// claimed, its order not stored), the store's error when it failed.
asio::awaitable<Intake::KeyClaim> Intake::claim_key(std::string key, std::string order_id) {
  if (key.empty()) co_return KeyClaim{};
  // Durable: a key lost at a failover would let a retry place a second order.
  auto won = co_await store_.put_if_absent_durable(idempotency_key(key), order_id);
  if (!won) co_return KeyClaim{.answer = won.error()};
  if (*won) co_return KeyClaim{};
  auto original = co_await store_.get(idempotency_key(key));
  if (!original) co_return KeyClaim{.answer = original.error()};
  if (*original) {
    auto record = co_await store_.get(order_key(**original));
    if (!record) co_return KeyClaim{.answer = record.error()};
    if (*record) co_return KeyClaim{.earlier = std::move(**record)};
  }
  co_return KeyClaim{.answer = refusal(Accepted::Kind::kKeyInProgress,
                                       "a request with this Idempotency-Key is still in progress; retry later", "")};
}

asio::awaitable<void> Intake::forget(std::string order_id, std::string key) {
  if (!order_id.empty()) (void)co_await store_.erase(order_key(order_id));
  if (!key.empty()) (void)co_await store_.erase(idempotency_key(key));
}

// A failed write may still have been applied (its connection broke after
// sending it, or no replica acknowledged it): the charge and the order may be
// in the store although the client is answered 503. The client retries with
// its key, which starts a new order, so this one is undone: its charge first
// (a charge left behind would be a second charge for one request), then its
// record and the key. The order id is this request's own, so nothing else
// writes these keys.
asio::awaitable<void> Intake::roll_back_charge(std::string order_id, std::string key) {
  // Erasing is idempotent, so an erase that failed on a dying connection is
  // tried again (the store waits for a new primary meanwhile).
  constexpr int kAttempts = 3;
  Result<bool> erased = false;
  for (int i = 0; i < kAttempts; ++i) {
    erased = co_await store_.erase(charge_key(order_id));
    if (erased || erased.error().kind != ErrorKind::kUnavailable) break;
  }
  if (!erased) spdlog::error("orders: could not undo the charge of {}: {}", order_id, erased.error().message);
  co_await forget(std::move(order_id), std::move(key));
}

asio::awaitable<Result<Accepted>> Intake::accept_sync(Order order, std::string key, std::chrono::milliseconds wait) {
  auto claim = co_await claim_key(key, order.order_id);
  if (claim.answer) co_return std::move(*claim.answer);
  if (auto& earlier = claim.earlier) {
    auto original = decode_order(*earlier);
    if (original && original->status != OrderStatus::kCompleted)
      co_return refusal(Accepted::Kind::kNotCompleted,
                        "the original request with this Idempotency-Key has not completed", "");
    co_return Accepted{.kind = Accepted::Kind::kReplayed, .record = std::move(*earlier)};
  }
  auto verified = co_await payments_.verify(payments_.clock().now() + wait);
  if (!verified) {
    co_await forget("", key);
    co_return refusal(Accepted::Kind::kPaymentBusy,
                      "payment processor busy: no slot free before the deadline; retry later",
                      retry_after_seconds(payments_));
  }
  auto charged = co_await record_charge(store_, order);
  if (!charged) {
    co_await roll_back_charge(order.order_id, key);
    co_return charged.error();
  }
  order.status = OrderStatus::kCompleted;
  std::string text = encode_order(order);
  auto stored = co_await store_.put_durable(order_key(order.order_id), text);  // answered 201: must survive
  if (!stored) {
    co_await roll_back_charge(order.order_id, key);
    co_return stored.error();
  }
  co_return Accepted{.kind = Accepted::Kind::kCompleted, .order_id = order.order_id, .status = order.status,
                     .record = std::move(text)};
}

asio::awaitable<Result<Accepted>> Intake::accept_async(Order order, std::string key) {
  auto claim = co_await claim_key(key, order.order_id);
  if (claim.answer) co_return std::move(*claim.answer);
  if (auto& earlier = claim.earlier) {
    auto original = decode_order(*earlier);
    if (!original) co_return Error{ErrorKind::kInternal, original.error().message};
    if (original->status == OrderStatus::kRejected)  // refused a moment ago; its key is being released
      co_return refusal(Accepted::Kind::kOriginalRefused,
                        "the original request with this Idempotency-Key was refused; retry", std::string(kRetrySoon));
    co_return Accepted{.kind = Accepted::Kind::kReplayed, .order_id = original->order_id,
                       .status = original->status, .record = std::move(*earlier)};
  }
  if (!broker_) {
    co_await forget(order.order_id, key);
    co_return refusal(Accepted::Kind::kNotQueued, "no message broker configured", std::string(kRetrySoon));
  }
  order.status = OrderStatus::kPending;
  const std::string pending = encode_order(order);
  auto stored = co_await store_.put_durable(order_key(order.order_id), pending);  // answered 202: must survive
  if (!stored) {
    co_await forget(order.order_id, key);
    co_return stored.error();
  }
  auto confirmed = co_await mq::publish(*broker_, std::string(kExchange), order_message(order.order_id));
  if (!confirmed) {
    spdlog::warn("orders: publish of {} not confirmed: {}", order.order_id, confirmed.error().message);
    std::string id = order.order_id;
    auto taken = co_await refuse(std::move(order), pending, key);
    if (taken)  // the message did reach the queue and a worker has the order
      co_return Accepted{.kind = Accepted::Kind::kQueued, .order_id = std::move(id), .status = *taken};
    co_return refusal(Accepted::Kind::kNotQueued,
                      "the order could not be queued (not confirmed by the broker); retry", std::string(kRetrySoon));
  }
  co_return Accepted{.kind = Accepted::Kind::kQueued, .order_id = order.order_id, .status = OrderStatus::kPending};
}

// A publish without a confirm may still have reached the queue (the confirm
// was lost with the connection). Marking the order rejected, compared
// against exactly the pending record this request wrote, settles which side
// won: a worker that gets the message later finds `rejected` and acks it
// without a charge; if a worker had already moved the order on (processing,
// completed, failed), the message did arrive and the order is accepted
// after all (its status is returned). Only a refused order's idempotency key
// is released.
asio::awaitable<std::optional<OrderStatus>> Intake::refuse(Order order, std::string pending, std::string key) {
  StoredOrder written{order, std::move(pending)};
  auto marked = co_await transition(store_, written, OrderStatus::kRejected,
                                    "the broker did not confirm the publish; the client was answered 503");
  if (!marked && marked.error().kind == ErrorKind::kConflict) {
    auto now = co_await load_order(store_, order.order_id);
    if (now && *now && (*now)->order.status != OrderStatus::kPending &&
        (*now)->order.status != OrderStatus::kRejected)
      co_return (*now)->order.status;
  } else if (!marked) {
    // The store is failing too: erase what we can (a worker that then finds
    // no order requeues the message until it is dead-lettered).
    spdlog::error("orders: could not mark {} rejected: {}", order.order_id, marked.error().message);
    (void)co_await store_.erase(order_key(order.order_id));
  }
  co_await forget("", key);
  co_return std::nullopt;
}

}  // namespace scalelab::orders
