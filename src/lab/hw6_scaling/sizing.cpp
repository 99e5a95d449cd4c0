// Horizontal vs vertical: the breaking load against n instances of `cores`
// each behind the balancer, and what a million requests cost in vCPU-hours.
#include <cstdio>

#include <fmt/format.h>

#include "lab/catalog_search.h"
#include "lab/hw6_scaling/cluster.h"
#include "lab/hw6_scaling/internal.h"
#include "lab/live.h"
#include "load/engine.h"

namespace scalelab::lab::hw6 {

Result<Hw6SizingPoint> run_sizing(const Hw6ScalingOptions& o, int n, double cores) {
  Hw6SizingPoint p{.layout = fmt::format("{} × {} core", n, cores), .instances = n, .cores_each = cores};
  auto cluster = start_cluster(o, fmt::format("sizing-{}x{}", n, cores), cores, n);
  if (!cluster) return cluster.error();
  live_phase(o.live, "sizing: " + p.layout);
  load::RunOptions ro;
  watch(o.live, ro);
  auto report = load::run(
      catalog_search_load(p.layout, cluster->url(), static_cast<unsigned>(o.users), o.sizing_run, o.timeout), ro);
  if (!report) return report.error();
  p.rps = report->elapsed_s > 0
              ? static_cast<double>(report->aggregate.count - report->aggregate.failures) / report->elapsed_s
              : 0;
  p.p50_ms = report->aggregate.quantile_ms(0.5);
  p.p99_ms = report->aggregate.quantile_ms(0.99);
  p.failures = report->aggregate.failures;
  if (p.rps > 0) p.usd_per_million = n * cores * (1e6 / p.rps) / 3600.0 * kFargateUsdPerVcpuHour;
  if (o.progress)
    std::fprintf(stderr, "  [sizing] %-14s %7.0f req/s  p50 %6.2f ms  p99 %7.2f ms  $%.4f per million\n",
                 p.layout.c_str(), p.rps, p.p50_ms, p.p99_ms, p.usd_per_million);
  return p;
}

}  // namespace scalelab::lab::hw6
