// The hw1 experiment: one client sends sequential GET /albums for a duration
// and reports the response-time distribution (total, mean, median, p95, p99,
// max), a 50-bin histogram and a response-time-by-request scatter, as a
// self-contained HTML page, the raw samples as CSV and a JSON summary.
// The requests are sent by the load engine (src/load) as one sequential user.
// run_hw1 measures (run.cpp); render_hw1 draws a result (render.cpp).
// Thread-safety: run and render are called from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"

namespace scalelab::lab {

class Live;

struct Hw1Options {
  std::string url;  // target, e.g. http://127.0.0.1:8080/albums; empty: start albums in-process
  std::chrono::milliseconds duration{30'000};
  std::chrono::milliseconds timeout{10'000};  // per request
  std::uint64_t max_requests = 0;             // 0: no cap besides the duration
  std::filesystem::path out_dir = "reports/hw1";  // where the caller renders
  bool progress = true;  // a progress line on stderr every second
  Live* live = nullptr;  // --web: the live view (lab/live.h); Stop ends the run early
};

struct Hw1Sample {
  std::uint64_t index = 0;
  double start_s = 0;     // since the run began
  double latency_ms = 0;  // send to last byte of the response
  unsigned status = 0;    // 0 when the request failed without a response
};

struct Hw1Summary {
  std::string url;
  std::uint64_t total = 0, ok = 0, failed = 0;
  double elapsed_s = 0, throughput_rps = 0;
  double min_ms = 0, mean_ms = 0, median_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  std::string first_error;  // the first failure's message, if any
};

// Percentiles are exact (nearest rank over all samples).
Hw1Summary summarize(const std::vector<Hw1Sample>& samples, double elapsed_s);
// The same, given the samples' latencies already sorted ascending.
Hw1Summary summarize(const std::vector<Hw1Sample>& samples, const std::vector<double>& sorted_ms,
                     double elapsed_s);
// The samples' latencies in ms, sorted ascending.
std::vector<double> sorted_latencies(const std::vector<Hw1Sample>& samples);

// What one run measured, with the settings it ran under.
struct Hw1Result {
  Hw1Summary summary;
  std::vector<Hw1Sample> samples;  // in the order they were sent
  std::vector<double> sorted_ms;   // the samples' latencies, ascending
  std::chrono::milliseconds duration{0}, timeout{0};
};

// The files render_hw1 wrote.
struct Hw1Files {
  std::filesystem::path report, csv, json;
};

// Runs the experiment. Fails when the target cannot be reached at all or no
// request completed. Writes nothing.
Result<Hw1Result> run_hw1(const Hw1Options& options);

// Writes report.html, samples.csv and summary.json into out_dir.
// REQUIRES: result.samples is not empty.
Result<Hw1Files> render_hw1(const Hw1Result& result, const std::filesystem::path& out_dir);

}  // namespace scalelab::lab
