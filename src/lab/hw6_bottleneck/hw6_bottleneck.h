// The hw6 part II experiment: one catalog instance (a separate process)
// limited by the kernel to a fraction of a core (a quarter by default, via
// cgroups: infra/cpu_limit.h), then 5 and 20 closed-loop users searching with no
// wait. Samples, every second, the service's CPU (of one core, from
// /proc/PID/stat), its resident memory, the requests/s and the latency
// percentiles. The load is the load engine's closed model (src/load).
// run_hw6_bottleneck measures (run.cpp); render_hw6_bottleneck writes
// report.html, timeline.csv and summary.json (render.cpp).
// Thread-safety: run and render are called from one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"

namespace scalelab::lab {

class Live;

struct Hw6BottleneckOptions {
  std::filesystem::path scalelab;  // the binary that serves catalog; empty: this one
  std::filesystem::path out_dir = "reports/hw6-bottleneck";  // the catalog's log; where the caller renders
  double cpu_cores = 0.25;         // the kernel limit; 0: no limit
  int users_1 = 5, users_2 = 20;   // the course's two loads
  std::chrono::milliseconds duration_1{20'000}, duration_2{20'000};  // the course: 2 min, then 3 min
  std::chrono::milliseconds timeout{10'000};  // per request
  bool require_limit = false;      // fail, rather than run unthrottled, when no cgroup can be used
  bool progress = true;            // a line on stderr every second
  Live* live = nullptr;            // --web: the live view (lab/live.h); Stop ends the phase going on
};

struct Hw6Second {
  int second = 0;  // since phase 1 began
  int users = 0;
  std::uint64_t requests = 0, errors = 0;  // completed in this second
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
  double cpu_percent = 0;  // of one core, the service process
  double rss_mb = 0;
};

struct Hw6PhaseSummary {
  int users = 0;
  double seconds = 0;
  std::uint64_t requests = 0, errors = 0;
  double rps = 0, mean_ms = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
  double cpu_percent = 0;  // mean over the phase's whole seconds
  double rss_mb = 0;       // at the phase's end
};

struct Hw6BottleneckResult {
  double cpu_cores = 0;       // the limit asked for (0: none)
  std::string limit;          // how the CPU was limited, or why it was not
  bool limited = false;
  double single_search_ms = 0;  // median of sequential searches by one user before the load
  Hw6PhaseSummary phase_1, phase_2;
  std::vector<Hw6Second> timeline;
  long long throttled_periods = -1;
};

// The files render_hw6_bottleneck wrote.
struct Hw6BottleneckFiles {
  std::filesystem::path report, csv, json;
};

// Fails when the catalog cannot be started or answers no search, or (with
// require_limit) when no CPU limit can be applied.
Result<Hw6BottleneckResult> run_hw6_bottleneck(const Hw6BottleneckOptions& options);

// Writes report.html, timeline.csv and summary.json into out_dir.
Result<Hw6BottleneckFiles> render_hw6_bottleneck(const Hw6BottleneckResult& result,
                                                 const std::filesystem::path& out_dir);

}  // namespace scalelab::lab
