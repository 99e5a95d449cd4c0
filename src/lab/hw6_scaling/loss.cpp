// Instance loss under load: three instances, a steady open-model load, and
// one instance stopped a third of the way in, with kill -9 (a crash) or
// gracefully (drained in the balancer first, then SIGTERM).
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "lab/catalog_search.h"
#include "lab/hw6_scaling/cluster.h"
#include "lab/hw6_scaling/internal.h"
#include "lab/live.h"
#include "load/engine.h"

namespace scalelab::lab::hw6 {

namespace {
constexpr int kInstances = 3;
// The steady load: 40% of what one instance serves alone, well within the
// three's capacity (and the two's, after the stop), so that any failure is
// the stop's, not an overload's.
constexpr double kLoadShareOfOne = 0.4;
}  // namespace

Result<Hw6LossRun> run_loss(const Hw6ScalingOptions& o, bool kill, double one_instance_rps) {
  Hw6LossRun run{.how = kill ? "kill -9" : "graceful", .instances = kInstances};
  auto cluster = start_cluster(o, kill ? "loss-kill9" : "loss-graceful", o.cpu_cores, kInstances);
  if (!cluster) return cluster.error();
  auto s = catalog_search_load(run.how, cluster->url(), 1, o.loss_run, o.timeout);
  s.model = load::Model::kOpen;
  s.rate = std::max(1.0, kLoadShareOfOne * one_instance_rps);
  const auto victim = cluster->pool->names().front();
  run.stopped_at_s = std::chrono::duration<double>(o.loss_run).count() / 3;
  Status stopped;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::duration<double>(run.stopped_at_s));
    stopped = cluster->pool->stop_one(victim, kill ? autoscale::StopMode::kKill : autoscale::StopMode::kGraceful);
  });
  live_phase(o.live, fmt::format("instance loss: {} of {} at {:.1f} s", run.how, victim, run.stopped_at_s));
  load::RunOptions ro;
  watch(o.live, ro);
  auto report = load::run(s, ro);
  stopper.join();
  if (!report) return report.error();
  if (!stopped) return stopped.error();
  run.requests = report->aggregate.count;
  run.failures = report->aggregate.failures;
  run.p99_ms = report->aggregate.quantile_ms(0.99);
  if (o.progress)
    std::fprintf(stderr, "  [loss] %s of %s at %.1f s: %llu requests, %llu failed, p99 %.2f ms\n", run.how.c_str(),
                 victim.c_str(), run.stopped_at_s, static_cast<unsigned long long>(run.requests),
                 static_cast<unsigned long long>(run.failures), run.p99_ms);
  return run;
}

}  // namespace scalelab::lab::hw6
