// Real infrastructure (Redis, RabbitMQ, HAProxy from Debian's packages),
// started privately: its own port on 127.0.0.1, its own data and log dirs
// under a directory the caller names, never the system instance.
//
// Two ways to use a launcher:
//  - in-process (experiments, `lab …`): keep the returned Server; its
//    destructor stops the server;
//  - detached (ctest fixtures): `scalelab infra up KIND --dir D` starts it,
//    writes D/url and D/pid and returns; `scalelab infra down --dir D`
//    stops it. Tests read the URL from D/url.
// Each kind lives in its own file (redis.cpp, rabbitmq.cpp, …) and is listed
// once in kinds() in servers.cpp.
// Thread-safety: launchers are called from one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "infra/process.h"

namespace scalelab::infra {

struct Options {
  std::filesystem::path dir;          // state, data and logs; created if missing
  std::uint16_t port = 0;             // 0: a free port is picked
  std::chrono::seconds start_timeout{90};
  bool detached = false;              // survives this process (for `infra up`)
  int nodes = 1;                      // > 1: a cluster of that many nodes (kinds that cluster)
  // redis: replicas of the primary and Sentinels watching it (0 and 0: one
  // plain server); with Sentinels the URL is redis-sentinel://…/mymaster.
  int redis_replicas = 0;
  int redis_sentinels = 0;
  std::chrono::milliseconds sentinel_down_after{1'000};  // no reply for this long: down
};

class Server {
 public:
  Server(std::string kind, std::string url, std::uint16_t port, std::filesystem::path dir, Process process)
      : kind_(std::move(kind)), url_(std::move(url)), port_(port), dir_(std::move(dir)),
        process_(std::move(process)) {}

  const std::string& kind() const { return kind_; }
  // e.g. redis://127.0.0.1:41234; a cluster's node URLs joined by commas.
  const std::string& url() const { return url_; }
  std::uint16_t port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }
  Process& process() { return process_; }
  // A cluster's further processes (its nodes), stopped before process().
  void add_member(Process p) { members_.push_back(std::move(p)); }
  std::vector<Process>& members() { return members_; }
  void stop();

 private:
  std::string kind_;
  std::string url_;
  std::uint16_t port_;
  std::filesystem::path dir_;
  Process process_;
  std::vector<Process> members_;  // destroyed (stopped) before process_
};

using Launcher = std::function<Result<Server>(const Options&)>;

struct Kind {
  std::string name;         // "redis", "rabbitmq", …
  std::string description;  // one line for --help
  Launcher start;
};

// Every kind scalelab can start.
const std::vector<Kind>& kinds();
const Kind* find_kind(std::string_view name);

// Creates dir (and parents); fails with a clear message when it cannot.
Status prepare_dir(const std::filesystem::path& dir);
// The last lines of a log file, for error messages when a server fails to start.
std::string tail_of(const std::filesystem::path& log_file, std::size_t max_lines = 20);

// `infra up` / `infra down`: detach a started server, recording D/url,
// D/pid (its process group, then its members' groups, one per line) and
// D/kind; stop it again from those files.
Status record_detached(Server& server);
Status stop_detached(const std::filesystem::path& dir);

}  // namespace scalelab::infra
