#include "infra/cpu_limit.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "core/file.h"

namespace scalelab::infra {

namespace fs = std::filesystem;

namespace {

const fs::path kV1Acct = "/sys/fs/cgroup/cpuacct";

bool write_to(const fs::path& file, const std::string& text) {
  std::ofstream out(file);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace

Result<std::unique_ptr<CpuLimit>> CpuLimit::apply(pid_t pid, double cores, const std::string& name) {
  constexpr long kPeriodUs = 100'000;
  long quota = static_cast<long>(cores * kPeriodUs);
  std::string tried;
  std::string group = fmt::format("{}-{}", name, ::getpid());
  std::error_code ec;

  // cgroup v2: the unified hierarchy at /sys/fs/cgroup with the cpu controller.
  fs::path v2 = "/sys/fs/cgroup";
  if (fs::exists(v2 / "cgroup.controllers")) {
    if (read_text(v2 / "cgroup.controllers").find("cpu") == std::string::npos ||
        (read_text(v2 / "cgroup.subtree_control").find("cpu") == std::string::npos &&
         !write_to(v2 / "cgroup.subtree_control", "+cpu"))) {
      tried += "cgroup v2: the cpu controller is not enabled at /sys/fs/cgroup; ";
    } else {
      fs::path dir = v2 / group;
      fs::create_directory(dir, ec);
      if (!ec && write_to(dir / "cpu.max", fmt::format("{} {}", quota, kPeriodUs)) &&
          write_to(dir / "cgroup.procs", std::to_string(pid)))
        return std::unique_ptr<CpuLimit>(
            new CpuLimit(dir, fmt::format("cgroup v2 cpu.max=\"{} {}\" ({})", quota, kPeriodUs, dir.string()), cores));
      tried += fmt::format("cgroup v2: cannot set up {} ({}); ", dir.string(), ec ? ec.message() : "write refused");
      fs::remove(dir, ec);
    }
  }
  // cgroup v1: the cpu controller's own hierarchy.
  fs::path v1 = "/sys/fs/cgroup/cpu";
  if (fs::exists(v1 / "cpu.cfs_quota_us")) {
    fs::path dir = v1 / group;
    fs::create_directory(dir, ec);
    if (!ec && write_to(dir / "cpu.cfs_period_us", std::to_string(kPeriodUs)) &&
        write_to(dir / "cpu.cfs_quota_us", std::to_string(quota)) &&
        write_to(dir / "cgroup.procs", std::to_string(pid))) {
      // cpuacct: in the same group when co-mounted with cpu, else a group of its own.
      fs::path acct;
      if (!fs::exists(dir / "cpuacct.usage") && fs::exists(kV1Acct / "cpuacct.usage")) {
        acct = kV1Acct / group;
        fs::create_directory(acct, ec);
        if (ec || !write_to(acct / "cgroup.procs", std::to_string(pid))) fs::remove(acct, ec), acct.clear();
      }
      return std::unique_ptr<CpuLimit>(new CpuLimit(
          dir, fmt::format("cgroup v1 cpu.cfs_quota_us={} of cpu.cfs_period_us={} ({})", quota, kPeriodUs, dir.string()),
          cores, acct));
    }
    tried += fmt::format("cgroup v1: cannot set up {} ({})", dir.string(), ec ? ec.message() : "write refused");
    fs::remove(dir, ec);
  } else {
    tried += "cgroup v1: no /sys/fs/cgroup/cpu/cpu.cfs_quota_us";
  }
  return Error{ErrorKind::kUnavailable, "no cgroup CPU limit available: " + tried};
}

long long CpuLimit::throttled_periods() const {
  std::ifstream in(dir_ / "cpu.stat");
  std::string key;
  long long value = 0;
  while (in >> key >> value)
    if (key == "nr_throttled") return value;
  return -1;
}

std::optional<std::chrono::nanoseconds> CpuLimit::usage() const {
  if (std::ifstream v1(acct_.empty() ? dir_ / "cpuacct.usage" : acct_ / "cpuacct.usage"); v1) {
    long long ns = 0;
    if (v1 >> ns) return std::chrono::nanoseconds(ns);
  }
  std::ifstream v2(dir_ / "cpu.stat");
  std::string key;
  long long value = 0;
  while (v2 >> key >> value)
    if (key == "usage_usec") return std::chrono::microseconds(value);
  return std::nullopt;
}

CpuLimit::~CpuLimit() {
  // rmdir succeeds once a group is empty; the process may take a moment to exit.
  for (const auto& dir : {acct_, dir_}) {
    if (dir.empty()) continue;
    for (int i = 0; i < 50; ++i) {
      if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace scalelab::infra
