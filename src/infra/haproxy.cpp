// The `haproxy` kind: Debian's HAProxy 2.6 in the foreground (`haproxy -db`)
// as a child process, with its config, log and admin socket in its state
// directory, and HaproxyAdmin, a client of its runtime API.
//
// What 2.6 does that shaped this file (each found by experiment):
//  - A dynamic server (`add server`) starts in maintenance; `default-server`
//    lines do not apply to it, so check parameters go on the `add server` line.
//    Nor do a static server's idle-connection defaults: without an explicit
//    pool-max-conn every request opens a new connection to the server (a
//    quarter of the throughput on this machine).
//  - `set server … state ready` makes a checked server "UP 1/2" at once:
//    it takes requests before any check has passed. `set server … health
//    down` is ignored while the server is in maintenance. So a server joins
//    with weight 0 (no requests), is made ready, forced DOWN, and only then
//    gets its weight back: it takes requests after `rise` passing checks.
//  - Answers are plain text; errors have no common prefix ("No such server.",
//    "invalid port '99999'", "unknown keyword 'x'.", "usage: …"), so each
//    command here checks for the answer it expects.
//  - retry-on beyond conn-failure replays any method, POST included; the
//    backend turns those retries off for non-idempotent methods
//    (`http-request disable-l7-retry`), which keeps only the retry of a
//    request that never reached a server.
#include "infra/haproxy.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "core/file.h"

namespace scalelab::infra {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kConfigFile = "haproxy.cfg";
constexpr const char* kLogFile = "haproxy.log";
constexpr const char* kAdminSocket = "admin.sock";
// A runtime API answer longer than this is not one HAProxy gives for these commands.
constexpr std::size_t kMaxAnswerBytes = 16 << 20;
constexpr auto kSocketTimeout = std::chrono::seconds(5);
constexpr auto kHaproxyPollPause = std::chrono::milliseconds(20);
// After `state maint` a server may hold idle or closing connections for a moment.
constexpr auto kDeleteGrace = std::chrono::seconds(2);
// The weight a joining server gets back once it is held DOWN (HAProxy's default).
constexpr int kServerWeight = 1;
// A static server's defaults, which 2.6 does not give a dynamic one: without
// them HAProxy opens a new connection to it for every request.
constexpr const char* kIdlePool = "pool-max-conn -1 pool-purge-delay 5s";
constexpr std::string_view kCheckLinePrefix = "# scalelab add server check: ";

std::string ms(std::chrono::milliseconds d) { return fmt::format("{}ms", d.count()); }

Status check_options(const HaproxyOptions& h) {
  // Dynamic servers need a dynamic algorithm (HAProxy refuses `add server` otherwise).
  if (h.balance != "roundrobin" && h.balance != "leastconn" && h.balance != "random") {
    return Error{ErrorKind::kInvalidInput,
                 fmt::format("balance '{}': dynamic servers need roundrobin, leastconn or random", h.balance)};
  }
  if (h.backend.empty() || h.backend.find_first_of(" /\t") != std::string::npos) {
    return Error{ErrorKind::kInvalidInput, fmt::format("backend name '{}' must be one word", h.backend)};
  }
  if (h.health_path.empty() || h.health_path[0] != '/' || h.health_path.find(' ') != std::string::npos) {
    return Error{ErrorKind::kInvalidInput, fmt::format("health path '{}' must start with / and have no space",
                                                       h.health_path)};
  }
  if (h.rise < 1 || h.fall < 1 || h.retries < 0 || h.check_interval.count() < 1) {
    return Error{ErrorKind::kInvalidInput, "rise, fall and the check interval must be positive, retries >= 0"};
  }
  return {};
}

// The check parameters recorded in the config beside the admin socket.
std::string recorded_check_params(const std::filesystem::path& socket) {
  std::ifstream in(socket.parent_path() / kConfigFile);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(kCheckLinePrefix, 0) == 0) return line.substr(kCheckLinePrefix.size());
  }
  return haproxy_check_params({});
}

std::string render_config(const std::filesystem::path& dir, std::uint16_t port, const HaproxyOptions& h) {
  std::string cfg;
  cfg += "# Written by scalelab (infra haproxy); servers join and leave through the admin socket.\n";
  cfg += "global\n";
  // Quoted: a state directory may hold spaces.
  cfg += fmt::format("  stats socket \"{}\" mode 600 level admin\n", haproxy_admin_socket(dir).string());
  cfg += "  stats timeout 10s\n";
  // Server state changes (UP/DOWN) and alerts only: no line per request.
  cfg += "  log stderr format raw daemon notice\n";
  cfg += "defaults\n";
  cfg += "  mode http\n  log global\n  option dontlognull\n";
  cfg += fmt::format("  timeout connect {}\n  timeout server {}\n  timeout client {}\n",
                     ms(h.connect_timeout), ms(h.server_timeout), ms(h.client_timeout));
  cfg += fmt::format("  retries {}\n", h.retries);
  // Every retry goes to another server (the default would retry the dead
  // one, a turn-around second apart, until the last attempt).
  cfg += "  option redispatch 1\n";
  cfg += "  retry-on conn-failure empty-response response-timeout\n";
  cfg += "frontend main\n";
  cfg += fmt::format("  bind {}:{}\n", h.listen_address, port);
  cfg += fmt::format("  default_backend {}\n", h.backend);
  cfg += fmt::format("backend {}\n", h.backend);
  cfg += fmt::format("  balance {}\n", h.balance);
  cfg += fmt::format("  option httpchk GET {}\n", h.health_path);
  cfg += "  http-check expect status 200\n";
  // RFC 9110's idempotent methods may be replayed after a server died with
  // the request; any other is retried only when it never reached a server.
  cfg += "  acl idempotent method GET HEAD OPTIONS TRACE PUT DELETE\n";
  cfg += "  http-request disable-l7-retry unless idempotent\n";
  // Read back by HaproxyAdmin: 2.6 applies no default-server to dynamic servers.
  cfg += fmt::format("{}{}\n", kCheckLinePrefix, haproxy_check_params(h));
  return cfg;
}

Result<int> connect_unix(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof(addr.sun_path)) {
    return Error{ErrorKind::kInvalidInput, fmt::format("socket path too long for AF_UNIX: {}", p)};
  }
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{ErrorKind::kUnavailable, fmt::format("socket(): {}", std::strerror(errno))};
  timeval tv{static_cast<time_t>(kSocketTimeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    ::close(fd);
    return Error{ErrorKind::kUnavailable,
                 fmt::format("HAProxy's admin socket {} does not answer: {}", p, std::strerror(err))};
  }
  return fd;
}

Status send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error{ErrorKind::kUnavailable, fmt::format("admin socket send: {}", std::strerror(errno))};
    sent += static_cast<std::size_t>(n);
  }
  return {};
}

// Runs one command on a fresh connection; HAProxy answers and closes it.
Result<std::string> exchange(const std::filesystem::path& socket, const std::string& line) {
  auto fd = connect_unix(socket);
  if (!fd) return fd.error();
  std::string answer;
  Status status = send_all(*fd, line + "\n");
  std::array<char, 8192> buf{};
  while (status) {
    ssize_t n = ::recv(*fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) break;
    if (n < 0) {
      status = Error{ErrorKind::kUnavailable,
                     fmt::format("admin socket: no complete answer to '{}': {}", line, std::strerror(errno))};
    } else if ((answer.size() + static_cast<std::size_t>(n)) > kMaxAnswerBytes) {
      status = Error{ErrorKind::kProtocol, fmt::format("admin socket: answer to '{}' too long", line)};
    } else {
      answer.append(buf.data(), static_cast<std::size_t>(n));
    }
  }
  ::close(*fd);
  if (!status) return status.error();
  return answer;
}

std::string first_line(const std::string& text) {
  auto start = text.find_first_not_of("\r\n");
  if (start == std::string::npos) return "";
  return text.substr(start, text.find('\n', start) - start);
}

bool starts_with_any(const std::string& s, std::initializer_list<const char*> prefixes) {
  for (const char* p : prefixes) {
    if (s.rfind(p, 0) == 0) return true;
  }
  return false;
}

// HAProxy 2.6's refusals, as its CLI prints them (first line of the answer).
bool is_refusal(const std::string& line) {
  return starts_with_any(line, {"No such", "Unknown", "unknown", "Require", "Can't", "Cannot", "Only ", "invalid",
                                "Invalid", "usage:", "Usage:", "Already", "Permission denied", "'", "[err]",
                                "Missing", "missing", "Server still has", "Unexpected", "expects", "Error"});
}

}  // namespace

std::filesystem::path haproxy_admin_socket(const std::filesystem::path& dir) {
  return std::filesystem::absolute(dir) / kAdminSocket;
}

Result<Server> start_haproxy(const Options& options, const HaproxyOptions& haproxy) {
  if (auto s = check_options(haproxy); !s) return s.error();
  if (auto s = prepare_dir(options.dir); !s) return s.error();
  std::uint16_t port = options.port;
  if (port == 0) {
    auto picked = pick_free_port();
    if (!picked) return picked.error();
    port = *picked;
  }
  auto dir = std::filesystem::absolute(options.dir);
  auto socket = haproxy_admin_socket(dir);
  if (socket.string().size() >= sizeof(sockaddr_un::sun_path)) {
    return Error{ErrorKind::kInvalidInput, fmt::format("state dir too deep for a unix socket: {}", socket.string())};
  }
  std::error_code ec;
  std::filesystem::remove(socket, ec);  // a stale socket would pass the readiness check
  if (auto s = write_text(dir / kConfigFile, render_config(dir, port, haproxy)); !s) return s.error();
  auto log = dir / kLogFile;
  auto process = Process::spawn({
      .argv = {"haproxy", "-db", "-f", (dir / kConfigFile).string()},
      .log_file = log,
      .working_dir = dir,
      .die_with_parent = !options.detached,
  });
  if (!process) {
    return Error{ErrorKind::kUnavailable,
                 fmt::format("cannot run haproxy ({}): install it (scripts/setup.sh)", process.error().message)};
  }
  const HaproxyAdmin admin(socket, haproxy.backend);
  auto deadline = Clock::now() + options.start_timeout;
  for (;;) {
    auto info = admin.command("show info");
    if (info && info->find("Name: HAProxy") != std::string::npos) break;
    if (!process->running() || Clock::now() > deadline) {
      process->stop();
      return Error{ErrorKind::kUnavailable, fmt::format("haproxy did not answer on {}; {}:\n{}", socket.string(),
                                                        log.string(), tail_of(log))};
    }
    std::this_thread::sleep_for(kHaproxyPollPause);
  }
  return Server("haproxy", fmt::format("http://{}:{}", haproxy.listen_address, port), port, dir,
                std::move(*process));
}

std::string haproxy_check_params(const HaproxyOptions& options) {
  return fmt::format("inter {} rise {} fall {}", ms(options.check_interval), options.rise, options.fall);
}

HaproxyAdmin::HaproxyAdmin(std::filesystem::path socket, std::string backend)
    : socket_(std::move(socket)), backend_(std::move(backend)), check_params_(recorded_check_params(socket_)) {}

HaproxyAdmin::HaproxyAdmin(std::filesystem::path socket, const HaproxyOptions& options)
    : socket_(std::move(socket)), backend_(options.backend), check_params_(haproxy_check_params(options)) {}

Result<std::string> HaproxyAdmin::command(const std::string& line) const {
  auto answer = exchange(socket_, line);
  if (!answer) return answer.error();
  if (std::string first = first_line(*answer); is_refusal(first)) {
    return Error{first.rfind("No such", 0) == 0 ? ErrorKind::kNotFound : ErrorKind::kInvalidInput,
                 fmt::format("HAProxy refused '{}': {}", line, first)};
  }
  return answer;
}

namespace {

// A command whose success answer HAProxy states exactly ("" for silence).
Status expect(const HaproxyAdmin& admin, const std::string& line, std::string_view expected) {
  auto answer = admin.command(line);
  if (!answer) return answer.error();
  if (first_line(*answer) != expected) {
    return Error{ErrorKind::kInvalidInput, fmt::format("HAProxy refused '{}': {}", line, first_line(*answer))};
  }
  return {};
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  for (std::string field; std::getline(in, field, ',');) out.push_back(field);
  return out;
}

int to_int(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoi(s);
  } catch (const std::exception&) {
    return 0;
  }
}

std::uint64_t to_u64(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoull(s);
  } catch (const std::exception&) {
    return 0;
  }
}

// HAProxy's status and weight: sends new requests its way?
bool takes_requests(const std::string& status, int weight) {
  bool up = status == "UP" || status.rfind("UP ", 0) == 0 || status == "no check";
  return up && weight > 0;
}

// `show stat BACKEND 4 -1` (servers only) as CSV: "# pxname,svname,…" then
// one row per server; with want_backend_row, the backend's own row instead.
Result<std::vector<BackendServer>> parse_stat(const std::string& csv, const std::string& backend,
                                             bool want_backend_row = false) {
  std::stringstream in(csv);
  std::string header;
  std::getline(in, header);
  if (header.rfind("# ", 0) != 0) {
    return Error{ErrorKind::kProtocol, fmt::format("show stat: no CSV header in '{}'", first_line(csv))};
  }
  auto names = split_csv(header.substr(2));
  auto column = [&](std::string_view name) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return i;
    }
    return names.size();
  };
  const std::size_t px = column("pxname"), sv = column("svname"), scur = column("scur"), stot = column("stot"),
                    status = column("status"), weight = column("weight"), addr = column("addr"),
                    connect = column("connect");
  std::vector<BackendServer> out;
  for (std::string line; std::getline(in, line);) {
    auto f = split_csv(line);
    auto at = [&](std::size_t i) { return i < f.size() ? f[i] : std::string(); };
    if (f.empty() || at(px) != backend || at(sv) == "FRONTEND") continue;
    if ((at(sv) == "BACKEND") != want_backend_row) continue;
    out.push_back({.name = at(sv), .address = at(addr), .status = at(status),
                   .up = takes_requests(at(status), to_int(at(weight))), .current_sessions = to_int(at(scur)),
                   .total_sessions = to_u64(at(stot)), .connections_opened = to_u64(at(connect))});
  }
  return out;
}

}  // namespace

Result<std::vector<BackendServer>> HaproxyAdmin::servers() const {
  // Type 4: servers only.
  auto csv = command(fmt::format("show stat {} 4 -1", backend_));
  if (!csv) return csv.error();
  return parse_stat(*csv, backend_);
}

Result<std::uint64_t> HaproxyAdmin::backend_requests() const {
  // Type 2: the backend's own row, whose total outlives the servers that come and go.
  auto csv = command(fmt::format("show stat {} 2 -1", backend_));
  if (!csv) return csv.error();
  auto rows = parse_stat(*csv, backend_, /*want_backend_row=*/true);
  if (!rows) return rows.error();
  if (rows->empty()) return Error{ErrorKind::kNotFound, fmt::format("show stat: no row for backend {}", backend_)};
  return rows->front().total_sessions;
}

Status HaproxyAdmin::add_server(const std::string& name, const std::string& host, std::uint16_t port) const {
  const std::string id = backend_ + "/" + name;
  // Weight 0 until it is held DOWN: "ready" alone would make it "UP 1/2",
  // taking requests before a check has passed.
  const auto add = fmt::format("add server {} {}:{} {} weight 0 check {}", id, host, port, kIdlePool, check_params_);
  if (auto s = expect(*this, add, "New server registered."); !s) return s;
  for (const auto& line : {fmt::format("enable health {}", id), fmt::format("set server {} state ready", id),
                           fmt::format("set server {} health down", id),
                           fmt::format("set weight {} {}", id, kServerWeight)}) {
    if (auto s = expect(*this, line, ""); !s) {
      (void)command(fmt::format("set server {} state maint", id));
      (void)command(fmt::format("del server {}", id));
      return s;
    }
  }
  return {};
}

namespace {

Result<int> sessions_of(const HaproxyAdmin& admin, const std::string& name) {
  auto servers = admin.servers();
  if (!servers) return servers.error();
  for (const auto& s : *servers) {
    if (s.name == name) return s.current_sessions;
  }
  return Error{ErrorKind::kNotFound, fmt::format("no server {} in backend {}", name, admin.backend())};
}

}  // namespace

Status HaproxyAdmin::remove_server(const std::string& name, std::chrono::milliseconds timeout) const {
  const std::string id = backend_ + "/" + name;
  if (auto s = expect(*this, fmt::format("set server {} state drain", id), ""); !s) return s;
  // Draining: no new request goes there; the ones in flight finish.
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto sessions = sessions_of(*this, name);
    if (!sessions) return sessions.error();
    if (*sessions == 0) break;
    if (Clock::now() >= deadline) {
      (void)command(fmt::format("shutdown sessions server {}", id));
      break;
    }
    std::this_thread::sleep_for(kHaproxyPollPause);
  }
  if (auto s = expect(*this, fmt::format("set server {} state maint", id), ""); !s) return s;
  // A connection closing right now still counts as attached for a moment.
  const auto delete_deadline = Clock::now() + kDeleteGrace;
  for (;;) {
    auto s = expect(*this, fmt::format("del server {}", id), "Server deleted.");
    if (s || Clock::now() >= delete_deadline) return s;
    std::this_thread::sleep_for(kHaproxyPollPause);
  }
}

}  // namespace scalelab::infra
