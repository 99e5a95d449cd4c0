// The unsynchronised map, run where its undefined behaviour cannot hurt: a
// forked child writes from many threads into one std::unordered_map and
// reports the entries it ends with through a pipe; the parent reads that, or
// learns from waitpid that the child crashed or was killed by its own alarm
// (a corrupted bucket chain can loop forever).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <unordered_map>

#include "lab/hw3/maps.h"

namespace scalelab::lab::hw3 {
namespace {

struct ChildReport {
  std::uint64_t entries = 0;
  double ms = 0;
};

[[noreturn]] void child_main(int out_fd, int threads, int per_thread, std::chrono::seconds timeout) {
  // Quiet: glibc's heap-corruption messages would only clutter the lab's output.
  if (int devnull = open("/dev/null", O_WRONLY); devnull >= 0) dup2(devnull, STDERR_FILENO);
  alarm(static_cast<unsigned>(timeout.count()));  // SIGALRM ends a hung child
  std::unordered_map<int, int> map;
  const double ms = run_together(threads, [&](int g) {
    for (int i = 0; i < per_thread; ++i) map[g * per_thread + i] = i;  // the data race, on purpose
  });
  const ChildReport report{map.size(), ms};
  const auto written = write(out_fd, &report, sizeof report);
  _exit(written == static_cast<ssize_t>(sizeof report) ? 0 : 1);
}

bool read_report(int fd, ChildReport& report) {
  auto* p = reinterpret_cast<char*>(&report);
  std::size_t got = 0;
  while (got < sizeof report) {
    const ssize_t n = read(fd, p + got, sizeof report - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

UnsyncRun unsync_map_in_child(int threads, int per_thread, std::chrono::seconds timeout) {
  int fds[2];
  if (pipe(fds) != 0) return {UnsyncRun::End::kCrashed};
  std::fflush(nullptr);  // the child must not flush the parent's buffered output again
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    child_main(fds[1], threads, per_thread, timeout);
  }
  close(fds[1]);
  ChildReport report;
  const bool got = pid > 0 && read_report(fds[0], report);
  close(fds[0]);
  int status = 0;
  if (pid > 0)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  UnsyncRun run;
  if (pid > 0 && WIFSIGNALED(status)) {
    run.signal = WTERMSIG(status);
    run.end = run.signal == SIGALRM ? UnsyncRun::End::kHung : UnsyncRun::End::kCrashed;
  } else if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    run.end = UnsyncRun::End::kCrashed;
  } else {
    run.entries = report.entries;
    run.ms = report.ms;
  }
  return run;
}

}  // namespace scalelab::lab::hw3
