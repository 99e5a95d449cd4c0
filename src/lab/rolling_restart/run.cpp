#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "autoscale/instances.h"
#include "infra/haproxy.h"
#include "infra/process.h"
#include "infra/servers.h"
#include "lab/live.h"
#include "lab/rolling_restart/rolling_restart.h"
#include "lab/rolling_restart/rollout.h"
#include "load/engine.h"

namespace scalelab::lab {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// The course's ALB health check: every 30 s, healthy after 2 passes; ALB's
// default unhealthy threshold is 2 failures as well.
constexpr milliseconds kCourseCheckInterval{30'000};
constexpr int kCourseRise = 2;
constexpr int kCourseFall = 2;
// Below this HAProxy's checks would compete with the load for the quarter core.
constexpr milliseconds kMinCheckInterval{50};
// What a failed request may cost in the variants that retry: another instance.
constexpr int kBalancerRetries = 3;
constexpr const char* kBackend = "catalog";
// The load ends when the rollout does; this only bounds a run that went wrong.
constexpr auto kLoadBound = std::chrono::hours(1);
constexpr std::chrono::seconds kBalancerStartTimeout{30};
// Beyond the checks themselves (rise or fall intervals): an instance's start
// on a busy 2-core machine.
constexpr milliseconds kHealthSlack{15'000};
// A progress interval shorter than this is the run's tail, not a whole second.
constexpr double kWholeSecond = 0.999;
constexpr const char* kSearchTemplate =
    "/products/search?q={{choice alpha electronics books omega product%201 garden sigma toys}}";

milliseconds scaled_interval(double time_scale) {
  const double k = std::max(time_scale, 1.0);
  return std::max(kMinCheckInterval, milliseconds(std::llround(static_cast<double>(kCourseCheckInterval.count()) / k)));
}

infra::HaproxyOptions balancer_options(const RollingRestartOptions& o, const RollingVariant& v) {
  infra::HaproxyOptions h;
  h.backend = kBackend;
  h.check_interval = scaled_interval(o.time_scale);
  h.rise = kCourseRise;
  h.fall = kCourseFall;
  h.retries = v.balancer_retries ? kBalancerRetries : 0;
  return h;
}

autoscale::InstanceSpec instance_spec(const RollingRestartOptions& o, const std::filesystem::path& dir) {
  const auto exe = o.scalelab.empty() ? infra::self_executable() : o.scalelab;
  // One worker thread: the quota is on the process, as in hw6.
  return {.argv = {exe.string(), "serve", "catalog", "--threads", "1", "--log-level", "warn"},
          .cpu_cores = o.cpu_cores,
          .log_dir = dir / "instances"};
}

// Open model: arrivals keep their schedule whatever the balancer does, so a
// second without a healthy instance shows as failures, not as fewer requests.
load::Scenario steady_load(const std::string& url, const RollingRestartOptions& o) {
  load::Scenario s;
  s.name = "rolling restart";
  s.host = url;
  s.tasks = {{.name = "search",
              .requests = {{.name = "GET /products/search",
                            .path = load::Template::compile(kSearchTemplate).value(),
                            .expect = {200}}}}};
  s.model = load::Model::kOpen;
  s.rate = o.rate;
  s.duration = std::chrono::duration_cast<load::Micros>(kLoadBound);
  s.timeout = std::chrono::duration_cast<load::Micros>(o.timeout);
  return s;
}

// Each whole second of load, with the balancer's count of healthy instances.
class Sampler {
 public:
  Sampler(infra::HaproxyAdmin admin, std::string label, bool progress, std::vector<RollingSecond>& timeline)
      : admin_(std::move(admin)), label_(std::move(label)), progress_(progress), timeline_(timeline) {}

  void operator()(const load::Progress& p) {
    if (!p.last || p.last->interval_s < kWholeSecond) return;
    RollingSecond x{.second = static_cast<int>(timeline_.size()) + 1, .requests = p.last->requests,
                    .failures = p.last->failures, .p99_ms = p.last->p99_ms};
    if (auto servers = admin_.servers()) {
      x.registered = static_cast<int>(servers->size());
      x.healthy = static_cast<int>(std::count_if(servers->begin(), servers->end(), [](const auto& s) { return s.up; }));
    }
    timeline_.push_back(x);
    if (progress_)
      std::fprintf(stderr, "  [%s] t=%3ds %6.0f req/s  failed %4llu  healthy %d/%d  p99 %7.2f ms\n", label_.c_str(),
                   x.second, p.last->rps(), static_cast<unsigned long long>(x.failures), x.healthy, x.registered,
                   x.p99_ms);
  }

 private:
  infra::HaproxyAdmin admin_;
  std::string label_;
  bool progress_;
  std::vector<RollingSecond>& timeline_;
};

void summarize(const load::Report& report, RollingVariantResult& r) {
  const auto& all = report.aggregate;
  r.seconds = report.elapsed_s;
  r.requests = all.count;
  r.failed = all.failures;
  r.p50_ms = all.quantile_ms(0.5);
  r.p99_ms = all.quantile_ms(0.99);
  r.max_ms = all.quantile_ms(1.0);
  r.min_healthy_seen = r.variant.instances;
  for (const auto& s : r.timeline) {
    if (s.requests == s.failures) ++r.downtime_s;  // nothing succeeded in that second
    if (s.failures > 0) ++r.error_seconds;
    r.min_healthy_seen = std::min(r.min_healthy_seen, s.healthy);
  }
}

milliseconds health_timeout(milliseconds interval) {
  return interval * (kCourseRise + kCourseFall) + kHealthSlack;
}

// Steady load from start to end; the rollout runs on this thread meanwhile.
Result<RollingVariantResult> load_and_roll(const RollingRestartOptions& o, const RollingVariant& v,
                                           const infra::Server& balancer, autoscale::InstancePool& pool) {
  RollingVariantResult r{.variant = v};
  std::atomic<bool> stop{false};
  std::optional<Result<load::Report>> report;
  const auto t0 = Clock::now();
  std::thread load_thread([&] {
    load::RunOptions ro;
    ro.on_progress = [sample = Sampler(pool.balancer(), v.name, o.progress, r.timeline), &r, &stop,
                      live = o.live](const load::Progress& p) mutable {
      const auto seconds = r.timeline.size();
      sample(p);
      if (r.timeline.size() > seconds) live_series(live, "healthy instances", r.variant.name, r.timeline.back().healthy);
      if (live_stopped(live)) stop = true;  // the page's Stop ends this load too
    };
    ro.stop = &stop;
    live_phase(o.live, v.name + ": " + v.title);
    watch(o.live, ro);
    report = load::run(steady_load(balancer.url(), o), ro);
  });
  Rollout rollout(pool, {.t0 = t0,
                         .health_timeout = health_timeout(scaled_interval(o.time_scale)),
                         .pause = o.pause,
                         .label = v.name,
                         .progress = o.progress});
  std::this_thread::sleep_for(o.settle);
  const Status rolled = rollout.replace_all(v.strategy);
  if (rolled) std::this_thread::sleep_for(o.settle);
  stop = true;
  load_thread.join();
  if (!rolled) return rolled.error();
  if (!*report) return report->error();
  r.events = rollout.events();
  r.rollout_s = rollout.last_step_s() - rollout.first_step_s();
  if (const auto& d = rollout.down_detections_s(); !d.empty())
    r.down_detection_s = std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(d.size());
  summarize(**report, r);
  return r;
}

Result<RollingVariantResult> run_variant(const RollingRestartOptions& o, const RollingVariant& v,
                                         std::string& limit) {
  const auto dir = o.out_dir / v.name;
  const auto h = balancer_options(o, v);
  auto balancer = infra::start_haproxy({.dir = dir / "haproxy", .start_timeout = kBalancerStartTimeout}, h);
  if (!balancer) return balancer.error();
  // Declared after the balancer, so destroyed first: instances drain out of
  // a HAProxy that still runs.
  autoscale::InstancePool pool(instance_spec(o, dir), infra::HaproxyAdmin(infra::haproxy_admin_socket(dir / "haproxy"), h));
  if (o.progress)
    std::fprintf(stderr, "rolling-restart: %s: HAProxy at %s, %d instances, checks every %lld ms\n", v.name.c_str(),
                 balancer->url().c_str(), v.instances, static_cast<long long>(h.check_interval.count()));
  for (int i = 0; i < v.instances; ++i)
    if (auto s = start_healthy(pool, health_timeout(h.check_interval)); !s) return s.error();
  limit = pool.limit_description();
  return load_and_roll(o, v, *balancer, pool);
}

}  // namespace

int min_healthy_instances(int instances, int percent) {
  // Integer arithmetic: ceil(instances × percent / 100) without rounding noise.
  return (instances * percent + 99) / 100;
}

std::vector<RollingVariant> default_rolling_variants() {
  return {
      {.name = "surge-2-at-100", .title = "2 instances, minimum healthy 100% (surge: new one first)",
       .instances = 2, .min_healthy_percent = 100, .strategy = RolloutStrategy::kSurge},
      {.name = "stop-first-3-at-66", .title = "3 instances, minimum healthy 66% (drain one, then replace it)",
       .instances = 3, .min_healthy_percent = 66, .strategy = RolloutStrategy::kStopFirst},
      {.name = "naive-kill-first-2", .title = "2 instances, naive: kill -9 first, no drain, no balancer retries",
       .instances = 2, .min_healthy_percent = 50, .strategy = RolloutStrategy::kKillFirst,
       .balancer_retries = false},
  };
}

RollingRestartOptions quick_rolling_restart(RollingRestartOptions o) {
  o.settle = milliseconds(2'000);
  o.pause = milliseconds(500);
  o.rate = 100;
  return o;
}

Result<RollingRestartResult> run_rolling_restart(const RollingRestartOptions& o) {
  if (auto s = infra::prepare_dir(o.out_dir); !s) return s.error();
  RollingRestartResult result{.cpu_cores = o.cpu_cores, .rate = o.rate, .time_scale = o.time_scale,
                              .check_interval = scaled_interval(o.time_scale), .rise = kCourseRise,
                              .fall = kCourseFall};
  for (const auto& v : o.variants) {
    if (live_stopped(o.live)) break;
    auto r = run_variant(o, v, result.limit);
    if (!r) return Error{r.error().kind, fmt::format("{}: {}", v.name, r.error().message)};
    result.variants.push_back(std::move(*r));
  }
  if (o.cpu_cores <= 0) result.limit = "NOT LIMITED (--cpu 0)";
  return result;
}

}  // namespace scalelab::lab
