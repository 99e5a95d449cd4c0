#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "http/client.h"
#include "infra/cpu_limit.h"
#include "infra/process.h"
#include "infra/servers.h"
#include "lab/catalog_search.h"
#include "lab/hw6_bottleneck/hw6_bottleneck.h"
#include "lab/live.h"
#include "lab/samples.h"
#include "load/engine.h"
#include "obs/metrics.h"

namespace scalelab::lab {

using Clock = std::chrono::steady_clock;

namespace {

// Sequential searches by one user before the load: enough for a stable median.
constexpr int kSingleSearches = 20;
// How long the catalog process may take to listen.
constexpr std::chrono::seconds kStartTimeout{30};
// A progress interval shorter than this is the tail of a phase, not a whole
// second: the timeline keeps whole seconds only.
constexpr double kWholeSecond = 0.999;

struct ProcStat {
  double cpu_s = 0;  // user + system
  double rss_mb = 0;
};

ProcStat read_proc(pid_t pid) {
  auto p = obs::read_process_stats(pid);
  return {p.cpu_seconds, static_cast<double>(p.resident_bytes) / (1024.0 * 1024.0)};
}

struct Catalog {
  infra::Process process;
  std::uint16_t port = 0;
};

Result<Catalog> start_catalog(const Hw6BottleneckOptions& o) {
  if (auto s = infra::prepare_dir(o.out_dir); !s) return s.error();
  auto port = infra::pick_free_port();
  if (!port) return port.error();
  auto exe = o.scalelab.empty() ? infra::self_executable() : o.scalelab;
  auto log = o.out_dir / "catalog.log";
  // One worker thread: the quota is on the process, and a quarter core does not
  // need two threads competing for it.
  auto catalog = infra::Process::spawn({.argv = {exe.string(), "serve", "catalog", "--port", std::to_string(*port),
                                                 "--threads", "1", "--log-level", "warn"},
                                        .log_file = log});
  if (!catalog) return catalog.error();
  if (auto up = infra::wait_for_port("127.0.0.1", *port, kStartTimeout); !up)
    return Error{ErrorKind::kUnavailable,
                 fmt::format("catalog did not start: {}; see {}", up.error().message, log.string())};
  return Catalog{std::move(*catalog), *port};
}

// Puts the catalog under the quota; records how (or why not) in the result.
Result<std::unique_ptr<infra::CpuLimit>> limit_cpu(const Hw6BottleneckOptions& o, pid_t pid,
                                                   Hw6BottleneckResult& result) {
  result.cpu_cores = o.cpu_cores;
  if (o.cpu_cores <= 0) {
    result.limit = "NOT LIMITED (--cpu 0)";
    return std::unique_ptr<infra::CpuLimit>();
  }
  auto applied = infra::CpuLimit::apply(pid, o.cpu_cores, "scalelab-hw6");
  if (!applied) {
    if (o.require_limit) return applied.error();
    result.limit = "NOT LIMITED: " + applied.error().message + " (the service ran on whole cores)";
    return std::unique_ptr<infra::CpuLimit>();
  }
  result.limited = true;
  result.limit = fmt::format("{} core: {}", o.cpu_cores, (*applied)->how());
  return std::move(*applied);
}

// One user, sequential: the median latency of a single search.
Result<double> single_search_ms(std::uint16_t port, std::chrono::milliseconds timeout) {
  http::BlockingClient client(http::ClientOptions{.port = port});
  std::vector<double> single;
  for (int i = 0; i < kSingleSearches; ++i) {
    auto t0 = Clock::now();
    auto r = client.get(catalog_search_target(static_cast<std::uint64_t>(i)), timeout);
    if (r && r->status == 200) single.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  if (single.empty()) return Error{ErrorKind::kUnavailable, "catalog did not answer a single search"};
  return quantile(single, 0.5);
}

// The load engine's closed model: `users` users, no wait, all at once.
load::Scenario search_load(int phase, int users, std::uint16_t port, std::chrono::milliseconds duration,
                           std::chrono::milliseconds timeout) {
  auto s = catalog_search_load(fmt::format("hw6 phase {}", phase), fmt::format("http://127.0.0.1:{}", port),
                               static_cast<unsigned>(users), duration, timeout);
  s.seed = static_cast<std::uint64_t>(phase);
  return s;
}

Hw6PhaseSummary summarize_phase(const load::Report& report, int users, const std::vector<Hw6Second>& timeline) {
  Hw6PhaseSummary sum;
  const load::RequestStats& all = report.aggregate;
  sum.users = users;
  sum.seconds = report.elapsed_s;
  sum.requests = all.count;
  sum.errors = all.failures;
  sum.rps = sum.seconds > 0 ? static_cast<double>(all.count - all.failures) / sum.seconds : 0;
  sum.mean_ms = all.mean_ms();
  sum.p50_ms = all.quantile_ms(0.5);
  sum.p95_ms = all.quantile_ms(0.95);
  sum.p99_ms = all.quantile_ms(0.99);
  sum.max_ms = all.quantile_ms(1.0);
  double cpu = 0;
  int n = 0;
  for (const auto& x : timeline)
    if (x.users == users) {
      cpu += x.cpu_percent;
      ++n;
      sum.rss_mb = x.rss_mb;
    }
  sum.cpu_percent = n > 0 ? cpu / n : 0;
  return sum;
}

// Samples the service's CPU and memory each second of a phase into the timeline.
class Sampler {
 public:
  Sampler(pid_t pid, int users, bool progress, std::vector<Hw6Second>& timeline)
      : pid_(pid), users_(users), progress_(progress), timeline_(timeline), last_(read_proc(pid)) {}

  void operator()(const load::Progress& p) {
    auto now = Clock::now();
    auto stat = read_proc(pid_);
    const double wall = std::chrono::duration<double>(now - last_t_).count();
    if (p.last && p.last->interval_s >= kWholeSecond) {
      Hw6Second x{.second = static_cast<int>(timeline_.size()) + 1, .users = users_, .requests = p.last->requests,
                  .errors = p.last->failures, .p50_ms = p.last->p50_ms, .p95_ms = p.last->p95_ms,
                  .p99_ms = p.last->p99_ms, .cpu_percent = wall > 0 ? 100.0 * (stat.cpu_s - last_.cpu_s) / wall : 0,
                  .rss_mb = stat.rss_mb};
      timeline_.push_back(x);
      if (progress_)
        std::fprintf(stderr, "  t=%3ds users=%2d  %6.0f req/s  p50 %7.2f ms  p95 %7.2f ms  cpu %5.1f%%  rss %.1f MB\n",
                     x.second, users_, p.last->rps(), x.p50_ms, x.p95_ms, x.cpu_percent, x.rss_mb);
    }
    last_ = stat;
    last_t_ = now;
  }

 private:
  pid_t pid_;
  int users_;
  bool progress_;
  std::vector<Hw6Second>& timeline_;
  ProcStat last_;
  Clock::time_point last_t_ = Clock::now();
};

Result<Hw6PhaseSummary> run_phase(const Hw6BottleneckOptions& o, int phase, const Catalog& catalog,
                                  std::vector<Hw6Second>& timeline) {
  const int users = phase == 1 ? o.users_1 : o.users_2;
  auto scenario = search_load(phase, users, catalog.port, phase == 1 ? o.duration_1 : o.duration_2, o.timeout);
  load::RunOptions ro;
  ro.on_progress = [sample = Sampler(catalog.process.pid(), users, o.progress, timeline), &timeline,
                    live = o.live](const load::Progress& p) mutable {
    const auto seconds = timeline.size();
    sample(p);
    if (timeline.size() > seconds) live_series(live, "catalog CPU (% of a core)", "catalog", timeline.back().cpu_percent);
  };
  live_phase(o.live, fmt::format("phase {}: {} users", phase, users));
  watch(o.live, ro);
  auto report = load::run(scenario, ro);
  if (!report) return report.error();
  return summarize_phase(*report, users, timeline);
}

}  // namespace

Result<Hw6BottleneckResult> run_hw6_bottleneck(const Hw6BottleneckOptions& o) {
  auto catalog = start_catalog(o);
  if (!catalog) return catalog.error();
  Hw6BottleneckResult result;
  auto limit = limit_cpu(o, catalog->process.pid(), result);
  if (!limit) return limit.error();
  if (o.progress)
    std::fprintf(stderr, "hw6-bottleneck: catalog pid %d on port %u; %s\n", catalog->process.pid(), catalog->port,
                 result.limit.c_str());
  auto single = single_search_ms(catalog->port, o.timeout);
  if (!single) return single.error();
  result.single_search_ms = *single;
  for (int phase : {1, 2}) {
    auto sum = run_phase(o, phase, *catalog, result.timeline);
    if (!sum) return sum.error();
    (phase == 1 ? result.phase_1 : result.phase_2) = *sum;
  }
  if (*limit) result.throttled_periods = (*limit)->throttled_periods();
  catalog->process.stop();
  return result;
}

}  // namespace scalelab::lab
