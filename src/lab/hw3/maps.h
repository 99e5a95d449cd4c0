// Collections: `threads` threads each write `per_thread` entries
// (m[g*per_thread+i] = i) into one shared map, and then a 90%-read mix over a
// filled map. Maps: an unsynchronised std::unordered_map (undefined
// behaviour, so it runs in a forked child: the parent reports the crash, the
// hang or the lost entries and stays well-defined), a mutex map, a
// shared_mutex (reader-writer) map, a sharded map and TBB's
// concurrent_hash_map. Mean and spread over several runs.
// Thread-safety: call from one thread at a time. The child-process run
// forks: call it while this process runs no other threads (the child only
// inherits the calling thread, and e.g. a malloc lock held elsewhere would
// stay locked in it).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "lab/hw3/measure.h"

namespace scalelab::lab::hw3 {

enum class MapKind { kMutex, kSharedMutex, kSharded, kTbb };
const char* to_string(MapKind kind);
inline constexpr MapKind kMapKinds[] = {MapKind::kMutex, MapKind::kSharedMutex, MapKind::kSharded, MapKind::kTbb};

struct MapRow {
  std::string language = "C++";
  std::string name;      // unsynchronised, mutex, shared_mutex, sharded, tbb (Go: map, Mutex, RWMutex, sync.Map)
  std::string workload;  // write, read90
  std::uint64_t expected = 0;  // entries the map should hold at the end
  double entries = 0;          // mean over the runs that finished
  Spread ms;                   // over the runs that finished
  std::string outcome;         // "ok", or what went wrong (crashes, hangs, lost entries)
};

struct MapsOptions {
  int threads = 50;
  int per_thread = 1'000;           // entries each thread writes
  int runs = 5;
  int read_mix_ops = 10'000;        // operations per thread in the 90%-read mix
  std::chrono::seconds unsync_timeout{10};  // a corrupted map can loop forever
  // The unsynchronised map again with long_factor x the entries per thread:
  // at the course's size the threads may barely overlap.
  int long_factor = 20;
};

struct MapsResult {
  std::vector<MapRow> rows;  // C++ rows, then the Go twin's
};

// One write run: entries in the map at the end and the wall milliseconds.
struct FillRun {
  std::uint64_t entries = 0;
  double ms = 0;
};
FillRun fill_map(MapKind kind, int threads, int per_thread);

// One run of the unsynchronised map in a forked child.
struct UnsyncRun {
  enum class End { kFinished, kCrashed, kHung } end = End::kFinished;
  std::uint64_t entries = 0;  // when finished
  double ms = 0;              // when finished
  int signal = 0;             // when crashed
};
UnsyncRun unsync_map_in_child(int threads, int per_thread, std::chrono::seconds timeout);

// One 90%-read run over a map prefilled with threads x per_thread entries
// (the writes rewrite existing keys, so the size should stay).
FillRun read_mix(MapKind kind, int threads, int per_thread, int ops_per_thread);

MapsResult run_maps(const MapsOptions& options);

}  // namespace scalelab::lab::hw3
