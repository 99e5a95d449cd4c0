#include "infra/servers.h"
#include "infra/haproxy.h"
#include "infra/redis.h"

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

Status write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text << "\n";
  if (!out) return Error{ErrorKind::kUnavailable, fmt::format("cannot write {}", p.string())};
  return {};
}

std::string read_line(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

Status record_detached(Server& server) {
  pid_t pid = server.process().pid();
  if (auto s = write_text(server.dir() / "pid", std::to_string(pid)); !s) return s;
  if (auto s = write_text(server.dir() / "kind", server.kind()); !s) return s;
  // url last: a fixture that sees it knows the server is up.
  if (auto s = write_text(server.dir() / "url", server.url()); !s) return s;
  server.process().release();
  return {};
}

Status stop_detached(const std::filesystem::path& dir) {
  std::string pid_text = read_line(dir / "pid");
  if (pid_text.empty()) {
    return Error{ErrorKind::kNotFound, fmt::format("no server recorded in {} (no pid file)", dir.string())};
  }
  pid_t pid = 0;
  try {
    pid = static_cast<pid_t>(std::stol(pid_text));
  } catch (const std::exception&) {
    return Error{ErrorKind::kInvalidInput, fmt::format("{}/pid does not hold a pid: '{}'", dir.string(), pid_text)};
  }
  if (!stop_process_group(pid, std::chrono::seconds(15))) {
    return Error{ErrorKind::kInternal, fmt::format("process group {} did not stop", pid)};
  }
  std::error_code ec;
  std::filesystem::remove(dir / "pid", ec);
  std::filesystem::remove(dir / "url", ec);
  return {};
}

}  // namespace scalelab::infra
