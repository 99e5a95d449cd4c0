// Parts 2-4: one async run. POST /orders/async on an open-model schedule, the
// queue drained by workers or the function runner, the queue depth sampled
// from the broker, then the counting check over every accepted id.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/run_blocking.h"
#include "lab/hw7/internal.h"
#include "lab/hw7/orders_host.h"
#include "lab/live.h"
#include "obs/metrics.h"
#include "services/orders/functions.h"
#include "store/memory_store.h"

namespace scalelab::lab::hw7_detail {

namespace {

using namespace std::chrono_literals;

// Twice per course second, never faster than every 20 ms of wall time (the
// broker's depth query is a round trip).
constexpr int kSamplesPerCourseSecond = 2;
constexpr std::chrono::microseconds kMinSamplePeriod = 20ms;
// The live page gets the queue's depth and the workers at most this often.
constexpr std::chrono::milliseconds kLivePeriod = 500ms;
constexpr std::chrono::microseconds kMaxDrainPoll = 10ms;
// A run keeps up when the depth at the end of the load is at most
// max(3, 2% of rate x delay): a small remainder is in flight, not backlog.
constexpr double kKeepUpFloor = 3, kKeepUpFraction = 0.02;
// After stopping, RabbitMQ's depth settles within a second (requeued unacked).
constexpr int kSettleTries = 50;
constexpr auto kSettlePoll = 20ms;
constexpr double kBytesPerMb = 1024.0 * 1024.0;

// What processes the orders: queue workers, or the function runner.
class Processing {
 public:
  static Result<Processing> start(const Hw7Options& o, mq::Broker& broker, store::Store& store,
                                  const AsyncSetup& a) {
    const Scale sc{o.time_scale};
    Processing p;
    if (a.kind == Hw7RunKind::kFunctions) {
      orders::FunctionOptions fo;
      fo.max_concurrency = a.workers;
      fo.cold_start_min = sc.wall_ms(o.cold_start_min);
      fo.cold_start_max = std::max(fo.cold_start_min, sc.wall_ms(o.cold_start_max));
      fo.keep_warm = sc.wall_ms(o.keep_warm);
      fo.memory_mb = o.memory_mb;
      fo.payment_delay = sc.wall_ms(o.payment_delay);
      auto f = orders::FunctionRunner::start(broker, store, fo);
      if (!f) return f.error();
      p.functions_ = std::move(*f);
    } else {
      orders::WorkerOptions wo;
      wo.workers = a.workers;
      // slots 0: each worker verifies one order at a time.
      wo.payment = {.slots = 0, .delay = sc.wall_ms(o.payment_delay)};
      auto w = orders::OrderWorker::start(broker, store, wo);
      if (!w) return w.error();
      p.worker_ = std::move(*w);
    }
    return p;
  }
  bool functions() const { return functions_ != nullptr; }
  // Orders completed or failed so far.
  std::uint64_t done() const {
    if (functions_) {
      auto s = functions_->stats();
      return s.completed + s.dead_lettered;
    }
    auto s = worker_->stats();
    return s.completed + s.dead;
  }
  void sample(Hw7Point& p) const {
    if (!functions_) return;
    auto st = functions_->stats();
    p.busy = st.busy;
    p.instances = st.instances;
  }
  // Stops processing; the functions' final figures go into `run`.
  void close(Hw7AsyncRun& run) {
    if (functions_) {
      functions_->close();
      run.functions = functions_->stats();
    } else {
      worker_->close();
    }
  }

 private:
  std::unique_ptr<orders::OrderWorker> worker_;
  std::unique_ptr<orders::FunctionRunner> functions_;
};

// One timeline point from the broker, the host, the processing and /proc.
class Gauges {
 public:
  Gauges(const Scale& sc, mq::Broker& broker, const OrdersHost& host, const Processing& processing)
      : sc_(sc), broker_(broker), host_(host), processing_(processing) {}
  Clock::time_point t0() const { return t0_; }
  void read(Hw7Point& p) {
    auto now = Clock::now();
    p.t_s = sc_.course_s(now - t0_);
    if (auto d = broker_.queue_depth(queue_)) last_depth_ = *d;
    p.depth = last_depth_;
    p.accepted = host_.accepted();
    p.done = processing_.done();
    processing_.sample(p);
    auto cpu = obs::read_process_stats();
    double wall = std::chrono::duration<double>(now - last_t_).count();
    p.cpu_pct = wall > 0 ? 100.0 * (cpu.cpu_seconds - last_cpu_.cpu_seconds) / wall : 0;
    p.rss_mb = cpu.resident_bytes / kBytesPerMb;
    last_cpu_ = cpu;
    last_t_ = now;
  }

 private:
  Scale sc_;
  mq::Broker& broker_;
  const OrdersHost& host_;
  const Processing& processing_;
  const std::string queue_{orders::kQueue};
  const Clock::time_point t0_ = Clock::now();
  obs::ProcessStats last_cpu_ = obs::read_process_stats();
  Clock::time_point last_t_ = t0_;
  std::uint64_t last_depth_ = 0;  // kept when a depth query fails
};

// Samples at a fixed wall period on its own thread until stopped; prints a
// progress line about once a wall second.
class Sampler {
 public:
  Sampler(std::chrono::microseconds period, std::function<void(Hw7Point&)> fill,
          std::function<void(const Hw7Point&)> print)
      : period_(period), fill_(std::move(fill)), print_(std::move(print)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Sampler() { stop(); }
  std::vector<Hw7Point> stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return points_;
  }

 private:
  void loop() {
    auto next = Clock::now();
    auto next_print = next + 1s;
    for (;;) {
      Hw7Point p;
      fill_(p);
      points_.push_back(p);
      if (print_ && Clock::now() >= next_print) {
        print_(p);
        next_print += 1s;
      }
      next += period_;
      std::unique_lock lock(mu_);
      if (cv_.wait_until(lock, next, [&] { return stopping_; })) {
        lock.unlock();
        Hw7Point last;  // the state when the run stopped
        fill_(last);
        points_.push_back(last);
        return;
      }
    }
  }
  std::chrono::microseconds period_;
  std::function<void(Hw7Point&)> fill_;
  std::function<void(const Hw7Point&)> print_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<Hw7Point> points_;  // written by the thread only until join
  std::thread thread_;
};

load::Scenario async_scenario(const Hw7Options& o, const AsyncSetup& a, const std::string& url) {
  const Scale sc{o.time_scale};
  load::Scenario s;
  s.name = "hw7 " + run_label(a);
  s.host = url;
  s.model = load::Model::kOpen;
  s.rate = sc.wall_rate(o.rate);
  s.max_in_flight = kMaxInFlight;
  s.duration = sc.wall(a.duration);
  s.timeout = kAcceptTimeout;
  s.tasks = {order_task("/orders/async", 202)};
  return s;
}

// Waits until the queue is empty and every accepted order is done, or
// `until`; returns when it drained.
std::optional<Clock::time_point> wait_drain(mq::Broker& broker, const Processing& processing, const OrdersHost& host,
                                            Clock::time_point until, std::chrono::microseconds period) {
  const std::string queue(orders::kQueue);
  for (;;) {
    auto d = broker.queue_depth(queue);
    auto now = Clock::now();
    if (d && *d == 0 && processing.done() >= host.accepted()) return now;
    if (now >= until) return std::nullopt;
    std::this_thread::sleep_for(std::min<std::chrono::microseconds>(period, kMaxDrainPoll));
  }
}

// When the phases of a run happened (wall).
struct RunTimes {
  Clock::time_point t0, load_end, stop_at;
  std::optional<Clock::time_point> drained_at;
};

void fill_figures(const Scale& sc, const load::Report& report, const RunTimes& t, std::uint64_t done_at_stop,
                  Hw7AsyncRun& run) {
  run.attempts = report.aggregate.count + report.unfinished;
  run.accepted = report.aggregate.count - report.aggregate.failures;
  run.accept_pct = run.attempts ? 100.0 * static_cast<double>(run.accepted) / static_cast<double>(run.attempts) : 0;
  run.accept_p50_ms = report.aggregate.quantile_ms(0.5);
  run.accept_p99_ms = report.aggregate.quantile_ms(0.99);
  for (const auto& p : run.timeline) {
    run.peak_depth = std::max(run.peak_depth, p.depth);
    run.peak_rss_mb = std::max(run.peak_rss_mb, p.rss_mb);
  }
  run.peak_depth = std::max(run.peak_depth, run.depth_at_end);
  run.keeps_up = run.depth_at_end <= run.keep_up_bound;
  if (t.drained_at) run.drain_s = sc.course_s(*t.drained_at - t.load_end);
  run.drain_waited_s = sc.course_s(t.stop_at - t.load_end);
  run.left = run.server_accepted > done_at_stop ? run.server_accepted - done_at_stop : 0;
  double busy_s = sc.course_s((t.drained_at ? *t.drained_at : t.stop_at) - t.t0);
  run.throughput_per_s = busy_s > 0 ? static_cast<double>(done_at_stop) / busy_s : 0;
  if (!t.drained_at && run.throughput_per_s > 0)
    run.projected_drain_s = static_cast<double>(run.left) / run.throughput_per_s;
}

void fill_cpu(const obs::ProcessStats& before, const obs::ProcessStats& after, const RunTimes& t, Hw7AsyncRun& run) {
  run.cpu_s = after.cpu_seconds - before.cpu_seconds;
  run.cpu_pct = 100.0 * run.cpu_s / std::max(1e-9, std::chrono::duration<double>(t.stop_at - t.t0).count());
  run.cpu_ms_per_order = run.server_accepted ? 1000.0 * run.cpu_s / static_cast<double>(run.server_accepted) : 0;
}

// Not drained: what is not done must be exactly what waits in the queue.
void judge_undrained(mq::Broker& broker, Hw7AsyncRun& run) {
  std::uint64_t queued = 0;
  for (int i = 0; i < kSettleTries; ++i) {
    if (auto d = broker.queue_depth(std::string(orders::kQueue))) queued = *d;
    if (queued == run.audit.unfinished) break;
    std::this_thread::sleep_for(kSettlePoll);
  }
  const auto& au = run.audit;
  run.audit_ok = au.accepted == au.completed + au.failed + au.unfinished && au.unfinished == queued &&
                 au.charges == au.completed && au.charged_not_completed == 0 && au.duplicates == 0 &&
                 au.failed_without_reason == 0 && run.server_accepted == run.accepted;
  run.audit_text = fmt::format(
      "not drained: accepted {} = completed {} + failed {} + still queued {} (queue depth after stopping {}); "
      "charges {} = completed; duplicates {} -> {}",
      au.accepted, au.completed, au.failed, au.unfinished, queued, au.charges, au.duplicates,
      run.audit_ok ? "consistent" : "MISMATCH");
}

// The counting check over the ids the service accepted.
Status audit_run(store::Store& store, std::vector<std::string> ids, mq::Broker& broker, bool drained,
                 Hw7AsyncRun& run) {
  auto audited = run_blocking(orders::audit(store, std::move(ids)));
  if (!audited) return audited.error();
  run.audit = *audited;
  if (drained) {
    run.audit_ok = run.audit.ok() && run.server_accepted == run.accepted;
    run.audit_text = run.audit.describe();
  } else {
    judge_undrained(broker, run);
  }
  if (run.server_accepted != run.accepted)
    run.audit_text += fmt::format(" (the client saw {} 202s, the service sent {})", run.accepted, run.server_accepted);
  return {};
}

void print_run_end(const std::string& label, const Hw7AsyncRun& run) {
  fmt::print(stderr, "hw7 {:<24} accepted {}/{} ({:.1f}%), peak queue {}, at end of load {}, {}; audit {}\n", label,
             run.accepted, run.attempts, run.accept_pct, run.peak_depth, run.depth_at_end,
             run.drain_s ? fmt::format("drained in {:.1f}s", *run.drain_s)
                         : fmt::format("not drained within {:.0f}s ({} left)", run.drain_waited_s, run.left),
             run.audit_ok ? "ok" : "MISMATCH");
}

Hw7AsyncRun new_run(const Hw7Options& o, const AsyncSetup& a) {
  Hw7AsyncRun run;
  run.kind = a.kind;
  run.workers = a.workers;
  run.rate = o.rate;
  run.duration_s = seconds(a.duration);
  const double arithmetic = o.rate * seconds(o.payment_delay);
  run.keep_up_bound = static_cast<std::uint64_t>(std::max(kKeepUpFloor, std::ceil(kKeepUpFraction * arithmetic)));
  return run;
}

}  // namespace

Result<Hw7AsyncRun> run_async(const Hw7Options& o, mq::Broker& broker, const AsyncSetup& a) {
  const Scale sc{o.time_scale};
  if (auto s = orders::declare_topology(broker); !s) return s.error();
  if (auto s = purge(broker); !s) return s.error();
  store::MemoryStore store;
  auto processing = Processing::start(o, broker, store, a);
  if (!processing) return processing.error();
  const auto delay = sc.wall_ms(o.payment_delay);
  OrdersHost host(store, &broker, {.payment = {.slots = 1, .delay = delay}, .sync_wait = sc.wall_ms(o.sync_wait)});
  Hw7AsyncRun run = new_run(o, a);
  const load::Scenario s = async_scenario(o, a, host.url());

  const std::string label = run_label(a);
  Gauges gauges(sc, broker, host, *processing);
  auto last_live = Clock::time_point{};
  auto print = [&](const Hw7Point& p) {
    if (o.live && Clock::now() - last_live >= kLivePeriod) {  // the page needs no more than this
      last_live = Clock::now();
      live_series(o.live, "queue depth (orders)", label, static_cast<double>(p.depth));
      live_series(o.live, processing->functions() ? "function instances" : "workers", label,
                  processing->functions() ? static_cast<double>(p.instances) : a.workers);
    }
    if (!o.progress) return;
    fmt::print(stderr, "hw7 {:<24} {:6.1f}s wall ({:6.0f}s course)  accepted {:6}  queue {:6}  done {:6}{}\n", label,
               std::chrono::duration<double>(Clock::now() - gauges.t0()).count(), p.t_s, p.accepted, p.depth, p.done,
               processing->functions() ? fmt::format("  busy {:4}  instances {:4}", p.busy, p.instances)
                                       : std::string());
  };
  const auto period = std::max(kMinSamplePeriod, sc.wall(1'000ms) / kSamplesPerCourseSecond);
  const auto cpu0 = obs::read_process_stats();
  RunTimes t{.t0 = gauges.t0()};
  Sampler sampler(period, [&](Hw7Point& p) { gauges.read(p); }, print);
  live_phase(o.live, label);
  load::RunOptions ro;
  watch(o.live, ro);
  auto report = load::run(s, ro);
  t.load_end = Clock::now();
  if (!report) return report.error();
  if (auto d = broker.queue_depth(std::string(orders::kQueue))) run.depth_at_end = *d;
  t.drained_at = wait_drain(broker, *processing, host, t.load_end + sc.wall(a.drain_limit), period);
  t.stop_at = Clock::now();
  run.timeline = sampler.stop();
  const auto cpu1 = obs::read_process_stats();
  const std::uint64_t done_at_stop = processing->done();
  processing->close(run);
  host.stop();

  run.server_accepted = host.accepted();
  fill_figures(sc, *report, t, done_at_stop, run);
  fill_cpu(cpu0, cpu1, t, run);
  if (auto st = audit_run(store, host.ids(), broker, t.drained_at.has_value(), run); !st) return st.error();
  if (o.progress) print_run_end(label, run);
  return run;
}

}  // namespace scalelab::lab::hw7_detail
