// `scalelab lab hw6-bottleneck`: one catalog under a CPU quota, two loads
// (src/lab/hw6_bottleneck/hw6_bottleneck.h).
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/lab_web.h"
#include "app/labs.h"
#include "app/options.h"
#include "lab/hw6_bottleneck/hw6_bottleneck.h"

namespace scalelab::app {

void add_hw6_bottleneck_lab(CLI::App& lab, int& exit_code) {
  auto opts = std::make_shared<lab::Hw6BottleneckOptions>();
  auto out_dir = std::make_shared<std::string>(opts->out_dir.string());
  auto* cmd = lab.add_subcommand(
      "hw6-bottleneck", "One catalog at a quarter core (cgroup), 5 then 20 users searching: CPU, req/s, latency");
  add_flag_option(*cmd, "--out", *out_dir, "Directory for report.html, timeline.csv, summary.json");
  add_flag_option(*cmd, "--cpu", opts->cpu_cores, "CPU limit in cores (0: none)");
  add_flag_option(*cmd, "--users-1", opts->users_1, "Users in the first phase");
  add_flag_option(*cmd, "--users-2", opts->users_2, "Users in the second phase");
  add_duration_option(*cmd, "--duration-1", opts->duration_1, "First phase (the course: 2m)");
  add_duration_option(*cmd, "--duration-2", opts->duration_2, "Second phase (the course: 3m)");
  add_duration_option(*cmd, "--timeout", opts->timeout, "Per-request timeout");
  cmd->add_flag("--require-limit", opts->require_limit, "Fail when no cgroup CPU limit can be applied");
  cmd->add_flag("--progress,!--no-progress", opts->progress, "Print progress each second on stderr");
  auto web = std::make_shared<LabWebArgs>();
  add_lab_web_options(*cmd, *web);
  cmd->callback([opts, out_dir, web, &exit_code] {
    opts->out_dir = *out_dir;
    exit_code = run_lab_command("hw6-bottleneck", *web, [&](lab::Live* live) -> Result<LabOutcome> {
      opts->live = live;
      auto r = lab::run_hw6_bottleneck(*opts);
      auto files = r ? lab::render_hw6_bottleneck(*r, opts->out_dir) : Result<lab::Hw6BottleneckFiles>(r.error());
      if (!files) return files.error();
      for (const auto* p : {&r->phase_1, &r->phase_2})
        fmt::print("{:>3} users: {:8.0f} req/s  cpu {:5.1f}%  p50 {:.2f} ms  p95 {:.2f} ms  p99 {:.2f} ms  errors {}\n",
                   p->users, p->rps, p->cpu_percent, p->p50_ms, p->p95_ms, p->p99_ms, p->errors);
      fmt::print("limit: {}\nsingle search, one user: {:.2f} ms\nreport: {}\n", r->limit, r->single_search_ms,
                 files->report.string());
      return LabOutcome{{{"HTML report", files->report}, {"timeline CSV", files->csv}, {"summary JSON", files->json}}};
    });
  });
}

}  // namespace scalelab::app
