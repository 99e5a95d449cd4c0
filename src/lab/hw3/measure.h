// Measuring helpers shared by the hw3 experiments: mean and spread over runs,
// wall time, the kernel's context-switch counts (getrusage) and write(2)
// counts (/proc/self/io), CPU pinning, and running N threads released
// together so they really overlap.
// Thread-safety: the free functions are thread-safe; run_together() must not
// be nested.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace scalelab::lab::hw3 {

// Mean, sample standard deviation, min and max of repeated measurements.
struct Spread {
  double mean = 0, stddev = 0, min = 0, max = 0;
  std::size_t runs = 0;
};
Spread spread(const std::vector<double>& samples);

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point start);
double ns_since(Clock::time_point start);

// Voluntary (blocked, gave the CPU up) and involuntary (preempted) context
// switches of this whole process so far.
struct SwitchCounts {
  std::int64_t voluntary = 0, involuntary = 0;
};
SwitchCounts process_switches();
SwitchCounts operator-(SwitchCounts a, SwitchCounts b);

// write(2)-family system calls of this process so far (syscw in
// /proc/self/io); nullopt when the kernel does not expose it.
std::optional<std::uint64_t> write_syscalls();

// Pins the calling thread to one CPU (the first this process may use), so
// two pinned threads share one core. False when the kernel refuses.
bool pin_to_first_cpu();

// Runs body(i) on `threads` threads, all released at once by a latch after
// every thread exists (otherwise early threads finish before late ones are
// created and nothing overlaps). Returns the wall milliseconds from the
// release to the last thread's end.
double run_together(int threads, const std::function<void(int)>& body);

}  // namespace scalelab::lab::hw3
