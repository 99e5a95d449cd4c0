// `scalelab tour [--quick] [--only a,b] [--skip c] [--out reports]`: every
// experiment of the course in order, each as a child process, then
// OUT/index.html and OUT/tour.json (src/lab/tour/tour.h).
#include <memory>
#include <string>

#include <fmt/format.h>

#include "app/commands.h"
#include "app/lab_web.h"
#include "app/options.h"
#include "lab/tour/tour.h"

namespace scalelab::app {

namespace {

// Exit status when every selected experiment ran but at least one failed.
constexpr int kExitSomeFailed = 3;

std::string names() {
  std::string s;
  for (const auto& e : lab::tour::course()) s += (s.empty() ? "" : ", ") + e.name;
  return s;
}

int run(const lab::tour::TourOptions& o, TourWeb* web, const WebArgs& web_args) {
  if (auto chosen = lab::tour::select(lab::tour::course(), o.only, o.skip); !chosen) {
    fmt::print(stderr, "scalelab {}\n", chosen.error().message);
    return 2;
  }
  auto result = lab::tour::run_tour(o);
  auto files = lab::tour::render_tour(result, o.out_dir);
  if (!files) {
    fmt::print(stderr, "scalelab tour: {}\n", files.error().message);
    return 1;
  }
  int failed = 0;
  for (const auto& r : result.runs) {
    if (r.status == lab::tour::Status::kNotSelected) continue;
    fmt::print("  {:<16} {:<8} {:>5.0f} s{}\n", r.name, to_string(r.status), r.seconds,
               r.status == lab::tour::Status::kSkipped ? "  " + r.reason : "");
    failed += r.status == lab::tour::Status::kFailed;
  }
  fmt::print("tour: {:.0f} s\nindex: {}\ntour.json: {}\n", result.seconds, files->index.string(), files->json.string());
  if (web) {
    web->dashboard().finish({{"tour index", files->index}, {"tour.json", files->json}});
    linger_web(web->dashboard(), web_args, "scalelab tour");
  }
  return failed == 0 ? 0 : kExitSomeFailed;
}

}  // namespace

void add_tour_commands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<lab::tour::TourOptions>();
  auto out_dir = std::make_shared<std::string>(o->out_dir.string());
  auto* cmd = app.add_subcommand(
      "tour", "Run every experiment of the course in order and write OUT/index.html (each beside the course's "
              "figures) and OUT/tour.json");
  cmd->add_flag("--quick", o->quick, "Every experiment in its short form (about 5 minutes on 2 cores)");
  cmd->add_option("--only", o->only, "Run only these experiments (" + names() + ")")->delimiter(',');
  cmd->add_option("--skip", o->skip, "Leave these experiments out")->delimiter(',');
  add_flag_option(*cmd, "--out", *out_dir, "Directory for index.html, tour.json and one directory per experiment");
  cmd->add_flag("--progress,!--no-progress", o->progress, "Show which experiment runs and the time left on stderr");
  auto web_args = std::make_shared<WebArgs>();
  // No SCALELAB_* variables: the experiments' own load children must not bind the tour's address.
  cmd->add_option("--web", web_args->listen,
                  "Serve a live page at ADDRESS:PORT (port 0: any free one): which experiment runs, the time left, "
                  "the running one's live series, Stop, and every report");
  cmd->add_option("--web-linger", web_args->linger,
                  "How long the page stays up after the tour (e.g. 30s; default: until Ctrl-C)");
  cmd->callback([o, out_dir, web_args, &exit_code] {
    o->out_dir = *out_dir;
    std::unique_ptr<TourWeb> web;
    if (!web_args->listen.empty()) {
      auto started = start_tour_web(*web_args);
      if (!started) {
        fmt::print(stderr, "scalelab tour: {}\n", started.error().message);
        exit_code = 2;
        return;
      }
      web = std::move(*started);
      o->live = web.get();
    }
    exit_code = run(*o, web.get(), *web_args);
  });
}

}  // namespace scalelab::app
