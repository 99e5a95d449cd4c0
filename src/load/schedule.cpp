#include "load/schedule.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace scalelab::load {

UserProfile::UserProfile(const Scenario& s) {
  if (s.stages.empty()) {
    if (s.spawn_rate > 0) {
      points_ = {{0, 0}, {s.users / s.spawn_rate, static_cast<double>(s.users)}};
    } else {
      points_ = {{0, static_cast<double>(s.users)}};
    }
    peak_ = s.users;
    return;
  }
  points_.push_back({0, 0});
  double t = 0;
  for (const auto& st : s.stages) {
    t += std::chrono::duration<double>(st.duration).count();
    points_.push_back({t, st.target});
    peak_ = std::max(peak_, static_cast<unsigned>(std::ceil(st.target)));
  }
}

double UserProfile::end_s() const { return points_.size() > 1 ? points_.back().t : 0; }

double UserProfile::users_at(double t) const {
  if (t <= points_.front().t) return points_.front().users;
  for (std::size_t i = 1; i < points_.size(); ++i) {
    const auto& a = points_[i - 1];
    const auto& b = points_[i];
    if (t <= b.t) {
      if (b.t <= a.t) return b.users;
      return a.users + (b.users - a.users) * (t - a.t) / (b.t - a.t);
    }
  }
  return points_.back().users;
}

double UserProfile::next_active(std::size_t index, double t) const {
  const double need = static_cast<double>(index);
  if (users_at(t) > need) return t;
  for (std::size_t i = 1; i < points_.size(); ++i) {
    const auto& a = points_[i - 1];
    const auto& b = points_[i];
    if (b.t < t || b.users <= need) continue;
    // Crosses `need` going up within [a.t, b.t].
    const double cross = b.users > a.users ? a.t + (need - a.users) * (b.t - a.t) / (b.users - a.users) : a.t;
    return std::max(t, cross) + 1e-6;
  }
  return -1;
}

UserProfile UserProfile::edited(double t_s, unsigned users, double spawn_rate) const {
  UserProfile p = *this;
  const double from = users_at(t_s);
  p.points_.clear();
  for (const auto& pt : points_)
    if (pt.t < t_s) p.points_.push_back(pt);
  const double target = static_cast<double>(users);
  const double ramp_s = spawn_rate > 0 ? std::abs(target - from) / spawn_rate : 0;
  p.points_.push_back({t_s, from});
  p.points_.push_back({t_s + ramp_s, target});
  p.peak_ = std::max(peak_, users);
  return p;
}

ArrivalSchedule::ArrivalSchedule(const Scenario& s, double share) : share_(share) {
  double t = 0, n = 0, r = s.rate * share;
  for (const auto& st : s.stages) {
    const double d = std::chrono::duration<double>(st.duration).count();
    const double r1 = st.target * share;
    segments_.push_back({t, t + d, r, r1, n});
    n += 0.5 * (r + r1) * d;
    t += d;
    r = r1;
  }
  tail_t_ = t;
  tail_n_ = n;
  tail_rate_ = r;
}

double ArrivalSchedule::rate_at(double t) const {
  for (const auto& g : segments_)
    if (t < g.t1) return g.t1 > g.t0 ? g.r0 + (g.r1 - g.r0) * (t - g.t0) / (g.t1 - g.t0) : g.r1;
  return tail_rate_;
}

double ArrivalSchedule::arrivals_before(double t) const {
  for (const auto& g : segments_)
    if (t < g.t1) return g.n0 + 0.5 * (g.r0 + rate_at(t)) * std::max(0.0, t - g.t0);
  return tail_n_ + tail_rate_ * std::max(0.0, t - tail_t_);
}

ArrivalSchedule ArrivalSchedule::edited(double t_s, double rate) const {
  ArrivalSchedule s = *this;
  s.segments_.clear();
  for (auto g : segments_) {
    if (g.t0 >= t_s) break;
    if (g.t1 > t_s) {  // cut at t_s
      g.r1 = rate_at(t_s);
      g.t1 = t_s;
    }
    s.segments_.push_back(g);
  }
  if (t_s > tail_t_) s.segments_.push_back({tail_t_, t_s, tail_rate_, tail_rate_, tail_n_});  // the old tail
  s.tail_t_ = t_s;
  s.tail_n_ = arrivals_before(t_s);
  s.tail_rate_ = rate * share_;
  return s;
}

double ArrivalSchedule::time_of(std::uint64_t k) const {
  const double target = static_cast<double>(k);
  for (const auto& g : segments_) {
    const double d = g.t1 - g.t0;
    const double area = 0.5 * (g.r0 + g.r1) * d;
    if (target < g.n0 + area) {
      const double need = target - g.n0;
      const double a = d > 0 ? 0.5 * (g.r1 - g.r0) / d : 0;
      const double b = g.r0;
      double dt;
      if (std::abs(a) < 1e-12) dt = b > 0 ? need / b : 0;
      else dt = (-b + std::sqrt(std::max(0.0, b * b + 4 * a * need))) / (2 * a);
      return g.t0 + std::clamp(dt, 0.0, d);
    }
  }
  if (tail_rate_ <= 0) return -1;
  return tail_t_ + (target - tail_n_) / tail_rate_;
}

}  // namespace scalelab::load
