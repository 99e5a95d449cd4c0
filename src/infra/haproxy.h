// The `haproxy` infra kind: a private HAProxy (Debian's 2.6) with an HTTP
// frontend on 127.0.0.1 and its own port, one backend that starts empty and
// whose servers join and leave at run time (dynamic servers through the
// runtime API on an admin socket in the state directory: no reload), active
// health checks (`option httpchk GET /health`), and retries of idempotent
// requests on another server (`retry-on` + `option redispatch`).
// HaproxyAdmin speaks the runtime API (one command per connection on the
// admin socket).
// Thread-safety: start_haproxy from one thread; a HaproxyAdmin may be used
// from several threads (each command opens its own connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"
#include "infra/servers.h"

namespace scalelab::infra {

struct HaproxyOptions {
  std::string backend = "app";
  std::string balance = "roundrobin";  // dynamic servers need a dynamic algorithm (roundrobin, leastconn)
  std::string health_path = "/health";
  std::chrono::milliseconds check_interval{30'000};  // the course's ALB: every 30 s
  int rise = 2;                                      // healthy after 2 checks
  int fall = 2;
  int retries = 3;  // per request, on another server (redispatch)
  std::chrono::milliseconds connect_timeout{1'000}, server_timeout{10'000}, client_timeout{30'000};
  std::string listen_address = "127.0.0.1";  // the frontend's; the port is Options::port
};

// Starts HAProxy with its config, log and admin socket in options.dir; the
// Server's url is the frontend (http://ADDR:PORT). Ready when the admin
// socket answers. Fails with kUnavailable (saying why, with the log's tail)
// when haproxy is missing or does not start.
Result<Server> start_haproxy(const Options& options, const HaproxyOptions& haproxy = {});

// The admin socket start_haproxy creates under a state directory.
std::filesystem::path haproxy_admin_socket(const std::filesystem::path& dir);

struct BackendServer {
  std::string name;
  std::string address;     // host:port
  std::string status;      // as HAProxy says: "UP", "DOWN", "MAINT", "DRAIN", "UP 1/2", "no check", …
  bool up = false;         // receives new requests (UP, not draining or in maintenance)
  int current_sessions = 0;
  std::uint64_t total_sessions = 0;      // requests it was given
  std::uint64_t connections_opened = 0;  // to it; fewer than requests when idle connections are reused
};

class HaproxyAdmin {
 public:
  // The check parameters for servers it adds (inter, rise, fall) are read
  // from the config start_haproxy wrote beside the socket (the defaults of
  // HaproxyOptions when there is none); the second form takes them as given.
  HaproxyAdmin(std::filesystem::path socket, std::string backend = "app");
  HaproxyAdmin(std::filesystem::path socket, const HaproxyOptions& options);

  // One runtime API command; the whole answer. kUnavailable when the socket
  // does not answer; kInvalidInput when HAProxy rejects the command.
  Result<std::string> command(const std::string& line) const;

  // Joins: `add server BACKEND/NAME HOST:PORT check inter … rise … fall …`,
  // `enable health`, `set server … state ready`. The server takes requests
  // once its health check has passed `rise` times.
  Status add_server(const std::string& name, const std::string& host, std::uint16_t port) const;
  // Leaves without failing a request: `state drain`, then waits (up to
  // timeout) until it holds no session, `state maint`, `del server`. Past
  // the timeout its remaining sessions are shut (as a load balancer's
  // deregistration delay ends) and it is deleted anyway. kNotFound for a
  // server the backend does not have.
  Status remove_server(const std::string& name, std::chrono::milliseconds timeout) const;
  // The backend's servers as HAProxy sees them now (from `show stat`).
  Result<std::vector<BackendServer>> servers() const;

  const std::string& backend() const { return backend_; }

 private:
  std::filesystem::path socket_;
  std::string backend_;
  std::string check_params_;  // "inter 30000ms rise 2 fall 2"
};

// The server-check parameters `add server` gets for these options.
std::string haproxy_check_params(const HaproxyOptions& options);

}  // namespace scalelab::infra
