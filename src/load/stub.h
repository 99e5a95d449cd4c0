// A controllable target for the load generator's tests, benchmarks and
// accuracy checks: answers every path with a fixed body after a known delay,
// and can stall (hold every request) for a window of time. It measures how
// late its own timer woke against each answer's due time, so an accuracy
// check can tell the server's error from the generator's. Served by src/http's
// Server; `scalelab serve stub` runs it as a process.
// Thread-safety: options are read-only once the server runs; counters are
// atomic; the lateness histogram is guarded by a mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "core/thread_annotations.h"
#include "http/router.h"
#include "obs/histogram.h"

namespace scalelab::load {

struct StubOptions {
  std::string body = "{\"ok\":true}";
  std::chrono::microseconds delay{0};       // added to every answer, from when its handler starts
  std::chrono::microseconds stall_at{0};    // since the first request; 0 with stall 0: never
  std::chrono::microseconds stall_for{0};   // requests arriving in the window wait until it ends
  unsigned status = 200;
  // A thread woken from idle by a timer is late (on this project's VM about
  // 0.1-0.2 ms at the median), which would count as the server's delay. With
  // spin > 0 the stub learns the median of that wake-up delay and sets its
  // timer that much early, at most `spin`, then polls the clock (yielding to
  // the server's other work) until the due time. 0: sleep only. Costs about
  // the learnt lead of CPU per answer.
  std::chrono::microseconds spin{0};
};

class Stub {
 public:
  explicit Stub(StubOptions options) : options_(std::move(options)) {}
  // GET/POST/PUT/DELETE on /{*}: the fixed answer (paths up to 4 segments);
  // GET /stub/count: {"answered": N, "late_us": {"p50", "p99", "max"}}, how
  // late answers with a delay were ready after their due time.
  void register_routes(http::Router& router);
  std::uint64_t answered() const { return answered_.load(); }
  // A copy of the lateness histogram (microseconds past the due time).
  obs::LogLinearHistogram lateness() const;
  // How early the timer is set now (0..spin), learnt from its wake-ups.
  std::chrono::microseconds lead() const { return std::chrono::microseconds(lead_us_.load()); }

 private:
  void learn_lead(std::chrono::steady_clock::duration woke_late);

  StubOptions options_;
  std::atomic<std::uint64_t> answered_{0};
  std::atomic<std::int64_t> first_ns_{0};
  std::atomic<std::int64_t> lead_us_{0};
  mutable core::Mutex late_mu_;
  obs::LogLinearHistogram late_us_ GUARDED_BY(late_mu_);
};

}  // namespace scalelab::load
