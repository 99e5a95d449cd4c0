// `scalelab lab hw5-clients`: the simple vs the fast load-generator client on
// the same albums load (src/lab/hw5_clients/hw5_clients.h).
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/lab_web.h"
#include "app/labs.h"
#include "app/options.h"
#include "lab/hw5_clients/hw5_clients.h"

namespace scalelab::app {

namespace {

void print_hw5_clients(const lab::Hw5ClientsResult& result, const lab::Hw5ClientsFiles& files) {
  fmt::print("hw5-clients: simple vs fast client on the same albums load\n");
  fmt::print("  {:<7} {:>5} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9}\n", "client", "users", "requests", "fails", "req/s",
             "p50 ms", "p99 ms", "gen CPU");
  for (const auto& run : result.runs)
    fmt::print("  {:<7} {:>5} {:>9} {:>7} {:>9.0f} {:>9.2f} {:>9.2f} {:>8.0f}%\n", load::to_string(run.client),
               run.users, run.report.aggregate.count, run.report.aggregate.failures, run.report.rps(),
               run.report.aggregate.quantile_ms(0.5), run.report.aggregate.quantile_ms(0.99),
               100 * run.report.check.generator_busy);
  for (const auto& line : result.reading) fmt::print("{}\n", line);
  fmt::print("report: {}\nresults: {}\nsummary: {}\n", files.report.string(), files.csv.string(),
             files.json.string());
}

}  // namespace

void add_hw5_clients_lab(CLI::App& lab, int& exit_code) {
  auto opts = std::make_shared<lab::Hw5ClientsOptions>();
  auto out_dir = std::make_shared<std::string>(opts->out_dir.string());
  auto* cmd = lab.add_subcommand(
      "hw5-clients",
      "The same albums load (GET:POST 3:1) with the simple and the fast client, side by side: when is the "
      "client the bottleneck?");
  add_flag_option(*cmd, "--url", opts->url,
                  "Albums base URL, http://HOST:PORT (default: start albums in this process)");
  add_flag_option(*cmd, "--users", opts->users, "User counts to run each client at")->delimiter(',');
  add_duration_option(*cmd, "--duration", opts->duration, "Duration of each run");
  add_duration_option(*cmd, "--wait", opts->wait, "Think time after each task (try 500ms: the clients then tie)");
  add_flag_option(*cmd, "--out", *out_dir, "Directory for report.html, results.csv, summary.json");
  cmd->add_flag("--progress,!--no-progress", opts->progress, "Print progress each second on stderr");
  auto web = std::make_shared<LabWebArgs>();
  add_lab_web_options(*cmd, *web);
  cmd->callback([opts, out_dir, web, &exit_code] {
    opts->out_dir = *out_dir;
    exit_code = run_lab_command("hw5-clients", *web, [&](lab::Live* live) -> Result<LabOutcome> {
      opts->live = live;
      auto result = lab::run_hw5_clients(*opts);
      auto files =
          result ? lab::render_hw5_clients(*result, opts->out_dir) : Result<lab::Hw5ClientsFiles>(result.error());
      if (!files) return files.error();
      print_hw5_clients(*result, *files);
      return LabOutcome{{{"HTML report", files->report}, {"results CSV", files->csv}, {"summary JSON", files->json}}};
    });
  });
}

}  // namespace scalelab::app
