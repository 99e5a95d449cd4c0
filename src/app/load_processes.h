// `scalelab load --processes N`: the run split over N generator processes
// (this binary again, with the same arguments and a share each), started
// together and merged exactly (load/distributed.h). A process that dies
// mid-run is reported by name and the others' results still make the report.
// Thread-safety: call from the main thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "load/distributed.h"
#include "load/html_report.h"

namespace scalelab::app {

struct ProcessRun {
  load::Report merged;
  std::vector<load::PartReport> parts;  // the shares that finished
  std::vector<std::string> lost;        // "process 3 (pid 1234): killed by signal 9"
};

// Runs this command line again in n processes (--processes removed, its
// outputs left to this process) and merges their results. Fails when no
// process finished. progress: a merged live line each second on stderr.
// stop: when it turns true the children stop early (SIGTERM) and what they
// measured is still merged.
Result<ProcessRun> run_in_processes(unsigned n, bool progress, const std::atomic<bool>& stop);

// One share, in a child started by run_in_processes: waits for the common
// start time (Unix ms), runs, and writes the share's result to out_file.
int run_share(const load::Scenario& s, const std::string& part, const std::string& out_file,
              std::int64_t start_at_unix_ms, const std::atomic<bool>* stop);

// The run's JSON (load::report_json) with a "generators" array added: each
// finished process or worker (name, requests, failures, rps, p50/p99, CPU)
// and the lost ones (name, why).
std::string with_generators(const std::string& report_json, const ProcessRun& run);

// The HTML page's generator rows: each finished process or worker (pointing
// into run.parts, which must outlive them) and each lost one with its reason.
std::vector<load::GeneratorRow> generator_rows(const ProcessRun& run);

// A line per process and the lost ones, for the end of the run.
std::string processes_table(const ProcessRun& run);

}  // namespace scalelab::app
