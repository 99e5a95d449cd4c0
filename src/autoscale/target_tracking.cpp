// Semantics follow the Application Auto Scaling user guide ("How target
// tracking scaling works", "Define cooldown periods"):
//  - The high alarm fires after out_datapoints breaching datapoints, the low
//    one after in_datapoints, and an alarm stays in ALARM (and keeps asking)
//    while its datapoints keep breaching: the streaks are not reset by a
//    scaling action. Simplification: one datapoint per sync stands for one
//    CloudWatch period, and "M of N" is always "N of N".
//  - Scale-out cooldown: no further scale-out until it has passed since the
//    last scale-out, "unless a larger scale-out is triggered": the capacity
//    the last scale-out added counts toward the next one. We read that as:
//    during the cooldown the metric still describes the fleet before the
//    scale-out (its new instances barely contribute yet), so the
//    proportional rule is applied to that fleet's size and goes ahead only
//    if it asks for more than is running now; the cooldown then restarts and
//    the base stays that fleet until a scale-out outside a cooldown.
//  - Scale-in cooldown: no scale-in until it has passed since the last
//    scaling activity of either kind (conservative: AWS states it from the
//    last scale-in; scale-in right after a scale-out is what flaps). A
//    scale-out during the scale-in cooldown happens at once.
//  - Missing data: no action, and the alarms see no datapoint (CloudWatch's
//    "missing" treatment keeps an alarm in its state).
#include "autoscale/target_tracking.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "autoscale/rules.h"

namespace scalelab::autoscale {

using detail::cpu_text;
using detail::proportional;
using detail::seconds_text;
using detail::threshold_text;

namespace {

void validate(const TargetTrackingOptions& o) {
  detail::validate("target tracking", o.target_cpu, o.bounds);
  auto fail = [](const char* what) { throw std::invalid_argument(std::string("target tracking: ") + what); };
  if (o.out_datapoints < 1 || o.in_datapoints < 1) fail("datapoints must be at least 1");
  if (!(o.scale_in_ratio > 0 && o.scale_in_ratio <= 1)) fail("scale_in_ratio must be in (0, 1]");
  if (o.scale_out_cooldown.count() < 0 || o.scale_in_cooldown.count() < 0) fail("cooldowns must not be negative");
}

// How long of cooldown is left at now, or nothing if it has passed.
std::optional<Millis> left(std::optional<Millis> since, Millis cooldown, Millis now) {
  if (!since || now - *since >= cooldown) return std::nullopt;
  return cooldown - (now - *since);
}

}  // namespace

TargetTracking::TargetTracking(TargetTrackingOptions options) : options_(std::move(options)) { validate(options_); }

Decision TargetTracking::decide(const Observation& o) {
  if (auto forced = detail::enforce_bounds(o, options_.bounds)) return *forced;
  if (auto none = detail::missing_data(o, "datapoint not counted")) return *none;
  const double cpu = *o.cpu_percent;
  count(cpu);
  if (high_streak_ >= options_.out_datapoints) return scale_out(o, cpu);
  if (low_streak_ >= options_.in_datapoints) return scale_in(o, cpu);
  return hold(o, cpu);
}

void TargetTracking::count(double cpu) {
  const int cap = std::max(options_.out_datapoints, options_.in_datapoints);
  high_streak_ = cpu > options_.target_cpu ? std::min(high_streak_ + 1, cap) : 0;
  low_streak_ = cpu < low_threshold() ? std::min(low_streak_ + 1, cap) : 0;
}

Decision TargetTracking::scale_out(const Observation& o, double cpu) {
  const auto rule = [&](int base) {
    return fmt::format("cpu {}% > {}% for {} syncs: ceil({} × {} / {}) = {}", cpu_text(cpu),
                       threshold_text(options_.target_cpu), options_.out_datapoints, base, cpu_text(cpu),
                       threshold_text(options_.target_cpu), proportional(base, cpu, options_.target_cpu));
  };
  int want = std::max(o.current + 1, proportional(o.current, cpu, options_.target_cpu));
  std::string reason = rule(o.current);
  if (auto wait = left(last_scale_out_, options_.scale_out_cooldown, o.now)) {
    want = proportional(scale_out_base_, cpu, options_.target_cpu);
    if (want <= o.current)
      return {o.current, fmt::format("scale-out cooldown: {} s left ({}, no more than the {} running)",
                                     seconds_text(*wait), rule(scale_out_base_), o.current)};
    reason = rule(scale_out_base_) + ", larger than the last scale-out";
  } else {
    scale_out_base_ = o.current;
  }
  if (want > options_.bounds.max) {
    want = options_.bounds.max;
    reason += fmt::format("; clamped to max {}", want);
  }
  if (want <= o.current) return {o.current, reason};
  last_scale_out_ = last_activity_ = o.now;
  return {want, reason};
}

Decision TargetTracking::scale_in(const Observation& o, double cpu) {
  const int needed = proportional(o.current, cpu, options_.target_cpu);
  std::string reason = fmt::format("cpu {}% < {}% for {} syncs", cpu_text(cpu), threshold_text(low_threshold()),
                                   options_.in_datapoints);
  if (auto wait = left(last_activity_, options_.scale_in_cooldown, o.now))
    return {o.current, fmt::format("scale-in cooldown: {} s left ({})", seconds_text(*wait), reason)};
  reason += fmt::format(": ceil({} × {} / {}) = {}", o.current, cpu_text(cpu), threshold_text(options_.target_cpu),
                        needed);
  int want = std::max(o.current - 1, needed);  // one step at a time, never below what the load needs
  if (want < options_.bounds.min) {
    want = options_.bounds.min;
    reason += fmt::format("; clamped to min {}", want);
  }
  if (want >= o.current) return {o.current, reason + fmt::format(": stay at {}", o.current)};
  last_activity_ = o.now;
  return {want, reason + fmt::format(": one step in to {}", want)};
}

Decision TargetTracking::hold(const Observation& o, double cpu) const {
  if (high_streak_ > 0)
    return {o.current, fmt::format("cpu {}% > {}% for {} of {} syncs: stay at {}", cpu_text(cpu),
                                   threshold_text(options_.target_cpu), high_streak_, options_.out_datapoints,
                                   o.current)};
  if (low_streak_ > 0)
    return {o.current, fmt::format("cpu {}% < {}% for {} of {} syncs: stay at {}", cpu_text(cpu),
                                   threshold_text(low_threshold()), low_streak_, options_.in_datapoints, o.current)};
  return {o.current, fmt::format("cpu {}% within [{}%, {}%]: stay at {}", cpu_text(cpu),
                                 threshold_text(low_threshold()), threshold_text(options_.target_cpu), o.current)};
}

}  // namespace scalelab::autoscale
