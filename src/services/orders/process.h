// The queue side of the orders service: the topology the service publishes
// to and the consumers read from, the message that names an order, and the
// processing rule of a queued order shared by OrderWorker and
// FunctionRunner.
// Thread-safety: pure functions and coroutines over a thread-safe Store and
// PaymentProcessor.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "mq/broker.h"
#include "services/orders/payments.h"
#include "store/store.h"

namespace scalelab::orders {

inline constexpr std::string_view kExchange = "order-processing-events";  // fanout
inline constexpr std::string_view kQueue = "order-processing-queue";      // durable, delivery limit
inline constexpr std::string_view kDeadExchange = "order-processing-dead";
inline constexpr std::string_view kDeadQueue = "order-processing-dlq";
inline constexpr int kDefaultMaxDeliveries = 5;

// The fanout exchange, the durable queue bound to it (dead-lettering after
// max_deliveries deliveries) and the dead-letter queue.
mq::Topology topology(int max_deliveries = kDefaultMaxDeliveries);
Status declare_topology(mq::Broker& broker, int max_deliveries = kDefaultMaxDeliveries);

// The message queued for an order: {"order_id": id}, persistent.
mq::Message order_message(const std::string& order_id);
// The order id of a queued message; nullopt, logged as `who` dead-lettering
// it, when it is not one (it is rejected at once).
std::optional<std::string> order_id_of_message(const mq::Delivery& delivery, std::string_view who);

// The processing rule of a queued order: read the order; a finished one
// (completed/failed) is a duplicate delivery; a rejected one (its client got
// 503) is refused, never charged; pending -> processing (compare-and-set);
// if no charge is recorded, verify the payment with `payments` and record
// the charge once; processing -> completed (compare-and-set). An error
// leaves the order for a retry (its charge, if made, is found again and not
// repeated).
struct Processed {
  bool duplicate = false;  // it had been finished before: nothing done
  bool refused = false;    // the service refused it (503, status rejected): nothing done, never charged
  bool charged = false;    // this call recorded the charge
};
boost::asio::awaitable<Result<Processed>> process_order(store::Store& store, PaymentProcessor& payments,
                                                        std::string id);
// Adds a processed order to a worker's or the function runner's counters.
template <typename Stats>
void count_processed(Stats& stats, const Processed& p) {
  if (p.duplicate) ++stats.duplicates;
  else if (p.refused) ++stats.refused;
  else ++stats.completed;
  if (p.charged) ++stats.charged;
}

// Marks an order failed with `reason` (pending or processing -> failed; a
// record that does not decode, in place); false, logged as `who`, when it
// is missing, finished, rejected, changed meanwhile or the store fails.
boost::asio::awaitable<bool> mark_order_failed(store::Store& store, std::string id, std::string reason,
                                               std::string who);

}  // namespace scalelab::orders
