// The hw6 part III fixture every part runs on: a private HAProxy and an
// InstancePool of catalog instances behind it, under CPU quotas.
// Thread-safety: one thread at a time, except balancer_state() (its own
// admin connection per call).
#pragma once

#include <memory>
#include <string>

#include "autoscale/instances.h"
#include "infra/haproxy.h"
#include "infra/servers.h"
#include "lab/hw6_scaling/hw6_scaling.h"

namespace scalelab::lab::hw6 {

struct Cluster {
  infra::Server haproxy;
  std::unique_ptr<autoscale::InstancePool> pool;
  std::string url() const { return haproxy.url(); }
};

// HAProxy with health checks every check_interval, and n instances of
// `cores` each, all healthy in the balancer before it returns. `name`
// names the state directory under the output directory.
Result<Cluster> start_cluster(const Hw6ScalingOptions& o, const std::string& name, double cores, int n);

struct BalancerState {
  int registered = 0, ready = 0;
};
BalancerState balancer_state(const infra::HaproxyAdmin& admin);

// The scaled health check interval (the course's 30 s ÷ time scale, at
// least 200 ms) and sync period (CloudWatch's 60 s ÷ time scale, at least 1 s).
std::chrono::milliseconds check_interval(const Hw6ScalingOptions& o);
std::chrono::milliseconds sync_period(const Hw6ScalingOptions& o);

}  // namespace scalelab::lab::hw6
