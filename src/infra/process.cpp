#include "infra/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace scalelab::infra {
namespace {

using Clock = std::chrono::steady_clock;

int decode_status(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

// Only async-signal-safe calls between fork and exec.
[[noreturn]] void exec_child(const ProcessOptions& o, std::vector<char*>& argv, int log_fd, int report_fd) {
  if (o.join_process_group > 0) setpgid(0, o.join_process_group);
  else if (o.own_process_group) setpgid(0, 0);
  if (o.die_with_parent) prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (log_fd >= 0) {
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
  }
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
  if (!o.working_dir.empty() && chdir(o.working_dir.c_str()) != 0) {
    int e = errno;
    (void)!write(report_fd, &e, sizeof e);
    _exit(127);
  }
  execvp(argv[0], argv.data());
  int e = errno;
  (void)!write(report_fd, &e, sizeof e);
  _exit(127);
}

}  // namespace

Result<Process> Process::spawn(ProcessOptions options) {
  if (options.argv.empty()) return Error{ErrorKind::kInvalidInput, "spawn: empty argv"};
  std::vector<char*> argv;
  for (auto& a : options.argv) argv.push_back(a.data());
  argv.push_back(nullptr);

  int log_fd = -1;
  if (!options.log_file.empty()) {
    log_fd = open(options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      return Error{ErrorKind::kUnavailable,
                   fmt::format("cannot open log {}: {}", options.log_file.string(), std::strerror(errno))};
    }
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    if (log_fd >= 0) close(log_fd);
    return Error{ErrorKind::kInternal, fmt::format("pipe: {}", std::strerror(errno))};
  }
  // The environment is changed in the parent around fork (the child inherits
  // it) because setenv is not async-signal-safe. Callers spawn from one thread.
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
  for (const auto& [k, v] : options.env) {
    const char* old = std::getenv(k.c_str());
    saved.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
    setenv(k.c_str(), v.c_str(), 1);
  }
  pid_t pid = fork();
  if (pid == 0) exec_child(options, argv, log_fd, report[1]);
  int fork_errno = errno;
  for (const auto& [k, v] : saved) {
    if (v) setenv(k.c_str(), v->c_str(), 1); else unsetenv(k.c_str());
  }
  close(report[1]);
  if (log_fd >= 0) close(log_fd);
  if (pid < 0) {
    close(report[0]);
    return Error{ErrorKind::kInternal, fmt::format("fork: {}", std::strerror(fork_errno))};
  }
  // Also here: no race with signal().
  if (options.join_process_group > 0) setpgid(pid, options.join_process_group);
  else if (options.own_process_group) setpgid(pid, pid);
  int child_errno = 0;
  ssize_t n;
  do n = read(report[0], &child_errno, sizeof child_errno); while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == sizeof child_errno) {
    int status = 0;
    waitpid(pid, &status, 0);
    return Error{ErrorKind::kUnavailable,
                 fmt::format("cannot run {}: {}", options.argv[0], std::strerror(child_errno))};
  }
  // A member of another's group is signalled alone; its leader reaches the group.
  return Process(pid, options.argv[0], options.own_process_group && options.join_process_group <= 0);
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), name_(std::move(other.name_)),
      group_(other.group_), exit_code_(other.exit_code_) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !exit_code_) stop();
    pid_ = std::exchange(other.pid_, -1);
    name_ = std::move(other.name_);
    group_ = other.group_;
    exit_code_ = other.exit_code_;
  }
  return *this;
}

Process::~Process() {
  if (pid_ > 0 && !exit_code_) stop();
}

void Process::reap(int wait_status) { exit_code_ = decode_status(wait_status); }

bool Process::running() { return !exit_code().has_value(); }

std::optional<int> Process::exit_code() {
  if (exit_code_ || pid_ <= 0) return exit_code_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) reap(status);
  else if (r < 0 && errno == ECHILD) exit_code_ = -1;  // reaped elsewhere
  return exit_code_;
}

std::optional<int> Process::wait_for(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (true) {
    if (auto code = exit_code()) return code;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

void Process::signal(int signo) {
  if (pid_ <= 0 || exit_code_) return;
  if (group_) ::kill(-pid_, signo);
  ::kill(pid_, signo);
}

int Process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  if (exit_code_) {
    if (group_) ::kill(-pid_, SIGKILL);  // stragglers the leader left behind
    return *exit_code_;
  }
  signal(SIGTERM);
  if (auto code = wait_for(grace)) {
    if (group_) ::kill(-pid_, SIGKILL);
    return *code;
  }
  signal(SIGKILL);
  return wait_for(std::chrono::seconds(10)).value_or(-1);
}

Result<std::uint16_t> pick_free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{ErrorKind::kInternal, fmt::format("socket: {}", std::strerror(errno))};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int e = errno;
    close(fd);
    return Error{ErrorKind::kInternal, fmt::format("bind 127.0.0.1:0: {}", std::strerror(e))};
  }
  close(fd);
  return static_cast<std::uint16_t>(ntohs(addr.sin_port));
}

bool stop_process_group(pid_t pgid, std::chrono::milliseconds grace) {
  if (pgid <= 0) return true;
  auto gone = [pgid] { return ::kill(-pgid, 0) != 0 && errno == ESRCH; };
  if (gone()) return true;
  ::kill(-pgid, SIGTERM);
  auto deadline = Clock::now() + grace;
  while (Clock::now() < deadline) {
    if (gone()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pgid, SIGKILL);
  for (int i = 0; i < 250; ++i) {
    if (gone()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return gone();
}

Status wait_for_port(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Error{ErrorKind::kInvalidInput, fmt::format("not an IPv4 address: {}", host)};
  }
  auto deadline = Clock::now() + timeout;
  while (true) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error{ErrorKind::kInternal, fmt::format("socket: {}", std::strerror(errno))};
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    close(fd);
    if (rc == 0) return {};
    if (Clock::now() >= deadline) {
      return Error{ErrorKind::kTimeout,
                   fmt::format("nothing listening on {}:{} after {} ms", host, port, timeout.count())};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::filesystem::path self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path("scalelab") : p;
}

}  // namespace scalelab::infra
