// The parts of run_hw6_scaling, each in its own file.
// Thread-safety: called from one thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/result.h"
#include "lab/hw6_scaling/hw6_scaling.h"

namespace scalelab::lab::hw6 {

struct VariantSpec {
  std::string name;
  Hw6ScalingPolicy policy = Hw6ScalingPolicy::kTargetTracking;
  double target_cpu = 70;
  Hw6LoadShape shape = Hw6LoadShape::kSpike;
  std::chrono::milliseconds breaking{0};
  std::chrono::milliseconds after{0};  // 0: no light phase after the breaking one
};

// scaling.cpp: one run with the autoscaler (light, breaking, light again).
Result<Hw6ScalingRun> run_variant(const Hw6ScalingOptions& o, const VariantSpec& v, double one_instance_rps);
// The variants beside the main run: targets 50/90, hpa, a gradual ramp.
std::vector<VariantSpec> variant_specs(const Hw6ScalingOptions& o);

// loss.cpp: three instances, steady load, one stopped (kill -9 or graceful) a third of the way in.
Result<Hw6LossRun> run_loss(const Hw6ScalingOptions& o, bool kill, double one_instance_rps);

// sizing.cpp: 20 users against n instances of `cores` each.
Result<Hw6SizingPoint> run_sizing(const Hw6ScalingOptions& o, int n, double cores);

}  // namespace scalelab::lab::hw6
