// InstancePool: the instances of one service behind the balancer. Each is a
// child process (`scalelab serve SERVICE … --port P`, visible with ps) on a
// port of its own, in a cgroup of its own with a CPU quota (a quarter core
// by default, as the course's Fargate tasks), registered with HAProxy
// through its runtime API once it listens. Leaving is graceful (drained in
// the balancer, then SIGTERM, which the runtime answers by finishing what it
// holds) or abrupt (kill -9, as a crash: the balancer's health check and
// retries cope). CPU is read per instance from its cgroup (cpuacct), as a
// share of its quota.
// Thread-safety: one thread at a time (the controller's loop, or a lab).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "infra/cpu_limit.h"
#include "infra/haproxy.h"
#include "infra/process.h"

namespace scalelab::autoscale {

struct InstanceSpec {
  // The service's command line; the pool appends `--port P`. E.g.
  // {"/path/scalelab", "serve", "catalog", "--threads", "1"}.
  std::vector<std::string> argv;
  double cpu_cores = 0.25;  // the quota; 0: no limit (CPU then as a share of one core)
  bool require_limit = false;  // fail to start an instance when no cgroup can be used
  std::filesystem::path log_dir;  // each instance logs to LOG_DIR/NAME.log
  std::string name_prefix = "i";
  std::chrono::milliseconds start_timeout{30'000};  // until it listens
  std::chrono::milliseconds drain_timeout{30'000};  // graceful leave: until the balancer holds no session
};

enum class StopMode { kGraceful, kKill };

struct InstanceCpu {
  std::string name;
  double percent = 0;  // of its quota (of one core without one), since the previous sample
  bool up = false;     // healthy in the balancer
};

class InstancePool {
 public:
  InstancePool(InstanceSpec spec, infra::HaproxyAdmin balancer);
  ~InstancePool();  // stops every instance still running (gracefully)
  InstancePool(const InstancePool&) = delete;
  InstancePool& operator=(const InstancePool&) = delete;

  // Starts one instance, waits until it listens, limits its CPU and adds it
  // to the balancer. Returns its name (also the balancer's server name).
  Result<std::string> start_one();
  // Stops one: graceful (drain, leave the balancer, SIGTERM) or kill -9
  // (then taken out of the balancer). kNotFound for an unknown name.
  Status stop_one(const std::string& name, StopMode mode);
  // The newest instance (the one scale-in removes first), if any.
  std::optional<std::string> newest() const;

  std::vector<std::string> names() const;  // oldest first
  int size() const { return static_cast<int>(instances_.size()); }
  std::optional<pid_t> pid(const std::string& name) const;
  std::optional<std::uint16_t> port(const std::string& name) const;
  // How the CPU is limited (or why it is not), from the latest start.
  const std::string& limit_description() const { return limit_how_; }

  // Each instance's CPU since the previous call (the first call after an
  // instance starts measures from its start), with its balancer health.
  Result<std::vector<InstanceCpu>> sample_cpu();

  const infra::HaproxyAdmin& balancer() const { return balancer_; }
  const InstanceSpec& spec() const { return spec_; }

 private:
  struct Instance {
    infra::Process process;
    std::uint16_t port = 0;
    std::unique_ptr<infra::CpuLimit> limit;
    std::chrono::nanoseconds last_cpu{0};
    std::chrono::steady_clock::time_point last_sample;
    int order = 0;  // start order
  };
  std::chrono::nanoseconds cpu_time(Instance& i) const;

  InstanceSpec spec_;
  infra::HaproxyAdmin balancer_;
  std::map<std::string, Instance> instances_;
  int started_ = 0;
  std::string limit_how_;
};

}  // namespace scalelab::autoscale
