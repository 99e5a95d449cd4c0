// `scalelab lab hw3-load`: the course's Locust experiments on the albums
// service, with scalelab's own generator. The service runs as its own
// process (`serve albums`) so its CPU is measured apart from the
// generators'; every run is `scalelab load` as a child with the course's
// scenario (GET:POST 3:1, waits 100-500 ms):
//   1 user; 50 users spawned at 10/s; the same with 4 generator processes;
//   the same with the simple client instead of the fast one.
// For each: requests/s, failures, percentiles for GET and POST, the
// server's and the generators' CPU, and a reading decided from the CPU.
// Thread-safety: run_hw3_load() from one thread at a time.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"

namespace scalelab::lab {

class Live;

struct Hw3LoadOptions {
  std::filesystem::path out_dir = "reports/hw3-load";
  std::chrono::milliseconds duration{30'000};  // each run (the course's file: 30 s)
  unsigned users = 50;
  double spawn_rate = 10;
  unsigned processes = 4;                      // the "4 workers" run
  std::filesystem::path scalelab;              // the binary; empty: this one
  bool progress = true;                        // a line per run on stderr
  Live* live = nullptr;  // --web: the live view (lab/live.h); Stop skips the runs not yet started
};

struct Hw3LoadRun {
  std::string name;  // e.g. "50 users, 4 processes"
  unsigned users = 0, processes = 1;
  std::string client = "fast";
  std::uint64_t requests = 0, failures = 0;
  double rps = 0;
  double get_p50_ms = 0, get_p95_ms = 0, get_p99_ms = 0;
  double post_p50_ms = 0, post_p95_ms = 0, post_p99_ms = 0;
  double elapsed_s = 0;
  double server_cpu_pct = 0;     // of one core, over the run
  double generator_cpu_s = 0;    // all generator threads and processes
  double generator_cpu_pct = 0;  // of one core, over the run
};

struct Hw3LoadResult {
  std::vector<Hw3LoadRun> runs;
  std::vector<std::string> reading;  // the conclusions, one line each
};

struct Hw3LoadFiles {
  std::filesystem::path report, csv, json;
};

// The course's albums scenario against host (YAML, as examples/albums.yaml).
std::string albums_course_scenario(const std::string& host, std::chrono::milliseconds duration);

Result<Hw3LoadResult> run_hw3_load(const Hw3LoadOptions& options);
Result<Hw3LoadFiles> render_hw3_load(const Hw3LoadResult& result, const std::filesystem::path& out_dir);

}  // namespace scalelab::lab
