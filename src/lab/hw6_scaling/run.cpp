#include <cstdio>

#include <fmt/format.h>

#include "lab/hw6_scaling/cluster.h"
#include "lab/hw6_scaling/hw6_scaling.h"
#include "lab/hw6_scaling/internal.h"
#include "lab/live.h"

namespace scalelab::lab {

namespace {

// The course's cooldowns, for the report's scaled figure.
constexpr std::chrono::milliseconds kCourseCooldown{300'000};
// The vertical points beside the quarter core.
constexpr double kVerticalCores[] = {0.5, 1.0};

Status run_sizing_part(const Hw6ScalingOptions& o, Hw6ScalingResult& r) {
  for (int n = 1; n <= 4; ++n) {
    if (live_stopped(o.live) && !r.sizing.empty()) return {};
    auto p = hw6::run_sizing(o, n, o.cpu_cores);
    if (!p) return p.error();
    r.sizing.push_back(*p);
  }
  for (double cores : kVerticalCores) {
    if (live_stopped(o.live)) return {};
    auto p = hw6::run_sizing(o, 1, cores);
    if (!p) return p.error();
    r.sizing.push_back(*p);
  }
  return {};
}

}  // namespace

Hw6ScalingOptions hw6_scaling_quick(Hw6ScalingOptions o) {
  o.time_scale = 60;
  o.light = std::chrono::seconds(6);
  o.breaking = std::chrono::seconds(24);
  o.after = std::chrono::seconds(20);
  o.loss_run = std::chrono::seconds(6);
  o.variant_run = std::chrono::seconds(10);
  o.sizing_run = std::chrono::seconds(3);
  return o;
}

Result<Hw6ScalingResult> run_hw6_scaling(const Hw6ScalingOptions& o) {
  Hw6ScalingResult r;
  r.time_scale = o.time_scale;
  r.users = o.users;
  r.sync = hw6::sync_period(o);
  r.check_interval = hw6::check_interval(o);
  r.cooldown = std::chrono::milliseconds(static_cast<long long>(kCourseCooldown.count() / std::max(1.0, o.time_scale)));
  if (o.progress) std::fprintf(stderr, "hw6-scaling: one instance's capacity, then every part\n");
  if (o.sizing) {
    if (auto st = run_sizing_part(o, r); !st) return st.error();
    r.one_instance_rps = r.sizing.front().rps;
  } else {
    auto calibration = o;
    calibration.sizing_run = o.calibration;
    auto one = hw6::run_sizing(calibration, 1, o.cpu_cores);
    if (!one) return one.error();
    r.one_instance_rps = one->rps;
  }
  hw6::VariantSpec main{.name = "scaling", .policy = o.policy, .target_cpu = o.target_cpu,
                        .shape = Hw6LoadShape::kSpike, .breaking = o.breaking, .after = o.after};
  auto scaling = hw6::run_variant(o, main, r.one_instance_rps);
  if (!scaling) return scaling.error();
  r.scaling = std::move(*scaling);
  r.limit = r.scaling.limit;
  if (o.loss)
    for (bool kill : {true, false}) {
      if (live_stopped(o.live)) break;
      auto loss = hw6::run_loss(o, kill, r.one_instance_rps);
      if (!loss) return loss.error();
      r.loss.push_back(*loss);
    }
  if (o.variants)
    for (const auto& v : hw6::variant_specs(o)) {
      if (live_stopped(o.live)) break;
      auto run = hw6::run_variant(o, v, r.one_instance_rps);
      if (!run) return run.error();
      r.variants.push_back(std::move(*run));
    }
  return r;
}

}  // namespace scalelab::lab
