// Part 5: POST /orders/async at the async rate on a RabbitMQ cluster while
// the node leading order-processing-queue is killed with kill -9 and, after
// a while, restarted; then the counting check over the store. The load
// stops `kill_tail` after the restarted node answers again.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/run_blocking.h"
#include "infra/rabbitmq_cluster.h"
#include "lab/hw7/completion_clock.h"
#include "lab/hw7/internal.h"
#include "lab/hw7/orders_host.h"
#include "lab/live.h"
#include "store/memory_store.h"

namespace scalelab::lab::hw7_detail {

namespace {

using namespace std::chrono_literals;

// Workers = this x rate x delay: the spare capacity drains the backlog the
// failover leaves (consumers away for a second or more) within seconds.
constexpr double kWorkerHeadroom = 2.0;
constexpr int kMinWorkers = 10;
constexpr auto kRestartTimeout = 120s;
constexpr auto kDrainLimit = 60s;
constexpr auto kDrainPoll = 20ms;
// The load's bound when the schedule never stops it (a failed restart).
constexpr auto kLoadSlack = kRestartTimeout + 30s;

double since(Clock::time_point t0, Clock::time_point t) { return std::chrono::duration<double>(t - t0).count(); }

// Kills the leader at kill_at, restarts it kill_down later and stops the
// load kill_tail after it answers again, on its own thread.
class FaultSchedule {
 public:
  FaultSchedule(const Hw7Options& o, infra::Server& cluster, std::string node, const OrdersHost& host,
                Clock::time_point t0)
      : o_(o), cluster_(cluster), node_(std::move(node)), host_(host), t0_(t0) {
    thread_ = std::thread([this] { run(); });
  }
  ~FaultSchedule() { join(); }
  void join() {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  const std::atomic<bool>& stop_load() const { return stop_load_; }
  // Valid after join().
  Status status;
  Clock::time_point killed, restarting, back;
  std::uint64_t accepted_at_kill = 0;

 private:
  // False when cancelled.
  bool wait_until(Clock::time_point t) {
    std::unique_lock lock(mu_);
    return !cv_.wait_until(lock, t, [&] { return cancelled_; });
  }
  void say(const std::string& what) {
    if (o_.progress) fmt::print(stderr, "hw7 kill-node {:6.1f}s  {}\n", since(t0_, Clock::now()), what);
  }
  void run() {
    status = steps();
    if (!status) say("failed: " + status.error().message);
    stop_load_ = true;
  }
  Status steps() {
    if (!wait_until(t0_ + o_.kill_at)) return {};
    accepted_at_kill = host_.accepted();
    killed = Clock::now();
    if (auto s = infra::rabbit_cluster::kill_node(cluster_, node_); !s) return s;
    say(fmt::format("kill -9 {} (the orders queue's leader)", node_));
    if (!wait_until(killed + o_.kill_down)) return {};
    restarting = Clock::now();
    say("restarting " + node_);
    if (auto s = infra::rabbit_cluster::restart_node(cluster_, node_, kRestartTimeout); !s) return s;
    back = Clock::now();
    say(node_ + " answers again");
    wait_until(back + o_.kill_tail);
    return {};
  }

  const Hw7Options& o_;
  infra::Server& cluster_;
  std::string node_;
  const OrdersHost& host_;
  Clock::time_point t0_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  std::atomic<bool> stop_load_{false};
  std::thread thread_;
};

load::Scenario kill_scenario(const Hw7Options& o, const std::string& url) {
  load::Scenario s;
  s.name = "hw7 kill-node";
  s.host = url;
  s.model = load::Model::kOpen;
  s.rate = o.rate;
  s.max_in_flight = kMaxInFlight;
  s.duration = std::chrono::duration_cast<load::Micros>(o.kill_at + o.kill_down + o.kill_tail + kLoadSlack);
  s.timeout = kAcceptTimeout;
  s.tasks = {order_task("/orders/async", 202)};
  return s;
}

// Until every accepted order is done and the queue is empty, or the limit.
std::optional<Clock::time_point> drain(mq::Broker& broker, const orders::OrderWorker& worker, const OrdersHost& host) {
  const auto until = Clock::now() + kDrainLimit;
  for (;;) {
    auto d = broker.queue_depth(std::string(orders::kQueue));
    auto s = worker.stats();
    auto now = Clock::now();
    if (d && *d == 0 && s.completed + s.dead >= host.accepted()) return now;
    if (now >= until) return std::nullopt;
    std::this_thread::sleep_for(kDrainPoll);
  }
}

// The latency figures per second and around the kill.
void latency_figures(const load::Report& report, Hw7KillNode& k) {
  k.accept_p99_ms = report.aggregate.quantile_ms(0.99);
  k.accept_max_ms = static_cast<double>(report.aggregate.latency_us.max()) / 1000.0;
  const double spike_end = k.back_s > 0 ? k.back_s + 1 : k.load_s;
  std::vector<double> before;
  for (const auto& p : report.series) {
    k.seconds.push_back({.t_s = p.t_s, .requests = p.requests, .failures = p.failures, .p99_ms = p.p99_ms,
                         .max_ms = p.max_ms});
    if (p.t_s <= k.kill_s) before.push_back(p.p99_ms);
    if (p.t_s > k.kill_s && p.t_s - p.interval_s < spike_end) {
      k.spike_p99_ms = std::max(k.spike_p99_ms, p.p99_ms);
      k.spike_max_ms = std::max(k.spike_max_ms, p.max_ms);
    }
  }
  if (!before.empty()) {  // the typical second: the median, not a start-up outlier
    auto mid = before.begin() + static_cast<std::ptrdiff_t>(before.size() / 2);
    std::nth_element(before.begin(), mid, before.end());
    k.before_p99_ms = *mid;
  }
}

// Resumption and completions after the node came back, from the store's clock.
void completion_figures(const CompletionClock& clock, const std::vector<std::string>& ids, const FaultSchedule& f,
                        Hw7KillNode& k) {
  const auto done = clock.completions();
  for (std::size_t i = f.accepted_at_kill; i < ids.size(); ++i) {
    auto it = done.find(ids[i]);
    if (it == done.end()) continue;
    double after = since(f.killed, it->second);
    if (!k.resumed_s || after < *k.resumed_s) k.resumed_s = after;
  }
  if (k.back_s > 0)
    for (const auto& [id, t] : done) k.completed_after_back += t > f.back ? 1 : 0;
}

// The counting check: every accepted order completed once, one charge each.
Status count(store::Store& store, std::vector<std::string> ids, const orders::WorkerStats& ws, bool drained,
             Hw7KillNode& k) {
  auto audited = run_blocking(orders::audit(store, std::move(ids)));
  if (!audited) return audited.error();
  auto charges = run_blocking(store.scan("order-charge/"));
  if (!charges) return charges.error();
  const auto& a = *audited;
  k.completed = a.completed;
  k.lost = a.accepted - a.duplicates - a.completed;
  k.charge_records = charges->size();
  const std::uint64_t charges_made = std::max<std::uint64_t>(ws.charged, k.charge_records);
  k.double_charged = charges_made > a.charges ? charges_made - a.charges : 0;
  k.redelivered = ws.duplicates;
  k.ok = drained && a.ok() && k.lost == 0 && k.double_charged == 0 && k.accepted == a.accepted;
  k.audit_text = a.describe();
  return {};
}

}  // namespace

Result<Hw7KillNode> run_kill_node(const Hw7Options& o, mq::Broker& broker, infra::Server& cluster) {
  if (auto s = orders::declare_topology(broker); !s) return s.error();
  if (auto s = purge(broker); !s) return s.error();
  auto leader = infra::rabbit_cluster::queue_leader(cluster, orders::kQueue);
  if (!leader) return leader.error();
  const Scale sc{o.time_scale};
  Hw7KillNode k;
  k.node = *leader;
  k.nodes = o.rabbitmq_nodes;
  k.rate = o.rate;
  k.payment_delay_s = seconds(sc.wall_ms(o.payment_delay));
  k.workers = std::max(kMinWorkers, static_cast<int>(std::ceil(kWorkerHeadroom * o.rate * k.payment_delay_s)));
  store::MemoryStore memory;
  CompletionClock store(memory);
  auto worker = orders::OrderWorker::start(
      broker, store, {.workers = k.workers, .payment = {.slots = 0, .delay = sc.wall_ms(o.payment_delay)}});
  if (!worker) return worker.error();
  OrdersHost host(store, &broker, {.payment = {.slots = 1, .delay = sc.wall_ms(o.payment_delay)}});
  if (o.progress)
    fmt::print(stderr, "hw7 kill-node: {:.0f} orders/s, {} workers, {} leads {}\n", o.rate, k.workers, k.node,
               orders::kQueue);

  const auto t0 = Clock::now();
  FaultSchedule faults(o, cluster, k.node, host, t0);
  load::RunOptions ro;
  ro.stop = &faults.stop_load();
  live_phase(o.live, fmt::format("kill-node: {} leads {}", k.node, orders::kQueue));
  watch(o.live, ro);  // its points; the run keeps its own stop (the fault schedule's)
  auto report = load::run(kill_scenario(o, host.url()), ro);
  const auto load_end = Clock::now();
  faults.join();
  auto drained_at = report ? drain(broker, **worker, host) : std::nullopt;
  const auto ws = (*worker)->stats();
  (*worker)->close();
  host.stop();
  if (!report) return report.error();
  if (!faults.status) return faults.status.error();
  if (faults.back == Clock::time_point{})
    return Error{ErrorKind::kUnavailable, "the load ended before the node was killed and restarted"};

  k.kill_s = since(t0, faults.killed);
  k.restart_s = since(t0, faults.restarting);
  k.back_s = since(t0, faults.back);
  k.load_s = since(t0, load_end);
  if (drained_at) k.drain_s = since(load_end, *drained_at);
  k.attempts = report->aggregate.count + report->unfinished;
  k.accepted = report->aggregate.count - report->aggregate.failures;
  k.refused = report->aggregate.failures;
  latency_figures(*report, k);
  const auto ids = host.ids();
  completion_figures(store, ids, faults, k);
  if (auto s = count(store, ids, ws, drained_at.has_value(), k); !s) return s.error();
  return k;
}

}  // namespace scalelab::lab::hw7_detail
