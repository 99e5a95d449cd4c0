#include "autoscale/policy.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "autoscale/hpa.h"
#include "autoscale/rules.h"
#include "autoscale/target_tracking.h"

namespace scalelab::autoscale {

namespace detail {

int proportional(int base, double cpu, double target) {
  return static_cast<int>(std::ceil(base * cpu / target - kEpsilon));
}

std::string cpu_text(double cpu) { return fmt::format("{:.1f}", cpu); }

std::string threshold_text(double value) { return fmt::format("{:g}", value); }

std::string seconds_text(Millis d) { return fmt::format("{:.1f}", d.count() / 1000.0); }

void validate(const char* policy, double target_cpu, const Bounds& bounds) {
  auto fail = [&](const std::string& what) { throw std::invalid_argument(fmt::format("{}: {}", policy, what)); };
  if (!(target_cpu > 0) || !std::isfinite(target_cpu)) fail("target CPU must be a positive percentage");
  // With no instance there is no CPU to measure, so nothing would ever scale out again.
  if (bounds.min < 1) fail("min must be at least 1");
  if (bounds.max < bounds.min) fail(fmt::format("max ({}) must not be below min ({})", bounds.max, bounds.min));
}

std::optional<Decision> enforce_bounds(const Observation& o, const Bounds& bounds) {
  if (o.current < bounds.min)
    return Decision{bounds.min, fmt::format("{} below min {}: to {}", o.current, bounds.min, bounds.min)};
  if (o.current > bounds.max)
    return Decision{bounds.max, fmt::format("{} above max {}: to {}", o.current, bounds.max, bounds.max)};
  return std::nullopt;
}

std::optional<Decision> missing_data(const Observation& o, const char* consequence) {
  if (o.ready <= 0) return Decision{o.current, fmt::format("no ready instance, so no CPU data: no action ({})", consequence)};
  if (!o.cpu_percent) return Decision{o.current, fmt::format("no CPU data: no action ({})", consequence)};
  return std::nullopt;
}

}  // namespace detail

namespace {

// k < 1 (or NaN) would stretch the course's periods; treat it as 1.
double effective(double k) { return k >= 1 ? k : 1.0; }

Millis divided(Millis d, double k) { return Millis{std::llround(static_cast<double>(d.count()) / k)}; }

}  // namespace

std::unique_ptr<Policy> make_target_tracking(const TargetTrackingOptions& options) {
  return std::make_unique<TargetTracking>(options);
}

std::unique_ptr<Policy> make_hpa(const HpaOptions& options) { return std::make_unique<Hpa>(options); }

TargetTrackingOptions scaled(TargetTrackingOptions o, double k) {
  k = effective(k);
  o.scale_out_cooldown = divided(o.scale_out_cooldown, k);
  o.scale_in_cooldown = divided(o.scale_in_cooldown, k);
  // Datapoints are counted in syncs: the controller scales its sync period.
  return o;
}

HpaOptions scaled(HpaOptions o, double k) {
  k = effective(k);
  o.scale_up_stabilization = divided(o.scale_up_stabilization, k);
  o.scale_down_stabilization = divided(o.scale_down_stabilization, k);
  for (auto& p : o.scale_up) p.period = divided(p.period, k);
  for (auto& p : o.scale_down) p.period = divided(p.period, k);
  return o;
}

}  // namespace scalelab::autoscale
