#include "load/live.h"

#include <cmath>

#include <fmt/format.h>

namespace scalelab::load {

Status LiveControl::set_users(unsigned users, double spawn_rate) {
  if (model_ != Model::kClosed)
    return Error{ErrorKind::kConflict, "this run uses the open model: change its arrival rate, not its users"};
  if (users > kMaxUsers) return Error{ErrorKind::kInvalidInput, fmt::format("users must be at most {}", kMaxUsers)};
  if (!std::isfinite(spawn_rate) || spawn_rate < 0)
    return Error{ErrorKind::kInvalidInput, "spawn rate must be a number >= 0 (0: at once)"};
  core::MutexLock lock(mu_);
  pending_ = LiveEdit{.users = users, .spawn_rate = spawn_rate};
  return {};
}

Status LiveControl::set_rate(double per_s) {
  if (model_ != Model::kOpen)
    return Error{ErrorKind::kConflict, "this run uses the closed model: change its users, not an arrival rate"};
  if (!std::isfinite(per_s) || per_s <= 0 || per_s > kMaxRate)
    return Error{ErrorKind::kInvalidInput, fmt::format("rate must be a number > 0 and <= {}", kMaxRate)};
  core::MutexLock lock(mu_);
  pending_ = LiveEdit{.rate = per_s};
  return {};
}

std::optional<LiveEdit> LiveControl::take_edit() {
  core::MutexLock lock(mu_);
  std::optional<LiveEdit> e = std::move(pending_);
  pending_.reset();
  return e;
}

}  // namespace scalelab::load
