// The order worker of hw7: consumes order-processing-queue with manual acks
// and runs the processing rule (process.h) on each delivery: marks the order
// processing, charges it (idempotent), marks it completed, then acks. A
// delivery that fails is requeued; at its max_deliveries-th delivery the
// order is marked failed with the reason and the message is dead-lettered.
// Each delivery is a coroutine on the subscription's executor (`workers` in
// flight on `threads` threads), not a thread of its own.
// Thread-safety: thread-safe; the Broker and Store must outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "core/thread_annotations.h"
#include "mq/broker.h"
#include "services/orders/payments.h"
#include "services/orders/process.h"
#include "store/store.h"

namespace scalelab::orders {

struct WorkerOptions {
  int workers = 1;                    // orders in flight (handler coroutines)
  int threads = 1;                    // threads of the executor the orders' coroutines run on
  std::uint16_t prefetch = 0;         // unacked messages held; 0: = workers
  PaymentProcessor::Options payment;  // slots 0: = workers
  int max_deliveries = kDefaultMaxDeliveries;
};

struct WorkerStats {
  std::uint64_t completed = 0;   // orders this worker completed
  std::uint64_t duplicates = 0;  // deliveries of orders already completed/failed
  std::uint64_t refused = 0;     // deliveries of orders the service refused (503, status rejected): acked, not charged
  std::uint64_t charged = 0;     // charges this worker recorded
  std::uint64_t requeued = 0;    // failed attempts sent back
  std::uint64_t dead = 0;        // rejected to the DLQ (failed, reason recorded)
};

class OrderWorker {
 public:
  static Result<std::unique_ptr<OrderWorker>> start(mq::Broker& broker, store::Store& store, WorkerOptions options);
  ~OrderWorker();
  void close();    // graceful
  void abandon();  // as if the process died
  WorkerStats stats() const;

 private:
  OrderWorker(store::Store& store, WorkerOptions options);
  boost::asio::awaitable<mq::Outcome> handle(mq::Delivery delivery);
  boost::asio::awaitable<Result<Processed>> process(std::string id);
  store::Store& store_;
  WorkerOptions options_;
  PaymentProcessor payments_;
  std::unique_ptr<mq::Subscription> subscription_;
  mutable core::Mutex mu_;
  WorkerStats stats_ GUARDED_BY(mu_);
};

}  // namespace scalelab::orders
