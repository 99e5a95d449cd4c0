// FaultProxy: a TCP proxy in front of one upstream that injects faults on
// demand, to test and demonstrate resilience policies (Toxiproxy's set of
// "toxics" is the model). Faults are added and removed at run time through
// add()/remove() or the JSON control API (register_control_routes), each with
// a probability:
//
//   latency     delay each client->upstream chunk by latency_ms +- jitter_ms
//   http_error  answer the chunk itself with an HTTP `status` (and optional
//               Retry-After), without calling upstream, then close
//   reset       reset both connections (TCP RST to the client)
//   hang        stop passing data in both directions; close after
//               close_after_ms (0: only when the client gives up)
//   bandwidth   pass upstream->client data at rate_bytes_per_second
//   down        probability 1: stop listening (connections are refused) and
//               drop open connections; below 1: reset that share of new
//               connections at once
//
// Faults are rolled per chunk the client sends (for small HTTP requests, one
// chunk is one request), except bandwidth (per chunk the upstream sends) and
// down (per connection). When several roll for one chunk, latency is applied
// first, then the first of reset / hang / http_error in the order added.
// Loopback only: the listen address and the upstream must be in 127.0.0.0/8
// (or "localhost").
//
// Threading: the proxy runs one io_context on its own thread; every
// connection lives there. add/remove/faults/stats are safe from any thread
// (the fault list is guarded by mu_ and read as an immutable snapshot).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.h"
#include "http/router.h"

namespace scalelab::faultproxy {

enum class FaultKind : std::uint8_t { kLatency, kHttpError, kReset, kHang, kBandwidth, kDown };
inline constexpr std::size_t kFaultKinds = 6;
const char* to_string(FaultKind k);

struct Fault {
  std::string name;          // unique; defaults to the kind's name
  FaultKind kind = FaultKind::kLatency;
  double probability = 1.0;  // [0, 1]
  std::chrono::milliseconds latency{0};      // latency
  std::chrono::milliseconds jitter{0};       // latency: uniform +-jitter, never below 0
  unsigned status = 503;                     // http_error
  std::chrono::seconds retry_after{0};       // http_error: Retry-After when > 0
  std::chrono::milliseconds close_after{0};  // hang: 0 never
  std::uint64_t rate_bytes_per_second = 0;   // bandwidth
};

// JSON form: {"name", "type", "probability", "latency_ms", "jitter_ms",
// "status", "retry_after_s", "close_after_ms", "rate_bytes_per_second"}.
boost::json::value to_json(const Fault& fault);
// kInvalidInput with a message naming the bad field.
Result<Fault> fault_from_json(const boost::json::value& json);

struct ProxyOptions {
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 0;   // 0 picks a free port; see port()
  std::string upstream_host = "127.0.0.1";
  std::uint16_t upstream_port = 0;
  std::chrono::milliseconds connect_timeout{2'000};  // to the upstream
  std::size_t max_connections = 1'024;               // beyond: new connections are reset
  std::uint64_t seed = 0;                            // fault dice; 0: random
};

struct ProxyStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_active = 0;
  std::uint64_t upstream_connect_failures = 0;
  std::uint64_t faults_applied[kFaultKinds] = {};
};
boost::json::value to_json(const ProxyStats& stats);

class FaultProxy {
 public:
  // Throws std::invalid_argument when an address is not loopback.
  explicit FaultProxy(ProxyOptions options);
  ~FaultProxy();  // stops
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Binds and starts the proxy thread. Throws std::system_error when the
  // port cannot be bound.
  void start();
  std::uint16_t port() const;
  // Closes the listener and every connection, joins the thread. Idempotent.
  void stop();

  // kConflict when the name is taken; kInvalidInput when malformed.
  Result<Fault> add(Fault fault);
  bool remove(const std::string& name);
  void clear();
  std::vector<Fault> faults() const;
  ProxyStats stats() const;

  // GET /faults, POST /faults (JSON fault, 201), DELETE /faults/{name} (204,
  // 404), DELETE /faults (204), GET /stats. REQUIRES: the proxy outlives the router's use.
  void register_control_routes(http::Router& router);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};


}  // namespace scalelab::faultproxy
