// The results of a load run: per request name and aggregate counts,
// failures by reason and latency histograms (microseconds, log-linear,
// merged across threads), a per-second time series, the generator's
// self-check. Thresholds on them: load/threshold.h.
// Thread-safety: plain values; the engine fills them on its own threads and
// hands them over when the run ends.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "load/live.h"
#include "load/scenario.h"
#include "load/threshold.h"
#include "obs/histogram.h"

namespace scalelab::load {

struct RequestStats {
  std::string name;
  std::string method;  // "GET"; empty for the aggregate
  std::uint64_t count = 0;     // completed requests, failures included
  std::uint64_t failures = 0;
  std::uint64_t bytes = 0;     // response bodies
  obs::LogLinearHistogram latency_us;
  std::map<std::string, std::uint64_t> failures_by_reason;

  void merge(const RequestStats& other);
  double quantile_ms(double q) const { return static_cast<double>(latency_us.quantile(q)) / 1000.0; }
  double mean_ms() const { return latency_us.mean() / 1000.0; }
};

// One second of the run (aggregate over every request name).
struct SecondPoint {
  double t_s = 0;       // end of the second, since the start
  double interval_s = 1;  // its length: 1, or less for the last, partial one
  unsigned users = 0;   // active users (closed) or iterations in flight (open) at the end
  double arrival_rate = 0;  // open model: the intended arrival rate at the end, iterations/s
  std::uint64_t requests = 0, failures = 0, late_starts = 0;  // in the interval
  double rps() const { return interval_s > 0 ? static_cast<double>(requests) / interval_s : 0; }
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  // Cumulative at the end of the second, for Locust's _stats_history.csv.
  std::uint64_t total_requests = 0, total_failures = 0;
  double total_p50_ms = 0, total_mean_ms = 0, total_min_ms = 0, total_max_ms = 0, total_avg_bytes = 0;
  std::vector<double> percentiles_ms;  // current second, at kLocustPercentiles
};

// Locust's reported percentiles: 50 66 75 80 90 95 98 99 99.9 99.99 100.
inline constexpr double kLocustPercentiles[] = {0.50, 0.66, 0.75, 0.80, 0.90, 0.95,
                                                0.98, 0.99, 0.999, 0.9999, 1.0};

struct SelfCheck {
  bool trustworthy = true;
  std::vector<std::string> reasons;  // why not, in plain words
  double generator_busy = 0;         // busiest generator thread's CPU / wall time (0..1)
  double generator_cpu_s = 0;        // all generator threads
};

struct Report {
  std::string scenario, host, source;
  Model model = Model::kClosed;
  ClientKind client = ClientKind::kFast;
  unsigned threads = 1;
  double elapsed_s = 0;
  std::vector<RequestStats> requests;  // one per request name, in scenario order
  RequestStats aggregate;              // name "Aggregated"
  std::vector<SecondPoint> series;
  unsigned peak_users = 0;
  std::vector<LiveEdit> edits;  // changes of the load while it ran, in order
  // Open model accounting.
  std::uint64_t arrivals = 0;        // iterations started
  std::uint64_t late_starts = 0;     // started more than 1 ms after their intended time
  std::uint64_t generator_slips = 0; // of which the generator itself woke late (> 5 ms)
  double max_start_lag_ms = 0;
  std::uint64_t unfinished = 0;      // in flight when the run ended (not counted)
  SelfCheck check;

  double rps() const { return elapsed_s > 0 ? static_cast<double>(aggregate.count) / elapsed_s : 0; }
  double error_rate() const {
    return aggregate.count ? static_cast<double>(aggregate.failures) / static_cast<double>(aggregate.count) : 0;
  }
};

}  // namespace scalelab::load
