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

#include <string>

#include "app/load_processes.h"
#include "core/result.h"

namespace scalelab::app {

// Listens on listen_addr (HOST:PORT; PORT 0 picks one, printed on stderr),
// waits for n workers, runs, merges. scenario_file: the file the command
// line names ("" in --url mode), sent to the workers. progress: a merged
// live line each second on stderr from the workers' progress.
Result<ProcessRun> run_on_workers(unsigned n, const std::string& listen_addr, const std::string& scenario_file,
                                  bool progress);

// The worker's whole life: connect, take a share, run it, send the result.
int run_worker(const std::string& coordinator);

}  // namespace scalelab::app
