#include "lab/hw3/false_sharing.h"

#include <atomic>

#include "lab/hw3/measure.h"

namespace scalelab::lab::hw3 {
namespace {

constexpr int kThreads = 2;
// x86-64's line size; std::hardware_destructive_interference_size warns on GCC 12.
constexpr std::size_t kCacheLine = 64;

struct Adjacent {
  std::atomic<std::int64_t> counter[kThreads] = {};
  std::atomic<std::int64_t>& at(int i) { return counter[i]; }
};

struct Padded {
  struct alignas(kCacheLine) Slot {
    std::atomic<std::int64_t> value{0};
  };
  Slot slot[kThreads];
  std::atomic<std::int64_t>& at(int i) { return slot[i].value; }
};

template <typename Counters>
double time_increments(std::int64_t increments) {
  Counters c;
  return run_together(kThreads, [&](int t) {
    for (std::int64_t i = 0; i < increments; ++i) c.at(t).fetch_add(1, std::memory_order_relaxed);
  });
}

}  // namespace

double count_apart(bool padded, std::int64_t increments) {
  const double ms = padded ? time_increments<Padded>(increments) : time_increments<Adjacent>(increments);
  return increments ? ms * 1e6 / static_cast<double>(increments) : 0;
}

FalseSharingResult run_false_sharing(std::int64_t increments, int runs) {
  std::vector<double> adjacent, padded;
  for (int i = 0; i < runs; ++i) {
    adjacent.push_back(count_apart(false, increments));
    padded.push_back(count_apart(true, increments));
  }
  const Spread a = spread(adjacent), p = spread(padded);
  return {{{"C++", "adjacent", kThreads, increments, a.min, a.mean}, {"C++", "padded", kThreads, increments, p.min, p.mean}}};
}

}  // namespace scalelab::lab::hw3
