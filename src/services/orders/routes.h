// The orders service's HTTP face (hw7, docs/orders.md): POST /orders/sync,
// POST /orders/async and GET /orders/{id}, a thin mapping of requests to the
// use cases in accept.h and of their typed outcomes to responses.
// Thread-safety: thread-safe; the Store and Broker must outlive the service.
#pragma once

#include <chrono>
#include <cstddef>

#include <boost/asio/awaitable.hpp>

#include "http/router.h"
#include "mq/broker.h"
#include "services/orders/accept.h"
#include "services/orders/payments.h"
#include "store/store.h"

namespace scalelab::orders {

inline constexpr std::size_t kMaxIdempotencyKey = 200;

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
  ServiceOptions options_;
  PaymentProcessor payments_;
  Intake intake_;
};

}  // namespace scalelab::orders
