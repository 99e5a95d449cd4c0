// The scaling run and its variants: a light load, the breaking load, and
// (for the main run) the light load again, with the autoscaler running.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "autoscale/controller.h"
#include "lab/catalog_search.h"
#include "lab/hw6_scaling/cluster.h"
#include "lab/hw6_scaling/internal.h"
#include "lab/live.h"
#include "load/engine.h"

namespace scalelab::lab::hw6 {

namespace {

// The light load: this share of what one instance serves (open model), so
// that the minimum fleet idles well below any target (about 15-35% of each
// instance's quota here, the balancer's and the generator's share of the
// machine included).
constexpr double kLightShareOfOne = 0.25;

std::unique_ptr<autoscale::Policy> make_policy(const Hw6ScalingOptions& o, Hw6ScalingPolicy kind, double target) {
  const autoscale::Bounds bounds{o.min, o.max};
  if (kind == Hw6ScalingPolicy::kHpa)
    return autoscale::make_hpa(autoscale::scaled(autoscale::HpaOptions{.target_cpu = target, .bounds = bounds},
                                                 o.time_scale));
  return autoscale::make_target_tracking(
      autoscale::scaled(autoscale::TargetTrackingOptions{.target_cpu = target, .bounds = bounds}, o.time_scale));
}

struct Phase {
  std::string name;
  load::Scenario scenario;
};

std::vector<Phase> phases(const Hw6ScalingOptions& o, const VariantSpec& v, const std::string& url,
                          double one_instance_rps) {
  auto light = [&](std::chrono::milliseconds d) {
    auto s = catalog_search_load("light", url, 1, d, o.timeout);
    s.model = load::Model::kOpen;
    s.rate = std::max(1.0, kLightShareOfOne * one_instance_rps);
    return s;
  };
  auto breaking = catalog_search_load("breaking", url, static_cast<unsigned>(o.users), v.breaking, o.timeout);
  if (v.shape == Hw6LoadShape::kGradual)  // from one user to all of them over the phase
    breaking.stages = {{.duration = std::chrono::duration_cast<load::Micros>(v.breaking),
                        .target = static_cast<double>(o.users)}};
  std::vector<Phase> out{{"light", light(o.light)}, {"breaking", breaking}};
  if (v.after.count() > 0) out.push_back({"light again", light(v.after)});
  return out;
}

// Each second of a phase: the load's figures, the balancer's view, the
// controller's latest CPU reading.
class Recorder {
 public:
  Recorder(const autoscale::Controller& controller, const infra::HaproxyAdmin& admin, Hw6ScalingRun& run,
           bool progress, Live* live)
      : controller_(controller), admin_(admin), run_(run), progress_(progress), live_(live) {}

  void phase(std::string name) {
    phase_ = std::move(name);
    live_phase(live_, run_.name + ": " + phase_);
  }

  void operator()(const load::Progress& p) {
    if (!p.last || p.last->interval_s < 0.999) return;
    const auto b = balancer_state(admin_);
    Hw6ScalingSecond s{.second = static_cast<int>(run_.timeline.size()) + 1, .phase = phase_, .rps = p.last->rps(),
                       .failures = p.last->failures, .p50_ms = p.last->p50_ms, .p99_ms = p.last->p99_ms,
                       .instances = b.registered, .ready = b.ready};
    const auto records = controller_.records();
    if (!records.empty()) {
      s.cpu_percent = records.back().cpu_percent;
      for (const auto& i : records.back().instances) s.instance_cpu.emplace_back(i.name, i.percent);
    }
    run_.timeline.push_back(s);
    live_series(live_, "instances", "registered", s.instances);
    live_series(live_, "instances", "ready", s.ready);
    if (!records.empty()) live_series(live_, "instances", "desired (controller)", records.back().desired);
    if (s.cpu_percent) live_series(live_, "CPU (% of each instance's quota)", "average (controller)", *s.cpu_percent);
    if (progress_)
      std::fprintf(stderr, "  [%s] t=%3ds %-11s %7.0f req/s  p99 %7.2f ms  fail %4llu | instances %d ready %d cpu %s\n",
                   run_.name.c_str(), s.second, phase_.c_str(), s.rps, s.p99_ms,
                   static_cast<unsigned long long>(s.failures), s.instances, s.ready,
                   s.cpu_percent ? fmt::format("{:.0f}%", *s.cpu_percent).c_str() : "n/a");
  }

 private:
  const autoscale::Controller& controller_;
  const infra::HaproxyAdmin& admin_;
  Hw6ScalingRun& run_;
  bool progress_;
  Live* live_;
  std::string phase_;
};

void summarize(Hw6ScalingRun& run, const std::vector<autoscale::DecisionRecord>& records, int min,
               const load::RequestStats& breaking) {
  run.min_instances_seen = min;
  run.max_instances = min;
  int ready_at_step = 0;
  for (const auto& s : run.timeline) {
    run.max_instances = std::max(run.max_instances, s.instances);
    run.min_instances_seen = std::min(run.min_instances_seen, s.instances);
    run.instance_seconds += s.instances;
    if (s.second <= run.step_at_s) ready_at_step = s.ready;
    else if (!run.scale_out_reaction_s && s.ready > ready_at_step) run.scale_out_reaction_s = s.second - run.step_at_s;
  }
  for (const auto& r : records)
    if (r.desired != r.current)
      run.events.push_back({.at_s = r.at.count() / 1000.0, .from = r.current, .to = r.desired, .reason = r.reason,
                            .action = r.action});
  run.p50_ms = breaking.quantile_ms(0.5);
  run.p99_ms = breaking.quantile_ms(0.99);
}

}  // namespace

Result<Hw6ScalingRun> run_variant(const Hw6ScalingOptions& o, const VariantSpec& v, double one_instance_rps) {
  auto cluster = start_cluster(o, v.name, o.cpu_cores, o.min);
  if (!cluster) return cluster.error();
  Hw6ScalingRun run{.name = v.name,
                    .policy = v.policy == Hw6ScalingPolicy::kHpa ? "hpa" : "target-tracking",
                    .shape = v.shape == Hw6LoadShape::kGradual ? "gradual" : "spike",
                    .limit = cluster->pool->limit_description(),
                    .target_cpu = v.target_cpu};
  autoscale::Controller controller(*cluster->pool, make_policy(o, v.policy, v.target_cpu), {.sync = sync_period(o)});
  std::atomic<bool> stop{false};
  std::thread loop([&] { controller.run(stop); });
  Recorder recorder(controller, cluster->pool->balancer(), run, o.progress, o.live);
  load::RequestStats breaking;
  Status failed;
  for (auto& phase : phases(o, v, cluster->url(), one_instance_rps)) {
    if (phase.name == "breaking") run.step_at_s = static_cast<double>(run.timeline.size());
    if (live_stopped(o.live) && !run.timeline.empty()) break;
    recorder.phase(phase.name);
    load::RunOptions ro{.on_progress = std::ref(recorder)};
    watch(o.live, ro);
    auto report = load::run(phase.scenario, ro);
    if (!report) {
      failed = report.error();
      break;
    }
    run.requests += report->aggregate.count;
    run.failures += report->aggregate.failures;
    if (phase.name == "breaking") breaking = report->aggregate;
  }
  stop = true;
  loop.join();
  if (!failed) return failed.error();
  summarize(run, controller.records(), o.min, breaking);
  return run;
}

std::vector<VariantSpec> variant_specs(const Hw6ScalingOptions& o) {
  std::vector<VariantSpec> out;
  const auto tt = Hw6ScalingPolicy::kTargetTracking;
  for (double target : {50.0, 90.0})
    out.push_back({fmt::format("target {:.0f}%", target), tt, target, Hw6LoadShape::kSpike, o.variant_run, {}});
  out.push_back({fmt::format("hpa {:.0f}%", o.target_cpu), Hw6ScalingPolicy::kHpa, o.target_cpu, Hw6LoadShape::kSpike,
                 o.variant_run, {}});
  out.push_back({fmt::format("gradual {:.0f}%", o.target_cpu), tt, o.target_cpu, Hw6LoadShape::kGradual,
                 o.variant_run, {}});
  return out;
}

}  // namespace scalelab::lab::hw6
