// Atomicity: `threads` threads each add 1 to one shared counter
// `increments` times, three ways: a plain counter (a data race: updates are
// lost), std::atomic (never loses one) and a mutex. Lost updates are counted,
// and time per increment is measured.
// Thread-safety: each function starts and joins its own threads; call from
// one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace scalelab::lab::hw3 {

struct CounterRow {
  std::string language = "C++";
  std::string kind;  // plain, atomic, mutex; plain-long: the plain counter with long_factor x the increments
  int increments = 0;  // per thread
  std::uint64_t expected = 0, final_value = 0;
  double ns_per_increment = 0;  // wall time / total increments (threads overlap)
  std::uint64_t lost() const { return expected > final_value ? expected - final_value : 0; }
};

struct AtomicityResult {
  int threads = 0, increments = 0;  // per thread
  std::vector<CounterRow> rows;     // C++ rows, then the Go twin's
};

// The racy counter alone: the final value of a plain counter after
// threads x increments unsynchronised read-modify-writes. A data race on
// purpose (ThreadSanitizer reports it; the tsan test relies on that).
std::uint64_t racy_counter(int threads, int increments);

// At the course's size (1,000 increments, a few microseconds of work) the
// threads may barely overlap and lose nothing; plain-long repeats the plain
// counter with long_factor times the increments, where they must overlap.
AtomicityResult run_atomicity(int threads, int increments, int long_factor);

}  // namespace scalelab::lab::hw3
