// Replacing every instance of a pool one at a time by a rollout strategy,
// recording each step with its time (lab/rolling_restart internals).
// Thread-safety: a Rollout runs on one thread, the only one using its pool.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "autoscale/instances.h"
#include "core/result.h"
#include "infra/haproxy.h"
#include "lab/rolling_restart/rolling_restart.h"

namespace scalelab::lab {

// Waits until the balancer says server `name` takes requests (up) or no
// longer does (!up: down, in maintenance, or gone). kTimeout after timeout.
Status wait_for_health(const infra::HaproxyAdmin& admin, const std::string& name, bool up,
                       std::chrono::milliseconds timeout);

// Starts one instance and waits until its health checks have passed.
Result<std::string> start_healthy(autoscale::InstancePool& pool, std::chrono::milliseconds timeout);

struct RolloutOptions {
  std::chrono::steady_clock::time_point t0;  // when the load began: events count from here
  std::chrono::milliseconds health_timeout{30'000};  // a new instance healthy, a dead one noticed
  std::chrono::milliseconds pause{0};  // between two replacements
  std::string label;                   // the variant, on progress lines
  bool progress = false;
};

class Rollout {
 public:
  Rollout(autoscale::InstancePool& pool, RolloutOptions options);

  // Replaces every instance running now, oldest first; stops at the first
  // step that fails (the events say how far it got).
  Status replace_all(RolloutStrategy strategy);

  const std::vector<RollingEvent>& events() const { return events_; }
  double first_step_s() const { return first_step_s_; }
  double last_step_s() const { return last_step_s_; }
  // Kill first: each kill's time until the balancer marked the instance down.
  const std::vector<double>& down_detections_s() const { return down_detections_s_; }

 private:
  Status surge(const std::string& old);
  Status stop_first(const std::string& old);
  Status kill_first(const std::string& old);
  Status replace(const std::string& old);  // start a new one and wait until it is healthy
  void event(const std::string& what);
  double now_s() const;

  autoscale::InstancePool& pool_;
  RolloutOptions options_;
  std::vector<RollingEvent> events_;
  double first_step_s_ = 0, last_step_s_ = 0;
  std::vector<double> down_detections_s_;
};

}  // namespace scalelab::lab
