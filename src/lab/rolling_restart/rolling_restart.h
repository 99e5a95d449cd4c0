// The midterm's rolling-restart experiment, on a real balancer: catalog
// instances (`scalelab serve catalog --threads 1`, each a child process under
// a CPU quota) behind a private HAProxy, steady GET load at a fixed arrival
// rate through it (the load engine's open model, so every failure lands in
// the second it happened), and every instance replaced one at a time. Each
// variant counts failed requests, the seconds in which no request succeeded
// (downtime) and how many instances were healthy each second:
//  - surge (minimum healthy 100%): a replacement starts and passes its
//    health checks before an old instance is drained and stopped;
//  - stop first (minimum healthy below 100%, e.g. 3 at 66%): an old instance
//    is drained and stopped, then its replacement starts;
//  - kill first: a naive rollout, not a deploy strategy: an old instance is
//    killed (kill -9) with no drain, the balancer does not retry (as an ALB
//    does not), and only its health checks take the dead one out.
// Health checks run at the course's timing (every 30 s, healthy after 2,
// unhealthy after 2) divided by time_scale.
// run_rolling_restart measures (run.cpp, rollout.cpp); render_rolling_restart
// writes report.html, timeline.csv and summary.json (render.cpp).
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

enum class RolloutStrategy {
  kSurge,      // start a replacement, wait until it is healthy, then drain and stop an old one
  kStopFirst,  // drain and stop an old one, then start its replacement and wait until it is healthy
  kKillFirst,  // kill -9 an old one (no drain), wait for the health checks to notice, then replace it
};

std::string_view to_string(RolloutStrategy s);

struct RollingVariant {
  std::string name;   // a slug: the directory of its logs, the row in summary.json
  std::string title;  // for people
  int instances = 2;
  int min_healthy_percent = 100;  // ECS's deployment setting the strategy obeys
  RolloutStrategy strategy = RolloutStrategy::kSurge;
  bool balancer_retries = true;  // HAProxy retries a failed idempotent request on another instance
};

// ECS's rounding: at least ceil(instances × percent / 100) stay healthy.
int min_healthy_instances(int instances, int percent);

// 2 at 100% (surge), 3 at 66% (stop first), and the naive kill-first with 2.
std::vector<RollingVariant> default_rolling_variants();

struct RollingRestartOptions {
  std::filesystem::path scalelab;  // the binary that serves catalog; empty: this one
  std::filesystem::path out_dir = "reports/rolling-restart";  // HAProxy's and the instances' logs
  double cpu_cores = 0.25;         // each instance's quota (the course's quarter-core tasks); 0: none
  double rate = 200;               // GET /products/search arrivals per second, steady
  // The course's health check (30 s, 2 to healthy, 2 to unhealthy) divided
  // by this: 100 gives a check every 300 ms.
  double time_scale = 100;
  std::chrono::milliseconds settle{8'000};   // steady load before the first replacement and after the last
  std::chrono::milliseconds pause{2'000};    // between two replacements
  std::chrono::milliseconds timeout{5'000};  // per request
  std::vector<RollingVariant> variants = default_rolling_variants();
  bool progress = true;  // a line on stderr every second and at every rollout step
  Live* live = nullptr;  // --web: the live view (lab/live.h); Stop ends the load going on, skips the variants after it
};

// --quick: shorter settles and pauses, a lighter rate (the three variants in
// well under a minute).
RollingRestartOptions quick_rolling_restart(RollingRestartOptions o);

struct RollingSecond {
  int second = 0;  // since the variant's load began
  std::uint64_t requests = 0, failures = 0;  // completed in this second
  double p99_ms = 0;
  int healthy = 0;     // instances taking requests at the end of the second
  int registered = 0;  // instances in the balancer's backend (healthy or not)
};

struct RollingEvent {
  double at_s = 0;  // since the variant's load began
  std::string what;  // "i4 started", "i4 healthy", "i1 drained and stopped", …
};

struct RollingVariantResult {
  RollingVariant variant;
  double seconds = 0;  // of load
  std::uint64_t requests = 0, failed = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  int downtime_s = 0;     // whole seconds in which no request succeeded
  int error_seconds = 0;  // whole seconds with at least one failed request
  int min_healthy_seen = 0;  // the fewest healthy instances at the end of a second
  double rollout_s = 0;      // the first replacement step began → the last one ended
  // Kill first: the mean time from a kill to the balancer marking the dead
  // instance down (it kept receiving requests meanwhile); 0 for the others.
  double down_detection_s = 0;
  std::vector<RollingSecond> timeline;
  std::vector<RollingEvent> events;
};

struct RollingRestartResult {
  double cpu_cores = 0;
  std::string limit;  // how the instances' CPU was limited, or why it was not
  double rate = 0;
  double time_scale = 0;
  std::chrono::milliseconds check_interval{0};
  int rise = 0, fall = 0;
  std::vector<RollingVariantResult> variants;
};

// The files render_rolling_restart wrote.
struct RollingRestartFiles {
  std::filesystem::path report, csv, json;
};

// Fails when HAProxy or an instance cannot be started, or an instance does
// not become healthy in time.
Result<RollingRestartResult> run_rolling_restart(const RollingRestartOptions& options);

// Writes report.html, timeline.csv and summary.json into out_dir.
Result<RollingRestartFiles> render_rolling_restart(const RollingRestartResult& result,
                                                   const std::filesystem::path& out_dir);

}  // namespace scalelab::lab
