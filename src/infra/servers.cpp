#include "infra/servers.h"
#include "core/file.h"
#include "infra/haproxy.h"
#include "infra/redis.h"

#include <csignal>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace scalelab::infra {

Kind rabbitmq_kind();  // rabbitmq.cpp

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> all = {
      // One line per kind, in the order `infra --help` lists them.
      {"redis",
       "a private redis-server (no persistence); with --replicas R --sentinels S a primary, R replicas and S "
       "Sentinels (URL redis-sentinel://…/mymaster)",
       start_redis},
      rabbitmq_kind(),
      {"haproxy",
       "a private HAProxy: HTTP frontend on the port, an empty backend whose servers join through its admin socket",
       [](const Options& o) { return start_haproxy(o); }},
  };
  return all;
}

const Kind* find_kind(std::string_view name) {
  for (const auto& k : kinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

Status prepare_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{ErrorKind::kUnavailable, fmt::format("cannot create {}: {}", dir.string(), ec.message())};
  return {};
}

std::string tail_of(const std::filesystem::path& log_file, std::size_t max_lines) {
  std::ifstream in(log_file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > max_lines) lines.erase(lines.begin());
  }
  std::string out;
  for (const auto& l : lines) out += "  | " + l + "\n";
  return out;
}

namespace {



}  // namespace

void Server::stop() {
  // Every member is told at once, so a cluster's nodes shut down together.
  for (auto& m : members_) m.signal(SIGTERM);
  for (auto& m : members_) m.stop(std::chrono::seconds(15));
  process_.stop(std::chrono::seconds(15));
}

Status record_detached(Server& server) {
  std::string pids = std::to_string(server.process().pid());
  for (auto& m : server.members()) pids += fmt::format("\n{}", m.pid());
  if (auto s = write_text(server.dir() / "pid", pids + "\n"); !s) return s;
  if (auto s = write_text(server.dir() / "kind", server.kind() + "\n"); !s) return s;
  // url last: a fixture that sees it knows the server is up.
  if (auto s = write_text(server.dir() / "url", server.url() + "\n"); !s) return s;
  server.process().release();
  for (auto& m : server.members()) m.release();
  return {};
}

Status stop_detached(const std::filesystem::path& dir) {
  std::vector<pid_t> groups;
  std::ifstream in(dir / "pid");
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    try {
      groups.push_back(static_cast<pid_t>(std::stol(line)));
    } catch (const std::exception&) {
      return Error{ErrorKind::kInvalidInput, fmt::format("{}/pid does not hold a pid: '{}'", dir.string(), line)};
    }
  }
  if (groups.empty()) {
    return Error{ErrorKind::kNotFound, fmt::format("no server recorded in {} (no pid file)", dir.string())};
  }
  // Members (a cluster's nodes) first and all at once; the first group last.
  for (std::size_t i = 1; i < groups.size(); ++i) ::kill(-groups[i], SIGTERM);
  for (std::size_t i = groups.size(); i-- > 0;) {
    if (!stop_process_group(groups[i], std::chrono::seconds(15))) {
      return Error{ErrorKind::kInternal, fmt::format("process group {} did not stop", groups[i])};
    }
  }
  std::error_code ec;
  std::filesystem::remove(dir / "pid", ec);
  std::filesystem::remove(dir / "url", ec);
  std::filesystem::remove(dir / "nodes", ec);  // a cluster's
  return {};
}

}  // namespace scalelab::infra
