// The tour: every experiment of the course, in order, each run as a child
// process of this binary (`scalelab lab NAME ... --out OUT/NAME`), then one
// index page (OUT/index.html) with each experiment's headline figures beside
// the course's own, and OUT/tour.json for scripts. An experiment that needs
// something missing is skipped with the reason; one that fails is shown as
// failed with the end of its log, and the tour goes on.
// run_tour measures; render_tour draws (from hand-made results in tests).
// Thread-safety: run_tour and render_tour are called from one thread.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.h"

namespace scalelab::lab::tour {

enum class Status { kOk, kSkipped, kFailed, kNotSelected };
const char* to_string(Status s);  // "ok", "skipped", "failed", "not selected"

// One figure the course reported, and where scalelab's own is in the
// experiment's summary.json (a flattened key, report/compare.h).
struct Headline {
  std::string what;    // "median response time"
  std::string course;  // the course's figure as it reported it
  std::string key;     // e.g. "phase_2.p99_ms"; "" when scalelab has no such figure
  std::string unit;    // appended to the value ("ms"); "yes/no" shows a boolean as yes or no
};

struct Experiment {
  std::string name;   // as in `scalelab lab NAME`
  std::string title;  // what it shows, in a line
  std::vector<std::string> full_args;   // after `lab NAME`, before --out (the course's durations where they fit)
  std::vector<std::string> quick_args;  // the same shape, shorter
  double full_s = 0;                    // expected wall time, seconds
  double quick_s = 0;
  std::vector<std::string> needs;       // programs that must be on PATH
  bool wants_cpu_limit = false;         // runs unlimited without a cgroup CPU controller, and says so
  std::vector<Headline> headlines;
  std::string meaning;                  // what the difference from the course means
};

// The course's experiments in tour order, with their figures (course.cpp).
const std::vector<Experiment>& course();

// What the tour tells whoever watches it live (`tour --web`): which
// experiment runs and the events its child writes (`--live-out`, JSON lines
// as lab::Live sends them) as they come; and whether to stop. A stop ends
// the running experiment early (it still writes its report) and skips the
// rest. Thread-safety: called from the tour's thread.
class TourLive {
 public:
  virtual ~TourLive() = default;
  // Experiment k of n is `name`; about left_s seconds of the tour remain.
  virtual void experiment(std::size_t k, std::size_t n, std::string_view name, double left_s) = 0;
  // One line the running child wrote (one JSON event).
  virtual void child_event(std::string_view name, std::string_view line) = 0;
  virtual bool stop_requested() = 0;
};

struct TourOptions {
  std::filesystem::path out_dir = "reports";
  bool quick = false;
  std::vector<std::string> only;  // empty: every experiment
  std::vector<std::string> skip;
  bool progress = true;           // k of n, elapsed, time left on stderr
  std::filesystem::path binary;   // the scalelab to run the labs with (default: this one)
  TourLive* live = nullptr;       // --web: the live view; null without
};

struct ExperimentRun {
  std::string name;
  Status status = Status::kNotSelected;
  std::string reason;        // why skipped or failed (with the log's last lines)
  double seconds = 0;
  std::string report;        // relative to the tour's directory, e.g. "hw1/report.html"
  boost::json::value summary;  // its summary.json (null when there is none)
};

struct TourResult {
  bool quick = false;
  double seconds = 0;
  std::vector<ExperimentRun> runs;  // every experiment of course(), in order
};

// Which experiments run: fails with kInvalidInput on a name that is not an experiment.
Result<std::vector<bool>> select(const std::vector<Experiment>& all, const std::vector<std::string>& only,
                                 const std::vector<std::string>& skip);

// The child's command line; with live_out, the child writes its live events there.
std::vector<std::string> child_argv(const std::filesystem::path& binary, const Experiment& e, bool quick,
                                    const std::filesystem::path& out_dir, const std::filesystem::path& live_out = {});

// Why `e` cannot run here ("" when it can): the binary lacks it, or a program it needs is missing.
std::string missing_requirement(const std::filesystem::path& binary, const Experiment& e);

TourResult run_tour(const TourOptions& o);

// The value of a headline in a summary, formatted ("—" when the summary lacks it).
std::string headline_value(const boost::json::value& summary, const Headline& h);

boost::json::value tour_json(const TourResult& r);

struct TourFiles {
  std::filesystem::path index;
  std::filesystem::path json;
};
Result<TourFiles> render_tour(const TourResult& r, const std::filesystem::path& out_dir);

}  // namespace scalelab::lab::tour
