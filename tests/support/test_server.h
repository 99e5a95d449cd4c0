// Test support: a Server on 127.0.0.1:0 with a router the test fills, and a
// raw blocking socket for byte-level HTTP conversations (pipelining, slow
// clients, malformed requests). Every read has a timeout, so a test fails
// instead of hanging.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/router.h"
#include "http/server.h"
#include "obs/metrics.h"

namespace scalelab::testkit {

class TestServer {
 public:
  // configure adds routes before the server starts.
  explicit TestServer(std::function<void(http::Router&)> configure = {},
                      http::ServerOptions options = defaults());
  ~TestServer();

  static http::ServerOptions defaults();  // port 0, 2 threads, short timeouts
  std::uint16_t port() const { return server_->port(); }
  http::Server& server() { return *server_; }
  obs::Registry& registry() { return registry_; }

 private:
  http::Router router_;
  obs::Registry registry_;
  std::unique_ptr<http::Server> server_;
};

// An empty directory for this test run: the system's temp dir / NAME-PID,
// removed first if an earlier run left it.
std::filesystem::path fresh_dir(const std::string& name);

// The whole content of a text file ("" when it cannot be read).
std::string read_file(const std::filesystem::path& path);

// The value of one unlabelled series in the registry's text ("name value"),
// or -1 when absent.
double metric_value(const obs::Registry& registry, const std::string& series);

// The URL of the private server a ctest fixture started for this run
// (scalelab_test(... INFRA kind)), e.g. infra_url("redis") ->
// "redis://127.0.0.1:41234". Fails the calling test (ADD_FAILURE) and returns
// "" when the fixture is missing.
std::string infra_url(const std::string& kind);

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  std::string header(const std::string& name) const;  // case-insensitive; "" if absent
};

class RawConnection;

// Sends `request` on a new connection to 127.0.0.1:port and returns
// everything the server sends until it closes the connection (or 5 s pass
// without a byte): e.g. a whole event stream.
std::string read_until_close(std::uint16_t port, const std::string& request);

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port,
                         std::chrono::milliseconds read_timeout = std::chrono::seconds(5));
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool send(const std::string& bytes);
  // Reads one response (by Content-Length; HEAD/204 responses have no body
  // when head_only). nullopt on timeout or close before a full response.
  std::optional<RawResponse> read_response(bool head_only = false);
  // True when the peer closed the connection (read returns 0 or reset) within the timeout.
  bool closed_by_peer();
  // Everything not yet read, until the peer closes the connection (or a read
  // waits longer than the timeout): e.g. a whole event stream.
  std::string read_until_close();

 private:
  bool fill();  // reads more into buffer_; false on close/timeout
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace scalelab::testkit
