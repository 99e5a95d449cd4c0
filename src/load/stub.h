// A controllable target for the load generator's tests, benchmarks and
// accuracy checks: answers every path with a fixed body after a known delay,
// and can stall (hold every request) for a window of time. Served by
// src/http's Server; `scalelab serve stub` runs it as a process.
// Thread-safety: routes are read-only once the server runs; counters atomic.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "http/router.h"

namespace scalelab::load {

struct StubOptions {
  std::string body = "{\"ok\":true}";
  std::chrono::microseconds delay{0};       // added to every answer
  std::chrono::microseconds stall_at{0};    // since the first request; 0 with stall 0: never
  std::chrono::microseconds stall_for{0};   // requests arriving in the window wait until it ends
  unsigned status = 200;
};

class Stub {
 public:
  explicit Stub(StubOptions options) : options_(std::move(options)) {}
  // GET/POST/PUT/DELETE on /{*}: the fixed answer (paths up to 4 segments);
  // GET /stub/count: requests answered so far.
  void register_routes(http::Router& router);
  std::uint64_t answered() const { return answered_.load(); }

 private:
  StubOptions options_;
  std::atomic<std::uint64_t> answered_{0};
  std::atomic<std::int64_t> first_ns_{0};
};

}  // namespace scalelab::load
