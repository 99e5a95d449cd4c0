// Scaling policies: given what the controller observed (instances, healthy
// ones, their average CPU against the target), how many instances there
// should be, and why. Two rules, as the clouds run them:
//  - TargetTracking (ECS/Application Auto Scaling): scale out
//    proportionally once the metric has stayed above the target for
//    out_datapoints syncs; scale in one step at a time once it has stayed
//    below target × scale_in_ratio for in_datapoints syncs; separate
//    scale-out and scale-in cooldowns; no action on missing data.
//  - Hpa (Kubernetes HorizontalPodAutoscaler v2): desired =
//    ceil(ready × metric / target) outside a ±tolerance band; a scale-down
//    stabilization window (the highest recommendation in the window wins);
//    scale-up and scale-down rate policies (Pods or Percent per period,
//    the most permissive wins); no action on missing data.
// Both clamp to [min, max]. Time is an input (Observation::now), so tests
// drive the policies with an injected clock.
// Thread-safety: a policy is used by one thread (the controller's loop).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace scalelab::autoscale {

using Millis = std::chrono::milliseconds;

struct Observation {
  Millis now{0};                     // monotonic, any origin
  int current = 0;                   // instances the controller runs (started, not yet removed)
  int ready = 0;                     // of them, healthy in the balancer
  std::optional<double> cpu_percent;  // average over the ready instances, % of each one's CPU quota; nullopt: no data
};

struct Decision {
  int desired = 0;     // == Observation::current: no change
  std::string reason;  // the inputs and the rule, e.g. "cpu 93.0% > 70%: ceil(2 × 93.0 / 70) = 3"
};

struct Bounds {
  int min = 2, max = 4;  // the course's
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string name() const = 0;  // "target-tracking", "hpa"
  // Called once per sync with the latest observation. The policy assumes
  // its decisions are carried out (for cooldowns and rate limits).
  virtual Decision decide(const Observation& o) = 0;
};

struct TargetTrackingOptions {
  double target_cpu = 70;
  Bounds bounds;
  Millis scale_out_cooldown{300'000}, scale_in_cooldown{300'000};  // the course's
  int out_datapoints = 3;     // CloudWatch's high alarm: 3 of 1-minute periods
  int in_datapoints = 15;     // the low alarm: 15 periods
  double scale_in_ratio = 0.9;  // the low alarm's threshold, as a share of the target
};

struct RatePolicy {
  enum class Kind { kPods, kPercent } kind = Kind::kPercent;
  int value = 100;
  Millis period{15'000};
};

struct HpaOptions {
  double target_cpu = 70;
  Bounds bounds;
  double tolerance = 0.1;
  Millis scale_up_stabilization{0}, scale_down_stabilization{300'000};
  // Kubernetes' defaults: up by max(100%, 4 pods) per 15 s; down by 100% per 15 s.
  std::vector<RatePolicy> scale_up{{RatePolicy::Kind::kPercent, 100, Millis{15'000}},
                                   {RatePolicy::Kind::kPods, 4, Millis{15'000}}};
  std::vector<RatePolicy> scale_down{{RatePolicy::Kind::kPercent, 100, Millis{15'000}}};
};

// Throw std::invalid_argument on options that cannot work (target ≤ 0,
// min < 1 or max < min, datapoints < 1, a rate policy without value or period…).
std::unique_ptr<Policy> make_target_tracking(const TargetTrackingOptions& options);
std::unique_ptr<Policy> make_hpa(const HpaOptions& options);

// Every duration in the options divided by k (k ≥ 1), for experiments that
// fit the course's minutes into seconds.
TargetTrackingOptions scaled(TargetTrackingOptions o, double k);
HpaOptions scaled(HpaOptions o, double k);

}  // namespace scalelab::autoscale
