// The live dashboard of a `scalelab load` run, a `scalelab lab` experiment
// or the tour: a page served by the project's HTTP runtime that charts the
// run second by second (req/s, failures/s, chosen latency percentiles, users
// or arrival rate) over Server-Sent Events, plus any named extra series an
// experiment sends (its phase, instances, CPU, queue depth...); edits the
// load (load runs only) or stops it (load::LiveControl), and links the final
// reports when the run ends. Works offline (Chart.js is inlined from
// Debian's libjs-chart.js).
//   GET  /                  the page
//   GET  /events            text/event-stream: every event of the run, then the end
//   GET  /progress?after=N  the same events from the N-th on, as a JSON array
//   POST /control           {"users": N, "spawn_rate": R} | {"rate": R} | {"stop": true}
//                           (a lab or tour page: only {"stop": true})
//   GET  /files/{name}      a final report file, once the run has ended
// Each watcher keeps only its position in the shared event log: a closed tab
// costs nothing once its stream's next write fails.
// Thread-safety: publish() and finish() from the run's thread; the rest is
// read by the server's thread; append(), link() and EventLog are safe from
// any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/thread_annotations.h"
#include "http/router.h"
#include "http/server.h"
#include "load/engine.h"
#include "load/live.h"
#include "obs/metrics.h"

namespace scalelab::load::web {

// What the page shows: a load run (with its edit form), one experiment (its
// load runs, phases and own series; Stop only) or the tour (the same for the
// running experiment, which one it is, and every experiment's reports).
enum class DashboardKind { kLoad, kLab, kTour };

struct DashboardOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8089;                        // 0: any free port (see Dashboard::port())
  std::vector<double> percentiles = {0.5, 0.95, 0.99};  // each one of kLocustPercentiles
  std::string title = "scalelab load";
  DashboardKind kind = DashboardKind::kLoad;
};

// "50,95,99.9" -> {0.5, 0.95, 0.999}; each must be one of Locust's reported
// percentiles (kLocustPercentiles), which the engine keeps per second.
Result<std::vector<double>> parse_percentiles(std::string_view text);
// "127.0.0.1:8089" -> address and port.
Status parse_listen(std::string_view text, DashboardOptions& into);

// A final report file the page links: what it is and where it was written.
struct ReportFile {
  std::string label;  // "HTML report"
  std::filesystem::path path;
};

// The run's events in order, each one JSON object with a "type": "point"
// (one second), "edit" (a change applied by the engine), "phase", "series",
// "progress" (an experiment's own), "experiment" (the tour's current one),
// "files" (an experiment's reports, on the tour's page) or "end" (the links).
class EventLog {
 public:
  void append(std::string json) EXCLUDES(mu_);
  // Up to `max` events from index `from` on.
  std::vector<std::string> from(std::size_t from, std::size_t max) const EXCLUDES(mu_);
  std::size_t size() const EXCLUDES(mu_);

 private:
  mutable core::Mutex mu_;
  std::vector<std::string> events_ GUARDED_BY(mu_);
};

// The JSON of one second for the page: t, rps, fps (failures/s), users,
// rate (open model: intended arrivals/s), p (ms at each chosen percentile).
std::string point_event(const SecondPoint& p, const std::vector<double>& percentiles);
std::string edit_event(const LiveEdit& e, Model model);
// An experiment's own events; t is seconds since the experiment began.
std::string phase_event(double t, std::string_view name);
std::string series_event(double t, std::string_view chart, std::string_view name, double value);
std::string progress_event(double t, std::string_view what, double done, double total);
// The tour: experiment k of n is `name`, about left_s seconds of the tour to go.
std::string experiment_event(std::size_t k, std::size_t n, std::string_view name, double left_s);

class Dashboard {
 public:
  // REQUIRES: control outlives the dashboard; its model is the scenario's.
  Dashboard(DashboardOptions options, LiveControl& control);
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // Reads Chart.js and starts serving. Fails when Chart.js is missing or the
  // address cannot be bound.
  Status start();
  std::uint16_t port() const;
  std::string url() const;

  // Each second of the run (RunOptions::on_progress).
  void publish(const Progress& p);
  // Any event (the *_event functions above), for the page as it is.
  void append(std::string event);
  // Serves these files under /files/ from now on (a name already served gets
  // its directory's name in front) and returns the "files" event that links
  // them as `experiment`'s reports (for append()).
  std::string files_event(std::string_view experiment, const std::vector<ReportFile>& files);
  // The run ended: the page links these files (served under /files/).
  void finish(std::vector<ReportFile> files);
  void stop();

 private:
  void add_routes();
  // Registers the files for /files/ and returns the name each is served under.
  std::vector<std::string> register_files(const std::vector<ReportFile>& files);

  DashboardOptions opts_;
  LiveControl& control_;
  EventLog log_;
  std::string page_;            // built by start()
  std::size_t edits_seen_ = 0;  // publish()'s thread only
  core::Mutex files_mu_;
  std::vector<std::pair<std::string, std::filesystem::path>> files_ GUARDED_BY(files_mu_);  // served name, path
  std::atomic<bool> ended_{false};
  http::Router router_;
  obs::Registry registry_;
  std::unique_ptr<http::Server> server_;
};

// The page: HTML, CSS and the script, with Chart.js and the settings inlined.
std::string dashboard_page(const std::string& chartjs, const DashboardOptions& options, Model model);

}  // namespace scalelab::load::web
