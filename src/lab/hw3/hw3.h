// `scalelab lab hw3`: the concurrency primitives of the course, measured in
// C++ (and, when Go is installed, by the Go twin in bench/peers/go_hw3 in the
// same run, its rows beside C++'s):
//  - atomicity: a plain counter (lost updates), std::atomic, a mutex;
//  - collections: an unsynchronised map in a child process, mutex,
//    shared_mutex, sharded and TBB maps, writes and a 90%-read mix;
//  - file I/O: a write(2) per line vs buffered (and + fsync), syscalls counted;
//  - context switching: condvar and pipe hand-offs pinned vs free, and two
//    Asio coroutines on one thread;
//  - false sharing: adjacent vs padded counters.
// run_hw3() measures; render_hw3() writes report.html, summary.json and a
// CSV per experiment. Thread-safety: run_hw3() from one thread at a time,
// with no other threads running in the process (the map experiment forks).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "lab/hw3/atomicity.h"
#include "lab/hw3/context_switch.h"
#include "lab/hw3/false_sharing.h"
#include "lab/hw3/file_io.h"
#include "lab/hw3/maps.h"

namespace scalelab::lab {

class Live;

struct Hw3Options {
  std::filesystem::path out_dir = "reports/hw3";
  int threads = 50;                       // atomicity and maps
  int per_thread = 1'000;                 // increments / entries per thread
  int long_factor = 20;                   // the -long rows: the racy counter and map with this x per_thread
  int runs = 5;                           // repetitions (maps, file I/O) for mean and spread
  int read_mix_ops = 10'000;              // operations per thread in the 90%-read mix
  int lines = 100'000;                    // file I/O
  std::int64_t round_trips = 1'000'000;   // context switching
  std::int64_t false_sharing_increments = 20'000'000;  // per thread, each run
  std::chrono::seconds unsync_timeout{10};             // an unsynchronised-map child that hangs is killed
  Live* live = nullptr;                   // --web: the live view (lab/live.h)
  // The Go twin: run when `go` is on PATH (built offline from Debian's Go).
  bool go = true;
  std::filesystem::path go_source_dir;   // empty: bench/peers/go_hw3 of this source tree
  std::filesystem::path go_build_dir;    // empty: go_hw3/ in this build tree (binary and GOCACHE)
  bool progress = true;                  // a line per experiment on stderr
};

// The sizes of --quick: the course's thread and entry counts, fewer runs,
// round trips and increments (well under a minute).
Hw3Options quick_hw3(Hw3Options options);

struct GoTwin {
  bool ran = false;
  std::string version;  // e.g. go1.19.8
  std::string note;     // why it did not run, or how it failed
};

struct Hw3Result {
  hw3::AtomicityResult atomicity;
  hw3::MapsResult maps;
  hw3::FileIoResult file_io;
  hw3::SwitchResult context_switch;
  hw3::FalseSharingResult false_sharing;
  GoTwin go;
  std::string machine;  // cores and load average when the run ended
};

struct Hw3Files {
  std::filesystem::path report, json;
  std::vector<std::filesystem::path> csv;
};

Result<Hw3Result> run_hw3(const Hw3Options& options);
Result<Hw3Files> render_hw3(const Hw3Result& result, const std::filesystem::path& out_dir);

}  // namespace scalelab::lab
