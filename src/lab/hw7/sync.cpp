// Part 1: POST /orders/sync through the one-slot payment processor.
#include <mutex>

#include <fmt/format.h>

#include "lab/hw7/internal.h"
#include "lab/hw7/orders_host.h"
#include "lab/live.h"
#include "lab/samples.h"
#include "store/memory_store.h"

namespace scalelab::lab::hw7_detail {

namespace {

// The sync path's processor verifies one order at a time (the course's single
// payment slot).
constexpr int kSyncPaymentSlots = 1;
// The client waits well past the service's own deadline, so the 503 comes
// first: 1.5 x (wait + delay) plus half a wall second of slack.
constexpr int kClientDeadlineNum = 3, kClientDeadlineDen = 2;
constexpr std::chrono::microseconds kClientDeadlineSlack{500'000};

load::Scenario sync_scenario(const Hw7Options& o, Hw7SyncLoad which, const std::string& url) {
  const Scale sc{o.time_scale};
  const bool flash = which == Hw7SyncLoad::kFlash;
  load::Scenario s;
  s.name = fmt::format("hw7 sync {}", to_string(which));
  s.host = url;
  s.model = load::Model::kClosed;
  s.users = flash ? o.flash_users : o.normal_users;
  s.spawn_rate = sc.wall_rate(o.flash_spawn_rate);
  s.wait = {load::WaitSpec::Kind::kBetween, sc.wall(o.wait_min), sc.wall(o.wait_max)};
  s.duration = sc.wall(flash ? o.flash_duration : o.normal_duration);
  s.timeout = sc.wall(o.sync_wait + o.payment_delay) * kClientDeadlineNum / kClientDeadlineDen + kClientDeadlineSlack;
  s.tasks = {order_task("/orders/sync", 200)};
  return s;
}

// Counts and quantiles over the phase's samples.
void tally(Hw7SyncPhase& phase, std::uint64_t unfinished) {
  std::vector<double> all, ok;
  for (const auto& x : phase.samples) {
    all.push_back(x.latency_s);
    if (x.status == 200) {
      ++phase.ok;
      ok.push_back(x.latency_s);
    } else if (x.status == 503) {
      ++phase.rejected;
    } else {
      ++phase.errors;
    }
  }
  phase.unfinished = unfinished;
  phase.attempts = phase.samples.size() + phase.unfinished;
  phase.p50_s = quantile(all, 0.5);
  phase.p99_s = quantile(all, 0.99);
  phase.ok_p50_s = quantile(ok, 0.5);
  phase.completed_per_s = phase.duration_s > 0 ? static_cast<double>(phase.ok) / phase.duration_s : 0;
}

}  // namespace

Result<Hw7SyncPhase> run_sync(const Hw7Options& o, Hw7SyncLoad which) {
  const Scale sc{o.time_scale};
  const std::string name(to_string(which));
  store::MemoryStore store;
  OrdersHost host(store, nullptr,
                  {.payment = {.slots = kSyncPaymentSlots, .delay = sc.wall_ms(o.payment_delay)},
                   .sync_wait = sc.wall_ms(o.sync_wait)});
  load::Scenario s = sync_scenario(o, which, host.url());

  Hw7SyncPhase phase;
  phase.load = which;
  phase.users = s.users;
  phase.duration_s = seconds(which == Hw7SyncLoad::kFlash ? o.flash_duration : o.normal_duration);
  std::mutex mu;
  load::RunOptions ro;
  ro.on_sample = [&](const load::Sample& x) {
    std::lock_guard lock(mu);
    phase.samples.push_back({sc.course_s(x.start_s), sc.course_s(x.latency_ms / 1000.0), x.status});
  };
  ro.on_progress = [&](const load::Progress& p) {
    if (!o.progress) return;
    fmt::print(stderr, "hw7 sync {:<7} {:6.1f}s wall ({:6.0f}s course)  users {:3}  answered {:5}  failed {:5}\n",
               name, p.elapsed_s, sc.course_s(p.elapsed_s), p.users, p.total_requests, p.total_failures);
  };
  live_phase(o.live, "sync " + name);
  watch(o.live, ro);
  auto report = load::run(s, ro);
  host.stop();
  if (!report) return report.error();
  tally(phase, report->unfinished);
  if (o.progress)
    fmt::print(stderr, "hw7 sync {:<7} {} attempts: {} ok, {} rejected (503), {} errors, {} unfinished; p50 {:.1f}s\n",
               name, phase.attempts, phase.ok, phase.rejected, phase.errors, phase.unfinished, phase.p50_s);
  return phase;
}

}  // namespace scalelab::lab::hw7_detail
