// When load starts: the closed model's user profile (how many virtual users
// are active at time t, from the spawn rate or stages) and the open model's
// arrival schedule (the intended start of the k-th arrival, from a constant or
// staged rate). Pure functions of the scenario, no I/O.
// Thread-safety: immutable after construction; safe to share.
#pragma once

#include <cstdint>
#include <vector>

#include "load/scenario.h"

namespace scalelab::load {

// The profile of a closed-model run: how many users are active at time t.
// Exposed for tests.
class UserProfile {
 public:
  explicit UserProfile(const Scenario& s);
  double users_at(double t_s) const;
  // The earliest time >= t_s at which user `index` (0-based) is active, or a
  // negative number when never again.
  double next_active(std::size_t index, double t_s) const;
  unsigned peak() const { return peak_; }
  double end_s() const;  // when the stages end (0 without stages)

 private:
  struct Point { double t, users; };
  std::vector<Point> points_;  // piecewise linear; flat after the last
  unsigned peak_ = 0;
};

// The arrival schedule of an open-model run: intended start of arrival k.
class ArrivalSchedule {
 public:
  ArrivalSchedule(const Scenario& s, double share);  // share: this thread's fraction of the rate
  // Seconds since the start; a negative number when the rate never reaches k.
  double time_of(std::uint64_t k) const;
  double rate_at(double t_s) const;

 private:
  struct Segment { double t0, t1, r0, r1, n0; };  // n0: arrivals before t0
  std::vector<Segment> segments_;
  double tail_rate_ = 0, tail_t_ = 0, tail_n_ = 0;
};

}  // namespace scalelab::load
