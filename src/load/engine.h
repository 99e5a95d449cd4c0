// The load engine: runs a Scenario against its host and returns a Report.
// Closed model: virtual users (coroutines; with the simple client, OS
// threads) loop over weighted tasks with wait times, their number following
// the spawn rate or stages. Open model: iterations arrive on a schedule
// (constant or staged rate) whatever the server does; latency counts from
// each arrival's intended start, so a slow server cannot hide its queue
// (no coordinated omission), and late starts are counted.
//
// Use from an experiment:
//   load::Scenario s = ...;                  // or load_scenario_file()
//   load::RunOptions o;
//   o.on_progress = [](const load::Progress& p) { ... };   // once a second
//   load::Report r = load::run(s, o).value();
//
// Thread-safety: run() blocks the calling thread; callbacks are called on the
// calling thread (on_progress) or on generator threads (on_sample, which must
// be thread-safe when threads > 1 or with the simple client).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "load/live.h"
#include "load/scenario.h"
#include "load/schedule.h"
#include "load/stats.h"

namespace scalelab::load {

struct Progress {
  double elapsed_s = 0;
  unsigned users = 0;
  std::uint64_t total_requests = 0, total_failures = 0, late_starts = 0;
  const SecondPoint* last = nullptr;  // the second that just ended
  const std::vector<LiveEdit>* edits = nullptr;  // every live edit applied so far
};

// One finished request, for experiments that keep every sample (hw1).
struct Sample {
  std::size_t request = 0;   // index into Report::requests
  std::uint64_t user = 0;    // 1-based
  double start_s = 0;        // since the run began (intended start in the open model)
  double latency_ms = 0;
  unsigned status = 0;       // 0 when no response arrived
  bool failed = false;
  std::string_view reason;   // why it failed, when it did
};

struct RunOptions {
  std::function<void(const Progress&)> on_progress;  // each second, on the calling thread
  std::function<void(const Sample&)> on_sample;      // every request, on a generator thread
  const std::atomic<bool>* stop = nullptr;           // set to end the run early (Ctrl-C)
  // Edits (users, spawn rate, arrival rate) and stop while the run goes,
  // polled each second; null: the scenario's load as written. With it, users
  // that the profile leaves out stay parked until the end, so an edit can
  // bring them back. REQUIRES: its model is the scenario's.
  LiveControl* live = nullptr;
};

// Fails before any load when the scenario is invalid or the host cannot be
// resolved. Connection errors during the run are counted, not returned.
Result<Report> run(const Scenario& scenario, const RunOptions& options = {});

}  // namespace scalelab::load
