// hw6 part III: the catalog search behind HAProxy, scaled by the autoscaler
// (src/autoscale) on its instances' measured CPU, each a process under a
// quarter-core quota. Four parts, each a real run:
//  - scaling: a light load (an open-model rate a quarter of what one
//    instance serves), then the breaking load (20 closed-loop users, no wait), then
//    the light load again: instances, healthy ones, average CPU, req/s,
//    p50/p99 and failures per second, and every scale decision;
//  - instance loss: three instances under steady load, one killed with
//    kill -9 (a crash), then one stopped gracefully (drained first);
//  - variants: CPU targets 50/70/90, the HPA rule beside target tracking,
//    and a gradual ramp beside the spike;
//  - horizontal vs vertical: 1-4 quarter-core instances vs one instance at
//    a quarter, half and whole core, with the cost of a million requests at
//    Fargate's vCPU-hour price.
// The course's periods (60 s metrics, 300 s cooldowns, 30 s health checks)
// are divided by --time-scale so that the run fits in minutes.
// run_hw6_scaling measures (run.cpp, loss.cpp, sizing.cpp); render_hw6_scaling
// writes report.html, timeline.csv, decisions.csv and summary.json.
// Thread-safety: run and render are called from one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace scalelab::lab {

class Live;

enum class Hw6ScalingPolicy { kTargetTracking, kHpa };
enum class Hw6LoadShape { kSpike, kGradual };

struct Hw6ScalingOptions {
  std::filesystem::path scalelab;  // the binary that serves catalog; empty: this one
  std::filesystem::path out_dir = "reports/hw6-scaling";  // instances' and HAProxy's logs; where the caller renders
  double cpu_cores = 0.25;  // each instance's quota
  int min = 2, max = 4;
  double target_cpu = 70;
  Hw6ScalingPolicy policy = Hw6ScalingPolicy::kTargetTracking;
  double time_scale = 20;  // the course's periods and cooldowns ÷ this
  int users = 20;          // the breaking load
  std::chrono::milliseconds light{15'000}, breaking{60'000}, after{60'000};  // the scaling run's phases
  std::chrono::milliseconds loss_run{12'000};     // each instance-loss run
  std::chrono::milliseconds variant_run{30'000};  // each variant (light then breaking)
  std::chrono::milliseconds sizing_run{6'000};    // each horizontal/vertical point
  std::chrono::milliseconds calibration{4'000};   // one instance's capacity, when the sizing part is off
  bool variants = true, loss = true, sizing = true;
  std::chrono::milliseconds timeout{10'000};  // per request
  bool progress = true;
  Live* live = nullptr;  // --web: the live view (lab/live.h); Stop ends the run going on, skips the parts after it
};

// --quick: every part, shorter (≤ 3 minutes on a 2-core machine).
Hw6ScalingOptions hw6_scaling_quick(Hw6ScalingOptions o);

struct Hw6ScalingSecond {
  int second = 0;  // since the scaling run began
  std::string phase;
  double rps = 0;
  std::uint64_t failures = 0;
  double p50_ms = 0, p99_ms = 0;
  int instances = 0, ready = 0;
  std::optional<double> cpu_percent;  // average of the ready instances, % of their quota
  std::vector<std::pair<std::string, double>> instance_cpu;  // each instance's, % of its quota
};

struct Hw6ScaleEvent {
  double at_s = 0;
  int from = 0, to = 0;
  std::string reason, action;
};

struct Hw6ScalingRun {
  std::string name, policy, shape;
  std::string limit;  // how the instances' CPU was limited, or why not
  double target_cpu = 0;
  double step_at_s = 0;                        // when the breaking load began
  std::optional<double> scale_out_reaction_s;  // the step → a new instance serving
  int max_instances = 0, min_instances_seen = 0;
  double instance_seconds = 0;  // ∫ instances dt: what the run would cost
  std::uint64_t requests = 0, failures = 0;
  double p50_ms = 0, p99_ms = 0;
  std::vector<Hw6ScalingSecond> timeline;
  std::vector<Hw6ScaleEvent> events;
};

struct Hw6LossRun {
  std::string how;  // "kill -9", "graceful"
  int instances = 0;
  std::uint64_t requests = 0, failures = 0;
  double p99_ms = 0;
  double stopped_at_s = 0;
};

struct Hw6SizingPoint {
  std::string layout;  // "2 × 0.25 core", "1 × 0.5 core"
  int instances = 0;
  double cores_each = 0;
  double rps = 0, p50_ms = 0, p99_ms = 0;
  std::uint64_t failures = 0;
  double usd_per_million = 0;  // vCPU-hours for a million requests at Fargate's price
};

struct Hw6ScalingResult {
  std::string limit;  // how the instances' CPU was limited, or why not
  double time_scale = 1;
  std::chrono::milliseconds sync{0}, check_interval{0}, cooldown{0};
  double one_instance_rps = 0;  // measured first: the light load is a quarter of it
  int users = 0;                // the breaking load
  Hw6ScalingRun scaling;
  std::vector<Hw6ScalingRun> variants;
  std::vector<Hw6LossRun> loss;
  std::vector<Hw6SizingPoint> sizing;
};

struct Hw6ScalingFiles {
  std::filesystem::path report, timeline_csv, decisions_csv, json;
};

// Fails when HAProxy or the catalog cannot be started.
Result<Hw6ScalingResult> run_hw6_scaling(const Hw6ScalingOptions& options);

Result<Hw6ScalingFiles> render_hw6_scaling(const Hw6ScalingResult& result, const std::filesystem::path& out_dir);

// Fargate's Linux/x86 price per vCPU-hour (us-east-1), the course's region.
inline constexpr double kFargateUsdPerVcpuHour = 0.04048;

}  // namespace scalelab::lab
