// What both scaling policies share: the proportional rule, the checks on
// their options, and the formatting of the numbers their reasons carry.
// Internal to the autoscale library. Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>

#include "autoscale/policy.h"

namespace scalelab::autoscale::detail {

// Slack for floating-point comparisons, so that exact edges (77% against
// 70% ± 10%, 3 × 70 / 70) land where the arithmetic on paper puts them.
inline constexpr double kEpsilon = 1e-9;

// ceil(base × cpu / target): the instances that would bring cpu to target.
int proportional(int base, double cpu, double target);

// "93.0" (a measured CPU) and "70" / "63" (a configured threshold).
std::string cpu_text(double cpu);
std::string threshold_text(double value);
// "42.0" (seconds, from milliseconds).
std::string seconds_text(Millis d);

// Throws std::invalid_argument naming the policy when the target or the
// bounds cannot work.
void validate(const char* policy, double target_cpu, const Bounds& bounds);

// The instance count forced by the bounds alone, if current is outside
// them (the controller's first sync, or bounds changed under it).
std::optional<Decision> enforce_bounds(const Observation& o, const Bounds& bounds);

// A no-op decision when the observation carries no usable CPU figure.
std::optional<Decision> missing_data(const Observation& o, const char* consequence);

}  // namespace scalelab::autoscale::detail
