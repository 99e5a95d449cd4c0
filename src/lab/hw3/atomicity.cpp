#include "lab/hw3/atomicity.h"

#include <atomic>
#include <mutex>

#include "lab/hw3/measure.h"

namespace scalelab::lab::hw3 {
namespace {

// volatile keeps the compiler from folding the loop into one `+= n` (which
// would hide the race in a release build); each increment stays a separate
// load and store that another thread can interleave with.
struct RacyCounter {
  volatile std::uint64_t value = 0;
  void add() { value = value + 1; }
};

CounterRow timed(const char* kind, int threads, int increments, const std::function<void()>& add,
                 const std::function<std::uint64_t()>& read) {
  CounterRow row;
  row.kind = kind;
  row.increments = increments;
  row.expected = static_cast<std::uint64_t>(threads) * static_cast<std::uint64_t>(increments);
  const double ms = run_together(threads, [&](int) {
    for (int i = 0; i < increments; ++i) add();
  });
  row.final_value = read();
  row.ns_per_increment = row.expected ? ms * 1e6 / static_cast<double>(row.expected) : 0;
  return row;
}

}  // namespace

std::uint64_t racy_counter(int threads, int increments) {
  RacyCounter counter;
  run_together(threads, [&](int) {
    for (int i = 0; i < increments; ++i) counter.add();
  });
  return counter.value;
}

AtomicityResult run_atomicity(int threads, int increments, int long_factor) {
  AtomicityResult r{threads, increments, {}};
  RacyCounter plain;
  r.rows.push_back(timed("plain", threads, increments, [&] { plain.add(); }, [&] { return plain.value; }));
  RacyCounter plain_long;
  r.rows.push_back(timed("plain-long", threads, increments * long_factor, [&] { plain_long.add(); },
                         [&] { return plain_long.value; }));
  std::atomic<std::uint64_t> atomic{0};
  r.rows.push_back(timed(
      "atomic", threads, increments, [&] { atomic.fetch_add(1, std::memory_order_relaxed); },
      [&] { return atomic.load(); }));
  std::mutex mu;
  std::uint64_t guarded = 0;  // guarded by mu
  r.rows.push_back(timed(
      "mutex", threads, increments,
      [&] {
        std::lock_guard lock(mu);
        ++guarded;
      },
      [&] { return guarded; }));
  return r;
}

}  // namespace scalelab::lab::hw3
