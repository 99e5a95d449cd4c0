// `scalelab lab hw4`: MapReduce word count, 1 vs N mappers, small and large
// text, in-process bus and RabbitMQ (src/lab/hw4/hw4.h).
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/lab_web.h"
#include "app/labs.h"
#include "app/options.h"
#include "lab/hw4/hw4.h"

namespace scalelab::app {

namespace {

// Exit status when a job's counts differ from the single-process count.
constexpr int kExitNotExact = 3;

}  // namespace

void add_hw4_lab(CLI::App& lab, int& exit_code) {
  auto opts = std::make_shared<lab::Hw4Options>();
  auto out_dir = std::make_shared<std::string>(opts->out_dir.string());
  auto* cmd = lab.add_subcommand(
      "hw4", "MapReduce word count: 1 vs 3 (and more) mappers, small and large text, in-process bus and RabbitMQ");
  add_flag_option(*cmd, "--out", *out_dir, "Directory for report.html, runs.csv, summary.json");
  add_flag_option(*cmd, "--small-bytes", opts->small_bytes, "Size of the Hamlet-sized text (0: skip)");
  add_flag_option(*cmd, "--large-bytes", opts->large_bytes, "Size of the large synthetic text (100000000 for 100 MB; 0: skip)");
  add_flag_option(*cmd, "--seed", opts->seed, "Seed of the synthetic texts");
  cmd->add_option("--mappers", opts->mappers, "Mapper counts to compare")->delimiter(',')->capture_default_str();
  add_flag_option(*cmd, "--repeats", opts->repeats, "Runs per configuration (the median is reported)");
  cmd->add_flag("--memory,!--no-memory", opts->memory_bus, "Run over the in-process bus");
  cmd->add_flag("--rabbitmq,!--no-rabbitmq", opts->rabbitmq, "Run over RabbitMQ (a private node is started)");
  add_flag_option(*cmd, "--rabbitmq-url", opts->rabbitmq_url, "Use this RabbitMQ instead of starting one");
  cmd->add_flag("--progress,!--no-progress", opts->progress, "Progress on stderr");
  auto web = std::make_shared<LabWebArgs>();
  add_lab_web_options(*cmd, *web);
  cmd->callback([opts, out_dir, web, &exit_code] {
    opts->out_dir = *out_dir;
    exit_code = run_lab_command("hw4", *web, [&](lab::Live* live) -> Result<LabOutcome> {
      opts->live = live;
      auto r = lab::run_hw4(*opts);
      auto files = r ? lab::render_hw4(*r, opts->out_dir) : Result<lab::Hw4Files>(r.error());
      if (!files) return files.error();
      for (const auto& run : r->runs)
        fmt::print("{:<8} {:<5} {:>10} bytes  {} mapper(s)  total {:>9.1f} ms  speedup {:.2f}x  {}\n",
                   lab::to_string(run.bus), lab::to_string(run.input), run.bytes, run.mappers, run.total_ms,
                   run.speedup, run.error.empty() ? (run.exact ? "exact" : "MISMATCH") : "failed: " + run.error);
      fmt::print("report: {}\nruns: {}\nsummary: {}\n", files->report.string(), files->csv.string(),
                 files->json.string());
      return LabOutcome{{{"HTML report", files->report}, {"runs CSV", files->csv}, {"summary JSON", files->json}},
                        r->all_exact ? 0 : kExitNotExact};
    });
  });
}

}  // namespace scalelab::app
