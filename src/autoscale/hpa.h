// The Kubernetes HorizontalPodAutoscaler (autoscaling/v2) rule for one CPU
// metric: a recommendation from the ratio to the target outside a
// tolerance band, stabilized over timestamped past recommendations, then
// limited by the scale-up/scale-down rate policies and the bounds. Built
// through make_hpa (policy.h).
// Thread-safety: one thread (the controller's loop).
#pragma once

#include <string>
#include <vector>

#include "autoscale/policy.h"

namespace scalelab::autoscale {

class Hpa final : public Policy {
 public:
  // Throws std::invalid_argument on options that cannot work.
  explicit Hpa(HpaOptions options);

  std::string name() const override { return "hpa"; }
  Decision decide(const Observation& o) override;

 private:
  struct Stamped {
    Millis at;
    int value;  // a recommendation, or the instances one scale event added/removed
  };

  Decision recommend(const Observation& o, double cpu) const;
  int stabilize(const Observation& o, int recommendation, std::string& reason);
  int limit_rate(const Observation& o, int desired, std::string& reason) const;
  void record_scale(const Observation& o, int desired);

  HpaOptions options_;
  std::vector<Stamped> recommendations_;  // within the longer stabilization window
  std::vector<Stamped> scale_ups_, scale_downs_;  // within the longest policy period
  bool started_ = false;
};

}  // namespace scalelab::autoscale
