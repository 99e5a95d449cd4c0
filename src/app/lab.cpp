#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/labs.h"
#include "app/options.h"
#include "lab/hw1.h"
#include "lab/hw5_clients.h"

namespace scalelab::app {

void add_lab_commands(CLI::App& app, int& exit_code) {
  auto* lab = app.add_subcommand("lab", "Run one of the course's experiments and write its report");
  lab->require_subcommand(1);

  auto opts = std::make_shared<lab::Hw1Options>();
  auto out_dir = std::make_shared<std::string>(opts->out_dir.string());
  auto* hw1 = lab->add_subcommand(
      "hw1", "Sequential GET /albums for a duration: response-time distribution, histogram, scatter");
  add_flag_option(*hw1, "--url", opts->url,
                  "Target URL (default: start an albums service in this process)");
  add_duration_option(*hw1, "--duration", opts->duration, "How long to send requests");
  add_duration_option(*hw1, "--timeout", opts->timeout, "Per-request timeout");
  add_flag_option(*hw1, "--max-requests", opts->max_requests, "Stop after this many requests (0: no cap)");
  add_flag_option(*hw1, "--out", *out_dir, "Directory for report.html, samples.csv, summary.json");
  hw1->add_flag("--progress,!--no-progress", opts->progress, "Print progress each second on stderr");
  hw1->callback([opts, out_dir, &exit_code] {
    opts->out_dir = *out_dir;
    auto result = lab::run_hw1(*opts);
    if (!result) {
      spdlog::error("hw1: {}", result.error().message);
      exit_code = 1;
      return;
    }
    const auto& s = result->summary;
    fmt::print(
        "hw1: sequential GET {} for {:.1f}s\n"
        "  total requests  {} ({} ok, {} failed)\n"
        "  throughput      {:.1f} req/s\n"
        "  mean            {:.3f} ms\n"
        "  median          {:.3f} ms\n"
        "  p95             {:.3f} ms\n"
        "  p99             {:.3f} ms\n"
        "  max             {:.3f} ms\n"
        "report: {}\nsamples: {}\nsummary: {}\n",
        s.url, s.elapsed_s, s.total, s.ok, s.failed, s.throughput_rps, s.mean_ms, s.median_ms,
        s.p95_ms, s.p99_ms, s.max_ms, result->report.string(), result->csv.string(),
        result->json.string());
    exit_code = s.failed == 0 ? 0 : 3;
  });

  auto h5 = std::make_shared<lab::Hw5ClientsOptions>();
  auto h5_out = std::make_shared<std::string>(h5->out_dir.string());
  auto* hw5 = lab->add_subcommand(
      "hw5-clients",
      "The same albums load (GET:POST 3:1) with the simple and the fast client, side by side: when is the "
      "client the bottleneck?");
  add_flag_option(*hw5, "--url", h5->url, "Albums base URL, http://HOST:PORT (default: start albums in this process)");
  add_flag_option(*hw5, "--users", h5->users, "User counts to run each client at")->delimiter(',');
  add_duration_option(*hw5, "--duration", h5->duration, "Duration of each run");
  add_duration_option(*hw5, "--wait", h5->wait, "Think time after each task (try 500ms: the clients then tie)");
  add_flag_option(*hw5, "--out", *h5_out, "Directory for report.html, results.csv, summary.json");
  hw5->add_flag("--progress,!--no-progress", h5->progress, "Print progress each second on stderr");
  hw5->callback([h5, h5_out, &exit_code] {
    h5->out_dir = *h5_out;
    auto result = lab::run_hw5_clients(*h5);
    if (!result) {
      spdlog::error("hw5-clients: {}", result.error().message);
      exit_code = 1;
      return;
    }
    fmt::print("hw5-clients: simple vs fast client on the same albums load\n");
    fmt::print("  {:<7} {:>5} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9}\n", "client", "users", "requests", "fails",
               "req/s", "p50 ms", "p99 ms", "gen CPU");
    for (const auto& run : result->runs)
      fmt::print("  {:<7} {:>5} {:>9} {:>7} {:>9.0f} {:>9.2f} {:>9.2f} {:>8.0f}%\n", run.client, run.users,
                 run.report.aggregate.count, run.report.aggregate.failures, run.report.rps(),
                 run.report.aggregate.quantile_ms(0.5), run.report.aggregate.quantile_ms(0.99),
                 100 * run.report.check.generator_busy);
    for (const auto& line : result->reading) fmt::print("{}\n", line);
    fmt::print("report: {}\nresults: {}\nsummary: {}\n", result->report.string(), result->csv.string(),
               result->json.string());
  });

  add_hw3_lab(*lab, exit_code);
  add_hw7_lab(*lab, exit_code);
  add_midterm_lab(*lab, exit_code);
}

}  // namespace scalelab::app
