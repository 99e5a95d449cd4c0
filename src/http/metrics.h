// Per-route HTTP metrics: requests by method, route and status, a latency
// histogram by route, requests in flight, connection counts. Updates are
// lock-free atomics; rendering happens through the registry's collector.
// Thread-safety: all methods are safe from any thread once constructed.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "http/router.h"
#include "obs/metrics.h"

namespace scalelab::http {

class HttpMetrics {
 public:
  static constexpr std::size_t kUnmatched = SIZE_MAX;

  // REQUIRES: the router has all its routes and outlives this object.
  HttpMetrics(obs::Registry& registry, const Router& router);
  ~HttpMetrics();
  HttpMetrics(const HttpMetrics&) = delete;
  HttpMetrics& operator=(const HttpMetrics&) = delete;

  void record(std::size_t route_index, unsigned status, std::chrono::nanoseconds latency);

  obs::Gauge& in_flight;
  obs::Gauge& connections_active;
  obs::Counter& connections_accepted;
  obs::Counter& connections_rejected;
  obs::Counter& read_timeouts;

 private:
  struct RouteStats {
    std::array<std::atomic<std::uint64_t>, 600> by_status{};
    obs::LatencyHistogram latency;
  };
  void render(std::string& out) const;

  obs::Registry& registry_;
  const Router& router_;
  std::size_t collector_id_;
  std::vector<std::unique_ptr<RouteStats>> routes_;  // one per route, then unmatched
};

}  // namespace scalelab::http
