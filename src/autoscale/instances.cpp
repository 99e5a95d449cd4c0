#include "autoscale/instances.h"

#include <signal.h>

#include <algorithm>

#include <fmt/format.h>

#include "obs/metrics.h"

namespace scalelab::autoscale {

using Clock = std::chrono::steady_clock;

InstancePool::InstancePool(InstanceSpec spec, infra::HaproxyAdmin balancer)
    : spec_(std::move(spec)), balancer_(std::move(balancer)) {}

InstancePool::~InstancePool() {
  for (const auto& name : names()) (void)stop_one(name, StopMode::kGraceful);
}

Result<std::string> InstancePool::start_one() {
  if (spec_.argv.empty()) return Error{ErrorKind::kInvalidInput, "no service command to start instances of"};
  auto port = infra::pick_free_port();
  if (!port) return port.error();
  const std::string name = fmt::format("{}{}", spec_.name_prefix, ++started_);
  auto argv = spec_.argv;
  argv.insert(argv.end(), {"--port", std::to_string(*port)});
  const auto log = spec_.log_dir / (name + ".log");
  if (!spec_.log_dir.empty()) std::filesystem::create_directories(spec_.log_dir);
  auto process = infra::Process::spawn({.argv = argv, .log_file = spec_.log_dir.empty() ? "" : log});
  if (!process) return process.error();
  if (auto up = infra::wait_for_port("127.0.0.1", *port, spec_.start_timeout); !up)
    return Error{ErrorKind::kUnavailable, fmt::format("instance {} did not listen on {}: {}; see {}", name, *port,
                                                      up.error().message, log.string())};
  Instance instance{.process = std::move(*process), .port = *port};
  if (spec_.cpu_cores > 0) {
    auto limit = infra::CpuLimit::apply(instance.process.pid(), spec_.cpu_cores, "scalelab-" + name);
    if (limit) {
      limit_how_ = (*limit)->how();
      instance.limit = std::move(*limit);
    } else if (spec_.require_limit) {
      return limit.error();
    } else {
      limit_how_ = "no CPU limit: " + limit.error().message;
    }
  }
  instance.last_cpu = cpu_time(instance);
  instance.last_sample = Clock::now();
  instance.order = started_;
  if (auto added = balancer_.add_server(name, "127.0.0.1", *port); !added) return added.error();
  instances_.emplace(name, std::move(instance));
  return name;
}

Status InstancePool::stop_one(const std::string& name, StopMode mode) {
  auto it = instances_.find(name);
  if (it == instances_.end()) return Error{ErrorKind::kNotFound, fmt::format("no instance named {}", name)};
  Status left;
  if (mode == StopMode::kGraceful) {
    left = balancer_.remove_server(name, spec_.drain_timeout);
    it->second.process.stop();
  } else {
    it->second.process.signal(SIGKILL);
    it->second.process.wait_for(std::chrono::seconds(5));
    left = balancer_.remove_server(name, spec_.drain_timeout);
  }
  instances_.erase(it);
  return left;
}

std::optional<std::string> InstancePool::newest() const {
  auto it = std::max_element(instances_.begin(), instances_.end(),
                             [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
  if (it == instances_.end()) return std::nullopt;
  return it->first;
}

std::vector<std::string> InstancePool::names() const {
  std::vector<std::pair<int, std::string>> ordered;
  for (const auto& [name, i] : instances_) ordered.emplace_back(i.order, name);
  std::sort(ordered.begin(), ordered.end());
  std::vector<std::string> out;
  for (auto& [order, name] : ordered) out.push_back(std::move(name));
  return out;
}

std::optional<pid_t> InstancePool::pid(const std::string& name) const {
  auto it = instances_.find(name);
  if (it == instances_.end()) return std::nullopt;
  return it->second.process.pid();
}

std::optional<std::uint16_t> InstancePool::port(const std::string& name) const {
  auto it = instances_.find(name);
  if (it == instances_.end()) return std::nullopt;
  return it->second.port;
}

std::chrono::nanoseconds InstancePool::cpu_time(Instance& i) const {
  if (i.limit)
    if (auto used = i.limit->usage()) return *used;
  // No cgroup accounting: the process's own user + system time.
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(obs::read_process_stats(i.process.pid()).cpu_seconds));
}

Result<std::vector<InstanceCpu>> InstancePool::sample_cpu() {
  auto servers = balancer_.servers();
  if (!servers) return servers.error();
  std::vector<InstanceCpu> out;
  const auto now = Clock::now();
  for (const auto& name : names()) {
    auto& i = instances_.at(name);
    const auto used = cpu_time(i);
    const double wall = std::chrono::duration<double>(now - i.last_sample).count();
    const double cores = spec_.cpu_cores > 0 ? spec_.cpu_cores : 1.0;
    InstanceCpu cpu{.name = name};
    if (wall > 0) cpu.percent = 100.0 * std::chrono::duration<double>(used - i.last_cpu).count() / (wall * cores);
    i.last_cpu = used;
    i.last_sample = now;
    for (const auto& s : *servers)
      if (s.name == name) cpu.up = s.up;
    out.push_back(cpu);
  }
  return out;
}

}  // namespace scalelab::autoscale
