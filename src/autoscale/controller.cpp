#include "autoscale/controller.h"

#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace scalelab::autoscale {

Controller::Controller(InstancePool& pool, std::unique_ptr<Policy> policy, ControllerOptions options)
    : pool_(pool), policy_(std::move(policy)), options_(std::move(options)) {}

Status Controller::start(int n) {
  while (pool_.size() < n) {
    auto started = pool_.start_one();
    if (!started) return started.error();
    spdlog::info("autoscale: started {} ({} of {})", *started, pool_.size(), n);
  }
  return {};
}

std::string Controller::act(int current, int desired) {
  std::vector<std::string> done;
  for (int n = current; n < desired; ++n) {
    auto started = pool_.start_one();
    if (!started) return fmt::format("start failed: {}", started.error().message);
    done.push_back("started " + *started);
  }
  for (int n = current; n > desired; --n) {
    auto victim = pool_.newest();
    if (!victim) break;
    if (auto st = pool_.stop_one(*victim, StopMode::kGraceful); !st)
      done.push_back(fmt::format("stopped {} ({})", *victim, st.error().message));
    else
      done.push_back("stopped " + *victim);
  }
  return fmt::format("{}", fmt::join(done, ", "));
}

DecisionRecord Controller::step(Millis now) {
  DecisionRecord r{.at = now, .current = pool_.size()};
  auto cpu = pool_.sample_cpu();
  if (cpu) {
    r.instances = *cpu;
    double sum = 0;
    for (const auto& i : *cpu)
      if (i.up) sum += i.percent, ++r.ready;
    if (r.ready > 0) r.cpu_percent = sum / r.ready;
  }
  if (auto total = pool_.balancer().backend_requests()) {
    if (last_requests_ && now > last_requests_->first)
      r.rps = static_cast<double>(*total - last_requests_->second) * 1000.0 /
              static_cast<double>((now - last_requests_->first).count());
    last_requests_ = {now, *total};
  }
  const auto decision = policy_->decide({.now = now, .current = r.current, .ready = r.ready,
                                         .cpu_percent = r.cpu_percent});
  r.desired = decision.desired;
  r.reason = cpu ? decision.reason : fmt::format("{} (balancer: {})", decision.reason, cpu.error().message);
  if (r.desired != r.current) r.action = act(r.current, r.desired);
  spdlog::info("autoscale: {} instances ({} ready), cpu {}, {} req/s: {}{}{}", r.current, r.ready,
               r.cpu_percent ? fmt::format("{:.1f}%", *r.cpu_percent) : std::string("n/a"),
               r.rps ? fmt::format("{:.0f}", *r.rps) : std::string("n/a"), r.reason,
               r.action.empty() ? "" : " -> ", r.action);
  export_metrics(r);
  if (options_.on_decision) options_.on_decision(r);
  core::MutexLock lock(mu_);
  records_.push_back(r);
  return r;
}

void Controller::export_metrics(const DecisionRecord& r) {
  auto* m = options_.metrics;
  if (!m) return;
  m->gauge("autoscale_instances", "Instances the autoscaler runs").set(pool_.size());
  m->gauge("autoscale_ready_instances", "Instances healthy in the balancer at the last sync").set(r.ready);
  m->gauge("autoscale_desired_instances", "The policy's latest decision").set(r.desired);
  if (r.cpu_percent)
    m->gauge("autoscale_cpu_percent", "Average CPU of the ready instances, % of each one's quota")
        .set(*r.cpu_percent);
  if (r.rps) m->gauge("autoscale_requests_per_second", "Requests/s through the balancer since the previous sync").set(*r.rps);
  m->counter("autoscale_decisions_total", "Syncs, by what they decided",
             {{"action", r.desired > r.current ? "scale_out" : r.desired < r.current ? "scale_in" : "none"}})
      .inc();
}

void Controller::run(const std::atomic<bool>& stop) {
  const auto begin = std::chrono::steady_clock::now();
  auto next = begin + options_.sync;
  while (!stop) {
    // Sleep in short slices so that Ctrl-C is answered at once.
    while (!stop && std::chrono::steady_clock::now() < next)
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(next - std::chrono::steady_clock::now(),
                                                                                std::chrono::milliseconds(100)));
    if (stop) break;
    step(std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - begin));
    next += options_.sync;
  }
}

std::vector<DecisionRecord> Controller::records() const {
  core::MutexLock lock(mu_);
  return records_;
}

}  // namespace scalelab::autoscale
