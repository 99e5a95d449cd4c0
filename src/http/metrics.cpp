#include "http/metrics.h"

#include <string>

namespace scalelab::http {

HttpMetrics::HttpMetrics(obs::Registry& registry, const Router& router)
    : in_flight(registry.gauge("http_requests_in_flight", "Requests being handled now.")),
      connections_active(registry.gauge("http_connections_active", "Open client connections.")),
      connections_accepted(
          registry.counter("http_connections_accepted_total", "Client connections accepted.")),
      connections_rejected(registry.counter(
          "http_connections_rejected_total", "Connections refused with 503 at the connection limit.")),
      read_timeouts(registry.counter("http_read_timeouts_total",
                                     "Requests cut off because they arrived too slowly.")),
      registry_(registry),
      router_(router) {
  for (std::size_t i = 0; i <= router.routes().size(); ++i)
    routes_.push_back(std::make_unique<RouteStats>());
  collector_id_ = registry.add_collector([this](std::string& out) { render(out); });
}

HttpMetrics::~HttpMetrics() { registry_.remove_collector(collector_id_); }

void HttpMetrics::record(std::size_t route_index, unsigned status,
                         std::chrono::nanoseconds latency) {
  RouteStats& stats = route_index == kUnmatched ? *routes_.back() : *routes_[route_index];
  if (status < stats.by_status.size())
    stats.by_status[status].fetch_add(1, std::memory_order_relaxed);
  stats.latency.observe(latency);
}

void HttpMetrics::render(std::string& out) const {
  auto labels_of = [&](std::size_t i) -> obs::Labels {
    if (i < router_.routes().size()) {
      const Route& r = router_.routes()[i];
      return {{"method", std::string(to_string(r.method))}, {"route", r.pattern}};
    }
    return {{"method", "ANY"}, {"route", "(unmatched)"}};
  };
  obs::append_family_header(out, "http_requests_total", "Requests answered, by route and status.",
                            "counter");
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    for (std::size_t s = 0; s < routes_[i]->by_status.size(); ++s) {
      const auto n = routes_[i]->by_status[s].load(std::memory_order_relaxed);
      if (!n) continue;
      auto labels = labels_of(i);
      labels.emplace_back("status", std::to_string(s));
      obs::append_sample(out, "http_requests_total", labels, static_cast<double>(n));
    }
  }
  obs::append_family_header(out, "http_request_duration_seconds",
                            "Time from a request's last byte read to its response, by route.",
                            "histogram");
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (routes_[i]->latency.count() == 0) continue;
    obs::append_histogram(out, "http_request_duration_seconds", labels_of(i), routes_[i]->latency);
  }
}

}  // namespace scalelab::http
