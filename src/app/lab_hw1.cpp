// `scalelab lab hw1`: sequential GET /albums for a duration, the
// response-time distribution (src/lab/hw1/hw1.h, docs/hw1.md).
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/lab_web.h"
#include "app/labs.h"
#include "app/options.h"
#include "lab/hw1/hw1.h"

namespace scalelab::app {

namespace {

// Exit status when the run completed but some requests failed.
constexpr int kExitSomeFailed = 3;

void print_hw1(const lab::Hw1Summary& s, const lab::Hw1Files& files) {
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
      s.url, s.elapsed_s, s.total, s.ok, s.failed, s.throughput_rps, s.mean_ms, s.median_ms, s.p95_ms, s.p99_ms,
      s.max_ms, files.report.string(), files.csv.string(), files.json.string());
}

}  // namespace

void add_hw1_lab(CLI::App& lab, int& exit_code) {
  auto opts = std::make_shared<lab::Hw1Options>();
  auto out_dir = std::make_shared<std::string>(opts->out_dir.string());
  auto* cmd = lab.add_subcommand(
      "hw1", "Sequential GET /albums for a duration: response-time distribution, histogram, scatter");
  add_flag_option(*cmd, "--url", opts->url, "Target URL (default: start an albums service in this process)");
  add_duration_option(*cmd, "--duration", opts->duration, "How long to send requests");
  add_duration_option(*cmd, "--timeout", opts->timeout, "Per-request timeout");
  add_flag_option(*cmd, "--max-requests", opts->max_requests, "Stop after this many requests (0: no cap)");
  add_flag_option(*cmd, "--out", *out_dir, "Directory for report.html, samples.csv, summary.json");
  cmd->add_flag("--progress,!--no-progress", opts->progress, "Print progress each second on stderr");
  auto web = std::make_shared<LabWebArgs>();
  add_lab_web_options(*cmd, *web);
  cmd->callback([opts, out_dir, web, &exit_code] {
    opts->out_dir = *out_dir;
    exit_code = run_lab_command("hw1", *web, [&](lab::Live* live) -> Result<LabOutcome> {
      opts->live = live;
      auto result = lab::run_hw1(*opts);
      auto files = result ? lab::render_hw1(*result, opts->out_dir) : Result<lab::Hw1Files>(result.error());
      if (!files) return files.error();
      print_hw1(result->summary, *files);
      return LabOutcome{{{"HTML report", files->report}, {"samples CSV", files->csv}, {"summary JSON", files->json}},
                        result->summary.failed == 0 ? 0 : kExitSomeFailed};
    });
  });
}

}  // namespace scalelab::app
