// False sharing (beyond the course): each of two threads increments its own
// atomic counter; the counters sit side by side in one cache line
// (adjacent) or 64 bytes apart (padded). Adjacent counters make the cores
// pass the line back and forth on every increment although no value is
// shared. Time per increment.
// Thread-safety: call from one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace scalelab::lab::hw3 {

struct FalseSharingRow {
  std::string language = "C++";
  std::string layout;  // adjacent, padded
  int threads = 0;
  std::int64_t increments = 0;  // per thread
  double ns_per_increment = 0;  // the least over the runs: wall time / increments per thread
  double ns_mean = 0;           // over the runs
};

struct FalseSharingResult {
  std::vector<FalseSharingRow> rows;  // C++ rows, then the Go twin's
};

// One run: wall nanoseconds per increment.
double count_apart(bool padded, std::int64_t increments);

// Adjacent and padded alternate `runs` times, so a noisy neighbour on a
// shared machine hits both alike; the least time is the figure (noise only
// adds).
FalseSharingResult run_false_sharing(std::int64_t increments, int runs);

}  // namespace scalelab::lab::hw3
