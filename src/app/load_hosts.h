// `scalelab load --coordinator --expect-workers N` and `scalelab load
// --worker HOST:PORT`: a run spread across hosts. The coordinator waits for
// N workers to connect, sends each its share (the coordinator's own command
// line and scenario file, a share index and a common start delay), and
// merges what they send back exactly, as --processes does. A worker runs its
// share as a child process (`load --share`) and returns the result. A worker
// lost mid-run is named by host and pid; the others still make the report.
// Protocol: one JSON object per line over TCP (hello, job, progress each
// second, result).
// Thread-safety: call from the main thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "app/load_processes.h"
#include "core/result.h"

namespace scalelab::app {

struct WorkersOptions {
  unsigned workers = 0;       // start when this many have joined
  std::string listen;         // HOST:PORT; PORT 0 picks one, printed on stderr
  std::string scenario_file;  // the file the command line names ("" in --url mode), sent to the workers
  bool progress = true;       // a merged live line each second on stderr from the workers' progress
  std::chrono::seconds join_timeout{300};  // fail (naming how many joined) when fewer joined by then
};

// Listens, waits for the workers, runs, merges. When stop turns true while
// waiting, fails at once; while running, the workers stop their shares and
// what they measured is still merged.
Result<ProcessRun> run_on_workers(const WorkersOptions& options, const std::atomic<bool>& stop);

// The worker's whole life: connect, take a share, run it, send the result.
// The share stops early (and still reports) when the coordinator says stop
// or stop turns true; it is killed when the coordinator goes away.
int run_worker(const std::string& coordinator, const std::atomic<bool>& stop);

}  // namespace scalelab::app
