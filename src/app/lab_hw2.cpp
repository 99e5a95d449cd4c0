// `scalelab lab hw2`: two albums processes, own memory then one private Redis
// (src/lab/hw2/hw2.h).
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/lab_web.h"
#include "app/labs.h"
#include "app/options.h"
#include "lab/hw2/hw2.h"

namespace scalelab::app {

namespace {

// Exit status when the run completed but the instances did not behave as the
// course expects (disagree over memory, agree over Redis).
constexpr int kExitUnexpected = 3;

std::string show(const lab::Hw2Phase& p) {
  auto ids = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& id : v) out += (out.empty() ? "" : ",") + id;
    return "[" + out + "]";
  };
  return fmt::format("instance 1 {} / instance 2 {} -> {}", ids(p.after1), ids(p.after2),
                     p.agree ? "AGREE" : "DISAGREE");
}

}  // namespace

void add_hw2_lab(CLI::App& lab, int& exit_code) {
  auto opts = std::make_shared<lab::Hw2Options>();
  auto out_dir = std::make_shared<std::string>(opts->out_dir.string());
  auto* cmd = lab.add_subcommand(
      "hw2", "Two albums processes: own memory (they disagree), then one private Redis (they agree)");
  add_flag_option(*cmd, "--out", *out_dir, "Directory for report.html, steps.csv, summary.json");
  add_duration_option(*cmd, "--timeout", opts->timeout, "Per request and per process start");
  auto web = std::make_shared<LabWebArgs>();
  add_lab_web_options(*cmd, *web);
  cmd->callback([opts, out_dir, web, &exit_code] {
    opts->out_dir = *out_dir;
    exit_code = run_lab_command("hw2", *web, [&](lab::Live* live) -> Result<LabOutcome> {
      opts->live = live;
      auto r = lab::run_hw2(*opts);
      auto files = r ? lab::render_hw2(*r, opts->out_dir) : Result<lab::Hw2Files>(r.error());
      if (!files) return files.error();
      fmt::print("hw2: after POST album 4 to instance 2\n  memory: {}\n  redis:  {}\nreport: {}\n", show(r->memory),
                 show(r->redis), files->report.string());
      return LabOutcome{{{"HTML report", files->report}, {"steps CSV", files->csv}, {"summary JSON", files->json}},
                        (!r->memory.agree && r->redis.agree) ? 0 : kExitUnexpected};
    });
  });
}

}  // namespace scalelab::app
