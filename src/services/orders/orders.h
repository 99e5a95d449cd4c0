// orders (hw7, the flash sale): the order model and its validation, the
// payment processor (bounded slots, fixed verification time), idempotent
// charges, the HTTP service (POST /orders/sync, POST /orders/async,
// GET /orders/{id}) and the queue worker. docs/orders.md.
//
// State lives in a Store (memory:// in one process, redis:// when the service
// and the workers are separate processes):
//   order/{id}          the order JSON (status pending|processing|completed|failed)
//   order-idem/{key}    the order id an Idempotency-Key created
//   order-charge/{id}   the charge of an order, written once (put_if_absent)
// Thread-safety: PaymentProcessor, OrdersService and OrderWorker are
// thread-safe; the Store and Broker they use must outlive them.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include "core/result.h"
#include "http/router.h"
#include "mq/broker.h"
#include "store/store.h"

namespace scalelab::orders {

inline constexpr std::string_view kExchange = "order-processing-events";  // fanout
inline constexpr std::string_view kQueue = "order-processing-queue";      // durable, delivery limit
inline constexpr std::string_view kDeadExchange = "order-processing-dead";
inline constexpr std::string_view kDeadQueue = "order-processing-dlq";
inline constexpr int kDefaultMaxDeliveries = 5;

inline constexpr std::size_t kMaxItems = 100;
inline constexpr std::int64_t kMaxQuantity = 10'000;
inline constexpr double kMaxPrice = 1e9;
inline constexpr std::size_t kMaxIdempotencyKey = 200;

struct Item {
  std::int32_t product_id = 0;
  std::int32_t quantity = 0;
  double price = 0;
};

struct Order {
  std::string order_id;
  std::int32_t customer_id = 0;
  std::string status;  // pending, processing, completed, failed
  std::vector<Item> items;
  std::string created_at;  // RFC 3339 UTC
  std::string reason;      // why it failed (status failed only)
};

// Validates a POST body: customer_id an int32 >= 1; items a non-empty array
// (at most kMaxItems) of {product_id int32 >= 1, quantity int32 in
// 1..kMaxQuantity, price a finite number in [0, kMaxPrice]}. Integers must be
// JSON integers (1.0 and "1" are not). Unknown fields are ignored. The error
// (kInvalidInput) names the first offending field, e.g. "items[2].price".
Result<Order> order_from_request(const boost::json::value& body);
boost::json::value order_to_value(const Order& order);
std::string order_to_json(const Order& order);
// Parses a stored order (the same validation plus order_id and status).
Result<Order> order_from_json(std::string_view text);

std::string order_key(std::string_view id);
std::string charge_key(std::string_view id);
std::string idempotency_key(std::string_view key);

// The payment processor of hw7: `slots` verifications at once, each taking
// exactly `delay`. verify() waits for a free slot until `deadline` (first
// come, first served), then holds it for `delay`. It fails with kTimeout,
// having used no slot, when no slot freed up by the deadline.
class PaymentProcessor {
 public:
  struct Options {
    int slots = 1;                             // >= 1
    std::chrono::milliseconds delay{3'000};    // >= 0
  };
  explicit PaymentProcessor(Options options);
  ~PaymentProcessor();

  boost::asio::awaitable<Status> verify(std::chrono::steady_clock::time_point deadline);

  const Options& options() const { return options_; }
  int busy() const;     // slots in use
  int waiting() const;  // callers queued for a slot
  std::uint64_t verifications() const;  // completed verify() calls

 private:
  struct Waiter;
  void release();
  Options options_;
  mutable std::mutex mu_;
  int free_;
  std::deque<std::shared_ptr<Waiter>> waiters_;
  std::uint64_t done_ = 0;
};

// Records the charge of an order once: true when this call charged it, false
// when it had been charged before (a redelivery, a retry).
boost::asio::awaitable<Result<bool>> record_charge(store::Store& store, const Order& order);

// The processing rule of a queued order, shared by OrderWorker and
// FunctionRunner: read the order; a finished one (completed/failed) is a
// duplicate delivery; pending -> processing (compare-and-set); if no charge is
// recorded, verify the payment with `payments` and record the charge once;
// processing -> completed (compare-and-set). An error leaves the order for a
// retry (its charge, if made, is found again and not repeated).
struct Processed {
  bool duplicate = false;  // it had been finished before: nothing done
  bool charged = false;    // this call recorded the charge
};
boost::asio::awaitable<Result<Processed>> process_order(store::Store& store, PaymentProcessor& payments,
                                                        std::string id);
// Adds a processed order to a worker's or the function runner's counters.
template <typename Stats>
void count_processed(Stats& stats, const Processed& p) {
  if (p.duplicate) ++stats.duplicates;
  else ++stats.completed;
  if (p.charged) ++stats.charged;
}
// Marks an order failed with `reason`, unless it is missing or completed
// (then false, as on a store error).
boost::asio::awaitable<bool> mark_order_failed(store::Store& store, std::string id, std::string reason);
// The same from a broker handler's thread: an exception is an error, and a
// failure that cannot be recorded is logged (as `who`).
Result<Processed> process_order_blocking(store::Store& store, PaymentProcessor& payments, const std::string& id);
void mark_order_failed_blocking(store::Store& store, const std::string& id, const std::string& reason,
                                std::string_view who);
// The order id of a queued message ({"order_id": string}); nullopt, logged
// as `who` dead-lettering it, when it is not one (it is rejected at once).
std::optional<std::string> order_id_of_message(const mq::Delivery& delivery, std::string_view who);

// The fanout exchange, the durable queue bound to it (dead-lettering after
// max_deliveries deliveries) and the dead-letter queue.
mq::Topology topology(int max_deliveries = kDefaultMaxDeliveries);
Status declare_topology(mq::Broker& broker, int max_deliveries = kDefaultMaxDeliveries);

struct ServiceOptions {
  PaymentProcessor::Options payment;
  // The longest POST /orders/sync waits for a payment slot (a shorter
  // X-Deadline-Ms from the caller wins); then 503 with Retry-After.
  std::chrono::milliseconds sync_wait{10'000};
};

// The HTTP service. broker may be null: then POST /orders/async answers 503.
class OrdersService {
 public:
  OrdersService(store::Store& store, mq::Broker* broker, ServiceOptions options);
  void register_routes(http::Router& router);
  PaymentProcessor& payments() { return payments_; }

 private:
  boost::asio::awaitable<http::Response> post_sync(http::Request& req);
  boost::asio::awaitable<http::Response> post_async(http::Request& req);
  boost::asio::awaitable<http::Response> get_order(http::Request& req);
  store::Store& store_;
  mq::Broker* broker_;
  ServiceOptions options_;
  PaymentProcessor payments_;
};

struct WorkerOptions {
  int workers = 1;              // orders in flight (handler threads)
  std::uint16_t prefetch = 0;   // unacked messages held; 0: = workers
  PaymentProcessor::Options payment;  // slots 0: = workers
  int max_deliveries = kDefaultMaxDeliveries;
};

struct WorkerStats {
  std::uint64_t completed = 0;   // orders this worker completed
  std::uint64_t duplicates = 0;  // deliveries of orders already completed/failed
  std::uint64_t charged = 0;     // charges this worker recorded
  std::uint64_t requeued = 0;    // failed attempts sent back
  std::uint64_t dead = 0;        // rejected to the DLQ (failed, reason recorded)
};

// Consumes order-processing-queue with manual acks: marks the order
// processing, charges it (idempotent), marks it completed, then acks. A
// delivery that fails is requeued; at its max_deliveries-th delivery the
// order is marked failed with the reason and the message is dead-lettered.
class OrderWorker {
 public:
  static Result<std::unique_ptr<OrderWorker>> start(mq::Broker& broker, store::Store& store, WorkerOptions options);
  ~OrderWorker();
  void close();    // graceful
  void abandon();  // as if the process died
  WorkerStats stats() const;

 private:
  OrderWorker(store::Store& store, WorkerOptions options);
  mq::Outcome handle(const mq::Delivery& delivery);
  store::Store& store_;
  WorkerOptions options_;
  PaymentProcessor payments_;
  std::unique_ptr<mq::Subscription> subscription_;
  mutable std::mutex mu_;
  WorkerStats stats_;
};

// The counting check at the end of a run, over the orders a client was
// accepted (202/200) for.
struct Audit {
  std::size_t accepted = 0;
  std::size_t completed = 0;
  std::size_t failed = 0;                 // with a reason
  std::size_t failed_without_reason = 0;
  std::size_t unfinished = 0;             // pending/processing/missing
  std::size_t charges = 0;                // charge records of accepted orders
  std::size_t charged_not_completed = 0;  // a charge on an order that is not completed
  std::size_t duplicates = 0;             // an order id accepted more than once
  // accepted = completed + failed (with reason), charges = completed, no duplicates.
  bool ok() const;
  std::string describe() const;
};
boost::asio::awaitable<Result<Audit>> audit(store::Store& store, std::vector<std::string> accepted_ids);

}  // namespace scalelab::orders
