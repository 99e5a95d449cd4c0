// Internal to lab/hw7: the orders service on a private loopback port, and the
// load task that posts orders to it.
// Thread-safety: OrdersHost's counters may be read from any thread while the
// server runs; construct and stop it from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/thread_annotations.h"
#include "http/server.h"
#include "load/engine.h"
#include "obs/metrics.h"
#include "services/orders/orders.h"
#include "store/store.h"

namespace scalelab::lab::hw7_detail {

// POST /orders/async is wrapped so the ids of every 202 it sends are kept:
// the counting check runs over them.
class OrdersHost {
 public:
  // Starts serving at once. `broker` may be null (the sync parts).
  OrdersHost(store::Store& store, mq::Broker* broker, orders::ServiceOptions options);
  ~OrdersHost() { stop(); }
  OrdersHost(const OrdersHost&) = delete;
  OrdersHost& operator=(const OrdersHost&) = delete;

  void stop();
  std::string url() const;
  std::uint64_t accepted() const { return accepted_.load(); }
  std::vector<std::string> ids() const;

 private:
  void record(const std::string& body);

  orders::OrdersService service_;
  http::Router router_;
  obs::Registry registry_;
  std::optional<http::Server> server_;
  mutable core::Mutex mu_;
  std::vector<std::string> ids_ GUARDED_BY(mu_);
  std::atomic<std::uint64_t> accepted_{0};
};

// One order a request: POST `path` with a random customer and item, expecting `expect`.
load::TaskSpec order_task(const std::string& path, unsigned expect);

// The accepting load's limits: accepting never waits on payment, so orders
// in flight stay few unless the service stalls, and then this bounds the
// client's memory.
inline constexpr std::size_t kMaxInFlight = 2'000;
inline constexpr std::chrono::microseconds kAcceptTimeout = std::chrono::seconds(10);

}  // namespace scalelab::lab::hw7_detail
