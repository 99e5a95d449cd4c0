// The autoscaler's control loop: every sync period it samples each
// instance's CPU (InstancePool), asks the policy how many instances there
// should be, and carries the decision out (scale-out starts instances and
// registers them with the balancer; scale-in drains and stops the newest).
// Every decision is recorded with its inputs and reason, logged, and
// exported as metrics (autoscale_*), so a run can be read afterwards and
// watched live.
// Thread-safety: step() and run() from one thread; records() and the
// metrics may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "autoscale/instances.h"
#include "autoscale/policy.h"
#include "core/thread_annotations.h"
#include "obs/metrics.h"

namespace scalelab::autoscale {

struct DecisionRecord {
  Millis at{0};  // since the controller began
  int current = 0, ready = 0;
  std::optional<double> cpu_percent;  // average over the ready instances
  std::optional<double> rps;          // requests/s through the balancer since the previous sync
  std::vector<InstanceCpu> instances;  // each instance's CPU since the previous sync, oldest first
  int desired = 0;
  std::string reason;
  std::string action;  // "" (none), "started i5", "stopped i4", or what failed
};

struct ControllerOptions {
  Millis sync{15'000};  // HPA's default sync period; target tracking evaluates as often
  obs::Registry* metrics = nullptr;  // autoscale_* gauges and counters, when given
  // Each record as it is made (for a live line or a log).
  std::function<void(const DecisionRecord&)> on_decision;
};

class Controller {
 public:
  Controller(InstancePool& pool, std::unique_ptr<Policy> policy, ControllerOptions options);

  // Starts instances until there are n (the policy's minimum at start).
  Status start(int n);
  // One sync: observe, decide, act. `now` is the time since start (the
  // caller's clock, so tests can drive it).
  DecisionRecord step(Millis now);
  // Syncs every options.sync until stop turns true.
  void run(const std::atomic<bool>& stop);

  std::vector<DecisionRecord> records() const;
  const Policy& policy() const { return *policy_; }

 private:
  std::string act(int current, int desired);
  void export_metrics(const DecisionRecord& r);

  InstancePool& pool_;
  std::unique_ptr<Policy> policy_;
  ControllerOptions options_;
  std::optional<std::pair<Millis, std::uint64_t>> last_requests_;  // (at, backend total), step()'s thread only
  mutable core::Mutex mu_;
  std::vector<DecisionRecord> records_ GUARDED_BY(mu_);
};

}  // namespace scalelab::autoscale
