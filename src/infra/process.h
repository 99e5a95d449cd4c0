// Child processes for experiments, tests and the app: services, real servers
// (Redis, RabbitMQ, HAProxy) and peers, started on private ports and always stopped again.
// A Process owns its child: the destructor stops it (SIGTERM to its process
// group, then SIGKILL after a grace period), so an experiment or test that
// returns early leaves nothing behind.
// Thread-safety: a Process is used by one thread at a time; the free
// functions are thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace scalelab::infra {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  // Added to (or replacing in) the parent's environment.
  std::vector<std::pair<std::string, std::string>> env;
  // stdout and stderr are appended here; empty: inherited from the parent.
  std::filesystem::path log_file;
  std::filesystem::path working_dir;  // empty: the parent's
  // The child leads its own process group, so stop() reaches everything it
  // spawns (wrapper scripts, forked workers).
  bool own_process_group = true;
  // > 0: join this existing process group instead (own_process_group is
  // ignored), so that one stop reaches a set of servers started one by one.
  pid_t join_process_group = 0;
  // SIGTERM when the parent dies, so a crashed experiment leaves no orphan.
  // Off for a server that must outlive the command starting it (`infra up`).
  bool die_with_parent = true;
};

class Process {
 public:
  // Fails with kInvalidInput when argv is empty and kUnavailable when the
  // program cannot be executed (reported by the child before exec returns).
  static Result<Process> spawn(ProcessOptions options);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();  // stop() if still running

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

  // True while the child has not exited (reaps it when it has).
  bool running();
  // The exit code (or 128 + signal) once it has exited; nullopt while running.
  std::optional<int> exit_code();
  // Waits up to timeout for the child to exit on its own.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // Sends a signal to the child (its whole group when it leads one).
  void signal(int signo);
  // SIGTERM, up to grace for it to exit, then SIGKILL; returns the exit code.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Gives up ownership: the child keeps running after this object is gone.
  // Returns its pid (its process group id when it leads one).
  pid_t release() { return std::exchange(pid_, -1); }

 private:
  Process(pid_t pid, std::string name, bool group) : pid_(pid), name_(std::move(name)), group_(group) {}
  void reap(int wait_status);

  pid_t pid_ = -1;
  std::string name_;
  bool group_ = true;
  std::optional<int> exit_code_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then
// released). Another process may take it before the caller binds: callers
// that can bind port 0 themselves should.
Result<std::uint16_t> pick_free_port();

// Stops a process group this process does not own (a server left running by
// `infra up`): SIGTERM, up to grace, then SIGKILL. True when it is gone.
bool stop_process_group(pid_t pgid, std::chrono::milliseconds grace);

// Polls until something accepts TCP connections on host:port, or timeout.
Status wait_for_port(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

// The running scalelab binary (/proc/self/exe), for starting services as
// separate processes.
std::filesystem::path self_executable();

}  // namespace scalelab::infra
