#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/options.h"
#include "lab/hw1.h"

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
}

}  // namespace scalelab::app
