// CpuLimit: puts a process under a kernel CPU quota (a fraction of one core)
// with a private cgroup: cgroup v2's cpu.max where the machine has the
// unified hierarchy with the cpu controller, else cgroup v1's
// cpu.cfs_quota_us / cpu.cfs_period_us under /sys/fs/cgroup/cpu/ (and, where
// cpuacct is a hierarchy of its own, a group there too, for the CPU time).
// The groups are removed again on destruction (after the process has left
// them or died).
// Thread-safety: one thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <memory>
#include <string>

#include "core/result.h"

namespace scalelab::infra {

class CpuLimit {
 public:
  // Fails with kUnavailable, saying what was tried, when neither cgroup
  // version can be used here (no permission, no cpu controller).
  static Result<std::unique_ptr<CpuLimit>> apply(pid_t pid, double cores, const std::string& name);
  ~CpuLimit();

  const std::string& how() const { return how_; }  // e.g. "cgroup v1 cpu.cfs_quota_us=25000/100000"
  // Times the kernel throttled the group (from cpu.stat), or -1.
  long long throttled_periods() const;
  // CPU time the group's processes have used (cgroup v2 cpu.stat usage_usec,
  // v1 cpuacct.usage); nullopt when the machine does not account it.
  std::optional<std::chrono::nanoseconds> usage() const;
  double cores() const { return cores_; }

 private:
  CpuLimit(std::filesystem::path dir, std::string how, double cores, std::filesystem::path acct = {})
      : dir_(std::move(dir)), acct_(std::move(acct)), how_(std::move(how)), cores_(cores) {}
  std::filesystem::path dir_;
  std::filesystem::path acct_;  // v1's cpuacct group, when separate from dir_
  std::string how_;
  double cores_ = 0;
};

}  // namespace scalelab::infra
