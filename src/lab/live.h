// What a running experiment tells whoever watches it live (`--web`): each
// second of its load runs, the current phase, its own series (instances,
// CPU, queue depth, breaker state...) and how far a step has come; and
// whether the watcher asked it to stop. The experiments stay free of HTTP:
// the app layer implements Live (a dashboard, or a file of JSON lines for
// the tour); without --web the experiments get nullptr, and the live_*
// helpers below do nothing.
// A stop asked for ends the load run going on (and any after it at once);
// the experiment still reports what it measured.
// Thread-safety: implementations are safe from any thread.
#pragma once

#include <atomic>
#include <filesystem>
#include <string_view>

#include "load/engine.h"

namespace scalelab::lab {

class Live {
 public:
  virtual ~Live() = default;
  // The step the experiment is in now ("light", "breaking", "4 mappers").
  virtual void phase(std::string_view name) = 0;
  // One second of a load run.
  virtual void point(const load::SecondPoint& p) = 0;
  // One value of the experiment's own series: `chart` groups series that
  // share a chart and a unit ("instances"), `name` is the line ("ready").
  virtual void series(std::string_view chart, std::string_view name, double value) = 0;
  // How far the current step is: done of total (e.g. messages, runs).
  virtual void progress(std::string_view what, double done, double total) = 0;
  // Whether the watcher asked to stop; once true, stays true.
  virtual bool stop_requested() = 0;
  // Set once stop_requested() has found a stop: for load::RunOptions::stop.
  const std::atomic<bool>* stop_flag() const { return &stopped_; }

 protected:
  std::atomic<bool> stopped_{false};
};

inline void live_phase(Live* live, std::string_view name) {
  if (live) live->phase(name);
}
inline void live_series(Live* live, std::string_view chart, std::string_view name, double value) {
  if (live) live->series(chart, name, value);
}
inline void live_progress(Live* live, std::string_view what, double done, double total) {
  if (live) live->progress(what, done, total);
}
inline bool live_stopped(Live* live) { return live && live->stop_requested(); }

// Hooks a load run to `live` (nothing when null): each second's point after
// the run's own on_progress, and Stop ends the run (unless the run already
// has its own stop flag, which the caller then keeps in step).
void watch(Live* live, load::RunOptions& run);

// `scalelab lab NAME --live-out FILE` (the tour's private channel to each
// child) writes its events to FILE as JSON lines and stops when this file
// appears.
std::filesystem::path live_stop_file(const std::filesystem::path& live_out);

}  // namespace scalelab::lab
