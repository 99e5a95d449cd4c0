// `scalelab lab rolling-restart`: every catalog instance replaced one at a
// time behind HAProxy under steady load (src/lab/rolling_restart/rolling_restart.h).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/lab_web.h"
#include "app/labs.h"
#include "app/options.h"
#include "lab/rolling_restart/rolling_restart.h"

namespace scalelab::app {

namespace {

// Keeps the variants named in `only` (all when it is empty); fails on a name no variant has.
Status select_variants(lab::RollingRestartOptions& o, const std::vector<std::string>& only) {
  if (only.empty()) return {};
  std::vector<lab::RollingVariant> kept;
  for (const auto& name : only) {
    auto it = std::find_if(o.variants.begin(), o.variants.end(), [&](const auto& v) { return v.name == name; });
    if (it == o.variants.end()) return Error{ErrorKind::kInvalidInput, fmt::format("no variant named '{}'", name)};
    kept.push_back(*it);
  }
  o.variants = std::move(kept);
  return {};
}

int run_rolling_restart_command(lab::RollingRestartOptions o, const std::vector<std::string>& only,
                                const LabWebArgs& web) {
  if (auto s = select_variants(o, only); !s) {
    spdlog::error("rolling-restart: {}", s.error().message);
    return 2;
  }
  return run_lab_command("rolling-restart", web, [&](lab::Live* live) -> Result<LabOutcome> {
    o.live = live;
    auto r = lab::run_rolling_restart(o);
    auto files = r ? lab::render_rolling_restart(*r, o.out_dir) : Result<lab::RollingRestartFiles>(r.error());
    if (!files) return files.error();
    for (const auto& v : r->variants) {
      fmt::print("{:<20} downtime {:3d} s  failed {:6d} of {:7d}  seconds with failures {:3d}  p99 {:8.2f} ms\n",
                 v.variant.name, v.downtime_s, v.failed, v.requests, v.error_seconds, v.p99_ms);
      if (v.down_detection_s > 0)
        fmt::print("{:<20} a killed instance was marked down after {:.2f} s ({:.0f} s at the course's timing)\n", "",
                   v.down_detection_s, v.down_detection_s * r->time_scale);
    }
    fmt::print("health checks every {} ms (the course's 30 s / {:g}); limit: {}\nreport: {}\n",
               r->check_interval.count(), r->time_scale, r->limit, files->report.string());
    return LabOutcome{{{"HTML report", files->report}, {"timeline CSV", files->csv}, {"summary JSON", files->json}}};
  });
}

}  // namespace

void add_rolling_restart_lab(CLI::App& lab, int& exit_code) {
  auto opts = std::make_shared<lab::RollingRestartOptions>();
  auto out_dir = std::make_shared<std::string>(opts->out_dir.string());
  auto quick = std::make_shared<bool>(false);
  auto only = std::make_shared<std::vector<std::string>>();
  auto* cmd = lab.add_subcommand(
      "rolling-restart",
      "Catalog instances behind HAProxy replaced one at a time under steady load: 2 at 100% (surge), 3 at 66%, "
      "and a naive kill-first; downtime and failed requests");
  add_flag_option(*cmd, "--out", *out_dir, "Directory for report.html, timeline.csv, summary.json and the logs");
  cmd->add_flag("--quick", *quick,
                "Settles of 2 s, pauses of 0.5 s, 100 req/s (under a minute); explicit flags still win");
  add_flag_option(*cmd, "--cpu", opts->cpu_cores, "Each instance's CPU quota in cores (0: none)");
  auto* rate = add_flag_option(*cmd, "--rate", opts->rate, "GET requests per second (open model)");
  add_flag_option(*cmd, "--time-scale", opts->time_scale,
                  "Divide the course's health check timing (every 30 s, 2 to healthy) by K");
  auto* settle = add_duration_option(*cmd, "--settle", opts->settle,
                                     "Steady load before the first replacement and after the last");
  auto* pause = add_duration_option(*cmd, "--pause", opts->pause, "Between two replacements");
  add_duration_option(*cmd, "--timeout", opts->timeout, "Per-request timeout");
  cmd->add_option("--variant", *only,
                  "Run only these variants (surge-2-at-100, stop-first-3-at-66, naive-kill-first-2); repeatable");
  cmd->add_flag("--progress,!--no-progress", opts->progress, "Print progress each second on stderr");
  auto web = std::make_shared<LabWebArgs>();
  add_lab_web_options(*cmd, *web);
  cmd->callback([opts, out_dir, quick, only, rate, settle, pause, web, &exit_code] {
    opts->out_dir = *out_dir;
    auto o = *quick ? lab::quick_rolling_restart(*opts) : *opts;
    if (rate->count() > 0) o.rate = opts->rate;
    if (settle->count() > 0) o.settle = opts->settle;
    if (pause->count() > 0) o.pause = opts->pause;
    exit_code = run_rolling_restart_command(std::move(o), *only, *web);
  });
}

}  // namespace scalelab::app
