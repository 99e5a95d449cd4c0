#include "app/lab_web.h"

#include <csignal>
#include <cstdio>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/duration.h"
#include "core/json.h"

namespace scalelab::app {

namespace fs = std::filesystem;

namespace {

// Ctrl-C while the page lingers after the experiment.
std::atomic<bool> g_linger_stop{false};
extern "C" void on_linger_signal(int) { g_linger_stop = true; }

}  // namespace

void add_lab_web_options(CLI::App& cmd, LabWebArgs& a) {
  // No SCALELAB_* variables here: the tour's children inherit the tour's
  // environment and must not all bind one address.
  cmd.add_option("--web", a.web.listen,
                 "Serve a live dashboard at ADDRESS:PORT (port 0: any free one): the load, the phase and the "
                 "experiment's own series as they happen, Stop, and the final reports");
  cmd.add_option("--web-percentiles", a.web.percentiles, "Latency percentiles the dashboard charts")
      ->capture_default_str();
  cmd.add_option("--web-linger", a.web.linger,
                 "How long the dashboard stays up after the experiment (e.g. 30s; default: until Ctrl-C)");
  cmd.add_option("--live-out", a.live_out, "Write the live events as JSON lines to FILE (used by `scalelab tour`)")
      ->group("");  // hidden: the tour's private channel
}

LabLive::LabLive(std::vector<double> percentiles) : percentiles_(std::move(percentiles)) {}

LabLive::~LabLive() {
  if (dashboard_) dashboard_->stop();
}

double LabLive::now() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }

void LabLive::emit(std::string event) {
  {
    core::MutexLock lock(out_mu_);
    if (out_.is_open()) out_ << event << '\n' << std::flush;
  }
  if (dashboard_) dashboard_->append(std::move(event));
}

void LabLive::phase(std::string_view name) { emit(load::web::phase_event(now(), name)); }

void LabLive::point(const load::SecondPoint& p) {
  load::SecondPoint at = p;
  at.t_s = now();  // the experiment's clock: its load runs follow one another on one chart
  emit(load::web::point_event(at, percentiles_));
}

void LabLive::series(std::string_view chart, std::string_view name, double value) {
  emit(load::web::series_event(now(), chart, name, value));
}

void LabLive::progress(std::string_view what, double done, double total) {
  emit(load::web::progress_event(now(), what, done, total));
}

bool LabLive::stop_requested() {
  if (!stopped_ && (control_.stop_requested() || (!stop_file_.empty() && fs::exists(stop_file_)))) {
    stopped_ = true;
    phase("stopping (asked from the live page)");
  }
  return stopped_;
}

Status LabLive::serve(load::web::DashboardOptions options) {
  dashboard_ = std::make_unique<load::web::Dashboard>(std::move(options), control_);
  if (auto st = dashboard_->start(); !st) {
    dashboard_.reset();
    return st;
  }
  return {};
}

Status LabLive::write_to(const fs::path& file) {
  stop_file_ = lab::live_stop_file(file);
  core::MutexLock lock(out_mu_);
  out_.open(file, std::ios::trunc);
  if (!out_) return Error{ErrorKind::kUnavailable, "--live-out: cannot write " + file.string()};
  return {};
}

void LabLive::finish(const std::vector<load::web::ReportFile>& files) {
  boost::json::array listed;
  for (const auto& f : files) listed.push_back({{"label", f.label}, {"path", fs::absolute(f.path).string()}});
  {
    core::MutexLock lock(out_mu_);
    if (out_.is_open()) out_ << to_json(boost::json::object{{"type", "end"}, {"files", listed}}) << '\n' << std::flush;
  }
  if (dashboard_) dashboard_->finish(files);
}

namespace {

// The live view `args` ask for, or nullptr (neither --web nor --live-out).
Result<std::unique_ptr<LabLive>> start_lab_live(std::string_view lab, const LabWebArgs& args) {
  if (args.web.listen.empty() && args.live_out.empty()) return std::unique_ptr<LabLive>();
  auto pcts = load::web::parse_percentiles(args.web.percentiles);
  if (!pcts) return pcts.error();
  if (!args.web.linger.empty() && !parse_duration(args.web.linger))
    return Error{ErrorKind::kInvalidInput, fmt::format("--web-linger: '{}' is not a duration", args.web.linger)};
  auto live = std::make_unique<LabLive>(*pcts);
  if (!args.live_out.empty())
    if (auto st = live->write_to(args.live_out); !st) return st.error();
  if (!args.web.listen.empty()) {
    load::web::DashboardOptions d{.percentiles = *pcts, .title = fmt::format("scalelab lab {}", lab),
                                  .kind = load::web::DashboardKind::kLab};
    if (auto st = load::web::parse_listen(args.web.listen, d); !st) return st.error();
    if (auto st = live->serve(std::move(d)); !st) return st.error();
    std::fprintf(stderr, "scalelab lab %.*s: live dashboard at %s\n", static_cast<int>(lab.size()), lab.data(),
                 live->dashboard()->url().c_str());
  }
  return live;
}

// Links the report files and, with --web, keeps the page up per --web-linger.
void end_lab_live(LabLive* live, std::string_view lab, const std::vector<load::web::ReportFile>& files,
                  const LabWebArgs& args) {
  if (!live) return;
  live->finish(files);
  if (live->dashboard()) linger_web(*live->dashboard(), args.web, fmt::format("scalelab lab {}", lab));
}

}  // namespace

int run_lab_command(std::string_view lab, const LabWebArgs& args,
                    const std::function<Result<LabOutcome>(lab::Live*)>& work) {
  auto live = start_lab_live(lab, args);
  auto outcome = live ? work(live->get()) : Result<LabOutcome>(live.error());
  if (!outcome) {
    spdlog::error("{}: {}", lab, outcome.error().message);
    return 1;
  }
  end_lab_live(live->get(), lab, outcome->files, args);
  return outcome->exit_code;
}

void linger_web(load::web::Dashboard& dashboard, const WebArgs& args, std::string_view who) {
  g_linger_stop = false;
  void (*old_int)(int) = std::signal(SIGINT, on_linger_signal);
  void (*old_term)(int) = std::signal(SIGTERM, on_linger_signal);
  if (auto st = linger_dashboard(dashboard, args, g_linger_stop, who); !st) spdlog::error("{}", st.error().message);
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
}

void TourWeb::experiment(std::size_t k, std::size_t n, std::string_view name, double left_s) {
  dashboard_->append(load::web::experiment_event(k, n, name, left_s));
}

// A child's events pass as they are, but its end: its files are served here
// and linked as that experiment's reports.
void TourWeb::child_event(std::string_view name, std::string_view line) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return;  // not an event: nothing to show
  const auto* type = v.as_object().if_contains("type");
  if (!type || !type->is_string() || type->get_string() != "end") {
    dashboard_->append(std::string(line));
    return;
  }
  std::vector<load::web::ReportFile> files;
  if (const auto* listed = v.as_object().if_contains("files"); listed && listed->is_array())
    for (const auto& f : listed->get_array()) {
      const auto* label = f.is_object() ? f.as_object().if_contains("label") : nullptr;
      const auto* path = f.is_object() ? f.as_object().if_contains("path") : nullptr;
      if (label && path && label->is_string() && path->is_string())
        files.push_back({std::string(label->get_string()), std::string(path->get_string())});
    }
  dashboard_->append(dashboard_->files_event(name, files));
}

Status TourWeb::serve(load::web::DashboardOptions options) {
  dashboard_ = std::make_unique<load::web::Dashboard>(std::move(options), control_);
  return dashboard_->start();
}

Result<std::unique_ptr<TourWeb>> start_tour_web(const WebArgs& args) {
  auto pcts = load::web::parse_percentiles(args.percentiles);
  if (!pcts) return pcts.error();
  if (!args.linger.empty() && !parse_duration(args.linger))
    return Error{ErrorKind::kInvalidInput, fmt::format("--web-linger: '{}' is not a duration", args.linger)};
  load::web::DashboardOptions d{.percentiles = *pcts, .title = "scalelab tour", .kind = load::web::DashboardKind::kTour};
  if (auto st = load::web::parse_listen(args.listen, d); !st) return st.error();
  auto web = std::make_unique<TourWeb>();
  if (auto st = web->serve(std::move(d)); !st) return st.error();
  std::fprintf(stderr, "scalelab tour: live dashboard at %s\n", web->dashboard().url().c_str());
  return web;
}

}  // namespace scalelab::app
