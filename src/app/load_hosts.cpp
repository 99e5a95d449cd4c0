#include "app/load_hosts.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/file.h"
#include "core/timeval.h"
#include "infra/process.h"
#include "report/output.h"

namespace scalelab::app {
namespace {

namespace json = boost::json;

// The workers start this long after the job arrives: time for the child to
// start and parse, alike on every host.
constexpr int kStartDelayMs = 1500;
// Sent by the coordinator when its run is stopped: the workers stop their
// shares, which still report.
constexpr const char* kStopLine = "{\"stop\":true}";
// How long a worker keeps trying to reach a coordinator that is not up yet.
constexpr auto kWorkerConnectPatience = std::chrono::seconds(60);
// How long a stopped run waits for the workers' results.
constexpr auto kStopGrace = std::chrono::seconds(30);
// Flags that belong to the coordinator alone (with a value).
constexpr const char* kCoordinatorOnly[] = {"--processes", "--json", "--csv", "--html", "--expect-workers",
                                            "--listen", "--join-timeout"};

// A TCP connection read and written a line at a time; closes on destruction.
class LineSocket {
 public:
  explicit LineSocket(int fd) : fd_(fd) {}
  LineSocket(LineSocket&& o) noexcept : fd_(std::exchange(o.fd_, -1)), buffer_(std::move(o.buffer_)) {}
  LineSocket(const LineSocket&) = delete;
  ~LineSocket() {
    if (fd_ >= 0) close(fd_);
  }
  bool send_line(const std::string& line) {
    const std::string data = line + "\n";
    for (std::size_t sent = 0; sent < data.size();) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  int fd() const { return fd_; }
  // One recv (call when poll() says readable): appends the complete lines
  // that arrived to `lines`; false when the peer closed.
  bool pump(std::vector<std::string>& lines) {
    char chunk[65536];
    ssize_t n = 0;
    do n = ::recv(fd_, chunk, sizeof chunk, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
      lines.push_back(buffer_.substr(0, nl));
      buffer_.erase(0, nl + 1);
    }
    return true;
  }
  // The complete lines that arrived so far, without waiting; nullopt when
  // the peer closed.
  std::optional<std::vector<std::string>> poll_lines() {
    std::vector<std::string> lines;
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) return lines;
      if (!pump(lines)) return std::nullopt;
    }
  }
  // Waits up to timeout for the next line (nullopt on timeout or close).
  std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
    timeval tv = core::to_timeval(timeout);
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    auto line = read_line();
    tv = {};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return line;
  }
  // The next line without its newline; nullopt when the peer closed first.
  std::optional<std::string> read_line() {
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      char chunk[65536];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;  // closed, or SO_RCVTIMEO passed
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

Result<std::pair<std::string, std::string>> split_host_port(const std::string& addr) {
  const auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon + 1 == addr.size())
    return Error{ErrorKind::kInvalidInput, fmt::format("'{}' is not HOST:PORT", addr)};
  return std::pair{addr.substr(0, colon), addr.substr(colon + 1)};
}

Result<int> open_socket(const std::string& addr, bool listen_on) {
  auto hp = split_host_port(addr);
  if (!hp) return hp.error();
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = listen_on ? AI_PASSIVE : 0;
  addrinfo* res = nullptr;
  const char* host = hp->first.empty() ? nullptr : hp->first.c_str();
  if (int rc = getaddrinfo(host, hp->second.c_str(), &hints, &res); rc != 0)
    return Error{ErrorKind::kUnavailable, fmt::format("{}: {}", addr, gai_strerror(rc))};
  const int fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool ok = fd >= 0 && (listen_on ? bind(fd, res->ai_addr, res->ai_addrlen) == 0 && listen(fd, 64) == 0
                                        : connect(fd, res->ai_addr, res->ai_addrlen) == 0);
  freeaddrinfo(res);
  if (!ok) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) close(fd);
    return Error{ErrorKind::kUnavailable, fmt::format("{} {}: {}", listen_on ? "listen on" : "connect to", addr, why)};
  }
  return fd;
}

std::uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// The coordinator's own `load` arguments for a worker: without the
// coordinator's flags, with the scenario file named by its base name (the
// worker writes the sent text there).
json::array job_arguments(const std::string& scenario_file) {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> all;
  for (std::string arg; std::getline(in, arg, '\0');) all.push_back(arg);
  json::array args;
  bool after_load = false;
  for (std::size_t i = 1; i < all.size(); ++i) {
    const std::string& a = all[i];
    if (!after_load) {  // global options and the subcommand name stay with the worker's own
      after_load = a == "load";
      continue;
    }
    bool skip = a == "--coordinator";
    for (const char* f : kCoordinatorOnly) {
      if (a == f) skip = true, ++i;
      else if (a.rfind(std::string(f) + "=", 0) == 0) skip = true;
    }
    if (skip) continue;
    args.emplace_back(!scenario_file.empty() && a == scenario_file
                          ? json::value(std::filesystem::path(a).filename().string())
                          : json::value(a));
  }
  return args;
}

std::string job_line(const json::array& args, const std::string& scenario_file, const std::string& scenario_text,
                     unsigned index, unsigned n) {
  return json::serialize(json::object{{"args", args},
                                      {"scenario_name", std::filesystem::path(scenario_file).filename().string()},
                                      {"scenario", scenario_text},
                                      {"share", fmt::format("{}/{}", index, n)},
                                      {"start_delay_ms", kStartDelayMs}});
}

// The worker's share, run as `scalelab load ARGS --share ...` in dir; its
// progress goes to the coordinator each second.
Result<std::string> run_job(const json::object& job, const std::filesystem::path& dir, LineSocket& coordinator,
                            const std::atomic<bool>& stop) {
  std::vector<std::string> argv{infra::self_executable().string(), "load"};
  for (const auto& a : job.at("args").as_array()) argv.push_back(json::value_to<std::string>(a));
  const auto scenario = json::value_to<std::string>(job.at("scenario"));
  const auto scenario_name = json::value_to<std::string>(job.at("scenario_name"));
  const auto out = dir / "share.json";
  const std::int64_t start = load::unix_ms_now() + json::value_to<std::int64_t>(job.at("start_delay_ms"));
  for (auto extra : {std::string("--share"), json::value_to<std::string>(job.at("share")), std::string("--share-out"),
                     out.string(), std::string("--start-at"), std::to_string(start), std::string("--no-progress")})
    argv.push_back(std::move(extra));
  if (!scenario_name.empty()) {  // the args name it by its base name; it lives in dir here
    if (auto st = report::write_file(dir / scenario_name, scenario); !st) return st.error();
    for (auto& a : argv)
      if (a == scenario_name) a = (dir / scenario_name).string();
  }
  auto child = infra::Process::spawn({.argv = argv, .log_file = dir / "share.log", .working_dir = dir});
  if (!child) return child.error();
  std::optional<int> code;
  bool stopping = false;
  while (!(code = child->wait_for(std::chrono::seconds(1)))) {
    if (auto p = load::progress_from_json(read_text(out.string() + ".progress")))
      coordinator.send_line(json::serialize(json::object{{"progress", json::parse(load::progress_to_json(*p))}}));
    // The coordinator says stop (its user pressed Ctrl-C), or this worker was
    // told to stop: the share ends early and still reports what it measured.
    const auto said = coordinator.poll_lines();
    if (!stopping && (stop.load() || (said && std::find(said->begin(), said->end(), kStopLine) != said->end()))) {
      child->signal(SIGTERM);
      stopping = true;
    }
    if (!said) {  // the coordinator went away: nobody is left to report to
      child->stop();
      return Error{ErrorKind::kUnavailable, "the coordinator closed the connection mid-run"};
    }
  }
  if (*code != 0 && *code != 2)
    return Error{ErrorKind::kInternal, fmt::format("the share exited with {}: {}", *code, read_text(dir / "share.log"))};
  return read_text(out);
}

bool is_progress(const std::string& line, std::optional<load::ShareProgress>& latest) {
  if (line.rfind("{\"progress\":", 0) != 0) return false;
  try {
    if (auto p = load::progress_from_json(json::serialize(json::parse(line).as_object().at("progress")))) latest = p;
  } catch (const std::exception&) {
  }
  return true;
}

// Reads every worker until each has sent its result or closed: progress
// lines feed a live line each second (when progress is on); the result line
// (or nullopt for a worker that closed first) is returned per worker. When
// stop turns true the workers are told to stop, and have kStopGrace to send
// what they measured.
std::vector<std::optional<std::string>> collect(std::vector<LineSocket>& workers, bool progress,
                                                const std::atomic<bool>& stop) {
  const std::size_t n = workers.size();
  std::vector<std::optional<std::string>> results(n);
  std::vector<std::optional<load::ShareProgress>> latest(n);
  std::vector<bool> open(n, true);
  const bool tty = isatty(STDERR_FILENO);
  auto next_line = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  std::optional<std::chrono::steady_clock::time_point> give_up;
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < n; ++i)
      if (open[i] && !results[i]) fds.push_back({workers[i].fd(), POLLIN, 0}), index.push_back(i);
    if (fds.empty()) break;
    if (stop && !give_up) {
      for (std::size_t i : index) workers[i].send_line(kStopLine);
      give_up = std::chrono::steady_clock::now() + kStopGrace;
    }
    if (give_up && std::chrono::steady_clock::now() >= *give_up) break;  // the silent ones count as lost
    if (poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) break;
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const std::size_t i = index[k];
      std::vector<std::string> lines;
      open[i] = workers[i].pump(lines);
      for (auto& line : lines)
        if (!is_progress(line, latest[i])) results[i] = std::move(line);
    }
    if (progress && std::chrono::steady_clock::now() >= next_line) {
      next_line += std::chrono::seconds(1);
      std::size_t alive = 0;
      for (std::size_t i = 0; i < n; ++i) alive += open[i] && !results[i] ? 1 : 0;
      std::fprintf(stderr, "%s%s%s", tty ? "\r" : "", load::merged_progress_line(latest, alive).c_str(),
                   tty ? "  " : "\n");
      std::fflush(stderr);
    }
  }
  return results;
}

// Accepts workers until n have said hello, the join timeout passes or the
// run is stopped.
Result<std::vector<std::pair<LineSocket, std::string>>> accept_workers(int listener, unsigned n,
                                                                      std::chrono::seconds join_timeout,
                                                                      const std::atomic<bool>& stop) {
  std::vector<std::pair<LineSocket, std::string>> workers;
  const auto deadline = std::chrono::steady_clock::now() + join_timeout;
  while (workers.size() < n) {
    if (stop) return Error{ErrorKind::kUnavailable, fmt::format("stopped while waiting: {} of {} workers had joined",
                                                                workers.size(), n)};
    if (std::chrono::steady_clock::now() >= deadline)
      return Error{ErrorKind::kUnavailable,
                   fmt::format("{} of {} workers joined within --join-timeout {}s; start each with `scalelab load "
                               "--worker HOST:PORT` (this host's address, the port above)",
                               workers.size(), n, join_timeout.count())};
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 500) <= 0) continue;
    sockaddr_in peer{};
    socklen_t peer_len = sizeof peer;
    const int fd = accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    LineSocket s(fd);
    const auto hello = s.read_line(std::chrono::seconds(5));  // a silent connection is not a worker
    if (!hello) continue;
    char from[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &peer.sin_addr, from, sizeof from);
    auto name = fmt::format("worker {} ({} from {})", workers.size() + 1, *hello, from);
    std::fprintf(stderr, "scalelab load: %s joined\n", name.c_str());
    workers.emplace_back(std::move(s), std::move(name));
  }
  return workers;
}

}  // namespace

Result<ProcessRun> run_on_workers(const WorkersOptions& o, const std::atomic<bool>& stop) {
  const unsigned n = o.workers;
  auto listener = open_socket(o.listen, true);
  if (!listener) return listener.error();
  LineSocket closer(*listener);
  std::fprintf(stderr, "scalelab load: coordinator on port %u, waiting for %u workers\n", local_port(*listener), n);
  std::fflush(stderr);
  auto joined = accept_workers(*listener, n, o.join_timeout, stop);
  if (!joined) return joined.error();
  std::vector<LineSocket> workers;
  std::vector<std::string> names;
  for (auto& [socket, name] : *joined) workers.push_back(std::move(socket)), names.push_back(std::move(name));
  const auto& scenario_file = o.scenario_file;
  const auto args = job_arguments(scenario_file);
  const std::string text = scenario_file.empty() ? "" : read_text(scenario_file);
  for (unsigned i = 0; i < n; ++i) workers[i].send_line(job_line(args, scenario_file, text, i, n));  // all start together
  const auto results = collect(workers, o.progress, stop);
  ProcessRun run;
  for (unsigned i = 0; i < n; ++i) {
    const auto& line = results[i];
    auto part = line ? load::part_from_json(*line)
                     : Result<load::PartReport>(Error{ErrorKind::kUnavailable, "connection lost before its result"});
    if (part) {
      run.parts.push_back(std::move(*part));
      run.parts.back().name = names[i];
    } else {
      run.lost.push_back(fmt::format("{}: {}, its share is missing from the report", names[i], part.error().message));
    }
  }
  if (run.parts.empty()) return Error{ErrorKind::kUnavailable, "no worker finished: " + run.lost.front()};
  run.merged = load::merge_parts(run.parts);
  return run;
}

int run_worker(const std::string& coordinator, const std::atomic<bool>& stop) {
  // A worker may start before its coordinator listens (as Locust's do): it
  // keeps trying for a while.
  auto fd = open_socket(coordinator, false);
  const auto give_up = std::chrono::steady_clock::now() + kWorkerConnectPatience;
  for (bool said = false; !fd && !stop && std::chrono::steady_clock::now() < give_up; fd = open_socket(coordinator, false)) {
    if (!said) std::fprintf(stderr, "scalelab load --worker: %s; retrying for %llds\n", fd.error().message.c_str(),
                            static_cast<long long>(kWorkerConnectPatience.count()));
    said = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (!fd) return std::fprintf(stderr, "scalelab load --worker: %s\n", fd.error().message.c_str()), 1;
  LineSocket s(*fd);
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  s.send_line(fmt::format("{} pid {}", host, getpid()));
  std::optional<std::string> job;  // the coordinator sends it once every worker has joined
  while (!job) {
    if (stop) return std::fprintf(stderr, "scalelab load --worker: stopped before the run began\n"), 1;
    pollfd p{s.fd(), POLLIN, 0};
    if (poll(&p, 1, 500) <= 0) continue;
    auto lines = s.poll_lines();
    if (!lines) return std::fprintf(stderr, "scalelab load --worker: the coordinator closed the connection\n"), 1;
    if (!lines->empty()) job = std::move(lines->front());
  }
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("scalelab-worker-{}", getpid());
  std::filesystem::create_directories(dir);
  Result<std::string> result = Error{ErrorKind::kProtocol, "bad job"};
  try {
    result = run_job(json::parse(*job).as_object(), dir, s, stop);
  } catch (const std::exception& e) {
    result = Error{ErrorKind::kProtocol, fmt::format("bad job from the coordinator: {}", e.what())};
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  if (!result) {
    std::fprintf(stderr, "scalelab load --worker: %s\n", result.error().message.c_str());
    return 1;  // the coordinator sees the connection close and names this worker
  }
  return s.send_line(*result) ? 0 : 1;
}

}  // namespace scalelab::app
