// The hand-made results whose reports draw timelines with phases or faults:
// hw6 (both), hw7, the midterm and the rolling restart.
#include <cmath>

#include "report_samples/samples.h"

namespace scalelab::samples {

namespace {

double wobble(int i) { return std::sin(i * 1.3) * 0.5 + std::sin(i * 0.23) * 0.5; }

}  // namespace

lab::Hw6BottleneckResult hw6_bottleneck() {
  lab::Hw6BottleneckResult r;
  r.cpu_cores = 0.25;
  r.limited = true;
  r.limit = "0.25 core: cgroup v2 cpu.max";
  r.single_search_ms = 3;
  r.phase_1 = {.users = 5, .seconds = 30, .requests = 2400, .rps = 80, .p50_ms = 60, .cpu_percent = 24, .rss_mb = 12};
  r.phase_2 = {.users = 20, .seconds = 30, .requests = 2460, .rps = 82, .p50_ms = 240, .cpu_percent = 25, .rss_mb = 13};
  for (int s = 1; s <= 60; ++s) {
    const bool second_phase = s > 30;
    const double p50 = (second_phase ? 240 : 60) * (1 + 0.1 * wobble(s));
    r.timeline.push_back({.second = s, .users = second_phase ? 20 : 5,
                          .requests = static_cast<std::uint64_t>(80 + 4 * wobble(s)), .p50_ms = p50,
                          .p95_ms = p50 * 1.6, .p99_ms = p50 * 2.1, .cpu_percent = 24 + wobble(s),
                          .rss_mb = 12 + (second_phase ? 1.0 : 0.0)});
  }
  r.throttled_periods = 420;
  return r;
}

lab::Hw6ScalingResult hw6_scaling() {
  lab::Hw6ScalingResult r;
  r.limit = "0.25 core each: cgroup v2 cpu.max";
  r.time_scale = 20;
  r.sync = std::chrono::milliseconds(3'000);
  r.check_interval = std::chrono::milliseconds(1'500);
  r.cooldown = std::chrono::milliseconds(15'000);
  r.one_instance_rps = 80;
  r.users = 20;
  auto& s = r.scaling;
  s = {.name = "scaling", .policy = "target tracking", .shape = "step", .limit = r.limit, .target_cpu = 70,
       .step_at_s = 15, .scale_out_reaction_s = 9.5, .max_instances = 4, .min_instances_seen = 2,
       .instance_seconds = 260, .requests = 11000, .failures = 12, .p50_ms = 40, .p99_ms = 380};
  int instances = 2;
  for (int t = 1; t <= 90; ++t) {
    const std::string phase = t <= 15 ? "light" : t <= 60 ? "breaking" : "after";
    if (t == 24 || t == 36) ++instances;
    if (t == 80) --instances;
    const bool breaking = phase == "breaking";
    const double cpu = breaking ? std::min(98.0, 180.0 / instances + 5 * wobble(t)) : 25 + 3 * wobble(t);
    lab::Hw6ScalingSecond sec{.second = t, .phase = phase, .rps = breaking ? 75.0 * instances : 20,
                              .failures = t == 25 ? 12u : 0u, .p50_ms = breaking ? 200.0 / instances : 5,
                              .p99_ms = breaking ? 900.0 / instances : 12, .instances = instances,
                              .ready = t == 24 || t == 36 ? instances - 1 : instances, .cpu_percent = cpu};
    for (int i = 1; i <= instances; ++i) sec.instance_cpu.push_back({"i" + std::to_string(i), cpu + i});
    s.timeline.push_back(sec);
  }
  s.events = {{.at_s = 23.2, .from = 2, .to = 3, .reason = "avg CPU 96% > 70%", .action = "started i3"},
              {.at_s = 35.4, .from = 3, .to = 4, .reason = "avg CPU 88% > 70%", .action = "started i4"},
              {.at_s = 79.8, .from = 4, .to = 3, .reason = "avg CPU 20% < 63%", .action = "stopped i4"}};
  r.loss = {{.how = "kill -9", .instances = 2, .requests = 900, .failures = 7, .p99_ms = 310, .stopped_at_s = 6},
            {.how = "graceful", .instances = 2, .requests = 910, .failures = 0, .p99_ms = 120, .stopped_at_s = 6}};
  r.sizing = {{.layout = "2 x 0.25 core", .instances = 2, .cores_each = 0.25, .rps = 160, .p50_ms = 30, .p99_ms = 90,
               .usd_per_million = 0.035},
              {.layout = "1 x 0.5 core", .instances = 1, .cores_each = 0.5, .rps = 165, .p50_ms = 28, .p99_ms = 85,
               .usd_per_million = 0.034}};
  return r;
}

namespace {

lab::Hw7AsyncRun async_run(lab::Hw7RunKind kind, int workers, bool drained) {
  lab::Hw7AsyncRun a;
  a.kind = kind;
  a.workers = workers;
  a.rate = 10;
  a.duration_s = 60;
  a.attempts = a.accepted = a.server_accepted = 600;
  a.accept_pct = 100;
  a.accept_p50_ms = 1.5 + workers / 100.0;
  a.accept_p99_ms = 4.25 + workers / 50.0;
  a.peak_depth = drained ? 4 : 420;
  a.depth_at_end = drained ? 1 : 420;
  a.keep_up_bound = 3;
  a.keeps_up = drained;
  if (drained) a.drain_s = 3.5;
  a.left = drained ? 0 : 420;
  a.audit_ok = true;
  a.audit_text = "ok";
  for (int t = 0; t <= 60; t += 2) {
    const auto depth = drained ? static_cast<std::uint64_t>(2 + wobble(t)) : static_cast<std::uint64_t>(7 * t);
    a.timeline.push_back({.t_s = static_cast<double>(t), .depth = depth, .accepted = 10u * t,
                          .done = 10u * t - depth, .busy = kind == lab::Hw7RunKind::kFunctions ? 30 : 0,
                          .instances = kind == lab::Hw7RunKind::kFunctions ? std::min(30, t) : 0});
  }
  return a;
}

lab::Hw7SyncPhase sync_phase(lab::Hw7SyncLoad load, unsigned users, std::uint64_t ok, std::uint64_t rejected) {
  lab::Hw7SyncPhase p{.load = load, .users = users, .duration_s = 30, .attempts = ok + rejected, .ok = ok,
                      .rejected = rejected, .p50_s = users > 5 ? 29.0 : 3.0, .p99_s = users > 5 ? 30.0 : 6.0,
                      .completed_per_s = 0.33};
  for (int i = 0; i < 40; ++i)
    p.samples.push_back({.start_s = i * 0.75, .latency_s = users > 5 ? 3.0 + i * 0.7 : 3 + 0.5 * (i % 5),
                         .status = users > 5 && i > 12 ? 503u : 200u});
  return p;
}

}  // namespace

lab::Hw7Result hw7() {
  lab::Hw7Result r;
  r.options.rate = 10;
  r.options.time_scale = 0.5;
  r.broker = "memory";
  r.load_average = "0.80 0.70 0.60";
  r.normal = sync_phase(lab::Hw7SyncLoad::kNormal, 5, 50, 0);
  r.flash = sync_phase(lab::Hw7SyncLoad::kFlash, 20, 12, 28);
  r.async = {async_run(lab::Hw7RunKind::kWorkers, 1, false), async_run(lab::Hw7RunKind::kWorkers, 40, true)};
  r.search = lab::Hw7Search{.probes = {async_run(lab::Hw7RunKind::kProbe, 60, true),
                                       async_run(lab::Hw7RunKind::kProbe, 10, false)},
                            .minimum = 30, .arithmetic = 30, .note = "30 kept up, 29 did not"};
  r.functions = async_run(lab::Hw7RunKind::kFunctions, 200, true);
  orders::FunctionStats f;
  f.invocations = 600;
  f.cold_starts = 31;
  f.peak_concurrency = 30;
  r.functions->functions = f;
  r.cost = lab::hw7_cost(3.0, r.options);
  r.verdict = {"sync: 70% of the flash orders were refused", "counting check: ok in every async run"};
  return r;
}

namespace {

// One midterm run over its five phases of 10 s: off fails in the 503 and
// hanging phases; on absorbs them with the breaker and the fallback.
lab::MidtermRun midterm_run(lab::Resilience resilience) {
  using resilience::BreakerState;
  const bool on = resilience == lab::Resilience::kOn;
  lab::MidtermRun run;
  run.resilience = resilience;
  for (auto phase : lab::kMidtermPhases) {
    lab::MidtermPhaseStats p;
    p.phase = phase;
    p.add = 100;
    p.add_failed = !on && (phase == lab::MidtermPhase::kCatalog503 || phase == lab::MidtermPhase::kCatalogHanging)
                       ? 60 : 0;
    p.add_p50_ms = 20;
    p.add_p99_ms = on ? 120 : 2000;
    p.view = 30;
    run.phases.push_back(p);
    run.all.add += p.add;
    run.all.add_failed += p.add_failed;
  }
  run.all.add_p50_ms = 20;
  run.all.add_p99_ms = on ? 120 : 2000;
  run.all.view = 150;
  run.rps = 12.5;
  if (on) run.breaker_closed_after_s = 0.75;
  for (int s = 1; s <= 50; ++s) {
    const int phase = (s - 1) / 10;  // 0 healthy .. 4 recovered
    const bool faulty = phase == 1 || phase == 2;
    lab::MidtermSecond sec{.second = s, .requests = static_cast<std::uint64_t>(12 + 2 * wobble(s))};
    sec.failures = faulty && !on ? 6 : (faulty && s % 10 == 1 ? 1 : 0);
    sec.p50_ms = phase == 3 ? (on ? 250 : 2000) : (phase == 2 && !on ? 2000 : 20 + 3 * wobble(s));
    sec.p99_ms = sec.p50_ms * 1.8;
    const auto faulty_state = s % 10 == 5 ? BreakerState::kHalfOpen : BreakerState::kOpen;
    if (on) sec.breaker = faulty ? faulty_state : BreakerState::kClosed;
    run.timeline.push_back(sec);
  }
  return run;
}

lab::RollingVariantResult rolling_variant(const lab::RollingVariant& v, std::uint64_t failed, int downtime) {
  lab::RollingVariantResult r{.variant = v, .seconds = 40, .requests = 4000, .failed = failed, .p50_ms = 2,
                              .p99_ms = 4.5, .max_ms = 30, .downtime_s = downtime,
                              .error_seconds = failed > 0 ? 2 : 0, .min_healthy_seen = 1, .rollout_s = 24};
  int healthy = v.instances;
  for (int s = 1; s <= 40; ++s) {
    if (s == 10 || s == 22) healthy = v.instances - 1;
    if (s == 14 || s == 26) healthy = v.instances;
    const std::uint64_t fails = failed > 0 && (s == 10 || s == 22) ? failed / 2 : 0;
    r.timeline.push_back({.second = s, .requests = static_cast<std::uint64_t>(100 + 5 * wobble(s)),
                          .failures = fails, .p99_ms = 4 + wobble(s), .healthy = healthy,
                          .registered = v.instances});
  }
  r.events = {{.at_s = 9.5, .what = "i3 started"},  {.at_s = 13.5, .what = "i1 stopped"},
              {.at_s = 21.5, .what = "i4 started"}, {.at_s = 25.5, .what = "i2 stopped"}};
  return r;
}

}  // namespace

lab::MidtermResult midterm() {
  lab::MidtermResult r;
  r.off = midterm_run(lab::Resilience::kOff);
  r.on = midterm_run(lab::Resilience::kOn);
  r.acceptance = lab::judge_midterm(r.off, r.on, r.options);
  return r;
}

lab::RollingRestartResult rolling_restart() {
  lab::RollingRestartResult r{.cpu_cores = 0.25, .limit = "0.25 core each: cgroup v2 cpu.max", .rate = 100,
                              .time_scale = 100, .check_interval = std::chrono::milliseconds(300), .rise = 2,
                              .fall = 2};
  const auto variants = lab::default_rolling_variants();
  for (std::size_t i = 0; i < variants.size(); ++i)
    r.variants.push_back(rolling_variant(variants[i], i + 1 == variants.size() ? 30 : 0, 0));
  r.variants.back().down_detection_s = 0.6;
  return r;
}

// 16 s of load, the primary killed at 6 s and a replica promoted 2.3 s later:
// each stream fails for the seconds in between, then recovers.
lab::RedisFailoverResult redis_failover() {
  lab::RedisFailoverResult r{.replicas = 2, .sentinels = 3, .down_after_ms = 1000, .seconds = 16, .kill_s = 6.0,
                             .promotion_s = 8.3};
  const std::pair<const char*, std::uint64_t> streams[] = {{"orders sync", 180}, {"orders async", 200}, {"carts", 300}};
  for (const auto& [name, per_s] : streams) {
    lab::FailoverStream s{.name = name, .recovery_s = 2.4};
    for (int t = 0; t < 16; ++t) {
      const bool down = t >= 6 && t < 8;
      const std::uint64_t ok = down ? 0 : (t == 8 ? per_s / 2 : per_s);
      const std::uint64_t failed = t == 6 ? 1 : 0;
      s.timeline.push_back({t, ok, failed});
      s.ok += ok;
      s.failed += failed;
    }
    r.streams.push_back(std::move(s));
  }
  r.sync = {.accepted = 2500, .completed = 2500, .charges = 2500};
  r.async = {.accepted = 2800, .completed = 2800, .charges = 2800};
  r.carts.created = 1400;
  r.carts.paid = 1400;
  return r;
}

}  // namespace scalelab::samples
