// Live control of a running load test (the dashboard's Edit and Stop): the
// new user count and spawn rate (closed model) or arrival rate (open model),
// and a stop request. The caller sets; the engine polls each second, applies
// the latest edit from that moment on and records it in Report::edits.
// Thread-safety: every member is safe from any thread.
#pragma once

#include <atomic>
#include <optional>

#include "core/result.h"
#include "core/thread_annotations.h"
#include "load/scenario.h"

namespace scalelab::load {

// One change of the load while it runs.
struct LiveEdit {
  double t_s = 0;         // when the engine applied it, since the start (set by the engine)
  unsigned users = 0;     // closed model: the new number of users
  double spawn_rate = 0;  // closed model: users started (or stopped) per second; 0: at once
  double rate = 0;        // open model: the new arrival rate, iterations/s
};

class LiveControl {
 public:
  // The most users an edit may ask for: each is a coroutine and a connection.
  static constexpr unsigned kMaxUsers = 10'000;
  static constexpr double kMaxRate = 1e6;  // iterations/s

  explicit LiveControl(Model model) : model_(model) {}

  // Closed model only; 0 <= users <= kMaxUsers, spawn_rate >= 0 (0: at once).
  // Surplus users stop after their current iteration.
  Status set_users(unsigned users, double spawn_rate);
  // Open model only; 0 < per_s <= kMaxRate.
  Status set_rate(double per_s);
  void stop() { stop_.store(true); }

  Model model() const { return model_; }
  bool stop_requested() const { return stop_.load(); }
  // Engine side: the latest edit not yet taken, if any (an earlier one that
  // was never taken is superseded).
  std::optional<LiveEdit> take_edit();

 private:
  const Model model_;
  std::atomic<bool> stop_{false};
  core::Mutex mu_;
  std::optional<LiveEdit> pending_ GUARDED_BY(mu_);
};

}  // namespace scalelab::load
