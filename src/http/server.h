// Server: the HTTP/1.x server every scalelab service runs on (Boost.Beast +
// Asio C++20 coroutines). Keep-alive and HTTP/1.0, pipelined requests answered
// in order, HEAD, bounded bodies/headers/time/connections, graceful shutdown.
// Every server also answers GET /health and GET /metrics (Prometheus text).
//
// Threading: `threads` threads, each running its own io_context (one per core
// by default). One acceptor hands connections round-robin to the contexts; a
// connection then lives on one thread, so a session needs no locks or strands.
// Chosen by measurement against one io_context shared by all threads
// (IoModel::kShared, kept selectable): bench/io_model.sh, 2 threads, 64
// connections, GET /albums/1, median of 3 interleaved rounds on a 2-core VM:
// per-thread 73.1k req/s, shared 55.6k req/s (1.31x).
//
// Timeouts are deadlines checked by a sweeper a few times per shortest
// timeout, not a timer per read or write: arming and cancelling a timer on
// every I/O step cost more than the rest of a small request.
//
// Thread-safety: configure the Router before start(); start/stop/wait from one
// controlling thread; stop() may also be called from any thread or a handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "http/router.h"
#include "obs/metrics.h"

namespace scalelab::http {

enum class IoModel {
  kContextPerThread,  // default: N io_contexts, one thread each
  kShared,            // one io_context run by N threads; sessions on strands
};

struct ServerOptions {
  std::string address = "127.0.0.1";         // "0.0.0.0" to listen on every interface
  std::uint16_t port = 8080;                 // 0 picks a free port; see Server::port()
  unsigned threads = 0;                      // 0: one per core
  std::size_t body_limit_bytes = 1 << 20;    // larger bodies get 413
  std::size_t header_limit_bytes = 16 << 10; // larger request heads get 431
  std::chrono::milliseconds read_timeout{10'000};   // first byte to last byte of a request, else 408
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{10'000};  // to send one response
  std::size_t max_connections = 10'000;      // beyond: 503 TOO_MANY_CONNECTIONS and close
  std::chrono::milliseconds shutdown_grace{10'000};  // drain deadline on stop()
  bool access_log = false;                   // one info line per request via spdlog
  IoModel io_model = IoModel::kContextPerThread;
};

class Server {
 public:
  // Adds GET /health and GET /metrics (rendering `registry`) to the router
  // unless it has them. REQUIRES: router and registry outlive the server.
  Server(ServerOptions options, Router& router, obs::Registry& registry);
  ~Server();  // stops (gracefully) and joins if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on background threads. Throws std::system_error
  // when the address cannot be bound.
  void start();
  // The bound port (useful with port 0). REQUIRES: start() returned.
  std::uint16_t port() const;
  // Graceful: stop accepting, let in-flight requests finish (their responses
  // say Connection: close), close idle connections, and after shutdown_grace
  // cancel whatever is left. Returns at once; wait() joins. Idempotent.
  void stop();
  // Blocks until the server has stopped and its threads are joined.
  void wait();
  // start(), then serve until SIGINT or SIGTERM, then stop() and wait().
  void run_until_signal();

  const ServerOptions& options() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scalelab::http
