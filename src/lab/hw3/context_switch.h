// Context switching: two parties hand a turn back and forth `round_trips`
// times, each waiting for the other (an unbuffered hand-off, like Go's
// unbuffered channel): two threads over a condition variable and over a pair
// of pipes, each pinned to one core vs free on all cores; and two Asio
// coroutines on one thread over an unbuffered channel, the C++ analogue of
// goroutines. Time per switch (a round trip is two switches) and the kernel's
// context-switch counts (getrusage) for the run.
// Thread-safety: call from one thread at a time; the kernel's counts are
// per process, so nothing else should run meanwhile.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace scalelab::lab::hw3 {

enum class HandOff { kCondvar, kPipe, kCoroutine };
const char* to_string(HandOff kind);

struct SwitchRow {
  std::string language = "C++";
  std::string name;  // condvar, pipe, coroutine (Go: channel)
  bool pinned = false;
  std::int64_t round_trips = 0;
  double ns_per_switch = 0;
  std::int64_t voluntary = 0, involuntary = 0;  // kernel context switches during the run
};

struct SwitchResult {
  std::vector<SwitchRow> rows;  // C++ rows, then the Go twin's
};

// One run. A coroutine run is on one thread by construction (pinned = true).
SwitchRow ping_pong(HandOff kind, bool pinned, std::int64_t round_trips);

SwitchResult run_context_switch(std::int64_t round_trips);

}  // namespace scalelab::lab::hw3
