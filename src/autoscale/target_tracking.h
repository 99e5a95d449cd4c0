// Target tracking as ECS / Application Auto Scaling runs it: two
// CloudWatch-style alarms on the average CPU (high: above the target for
// out_datapoints syncs in a row; low: below target × scale_in_ratio for
// in_datapoints syncs in a row), proportional scale-out, one-step scale-in,
// separate cooldowns. Built through make_target_tracking (policy.h).
// Thread-safety: one thread (the controller's loop).
#pragma once

#include <optional>
#include <string>

#include "autoscale/policy.h"

namespace scalelab::autoscale {

class TargetTracking final : public Policy {
 public:
  // Throws std::invalid_argument on options that cannot work.
  explicit TargetTracking(TargetTrackingOptions options);

  std::string name() const override { return "target-tracking"; }
  Decision decide(const Observation& o) override;

 private:
  void count(double cpu);
  Decision scale_out(const Observation& o, double cpu);
  Decision scale_in(const Observation& o, double cpu);
  Decision hold(const Observation& o, double cpu) const;
  double low_threshold() const { return options_.target_cpu * options_.scale_in_ratio; }

  TargetTrackingOptions options_;
  // Consecutive datapoints (the latest included) above the target / below
  // the low threshold, capped at what the alarms look at: an alarm is in
  // ALARM while its streak reaches its datapoints.
  int high_streak_ = 0, low_streak_ = 0;
  std::optional<Millis> last_scale_out_;  // for the scale-out cooldown
  std::optional<Millis> last_activity_;   // either kind, for the scale-in cooldown
  int scale_out_base_ = 0;                // instances before the last scale-out
};

}  // namespace scalelab::autoscale
