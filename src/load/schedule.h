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
  // A live edit: the same profile until t_s, then from its count there to
  // `users` at `spawn_rate` users/s (0: at once), flat afterwards.
  UserProfile edited(double t_s, unsigned users, double spawn_rate) const;

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
  double rate_at(double t_s) const;  // this thread's share
  double arrivals_before(double t_s) const;  // this thread's share, fractional
  // A live edit: the same schedule until t_s, then `rate` (the whole run's,
  // this thread takes its share) for good, arrivals numbered on.
  ArrivalSchedule edited(double t_s, double rate) const;

 private:
  struct Segment { double t0, t1, r0, r1, n0; };  // n0: arrivals before t0
  std::vector<Segment> segments_;
  double tail_rate_ = 0, tail_t_ = 0, tail_n_ = 0;
  double share_ = 1;
};

}  // namespace scalelab::load
