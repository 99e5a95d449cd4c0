#include "lab/rolling_restart/rollout.h"

#include <signal.h>

#include <cstdio>
#include <thread>

#include <fmt/format.h>

namespace scalelab::lab {

using Clock = std::chrono::steady_clock;

namespace {

// How often the balancer's view is read while waiting for a health change:
// well under a scaled health-check interval.
constexpr auto kHealthPoll = std::chrono::milliseconds(20);

}  // namespace

Status wait_for_health(const infra::HaproxyAdmin& admin, const std::string& name, bool up,
                       std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string last = "absent";
  for (;;) {
    auto servers = admin.servers();
    if (!servers) return servers.error();
    bool is_up = false;
    last = "absent";
    for (const auto& s : *servers)
      if (s.name == name) {
        is_up = s.up;
        last = s.status;
      }
    if (is_up == up) return {};
    if (Clock::now() >= deadline)
      return Error{ErrorKind::kTimeout, fmt::format("{} not {} in the balancer after {} ms (status: {})", name,
                                                    up ? "up" : "down", timeout.count(), last)};
    std::this_thread::sleep_for(kHealthPoll);
  }
}

Result<std::string> start_healthy(autoscale::InstancePool& pool, std::chrono::milliseconds timeout) {
  auto name = pool.start_one();
  if (!name) return name.error();
  if (auto up = wait_for_health(pool.balancer(), *name, true, timeout); !up) return up.error();
  return name;
}

std::string_view to_string(RolloutStrategy s) {
  switch (s) {
    case RolloutStrategy::kSurge: return "surge";
    case RolloutStrategy::kStopFirst: return "stop-first";
    case RolloutStrategy::kKillFirst: return "kill-first";
  }
  return "?";
}

Rollout::Rollout(autoscale::InstancePool& pool, RolloutOptions options)
    : pool_(pool), options_(std::move(options)) {}

double Rollout::now_s() const { return std::chrono::duration<double>(Clock::now() - options_.t0).count(); }

void Rollout::event(const std::string& what) {
  events_.push_back({.at_s = now_s(), .what = what});
  if (options_.progress)
    std::fprintf(stderr, "  [%s] t=%5.1fs %s\n", options_.label.c_str(), events_.back().at_s, what.c_str());
}

Status Rollout::replace_all(RolloutStrategy strategy) {
  const auto old = pool_.names();
  first_step_s_ = now_s();
  for (std::size_t i = 0; i < old.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(options_.pause);
    Status step = strategy == RolloutStrategy::kSurge       ? surge(old[i])
                  : strategy == RolloutStrategy::kStopFirst ? stop_first(old[i])
                                                            : kill_first(old[i]);
    if (!step) {
      event(fmt::format("replacing {} failed: {}", old[i], step.error().message));
      return step;
    }
  }
  last_step_s_ = now_s();
  return {};
}

Status Rollout::replace(const std::string& old) {
  auto name = pool_.start_one();
  if (!name) return name.error();
  event(fmt::format("{} started (replaces {})", *name, old));
  if (auto up = wait_for_health(pool_.balancer(), *name, true, options_.health_timeout); !up) return up;
  event(fmt::format("{} healthy", *name));
  return {};
}

// Minimum healthy 100%: the old one leaves only once its replacement serves.
Status Rollout::surge(const std::string& old) {
  if (auto s = replace(old); !s) return s;
  event(fmt::format("{} draining", old));
  if (auto s = pool_.stop_one(old, autoscale::StopMode::kGraceful); !s) return s;
  event(fmt::format("{} drained and stopped", old));
  return {};
}

// Minimum healthy below 100%: one old instance may leave first.
Status Rollout::stop_first(const std::string& old) {
  event(fmt::format("{} draining", old));
  if (auto s = pool_.stop_one(old, autoscale::StopMode::kGraceful); !s) return s;
  event(fmt::format("{} drained and stopped", old));
  return replace(old);
}

// The naive way: the process dies with requests in flight and stays in the
// balancer until its health checks fail `fall` times; only then is it
// removed and replaced.
Status Rollout::kill_first(const std::string& old) {
  auto pid = pool_.pid(old);
  if (!pid) return Error{ErrorKind::kNotFound, fmt::format("no instance {}", old)};
  ::kill(*pid, SIGKILL);
  event(fmt::format("{} killed (kill -9, no drain)", old));
  const double killed_at = events_.back().at_s;
  if (auto down = wait_for_health(pool_.balancer(), old, false, options_.health_timeout); !down) return down;
  event(fmt::format("{} marked down by the health checks", old));
  down_detections_s_.push_back(events_.back().at_s - killed_at);
  if (auto s = pool_.stop_one(old, autoscale::StopMode::kKill); !s) return s;
  return replace(old);
}

}  // namespace scalelab::lab
