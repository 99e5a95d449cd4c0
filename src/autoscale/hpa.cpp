// Follows the HPA controller (pkg/controller/podautoscaler: the replica
// calculator, stabilizeRecommendationWithBehaviors,
// convertDesiredReplicasWithBehaviorRate, storeScaleEvent) for one
// resource metric with `behavior` set:
//  - ratio = cpu / target; |ratio − 1| ≤ tolerance: recommend the current
//    count; else ceil(ratio × ready). Ready instances are the base, as the
//    HPA's ready pods are: the CPU average is over them. When some
//    instances are not ready and the ratio asks for more, they count at 0%
//    (as the HPA counts unready pods on scale-up), and a ratio that then
//    falls inside the band, or would shrink the fleet, recommends the
//    current count. Simplification: no missing-pod handling (the
//    controller reports one average, not per-instance figures).
//  - Stabilization: every recommendation is kept with its time; going up,
//    the lowest one newer than scale_up_stabilization wins, going down the
//    highest one newer than scale_down_stabilization. As in the controller
//    the first sync records the current count, so nothing scales down
//    within the first scale-down window.
//  - Rate: each policy allows, from the count at the start of its period
//    (now minus what scale events within the period changed), Pods: +value,
//    Percent: ceil(start × (1 + value/100)) going up, floor(start × (1 −
//    value/100)) going down; the most permissive policy wins (selectPolicy
//    Max, the default). No policies: no rate limit.
//  - Bounds: outside [min, max] the count goes straight to the bound;
//    otherwise the result is clamped to it. Missing data: no action and no
//    recommendation recorded.
#include "autoscale/hpa.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "autoscale/rules.h"

namespace scalelab::autoscale {

using detail::cpu_text;
using detail::kEpsilon;
using detail::proportional;
using detail::threshold_text;

namespace {

void validate(const HpaOptions& o) {
  detail::validate("hpa", o.target_cpu, o.bounds);
  auto fail = [](const char* what) { throw std::invalid_argument(std::string("hpa: ") + what); };
  if (!(o.tolerance >= 0 && o.tolerance < 1)) fail("tolerance must be in [0, 1)");
  if (o.scale_up_stabilization.count() < 0 || o.scale_down_stabilization.count() < 0)
    fail("stabilization windows must not be negative");
  for (const auto* rules : {&o.scale_up, &o.scale_down})
    for (const RatePolicy& p : *rules)
      if (p.value < 1 || p.period.count() <= 0) fail("a rate policy needs a value ≥ 1 and a positive period");
}

// What the scale events newer than now − period changed, in instances.
template <typename Events>
int changed_since(const Events& events, Millis period, Millis now) {
  int sum = 0;
  for (const auto& e : events)
    if (e.at > now - period) sum += e.value;
  return sum;
}

template <typename Events>
int scale_up_limit(const std::vector<RatePolicy>& rules, const Events& ups, int current, Millis now) {
  if (rules.empty()) return std::numeric_limits<int>::max();
  int limit = std::numeric_limits<int>::min();
  for (const RatePolicy& p : rules) {
    const int start = current - changed_since(ups, p.period, now);
    const int proposed = p.kind == RatePolicy::Kind::kPods
                             ? start + p.value
                             : static_cast<int>(std::ceil(start * (1 + p.value / 100.0) - kEpsilon));
    limit = std::max(limit, proposed);  // the most permissive policy
  }
  return std::max(limit, current);  // past events may exceed the limit: hold, never shrink
}

template <typename Events>
int scale_down_limit(const std::vector<RatePolicy>& rules, const Events& downs, int current, Millis now) {
  if (rules.empty()) return 0;
  int limit = std::numeric_limits<int>::max();
  for (const RatePolicy& p : rules) {
    const int start = current + changed_since(downs, p.period, now);
    const int proposed = p.kind == RatePolicy::Kind::kPods
                             ? start - p.value
                             : static_cast<int>(std::floor(start * (1 - p.value / 100.0) + kEpsilon));
    limit = std::min(limit, proposed);
  }
  return std::min(limit, current);
}

Millis longest_period(const std::vector<RatePolicy>& rules) {
  Millis longest{0};
  for (const RatePolicy& p : rules) longest = std::max(longest, p.period);
  return longest;
}

}  // namespace

Hpa::Hpa(HpaOptions options) : options_(std::move(options)) { validate(options_); }

Decision Hpa::decide(const Observation& o) {
  if (!started_) {
    started_ = true;
    recommendations_.push_back({o.now, o.current});
  }
  if (auto forced = detail::enforce_bounds(o, options_.bounds)) {
    record_scale(o, forced->desired);
    return *forced;
  }
  if (auto none = detail::missing_data(o, "no recommendation recorded")) return *none;
  Decision d = recommend(o, *o.cpu_percent);
  d.desired = stabilize(o, d.desired, d.reason);
  d.desired = limit_rate(o, d.desired, d.reason);
  record_scale(o, d.desired);
  return d;
}

Decision Hpa::recommend(const Observation& o, double cpu) const {
  const double target = options_.target_cpu;
  const double ratio = cpu / target;
  const auto within = [&](double r) { return std::abs(r - 1) <= options_.tolerance + kEpsilon; };
  if (within(ratio))
    return {o.current, fmt::format("cpu {}% within ±{}% of {}%: stay at {}", cpu_text(cpu),
                                   threshold_text(options_.tolerance * 100), threshold_text(target), o.current)};
  const int wanted = proportional(o.ready, cpu, target);
  std::string reason = fmt::format("cpu {}% vs target {}%: ceil({} × {} / {}) = {}", cpu_text(cpu),
                                   threshold_text(target), o.ready, cpu_text(cpu), threshold_text(target), wanted);
  if (ratio > 1 && o.ready < o.current) {
    // Counting the unready instances at 0%: if the fleet is then not clearly
    // over the target (inside the band, or under it), the HPA holds.
    const double diluted = ratio * o.ready / o.current;
    if (diluted < 1 || within(diluted))
      return {o.current, fmt::format("{}; with {} not ready at 0% cpu is {}% of target: stay at {}", reason,
                                     o.current - o.ready, cpu_text(diluted * 100), o.current)};
  }
  return {wanted, reason};
}

int Hpa::stabilize(const Observation& o, int recommendation, std::string& reason) {
  const bool up = recommendation >= o.current;
  const Millis window = up ? options_.scale_up_stabilization : options_.scale_down_stabilization;
  int stabilized = recommendation;
  for (const Stamped& r : recommendations_)
    if (r.at > o.now - window) stabilized = up ? std::min(stabilized, r.value) : std::max(stabilized, r.value);
  const Millis keep = std::max(options_.scale_up_stabilization, options_.scale_down_stabilization);
  std::erase_if(recommendations_, [&](const Stamped& r) { return r.at < o.now - keep; });
  recommendations_.push_back({o.now, recommendation});
  if (stabilized != recommendation)
    reason += fmt::format("; stabilized to {} ({} in the last {} s)", stabilized, up ? "lowest" : "highest",
                          detail::seconds_text(window));
  return stabilized;
}

int Hpa::limit_rate(const Observation& o, int desired, std::string& reason) const {
  const Bounds& b = options_.bounds;
  if (desired > o.current) {
    const int rate = scale_up_limit(options_.scale_up, scale_ups_, o.current, o.now);
    if (desired > std::min(rate, b.max)) {
      reason += rate < b.max ? fmt::format("; scale-up limited to {} by the rate policies", rate)
                             : fmt::format("; clamped to max {}", b.max);
      return std::min(rate, b.max);
    }
  } else if (desired < o.current) {
    const int rate = scale_down_limit(options_.scale_down, scale_downs_, o.current, o.now);
    if (desired < std::max(rate, b.min)) {
      reason += rate > b.min ? fmt::format("; scale-down limited to {} by the rate policies", rate)
                             : fmt::format("; clamped to min {}", b.min);
      return std::max(rate, b.min);
    }
  }
  return desired;
}

void Hpa::record_scale(const Observation& o, int desired) {
  if (desired == o.current) return;
  const bool up = desired > o.current;
  auto& events = up ? scale_ups_ : scale_downs_;
  const Millis keep = longest_period(up ? options_.scale_up : options_.scale_down);
  std::erase_if(events, [&](const Stamped& e) { return e.at <= o.now - keep; });
  events.push_back({o.now, std::abs(desired - o.current)});
}

}  // namespace scalelab::autoscale
