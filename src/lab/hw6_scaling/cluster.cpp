#include "lab/hw6_scaling/cluster.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include <fmt/format.h>

#include "infra/process.h"

namespace scalelab::lab::hw6 {

namespace {

// The course's ALB health check and CloudWatch metric period.
constexpr std::chrono::milliseconds kCourseCheck{30'000}, kCourseMetricPeriod{60'000};
constexpr std::chrono::milliseconds kMinCheck{200}, kMinSync{1'000};
// How long every instance may take to pass its health checks at start.
constexpr std::chrono::seconds kHealthyTimeout{30};

std::chrono::milliseconds divided(std::chrono::milliseconds d, double k, std::chrono::milliseconds floor) {
  return std::max(floor, std::chrono::milliseconds(static_cast<long long>(d.count() / std::max(1.0, k))));
}

// A run's name as a directory name: letters, digits and dashes.
std::string slug(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool plain = std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (plain) out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "run" : out;
}

}  // namespace

std::chrono::milliseconds check_interval(const Hw6ScalingOptions& o) {
  return divided(kCourseCheck, o.time_scale, kMinCheck);
}

std::chrono::milliseconds sync_period(const Hw6ScalingOptions& o) {
  return divided(kCourseMetricPeriod, o.time_scale, kMinSync);
}

BalancerState balancer_state(const infra::HaproxyAdmin& admin) {
  BalancerState s;
  if (auto servers = admin.servers()) {
    s.registered = static_cast<int>(servers->size());
    for (const auto& x : *servers) s.ready += x.up ? 1 : 0;
  }
  return s;
}

Result<Cluster> start_cluster(const Hw6ScalingOptions& o, const std::string& name, double cores, int n) {
  const auto dir = o.out_dir / "runs" / slug(name);
  auto haproxy = infra::start_haproxy({.dir = dir / "haproxy"}, {.check_interval = check_interval(o)});
  if (!haproxy) return haproxy.error();
  const auto exe = o.scalelab.empty() ? infra::self_executable() : o.scalelab;
  // One worker thread per instance: the quota is on the process.
  autoscale::InstanceSpec spec{.argv = {exe.string(), "serve", "catalog", "--threads", "1", "--log-level", "warn"},
                               .cpu_cores = cores,
                               .log_dir = dir / "instances"};
  Cluster c{std::move(*haproxy), nullptr};
  c.pool = std::make_unique<autoscale::InstancePool>(
      spec, infra::HaproxyAdmin(infra::haproxy_admin_socket(c.haproxy.dir())));
  for (int i = 0; i < n; ++i)
    if (auto started = c.pool->start_one(); !started) return started.error();
  const auto deadline = std::chrono::steady_clock::now() + kHealthyTimeout;
  while (balancer_state(c.pool->balancer()).ready < n) {
    if (std::chrono::steady_clock::now() > deadline)
      return Error{ErrorKind::kUnavailable,
                   fmt::format("{}: the instances did not all pass HAProxy's health checks within {} s", name,
                               kHealthyTimeout.count())};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return c;
}

}  // namespace scalelab::lab::hw6
