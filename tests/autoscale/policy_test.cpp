#include "autoscale/policy.h"

#include <optional>
#include <stdexcept>

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using namespace scalelab::autoscale;

namespace {

// A fleet the policy scales: the test owns the clock, the policy's
// decisions are carried out at once, and every instance is ready unless
// the test says otherwise.
struct Fleet {
  std::unique_ptr<Policy> policy;
  int current = 2;
  Millis now{0};
  Millis sync{1'000};

  // One sync at now with this CPU; then the clock moves one sync on.
  Decision step(std::optional<double> cpu, std::optional<int> ready = std::nullopt) {
    Decision d = at(now, cpu, ready);
    now += sync;
    return d;
  }
  // One sync at time t (the clock stays where the test put it).
  Decision at(Millis t, std::optional<double> cpu, std::optional<int> ready = std::nullopt) {
    Decision d = policy->decide({t, current, ready.value_or(current), cpu});
    current = d.desired;
    return d;
  }
};

TargetTrackingOptions tt_options() {
  TargetTrackingOptions o;
  o.target_cpu = 70;
  o.bounds = {2, 10};
  o.scale_out_cooldown = 10s;
  o.scale_in_cooldown = 20s;
  o.out_datapoints = 3;
  o.in_datapoints = 5;
  o.scale_in_ratio = 0.9;
  return o;
}

Fleet tt_fleet(int current, TargetTrackingOptions o = tt_options()) { return Fleet{make_target_tracking(o), current}; }

HpaOptions hpa_options() {
  HpaOptions o;  // Kubernetes' behaviour defaults: up max(100%, 4) per 15 s, down window 300 s
  o.target_cpu = 70;
  o.bounds = {1, 20};
  return o;
}

Fleet hpa_fleet(int current, HpaOptions o = hpa_options()) { return Fleet{make_hpa(o), current}; }

// Drives the fleet to a scale-out at the returned time: 3 high datapoints.
Millis scale_out(Fleet& f, double cpu) {
  const int before = f.current;
  for (int i = 0; i < 3 && f.current == before; ++i) f.step(cpu);
  EXPECT_GT(f.current, before);
  return f.now - f.sync;
}

// Drives the fleet to a scale-in at the returned time: 5 low datapoints.
Millis scale_in(Fleet& f, double cpu) {
  const int before = f.current;
  for (int i = 0; i < 5 && f.current == before; ++i) f.step(cpu);
  EXPECT_LT(f.current, before);
  return f.now - f.sync;
}

}  // namespace

// ---- target tracking ----

TEST(TargetTracking, ScalesOutProportionallyAfterThreeHighDatapoints) {
  Fleet f = tt_fleet(2);
  EXPECT_EQ(f.step(93).desired, 2);
  EXPECT_EQ(f.step(93).desired, 2);
  const Decision d = f.step(93);
  EXPECT_EQ(d.desired, 3);
  EXPECT_EQ(d.reason, "cpu 93.0% > 70% for 3 syncs: ceil(2 × 93.0 / 70) = 3");

  Fleet g = tt_fleet(2);
  g.step(175);
  g.step(175);
  EXPECT_EQ(g.step(175).desired, 5);  // ceil(2 × 175 / 70): more than one step at once
}

TEST(TargetTracking, OneHighDatapointIsNotEnough) {
  Fleet f = tt_fleet(2);
  EXPECT_EQ(f.step(93).reason, "cpu 93.0% > 70% for 1 of 3 syncs: stay at 2");
  EXPECT_EQ(f.step(66).desired, 2);  // back under the target: the high streak starts over
  EXPECT_EQ(f.step(93).desired, 2);
  EXPECT_EQ(f.step(93).desired, 2);
  EXPECT_EQ(f.step(93).desired, 3);
}

TEST(TargetTracking, ScalesInOneAtATimeAfterTheLowDatapoints) {
  Fleet f = tt_fleet(5);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(f.step(20).desired, 5);
  const Decision d = f.step(20);  // ceil(5 × 20 / 70) = 2, but one step
  EXPECT_EQ(d.desired, 4);
  EXPECT_EQ(d.reason, "cpu 20.0% < 63% for 5 syncs: ceil(5 × 20.0 / 70) = 2: one step in to 4");
  f.now += 20s;  // past the scale-in cooldown, still low: the next single step
  EXPECT_EQ(f.step(20).desired, 3);
}

TEST(TargetTracking, ScaleInNeverGoesBelowWhatTheLoadNeeds) {
  Fleet f = tt_fleet(4);
  Decision d;
  for (int i = 0; i < 5; ++i) d = f.step(60);  // below 63, but ceil(4 × 60 / 70) = 4
  EXPECT_EQ(d.desired, 4);
  EXPECT_EQ(d.reason, "cpu 60.0% < 63% for 5 syncs: ceil(4 × 60.0 / 70) = 4: stay at 4");
}

TEST(TargetTracking, NeverFlapsBetweenTheAlarms) {
  Fleet f = tt_fleet(3);
  for (int i = 0; i < 500; ++i) {
    // 64..76%, alternating sides of the target: neither alarm's streak builds.
    const double cpu = 70 + (i % 2 == 0 ? 1 : -1) * (1 + i % 6);
    ASSERT_EQ(f.step(cpu).desired, 3) << "sync " << i << " at " << cpu << "%";
  }
  for (int i = 0; i < 50; ++i) ASSERT_EQ(f.step(63 + i % 8).desired, 3);  // at or above the low alarm, at or under the target
}

TEST(TargetTracking, ScaleOutCooldownHoldsUntilItsLastMillisecond) {
  Fleet f = tt_fleet(2);
  const Millis t0 = scale_out(f, 93);
  ASSERT_EQ(f.current, 3);
  const Decision held = f.at(t0 + 10s - 1ms, 93);
  EXPECT_EQ(held.desired, 3);
  EXPECT_EQ(held.reason.rfind("scale-out cooldown: 0.0 s left", 0), 0u) << held.reason;
  const Decision next = f.at(t0 + 10s, 93);
  EXPECT_EQ(next.desired, 4);  // ceil(3 × 93 / 70): the alarm stayed in ALARM
  EXPECT_EQ(next.reason, "cpu 93.0% > 70% for 3 syncs: ceil(3 × 93.0 / 70) = 4");
}

TEST(TargetTracking, LargerScaleOutGoesAheadDuringTheScaleOutCooldown) {
  Fleet f = tt_fleet(2);
  const Millis t0 = scale_out(f, 93);
  const Decision d = f.at(t0 + 1s, 150);  // the fleet before the scale-out would need ceil(2 × 150 / 70) = 5
  EXPECT_EQ(d.desired, 5);
  EXPECT_NE(d.reason.find("larger than the last scale-out"), std::string::npos) << d.reason;
}

TEST(TargetTracking, ScaleInCooldownHoldsUntilItsLastMillisecond) {
  Fleet f = tt_fleet(5);
  const Millis t0 = scale_in(f, 20);
  ASSERT_EQ(f.current, 4);
  const Decision held = f.at(t0 + 20s - 1ms, 20);
  EXPECT_EQ(held.desired, 4);
  EXPECT_EQ(held.reason, "scale-in cooldown: 0.0 s left (cpu 20.0% < 63% for 5 syncs)");
  EXPECT_EQ(f.at(t0 + 20s, 20).desired, 3);
}

TEST(TargetTracking, ScaleInCooldownCountsFromAScaleOut) {
  Fleet f = tt_fleet(2);
  const Millis t0 = scale_out(f, 93);
  Decision d;
  for (int i = 0; i < 5; ++i) d = f.step(20);
  EXPECT_EQ(d.desired, 3);
  EXPECT_EQ(d.reason.rfind("scale-in cooldown: 15.0 s left", 0), 0u) << d.reason;
  EXPECT_EQ(f.at(t0 + 20s, 20).desired, 2);
}

TEST(TargetTracking, ScalesOutAtOnceDuringTheScaleInCooldown) {
  Fleet f = tt_fleet(5);
  const Millis t0 = scale_in(f, 20);
  ASSERT_EQ(f.current, 4);
  f.step(93);
  f.step(93);
  EXPECT_EQ(f.step(93).desired, 6);  // ceil(4 × 93 / 70), 3 s into a 20 s scale-in cooldown
  EXPECT_LT(f.now - t0, 20s);
}

TEST(TargetTracking, MissingDataTakesNoActionAndCountsNoDatapoint) {
  Fleet f = tt_fleet(2);
  f.step(93);
  const Decision none = f.step(std::nullopt);
  EXPECT_EQ(none.desired, 2);
  EXPECT_EQ(none.reason, "no CPU data: no action (datapoint not counted)");
  const Decision no_ready = f.step(93, 0);  // a figure over no ready instance is no figure
  EXPECT_EQ(no_ready.desired, 2);
  EXPECT_EQ(no_ready.reason, "no ready instance, so no CPU data: no action (datapoint not counted)");
  EXPECT_EQ(f.step(93).desired, 2);  // the second datapoint, not the fourth
  EXPECT_EQ(f.step(93).desired, 3);
}

TEST(TargetTracking, ClampsToMaxAndSaysSo) {
  TargetTrackingOptions o = tt_options();
  o.bounds = {2, 4};
  Fleet f = tt_fleet(3, o);
  f.step(200);
  f.step(200);
  const Decision d = f.step(200);
  EXPECT_EQ(d.desired, 4);
  EXPECT_EQ(d.reason, "cpu 200.0% > 70% for 3 syncs: ceil(3 × 200.0 / 70) = 9; clamped to max 4");
}

TEST(TargetTracking, ClampsToMinAndSaysSo) {
  Fleet f = tt_fleet(2);
  Decision d;
  for (int i = 0; i < 5; ++i) d = f.step(10);
  EXPECT_EQ(d.desired, 2);
  EXPECT_EQ(d.reason, "cpu 10.0% < 63% for 5 syncs: ceil(2 × 10.0 / 70) = 1; clamped to min 2: stay at 2");
}

TEST(TargetTracking, BringsACountOutsideTheBoundsBackAtOnce) {
  Fleet f = tt_fleet(0);
  const Decision d = f.step(std::nullopt);
  EXPECT_EQ(d.desired, 2);
  EXPECT_EQ(d.reason, "0 below min 2: to 2");
}

// ---- HPA ----

TEST(Hpa, DesiredIsCeilOfReadyTimesMetricOverTarget) {
  Fleet f = hpa_fleet(4);
  const Decision d = f.step(100);
  EXPECT_EQ(d.desired, 6);
  EXPECT_EQ(d.reason, "cpu 100.0% vs target 70%: ceil(4 × 100.0 / 70) = 6");
}

TEST(Hpa, ReadyInstancesAreTheBase) {
  Fleet f = hpa_fleet(4);
  EXPECT_EQ(f.step(140, 3).desired, 6);  // ceil(3 × 140 / 70), not ceil(4 × 140 / 70) = 8
}

TEST(Hpa, UnreadyInstancesCountAtZeroOnScaleUp) {
  Fleet f = hpa_fleet(4);
  const Decision d = f.step(100, 3);  // 3 at 100% and 1 at 0%: 75 / 70 is inside the band
  EXPECT_EQ(d.desired, 4);
  EXPECT_NE(d.reason.find("1 not ready at 0%"), std::string::npos) << d.reason;
}

TEST(Hpa, ToleranceEdgeExactlyTenPercentStays) {
  Fleet f = hpa_fleet(3);
  const Decision d = f.step(77);
  EXPECT_EQ(d.desired, 3);
  EXPECT_EQ(d.reason, "cpu 77.0% within ±10% of 70%: stay at 3");
  HpaOptions o = hpa_options();
  o.scale_down_stabilization = 0ms;
  Fleet low = hpa_fleet(3, o);
  EXPECT_EQ(low.step(63).desired, 3);
}

TEST(Hpa, ToleranceEdgeJustAboveScales) {
  Fleet f = hpa_fleet(3);
  EXPECT_EQ(f.step(77.1).desired, 4);  // ceil(3 × 77.1 / 70)
  HpaOptions o = hpa_options();
  o.scale_down_stabilization = 0ms;
  Fleet low = hpa_fleet(3, o);
  EXPECT_EQ(low.step(62.9).desired, 3);  // ceil(3 × 62.9 / 70) = 3: outside the band, same count
  EXPECT_EQ(low.step(46).desired, 2);
}

TEST(Hpa, NeverFlapsInsideTheToleranceBand) {
  Fleet f = hpa_fleet(3);
  unsigned x = 12345;
  for (int i = 0; i < 1000; ++i) {
    x = x * 1103515245u + 12345u;  // a fixed pseudo-random walk over [63, 77]
    const double cpu = 63 + (x >> 16) % 1401 / 100.0;
    ASSERT_EQ(f.step(cpu).desired, 3) << "sync " << i << " at " << cpu << "%";
  }
  for (int i = 0; i < 20; ++i) ASSERT_EQ(f.step(i % 2 ? 77 : 63).desired, 3);
}

TEST(Hpa, ScaleDownStabilizationKeepsTheHighestRecommendationThenReleasesIt) {
  Fleet f = hpa_fleet(4);  // scale-down window 300 s
  EXPECT_EQ(f.at(0s, 70).desired, 4);
  EXPECT_EQ(f.at(60s, 35).desired, 4);   // recommends 2; 4 (at 0 s) is in the window
  EXPECT_EQ(f.at(100s, 52.5).desired, 4);  // recommends 3
  const Decision held = f.at(300s - 1ms, 35);
  EXPECT_EQ(held.desired, 4);
  EXPECT_EQ(held.reason, "cpu 35.0% vs target 70%: ceil(4 × 35.0 / 70) = 2; stabilized to 4 (highest in the last 300.0 s)");
  EXPECT_EQ(f.at(300s, 35).desired, 3);  // the 4 at 0 s left the window; 3 (at 100 s) is the highest now
  EXPECT_EQ(f.at(400s, 35).desired, 2);  // and so did the 3
}

TEST(Hpa, ScaleUpStabilizationKeepsTheLowestRecommendation) {
  HpaOptions o = hpa_options();
  o.scale_up_stabilization = 60s;
  Fleet f = hpa_fleet(2, o);
  EXPECT_EQ(f.at(0s, 70).desired, 2);
  EXPECT_EQ(f.at(30s, 140).desired, 2);  // recommends 4; 2 (at 0 s) is in the window
  EXPECT_EQ(f.at(60s, 140).desired, 4);
}

TEST(Hpa, ScaleUpIsLimitedByTheMostPermissivePolicyPerPeriod) {
  Fleet f = hpa_fleet(2);  // up by max(100%, 4 instances) per 15 s
  const Decision first = f.at(0s, 700);  // recommends 20
  EXPECT_EQ(first.desired, 6);  // Pods wins: 2 + 4 > 2 × 2
  EXPECT_EQ(first.reason, "cpu 700.0% vs target 70%: ceil(2 × 700.0 / 70) = 20; scale-up limited to 6 by the rate policies");
  EXPECT_EQ(f.at(15s - 1ms, 700).desired, 6);  // the period started at 2: both limits are used up
  EXPECT_EQ(f.at(15s, 700).desired, 12);  // a new period from 6: Percent wins, 6 × 2 > 6 + 4
}

TEST(Hpa, ScaleUpPodsPolicyCountsTheEventsOfItsPeriod) {
  HpaOptions o = hpa_options();
  o.scale_up = {{RatePolicy::Kind::kPods, 1, 60s}};
  Fleet f = hpa_fleet(2, o);
  EXPECT_EQ(f.at(0s, 140).desired, 3);
  EXPECT_EQ(f.at(30s, 140).desired, 3);
  EXPECT_EQ(f.at(60s, 140).desired, 4);
}

TEST(Hpa, ScaleDownIsLimitedByThePolicies) {
  HpaOptions o = hpa_options();
  o.scale_down_stabilization = 0ms;
  o.scale_down = {{RatePolicy::Kind::kPods, 1, 60s}, {RatePolicy::Kind::kPercent, 50, 60s}};
  Fleet f = hpa_fleet(6, o);
  EXPECT_EQ(f.at(0s, 10).desired, 3);   // recommends 1; Percent wins: 6 × 50% = 3 < 6 − 1
  EXPECT_EQ(f.at(30s, 10).desired, 3);  // the period started at 6: used up
  EXPECT_EQ(f.at(60s, 10).desired, 1);  // from 3: 3 − 1 = 2 vs floor(1.5) = 1
}

TEST(Hpa, MissingDataTakesNoAction) {
  Fleet f = hpa_fleet(3);
  const Decision d = f.step(std::nullopt);
  EXPECT_EQ(d.desired, 3);
  EXPECT_EQ(d.reason, "no CPU data: no action (no recommendation recorded)");
  EXPECT_EQ(f.step(300, 0).desired, 3);
}

TEST(Hpa, ClampsToMaxAndSaysSo) {
  HpaOptions o = hpa_options();
  o.bounds = {2, 4};
  Fleet f = hpa_fleet(3, o);
  const Decision d = f.step(300);
  EXPECT_EQ(d.desired, 4);
  EXPECT_EQ(d.reason, "cpu 300.0% vs target 70%: ceil(3 × 300.0 / 70) = 13; clamped to max 4");
}

TEST(Hpa, ClampsToMinAndSaysSo) {
  HpaOptions o = hpa_options();
  o.bounds = {2, 4};
  o.scale_down_stabilization = 0ms;
  Fleet f = hpa_fleet(3, o);
  const Decision d = f.step(10);
  EXPECT_EQ(d.desired, 2);
  EXPECT_EQ(d.reason, "cpu 10.0% vs target 70%: ceil(3 × 10.0 / 70) = 1; clamped to min 2");
}

// ---- options ----

TEST(Policy, ScaledDividesEveryDuration) {
  const TargetTrackingOptions tt = scaled(TargetTrackingOptions{}, 10);
  EXPECT_EQ(tt.scale_out_cooldown, 30s);
  EXPECT_EQ(tt.scale_in_cooldown, 30s);
  EXPECT_EQ(tt.out_datapoints, 3);  // counted in syncs, which the controller scales
  const HpaOptions hpa = scaled(HpaOptions{}, 10);
  EXPECT_EQ(hpa.scale_down_stabilization, 30s);
  EXPECT_EQ(hpa.scale_up_stabilization, 0ms);
  for (const RatePolicy& p : hpa.scale_up) EXPECT_EQ(p.period, 1500ms);
  for (const RatePolicy& p : hpa.scale_down) EXPECT_EQ(p.period, 1500ms);
}

TEST(Policy, ScaledBelowOneKeepsTheDurations) {
  EXPECT_EQ(scaled(TargetTrackingOptions{}, 0.5).scale_in_cooldown, 300s);
  EXPECT_EQ(scaled(HpaOptions{}, 0).scale_down_stabilization, 300s);
}

TEST(Policy, RejectsOptionsThatCannotWork) {
  TargetTrackingOptions tt;
  tt.bounds = {4, 2};
  EXPECT_THROW(make_target_tracking(tt), std::invalid_argument);
  HpaOptions hpa;
  hpa.target_cpu = 0;
  EXPECT_THROW(make_hpa(hpa), std::invalid_argument);
  EXPECT_EQ(make_target_tracking({})->name(), "target-tracking");
  EXPECT_EQ(make_hpa({})->name(), "hpa");
}
