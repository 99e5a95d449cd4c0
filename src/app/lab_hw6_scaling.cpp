// `scalelab lab hw6-scaling`: the catalog behind HAProxy, scaled on CPU
// (src/lab/hw6_scaling/hw6_scaling.h).
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/lab_web.h"
#include "app/labs.h"
#include "app/options.h"
#include "lab/hw6_scaling/hw6_scaling.h"

namespace scalelab::app {

void add_hw6_scaling_lab(CLI::App& lab, int& exit_code) {
  auto opts = std::make_shared<lab::Hw6ScalingOptions>();
  auto out_dir = std::make_shared<std::string>(opts->out_dir.string());
  auto quick = std::make_shared<bool>(false);
  auto policy = std::make_shared<std::string>("target-tracking");
  auto* cmd = lab.add_subcommand("hw6-scaling",
                                 "The catalog behind HAProxy, autoscaled 2-4 on CPU: the breaking load, an instance "
                                 "killed, targets 50/70/90, HPA vs target tracking, horizontal vs vertical");
  add_flag_option(*cmd, "--out", *out_dir, "Directory for report.html, timeline.csv, decisions.csv, summary.json");
  cmd->add_flag("--quick", *quick, "Every part, shorter (about 3 minutes)");
  add_flag_option(*cmd, "--cpu", opts->cpu_cores, "Each instance's CPU quota in cores");
  add_flag_option(*cmd, "--min", opts->min, "Fewest instances");
  add_flag_option(*cmd, "--max", opts->max, "Most instances");
  add_flag_option(*cmd, "--target-cpu", opts->target_cpu, "The main run's CPU target, % of each instance's quota");
  add_flag_option(*cmd, "--policy", *policy, "The main run's rule: target-tracking or hpa")
      ->check(CLI::IsMember({"target-tracking", "hpa"}));
  add_flag_option(*cmd, "--time-scale", opts->time_scale,
                  "Divide the course's periods, health checks and cooldowns by this");
  add_flag_option(*cmd, "--users", opts->users, "The breaking load's users");
  add_duration_option(*cmd, "--breaking", opts->breaking, "The breaking load's duration in the main run");
  cmd->add_flag("--variants,!--no-variants", opts->variants, "Run targets 50/90, hpa and a gradual ramp");
  cmd->add_flag("--loss,!--no-loss", opts->loss, "Stop an instance under load (kill -9, graceful)");
  cmd->add_flag("--sizing,!--no-sizing", opts->sizing, "Horizontal vs vertical");
  cmd->add_flag("--progress,!--no-progress", opts->progress, "Print progress each second on stderr");
  auto web = std::make_shared<LabWebArgs>();
  add_lab_web_options(*cmd, *web);
  cmd->callback([opts, out_dir, quick, policy, web, &exit_code] {
    auto o = *quick ? lab::hw6_scaling_quick(*opts) : *opts;
    o.out_dir = *out_dir;
    o.policy = *policy == "hpa" ? lab::Hw6ScalingPolicy::kHpa : lab::Hw6ScalingPolicy::kTargetTracking;
    exit_code = run_lab_command("hw6-scaling", *web, [&](lab::Live* live) -> Result<LabOutcome> {
      o.live = live;
      auto r = lab::run_hw6_scaling(o);
      auto files = r ? lab::render_hw6_scaling(*r, o.out_dir) : Result<lab::Hw6ScalingFiles>(r.error());
      if (!files) return files.error();
      const auto& s = r->scaling;
      fmt::print("scaling: {} -> {} instances, reaction {}, breaking p99 {:.2f} ms, {} of {} requests failed\n",
                 s.min_instances_seen, s.max_instances,
                 s.scale_out_reaction_s ? fmt::format("{:.0f} s", *s.scale_out_reaction_s) : "none",
                 s.p99_ms, s.failures, s.requests);
      for (const auto& l : r->loss) fmt::print("{}: {} of {} requests failed\n", l.how, l.failures, l.requests);
      fmt::print("limit: {}\nreport: {}\n", r->limit, files->report.string());
      return LabOutcome{{{"HTML report", files->report}, {"timeline CSV", files->timeline_csv},
                         {"decisions CSV", files->decisions_csv}, {"summary JSON", files->json}}};
    });
  });
}

}  // namespace scalelab::app
