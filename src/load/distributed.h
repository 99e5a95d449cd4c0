// Load from several generator processes (Locust's distributed mode): a run
// is split into equal shares, each share runs in its own process, and their
// results are merged exactly — counts summed, latency histograms merged
// bucket by bucket (never averaging percentiles), per-second series aligned
// by second with their percentiles from merged per-second histograms.
// A share's result travels as JSON (part_to_json / part_from_json).
// Thread-safety: SecondRecorder::record is thread-safe; the rest are pure
// functions over values.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "load/engine.h"
#include "load/scenario.h"
#include "load/stats.h"
#include "obs/histogram.h"

namespace scalelab::load {

// Share `index` (0-based) of `parts` of a scenario: users, spawn rate,
// arrival rate, in-flight bound, request cap and stage targets divided
// evenly (integer remainders go to the first shares, so the shares add up
// to the whole). REQUIRES: index < parts.
Scenario share_of(const Scenario& s, unsigned index, unsigned parts);

// Latency histograms per second of completion, filled from RunOptions::on_sample.
class SecondRecorder {
 public:
  void record(const Sample& sample);
  std::vector<obs::LogLinearHistogram> take();

 private:
  std::mutex mu_;
  std::vector<obs::LogLinearHistogram> seconds_;  // guarded by mu_
};

// One share's result: the engine's report plus its per-second histograms.
struct PartReport {
  std::string name;  // e.g. "process 2 (pid 1234)"
  Report report;
  std::vector<obs::LogLinearHistogram> second_latency_us;
};

std::string part_to_json(const PartReport& part);
Result<PartReport> part_from_json(std::string_view text);

// A share's progress as it travels to the parent or coordinator (a short
// JSON object, once a second), and the live line over all shares.
struct ShareProgress {
  double elapsed_s = 0;
  unsigned users = 0;
  std::uint64_t requests = 0, failures = 0;
  double rps = 0;  // the last second
};
ShareProgress share_progress(const Progress& p);
std::string progress_to_json(const ShareProgress& p);
std::optional<ShareProgress> progress_from_json(std::string_view text);
// "   12.0s  generators 4/4  users 50  rps 8123  requests 123456  errors 0 (0.00%)"
// from the latest progress of each share (nullopt: none yet); alive: shares
// still running.
std::string merged_progress_line(const std::vector<std::optional<ShareProgress>>& shares, std::size_t alive);

// The merged report of the shares that finished. REQUIRES: !parts.empty(),
// every part ran the same scenario.
Report merge_parts(const std::vector<PartReport>& parts);

// Now as milliseconds since the Unix epoch: the generators' shared start
// time, which every process (and host) reads off its own system clock.
std::int64_t unix_ms_now();

}  // namespace scalelab::load
