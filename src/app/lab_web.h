// `--web ADDR:PORT` on the `scalelab lab` experiments: the live dashboard
// (load/web/dashboard.h, kind kLab) fed through lab::Live; and `--live-out
// FILE`, the tour's private channel to each child: the same events as JSON
// lines, and Stop as FILE.stop appearing (lab::live_stop_file()).
// Thread-safety: LabLive's lab::Live calls are safe from any thread; start
// and end from the main thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/load_web.h"
#include "core/thread_annotations.h"
#include "lab/live.h"
#include "lab/tour/tour.h"

namespace scalelab::app {

struct LabWebArgs {
  WebArgs web;           // --web, --web-percentiles, --web-linger
  std::string live_out;  // --live-out FILE: events as JSON lines (the tour's children)
};

// Adds --web, --web-percentiles, --web-linger and --live-out to a lab command.
void add_lab_web_options(CLI::App& cmd, LabWebArgs& args);

class LabLive final : public lab::Live {
 public:
  explicit LabLive(std::vector<double> percentiles);
  ~LabLive() override;

  void phase(std::string_view name) override;
  void point(const load::SecondPoint& p) override;
  void series(std::string_view chart, std::string_view name, double value) override;
  void progress(std::string_view what, double done, double total) override;
  bool stop_requested() override;

  Status serve(load::web::DashboardOptions options);  // --web
  Status write_to(const std::filesystem::path& file);  // --live-out
  load::web::Dashboard* dashboard() { return dashboard_.get(); }
  // The end: the files are linked, on the page and in the --live-out file.
  void finish(const std::vector<load::web::ReportFile>& files);

 private:
  double now() const;
  void emit(std::string event);

  const std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
  const std::vector<double> percentiles_;
  load::LiveControl control_{load::Model::kClosed};  // Stop only: a lab page edits nothing
  std::unique_ptr<load::web::Dashboard> dashboard_;
  core::Mutex out_mu_;
  std::ofstream out_ GUARDED_BY(out_mu_);
  std::filesystem::path stop_file_;
};

// What a `scalelab lab NAME` run ends with: the report files its live page
// links, and the command's exit code.
struct LabOutcome {
  std::vector<load::web::ReportFile> files;
  int exit_code = 0;
};

// The frame every `scalelab lab NAME` command runs in: starts the live view
// `args` ask for (none without --web or --live-out; the page's URL is
// printed), hands it to `work` (which measures, renders and prints; null
// without a live view), then links the files on the page and, with --web,
// keeps it up per --web-linger (until Ctrl-C by default). An error of the
// live view or of `work` is logged as "NAME: message" and exits 1;
// otherwise the exit code is `work`'s.
int run_lab_command(std::string_view lab, const LabWebArgs& args,
                    const std::function<Result<LabOutcome>(lab::Live*)>& work);

// Keeps an ended page up per --web-linger, or until Ctrl-C (which then ends
// only the wait); `who` names the command in the message.
void linger_web(load::web::Dashboard& dashboard, const WebArgs& args, std::string_view who);

// `scalelab tour --web`: one page for the whole tour (kind kTour): which
// experiment runs, the running child's events as the tour passes them on,
// each experiment's reports as it ends, and Stop.
class TourWeb final : public lab::tour::TourLive {
 public:
  void experiment(std::size_t k, std::size_t n, std::string_view name, double left_s) override;
  void child_event(std::string_view name, std::string_view line) override;
  bool stop_requested() override { return control_.stop_requested(); }

  Status serve(load::web::DashboardOptions options);
  load::web::Dashboard& dashboard() { return *dashboard_; }

 private:
  load::LiveControl control_{load::Model::kClosed};  // Stop only
  std::unique_ptr<load::web::Dashboard> dashboard_;
};

// Starts the tour's page and prints its URL.
Result<std::unique_ptr<TourWeb>> start_tour_web(const WebArgs& args);

}  // namespace scalelab::app
