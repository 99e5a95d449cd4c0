// Metrics in the Prometheus text exposition format (version 0.0.4).
// Counters, gauges and fixed-bucket histograms are lock-free to update; the
// registry locks only to create a series and to render.
// Thread-safety: every method is safe to call from any thread. Series
// references returned by the registry stay valid for the registry's lifetime.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/thread_annotations.h"

namespace scalelab::obs {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

// A gauge is either set() to a value or moved by add(); add() is a plain
// integer fetch_add so that counting things in flight stays cheap.
class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t d) { delta_.fetch_add(d, std::memory_order_relaxed); }
  double value() const {
    return v_.load(std::memory_order_relaxed) +
           static_cast<double>(delta_.load(std::memory_order_relaxed));
  }

 private:
  std::atomic<double> v_{0};
  std::atomic<std::int64_t> delta_{0};
};

// Latency histogram with fixed upper bounds in seconds (Prometheus `le`).
class LatencyHistogram {
 public:
  static constexpr std::array<double, 16> kBoundsSeconds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};

  void observe(std::chrono::nanoseconds d);
  std::uint64_t count() const;
  // Cumulative counts per bound, then +Inf; sum in seconds.
  void snapshot(std::array<std::uint64_t, kBoundsSeconds.size() + 1>& cumulative,
                double& sum_seconds, std::uint64_t& count) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsSeconds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

// Appends Prometheus text for one family's HELP and TYPE lines.
void append_family_header(std::string& out, const std::string& name, const std::string& help,
                          const char* type);
// Appends `name{labels} value\n`; extra_label is appended when non-empty (for `le`).
void append_sample(std::string& out, const std::string& name, const Labels& labels,
                   double value, const std::pair<std::string, std::string>* extra_label = nullptr);

// Appends the _bucket/_sum/_count samples of one histogram series.
void append_histogram(std::string& out, const std::string& name, const Labels& labels,
                      const LatencyHistogram& histogram);

class Registry {
 public:
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  LatencyHistogram& histogram(const std::string& name, const std::string& help,
                              const Labels& labels = {});

  // A collector appends complete families (HELP/TYPE/samples) at render time;
  // for values read on demand (process stats) or kept elsewhere. Returns an
  // id for remove_collector, which an owner calls before it goes away.
  std::size_t add_collector(std::function<void(std::string&)> collector);
  void remove_collector(std::size_t id);

  std::string render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type;
    std::string help;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<LatencyHistogram>> histograms;
  };
  Family& family(const std::string& name, const std::string& help, Type type) REQUIRES(mu_);

  mutable core::Mutex mu_;
  std::map<std::string, Family> families_ GUARDED_BY(mu_);
  std::map<std::size_t, std::function<void(std::string&)>> collectors_ GUARDED_BY(mu_);
  std::size_t next_collector_id_ GUARDED_BY(mu_) = 0;
};

// CPU time (user + system) and resident memory of a process, read from
// /proc/PID/stat and /proc/PID/statm; pid 0 is this process. Zeros when the
// process is gone or /proc is unreadable.
struct ProcessStats {
  double cpu_seconds = 0;
  double resident_bytes = 0;
};
ProcessStats read_process_stats(int pid = 0);

// Appends process_cpu_seconds_total, process_resident_memory_bytes,
// process_open_fds and process_start_time_seconds read from /proc.
void append_process_metrics(std::string& out);

}  // namespace scalelab::obs
