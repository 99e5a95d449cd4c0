#include "lab/hw7.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/run_blocking.h"
#include "http/server.h"
#include "infra/servers.h"
#include "report/output.h"
#include "lab/samples.h"
#include "load/engine.h"
#include "mq/broker.h"
#include "obs/metrics.h"
#include "store/memory_store.h"

namespace scalelab::lab {

namespace {

namespace json = boost::json;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Course units <-> wall units at time scale K.
struct Scale {
  double k = 1;
  std::chrono::microseconds wall(std::chrono::milliseconds course) const {
    return std::chrono::microseconds(std::llround(static_cast<double>(course.count()) * 1000.0 * k));
  }
  // Whole milliseconds (the payment processor's unit), at least 1 ms.
  std::chrono::milliseconds wall_ms(std::chrono::milliseconds course) const {
    return std::chrono::milliseconds(std::max<long long>(1, std::llround(static_cast<double>(course.count()) * k)));
  }
  double course_s(double wall_s) const { return wall_s / k; }
  double course_s(Clock::duration wall) const { return course_s(std::chrono::duration<double>(wall).count()); }
  double wall_rate(double course_rate) const { return course_rate / k; }
};

double seconds(std::chrono::milliseconds d) { return std::chrono::duration<double>(d).count(); }

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  double a = 0, b = 0, c = 0;
  in >> a >> b >> c;
  return fmt::format("{:.2f} {:.2f} {:.2f}", a, b, c);
}

http::ServerOptions server_options() {
  http::ServerOptions so;
  so.address = "127.0.0.1";
  so.port = 0;
  so.threads = 2;
  so.read_timeout = 60s;
  so.write_timeout = 60s;
  so.idle_timeout = 600s;
  so.shutdown_grace = 2s;
  return so;
}

// The orders service on a private port. POST /orders/async is wrapped so the
// ids of every 202 it sends are kept: the counting check runs over them.
class OrdersHost {
 public:
  OrdersHost(store::Store& store, mq::Broker* broker, orders::ServiceOptions options)
      : service_(store, broker, options) {
    http::Router inner;
    service_.register_routes(inner);
    for (const auto& route : inner.routes()) {
      if (route.method == http::Method::kPost && route.pattern == "/orders/async") {
        http::Handler handler = route.handler;
        router_.add(route.method, route.pattern, [this, handler](http::Request& req) -> asio::awaitable<http::Response> {
          auto call = handler(req);
          http::Response response = co_await std::move(call);
          if (response.status == 202) record(response.body);
          co_return response;
        });
      } else {
        router_.add(route.method, route.pattern, route.handler);
      }
    }
    server_.emplace(server_options(), router_, registry_);
    server_->start();
  }
  ~OrdersHost() { stop(); }
  void stop() {
    if (server_) server_->stop();
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}", server_->port()); }
  std::uint64_t accepted() const { return accepted_.load(); }
  std::vector<std::string> ids() const {
    std::lock_guard lock(mu_);
    return ids_;
  }

 private:
  void record(const std::string& body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    std::string id;
    if (!ec && v.is_object())
      if (auto* p = v.as_object().if_contains("order_id"); p && p->is_string()) id = p->get_string();
    std::lock_guard lock(mu_);
    ids_.push_back(std::move(id));
    accepted_.fetch_add(1);
  }
  orders::OrdersService service_;
  http::Router router_;
  obs::Registry registry_;
  std::optional<http::Server> server_;
  mutable std::mutex mu_;
  std::vector<std::string> ids_;
  std::atomic<std::uint64_t> accepted_{0};
};

load::Template tpl(std::string_view text) { return load::Template::compile(text).value(); }

load::TaskSpec order_task(const std::string& path, unsigned expect) {
  load::RequestSpec post{
      .name = "POST " + path,
      .method = http::Method::kPost,
      .path = tpl(path),
      .body = tpl(R"({"customer_id":{{randint 1 100000}},"items":[{"product_id":{{randint 1 1000}},)"
                  R"("quantity":{{randint 1 3}},"price":19.99}]})"),
      .content_type = "application/json",
      .expect = {expect}};
  return {.name = "order", .weight = 1, .requests = {post}};
}

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
        Hw7Point last;
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
  std::vector<Hw7Point> points_;
  std::thread thread_;
};

// Empties order-processing-queue (what an undrained run left) so every run
// starts from zero.
Status purge(mq::Broker& broker) {
  const std::string queue(orders::kQueue);
  for (int round = 0; round < 20; ++round) {
    auto depth = broker.queue_depth(queue);
    if (!depth) return depth.error();
    if (*depth == 0) return {};
    auto sub = broker.subscribe(queue, {.prefetch = 1'000, .concurrency = 2},
                                [](const mq::Delivery&) { return mq::Outcome::kAck; });
    if (!sub) return sub.error();
    auto until = Clock::now() + 60s;
    while (Clock::now() < until) {
      auto d = broker.queue_depth(queue);
      if (!d || *d == 0) break;
      std::this_thread::sleep_for(20ms);
    }
    (*sub)->close();
  }
  return Error{ErrorKind::kUnavailable, "could not empty order-processing-queue"};
}

struct AsyncSetup {
  std::string kind;  // workers, probe, functions
  int workers = 0;
  std::chrono::milliseconds duration{0};
  std::chrono::milliseconds drain_limit{0};
};

std::string workers_text(int n) { return fmt::format("{} worker{}", n, n == 1 ? "" : "s"); }

std::string run_label(const AsyncSetup& a) {
  if (a.kind == "functions") return fmt::format("functions (limit {})", a.workers);
  return fmt::format("{} {}", a.kind == "probe" ? "probe" : "async", workers_text(a.workers));
}

// The name of a run in tables and legends.
std::string run_name(const Hw7AsyncRun& r) {
  return r.kind == "functions" ? fmt::format("functions (limit {})", r.workers) : workers_text(r.workers);
}

Result<Hw7AsyncRun> run_async(const Hw7Options& o, mq::Broker& broker, const AsyncSetup& a) {
  const Scale sc{o.time_scale};
  if (auto s = orders::declare_topology(broker); !s) return s.error();
  if (auto s = purge(broker); !s) return s.error();
  store::MemoryStore store;
  const auto delay = sc.wall_ms(o.payment_delay);
  std::unique_ptr<orders::OrderWorker> worker;
  std::unique_ptr<orders::FunctionRunner> functions;
  if (a.kind == "functions") {
    orders::FunctionOptions fo;
    fo.max_concurrency = a.workers;
    fo.cold_start_min = sc.wall_ms(o.cold_start_min);
    fo.cold_start_max = std::max(fo.cold_start_min, sc.wall_ms(o.cold_start_max));
    fo.keep_warm = sc.wall_ms(o.keep_warm);
    fo.memory_mb = o.memory_mb;
    fo.payment_delay = delay;
    auto f = orders::FunctionRunner::start(broker, store, fo);
    if (!f) return f.error();
    functions = std::move(*f);
  } else {
    orders::WorkerOptions wo;
    wo.workers = a.workers;
    wo.payment = {.slots = 0, .delay = delay};  // each worker verifies one order at a time
    auto w = orders::OrderWorker::start(broker, store, wo);
    if (!w) return w.error();
    worker = std::move(*w);
  }
  auto done_count = [&]() -> std::uint64_t {
    if (functions) {
      auto s = functions->stats();
      return s.completed + s.dead_lettered;
    }
    auto s = worker->stats();
    return s.completed + s.dead;
  };
  OrdersHost host(store, &broker, {.payment = {.slots = 1, .delay = delay}, .sync_wait = sc.wall_ms(o.sync_wait)});

  Hw7AsyncRun run;
  run.kind = a.kind;
  run.workers = a.workers;
  run.rate = o.rate;
  run.duration_s = seconds(a.duration);
  const double arithmetic = o.rate * seconds(o.payment_delay);
  run.keep_up_bound = static_cast<std::uint64_t>(std::max(3.0, std::ceil(0.02 * arithmetic)));

  load::Scenario s;
  s.name = "hw7 " + run_label(a);
  s.host = host.url();
  s.model = load::Model::kOpen;
  s.rate = sc.wall_rate(o.rate);
  s.max_in_flight = 2'000;
  s.duration = sc.wall(a.duration);
  s.timeout = std::chrono::microseconds(10'000'000);  // accepting never waits on payment
  s.tasks = {order_task("/orders/async", 202)};

  const std::string queue(orders::kQueue);
  const auto t0 = Clock::now();
  auto last_cpu = obs::read_process_stats();
  auto last_t = t0;
  std::uint64_t last_depth = 0;
  const std::string label = run_label(a);
  auto fill = [&](Hw7Point& p) {
    auto now = Clock::now();
    p.t_s = sc.course_s(now - t0);
    if (auto d = broker.queue_depth(queue)) last_depth = *d;
    p.depth = last_depth;
    p.accepted = host.accepted();
    p.done = done_count();
    if (functions) {
      auto st = functions->stats();
      p.busy = st.busy;
      p.instances = st.instances;
    }
    auto cpu = obs::read_process_stats();
    double wall = std::chrono::duration<double>(now - last_t).count();
    p.cpu_pct = wall > 0 ? 100.0 * (cpu.cpu_seconds - last_cpu.cpu_seconds) / wall : 0;
    p.rss_mb = cpu.resident_bytes / (1024.0 * 1024.0);
    last_cpu = cpu;
    last_t = now;
  };
  auto print = [&](const Hw7Point& p) {
    if (!o.progress) return;
    fmt::print(stderr, "hw7 {:<24} {:6.1f}s wall ({:6.0f}s course)  accepted {:6}  queue {:6}  done {:6}{}\n", label,
               std::chrono::duration<double>(Clock::now() - t0).count(), p.t_s, p.accepted, p.depth, p.done,
               functions ? fmt::format("  busy {:4}  instances {:4}", p.busy, p.instances) : std::string());
  };
  const auto period = std::max(std::chrono::microseconds(20'000), sc.wall(1'000ms) / 2);
  auto cpu0 = obs::read_process_stats();
  std::optional<Sampler> sampler;
  sampler.emplace(period, fill, print);
  auto report = load::run(s);
  const auto load_end = Clock::now();
  if (!report) {
    sampler->stop();
    return report.error();
  }
  if (auto d = broker.queue_depth(queue)) run.depth_at_end = *d;
  // Drain: until the queue is empty and every accepted order is done, bounded.
  const auto drain_until = load_end + sc.wall(a.drain_limit);
  std::optional<Clock::time_point> drained_at;
  for (;;) {
    auto d = broker.queue_depth(queue);
    auto now = Clock::now();
    if (d && *d == 0 && done_count() >= host.accepted()) {
      drained_at = now;
      break;
    }
    if (now >= drain_until) break;
    std::this_thread::sleep_for(std::min<std::chrono::microseconds>(period, 10ms));
  }
  const auto stop_at = Clock::now();
  run.timeline = sampler->stop();
  auto cpu1 = obs::read_process_stats();
  const std::uint64_t done_at_stop = done_count();
  if (functions) {
    functions->close();
    run.functions = functions->stats();
  } else {
    worker->close();
  }
  host.stop();

  run.attempts = report->aggregate.count + report->unfinished;
  run.accepted = report->aggregate.count - report->aggregate.failures;
  run.server_accepted = host.accepted();
  run.accept_pct = run.attempts ? 100.0 * static_cast<double>(run.accepted) / static_cast<double>(run.attempts) : 0;
  run.accept_p50_ms = report->aggregate.quantile_ms(0.5);
  run.accept_p99_ms = report->aggregate.quantile_ms(0.99);
  for (const auto& p : run.timeline) {
    run.peak_depth = std::max(run.peak_depth, p.depth);
    run.peak_rss_mb = std::max(run.peak_rss_mb, p.rss_mb);
  }
  run.peak_depth = std::max(run.peak_depth, run.depth_at_end);
  run.keeps_up = run.depth_at_end <= run.keep_up_bound;
  if (drained_at) run.drain_s = sc.course_s(*drained_at - load_end);
  run.drain_waited_s = sc.course_s(stop_at - load_end);
  run.left = run.server_accepted > done_at_stop ? run.server_accepted - done_at_stop : 0;
  double busy_s = sc.course_s((drained_at ? *drained_at : stop_at) - t0);
  run.throughput_per_s = busy_s > 0 ? static_cast<double>(done_at_stop) / busy_s : 0;
  if (!drained_at && run.throughput_per_s > 0)
    run.projected_drain_s = static_cast<double>(run.left) / run.throughput_per_s;
  run.cpu_s = cpu1.cpu_seconds - cpu0.cpu_seconds;
  run.cpu_pct = 100.0 * run.cpu_s / std::max(1e-9, std::chrono::duration<double>(stop_at - t0).count());
  run.cpu_ms_per_order =
      run.server_accepted ? 1000.0 * run.cpu_s / static_cast<double>(run.server_accepted) : 0;

  // The counting check over the ids the service accepted.
  std::vector<std::string> ids = host.ids();
  auto audited = run_blocking(orders::audit(store, std::move(ids)));
  if (!audited) return audited.error();
  run.audit = *audited;
  if (drained_at) {
    run.audit_ok = run.audit.ok() && run.server_accepted == run.accepted;
    run.audit_text = run.audit.describe();
  } else {
    // Not drained: what is not done must be exactly what waits in the queue.
    std::uint64_t queued = 0;
    for (int i = 0; i < 50; ++i) {
      if (auto d = broker.queue_depth(queue)) queued = *d;
      if (queued == run.audit.unfinished) break;
      std::this_thread::sleep_for(20ms);
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
  if (run.server_accepted != run.accepted)
    run.audit_text += fmt::format(" (the client saw {} 202s, the service sent {})", run.accepted, run.server_accepted);
  if (o.progress) {
    fmt::print(stderr, "hw7 {:<24} accepted {}/{} ({:.1f}%), peak queue {}, at end of load {}, {}; audit {}\n", label,
               run.accepted, run.attempts, run.accept_pct, run.peak_depth, run.depth_at_end,
               run.drain_s ? fmt::format("drained in {:.1f}s", *run.drain_s)
                           : fmt::format("not drained within {:.0f}s ({} left)", run.drain_waited_s, run.left),
               run.audit_ok ? "ok" : "MISMATCH");
  }
  return run;
}

Result<Hw7SyncPhase> run_sync(const Hw7Options& o, const std::string& name, unsigned users,
                              std::chrono::milliseconds duration) {
  const Scale sc{o.time_scale};
  store::MemoryStore store;
  OrdersHost host(store, nullptr,
                  {.payment = {.slots = 1, .delay = sc.wall_ms(o.payment_delay)}, .sync_wait = sc.wall_ms(o.sync_wait)});
  load::Scenario s;
  s.name = "hw7 sync " + name;
  s.host = host.url();
  s.model = load::Model::kClosed;
  s.users = users;
  s.spawn_rate = sc.wall_rate(o.flash_spawn_rate);
  s.wait = {load::WaitSpec::Kind::kBetween, sc.wall(o.wait_min), sc.wall(o.wait_max)};
  s.duration = sc.wall(duration);
  // A client deadline well past the service's own (the 503 comes first).
  s.timeout = sc.wall(o.sync_wait + o.payment_delay) * 3 / 2 + std::chrono::microseconds(500'000);
  s.tasks = {order_task("/orders/sync", 200)};

  Hw7SyncPhase phase;
  phase.name = name;
  phase.users = users;
  phase.duration_s = seconds(duration);
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
  auto report = load::run(s, ro);
  host.stop();
  if (!report) return report.error();
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
  phase.unfinished = report->unfinished;
  phase.attempts = phase.samples.size() + phase.unfinished;
  phase.p50_s = quantile(all, 0.5);
  phase.p99_s = quantile(all, 0.99);
  phase.ok_p50_s = quantile(ok, 0.5);
  phase.completed_per_s = phase.duration_s > 0 ? static_cast<double>(phase.ok) / phase.duration_s : 0;
  if (o.progress)
    fmt::print(stderr, "hw7 sync {:<7} {} attempts: {} ok, {} rejected (503), {} errors, {} unfinished; p50 {:.1f}s\n",
               name, phase.attempts, phase.ok, phase.rejected, phase.errors, phase.unfinished, phase.p50_s);
  return phase;
}

Status validate(const Hw7Options& o) {
  auto bad = [](std::string m) { return Error{ErrorKind::kInvalidInput, std::move(m)}; };
  if (!(o.time_scale > 0) || o.time_scale > 1) return bad("--time-scale must be in (0, 1]");
  if (o.payment_delay.count() * o.time_scale < 1) return bad("--payment-delay x --time-scale must be at least 1 ms");
  if (o.sync_wait.count() < 0) return bad("--sync-wait must be >= 0");
  if (o.normal_users < 1 || o.flash_users < 1) return bad("--normal-users and --flash-users must be >= 1");
  if (!(o.flash_spawn_rate > 0)) return bad("--spawn-rate must be > 0");
  if (o.wait_min > o.wait_max) return bad("--wait-min must be <= --wait-max");
  if (!(o.rate > 0)) return bad("--rate must be > 0");
  if (o.rate / o.time_scale > 20'000) return bad("--rate / --time-scale is over 20,000 orders/s: use a larger scale");
  for (int w : o.workers)
    if (w < 1 || w > 5'000) return bad("--workers must be in 1..5000");
  if (o.search_min < 1 || o.search_max <= o.search_min || o.search_max > 5'000)
    return bad("--search-min must be >= 1 and < --search-max <= 5000");
  if (o.function_concurrency < 1 || o.function_concurrency > 5'000) return bad("--function-concurrency must be in 1..5000");
  if (o.cold_start_min > o.cold_start_max) return bad("--cold-start-min must be <= --cold-start-max");
  if (o.memory_mb < 128) return bad("--memory-mb must be >= 128");
  for (auto d : {o.normal_duration, o.flash_duration, o.async_duration, o.search_duration})
    if (d.count() * o.time_scale < 50) return bad("every phase must last at least 50 ms of wall time after scaling");
  return {};
}

Result<Hw7Search> run_search(const Hw7Options& o, mq::Broker& broker) {
  Hw7Search search;
  search.arithmetic = o.rate * seconds(o.payment_delay);
  // A probe only needs the depth when the load ends; it waits a little for the rest.
  AsyncSetup a{.kind = "probe", .duration = o.search_duration,
               .drain_limit = std::min(o.drain_limit, o.payment_delay * 2)};
  auto probe = [&](int w) -> Result<bool> {
    a.workers = w;
    auto r = run_async(o, broker, a);
    if (!r) return r.error();
    search.probes.push_back(std::move(*r));
    return search.probes.back().keeps_up;
  };
  int lo = o.search_min, hi = o.search_max;
  auto top = probe(hi);
  if (!top) return top.error();
  if (!*top) {
    search.note = fmt::format("{} workers did not keep up either (raise --search-max)", hi);
    return search;
  }
  auto bottom = probe(lo);
  if (!bottom) return bottom.error();
  if (*bottom) {
    search.minimum = lo;
    search.note = fmt::format("{} workers already keep up (lower --search-min)", lo);
    return search;
  }
  const int tolerance = std::max(1, static_cast<int>(search.arithmetic / 100));
  while (hi - lo > tolerance) {
    int mid = lo + (hi - lo) / 2;
    auto keeps = probe(mid);
    if (!keeps) return keeps.error();
    (*keeps ? hi : lo) = mid;
  }
  search.minimum = hi;
  search.note = fmt::format("{} kept up, {} did not (resolution {})", hi, lo, tolerance);
  return search;
}

// ---- the report ----

std::string fmt_s(double s) {
  if (s >= 100) return fmt::format("{:.0f} s", s);
  if (s >= 10) return fmt::format("{:.1f} s", s);
  return fmt::format("{:.2f} s", s);
}
std::string fmt_usd(double v) { return v >= 100 ? fmt::format("${:.0f}", v) : fmt::format("${:.2f}", v); }
std::string fmt_count(double v) {
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 1e4) return fmt::format("{:.0f}K", v / 1e3);
  return fmt::format("{:.0f}", v);
}

std::string drain_text(const Hw7AsyncRun& r) {
  if (r.drain_s) return fmt_s(*r.drain_s);
  return fmt::format("did not drain within {} ({} left; ~{} more at {:.1f}/s)", fmt_s(r.drain_waited_s), r.left,
                     fmt_s(r.projected_drain_s), r.throughput_per_s);
}

json::object axis(const std::string& title, bool linear = false) {
  json::object a{{"beginAtZero", true}, {"title", json::object{{"display", true}, {"text", title}}}};
  if (linear) a["type"] = "linear";
  return a;
}

// One palette colour per dataset that has none.
void colorize(json::array& datasets) {
  for (std::size_t i = 0; i < datasets.size(); ++i) {
    auto& d = datasets[i].as_object();
    if (d.contains("borderColor")) continue;
    d["borderColor"] = report::chart_color(i);
    d["backgroundColor"] = report::chart_color(i);
  }
}

json::value xy_chart(const std::string& type, json::array datasets, const std::string& x, const std::string& y) {
  colorize(datasets);
  return json::object{{"type", type},
                      {"data", json::object{{"datasets", std::move(datasets)}}},
                      {"options", json::object{{"maintainAspectRatio", false},
                                               {"animation", false},
                                               {"scales", json::object{{"x", axis(x, true)}, {"y", axis(y)}}}}}};
}

json::value bar_chart(json::array labels, json::array datasets, const std::string& y, bool log = false) {
  colorize(datasets);
  json::object yaxis = axis(y);
  if (log) yaxis["type"] = "logarithmic";
  return json::object{{"type", "bar"},
                      {"data", json::object{{"labels", std::move(labels)}, {"datasets", std::move(datasets)}}},
                      {"options", json::object{{"maintainAspectRatio", false},
                                               {"animation", false},
                                               {"scales", json::object{{"y", std::move(yaxis)}}}}}};
}

double round2(double v) { return std::round(v * 100) / 100; }

json::array timeline_points(const Hw7AsyncRun& r, double (*f)(const Hw7Point&)) {
  json::array data;
  // At most ~400 points per line keeps the page light.
  std::size_t step = std::max<std::size_t>(1, r.timeline.size() / 400);
  for (std::size_t i = 0; i < r.timeline.size(); i += step)
    data.emplace_back(json::object{{"x", round2(r.timeline[i].t_s)}, {"y", round2(f(r.timeline[i]))}});
  return data;
}

json::object run_json(const Hw7AsyncRun& r) {
  json::object o{{"kind", r.kind},
                 {"workers", r.workers},
                 {"rate", r.rate},
                 {"duration_s", r.duration_s},
                 {"attempts", r.attempts},
                 {"accepted", r.accepted},
                 {"server_accepted", r.server_accepted},
                 {"accept_pct", r.accept_pct},
                 {"accept_p50_ms", r.accept_p50_ms},
                 {"accept_p99_ms", r.accept_p99_ms},
                 {"peak_depth", r.peak_depth},
                 {"depth_at_end", r.depth_at_end},
                 {"keep_up_bound", r.keep_up_bound},
                 {"keeps_up", r.keeps_up},
                 {"drain_waited_s", r.drain_waited_s},
                 {"left", r.left},
                 {"throughput_per_s", r.throughput_per_s},
                 {"projected_drain_s", r.projected_drain_s},
                 {"cpu_s", r.cpu_s},
                 {"cpu_ms_per_order", r.cpu_ms_per_order},
                 {"cpu_pct", r.cpu_pct},
                 {"peak_rss_mb", r.peak_rss_mb},
                 {"audit_ok", r.audit_ok},
                 {"audit", r.audit_text}};
  if (r.drain_s) o["drain_s"] = *r.drain_s;
  else o["drain_s"] = nullptr;
  if (r.functions) {
    const auto& f = *r.functions;
    o["functions"] = json::object{{"invocations", f.invocations},     {"cold_starts", f.cold_starts},
                                  {"peak_concurrency", f.peak_concurrency}, {"peak_instances", f.peak_instances},
                                  {"completed", f.completed},         {"dead_lettered", f.dead_lettered},
                                  {"billed_ms_wall", f.billed_ms},    {"gb_seconds_wall", f.gb_seconds},
                                  {"init_p50_ms_wall", f.init_p50_ms}, {"init_max_ms_wall", f.init_max_ms},
                                  {"duration_p50_ms_wall", f.duration_p50_ms},
                                  {"duration_p99_ms_wall", f.duration_p99_ms}};
  }
  return o;
}

json::object sync_json(const Hw7SyncPhase& p) {
  return {{"phase", p.name},       {"users", p.users},           {"duration_s", p.duration_s},
          {"attempts", p.attempts}, {"answered", p.answered()}, {"ok", p.ok},                 {"rejected_503", p.rejected},
          {"errors", p.errors},    {"unfinished", p.unfinished}, {"success_pct", p.success_pct()},
          {"p50_s", p.p50_s},      {"p99_s", p.p99_s},           {"ok_p50_s", p.ok_p50_s},
          {"completed_per_s", p.completed_per_s}};
}

std::vector<std::string> verdict(const Hw7Options& o, const Hw7Result& r) {
  std::vector<std::string> v;
  if (r.normal && r.flash) {
    v.push_back(fmt::format(
        "sync: normal load ({} users) {:.0f}% of {} answered orders succeeded, p50 {}; flash load ({} users) {:.0f}% "
        "of {} answered orders failed ({} rejected with 503 after the {} deadline, {} more still waiting at the "
        "end), p50 {}, {:.2f} orders/s completed",
        r.normal->users, r.normal->success_pct(), r.normal->answered(), fmt_s(r.normal->p50_s), r.flash->users,
        r.flash->failed_pct(), r.flash->answered(), r.flash->rejected, fmt_s(seconds(o.sync_wait)),
        r.flash->unfinished, fmt_s(r.flash->p50_s), r.flash->completed_per_s));
  }
  if (!r.async.empty()) {
    double min_accept = 100, max_p99 = 0;
    for (const auto& a : r.async) {
      min_accept = std::min(min_accept, a.accept_pct);
      max_p99 = std::max(max_p99, a.accept_p99_ms);
    }
    std::string runs;
    for (const auto& a : r.async)
      runs += fmt::format("{}{}: peak queue {}, drain {}", runs.empty() ? "" : "; ", workers_text(a.workers), a.peak_depth,
                          a.drain_s ? fmt_s(*a.drain_s) : fmt::format("> {} ({} left)", fmt_s(a.drain_waited_s), a.left));
    v.push_back(fmt::format("async at {:.0f} orders/s: {:.1f}% accepted or better in every run, accept p99 <= {:.1f} ms "
                            "(wall); {}",
                            o.rate, min_accept, max_p99, runs));
  }
  if (r.search) {
    if (r.search->minimum)
      v.push_back(fmt::format("minimum workers that keep up with {:.0f}/s: {} (measured) vs {:.0f} x {} = {:.0f} "
                              "(arithmetic){}",
                              o.rate, *r.search->minimum, o.rate, fmt_s(seconds(o.payment_delay)),
                              r.search->arithmetic, r.search->note.empty() ? "" : "; " + r.search->note));
    else
      v.push_back("minimum workers: not found; " + r.search->note);
  }
  if (r.functions && r.functions->functions) {
    const auto& f = *r.functions->functions;
    v.push_back(fmt::format("functions: {} cold starts for {} invocations, peak concurrency {}, queue peak {}, drain "
                            "{}",
                            f.cold_starts, f.invocations, f.peak_concurrency, r.functions->peak_depth,
                            drain_text(*r.functions)));
  }
  if (r.cost) {
    const auto& c = *r.cost;
    std::string cases;
    for (const auto& x : c.cases)
      cases += fmt::format("{}{}: functions {} vs tasks {}", cases.empty() ? "" : "; ", x.name,
                           fmt_usd(x.cost.functions_usd), fmt_usd(x.cost.tasks_usd));
    v.push_back(fmt::format("cost per month ({:.3f} billed s/request): {}; break-even at {} requests/month ({:.2f} "
                            "orders/s on average)",
                            c.billed_s_per_request, cases, fmt_count(c.break_even_requests), c.break_even_rate));
  }
  const bool audits = r.audits_ok();
  v.push_back(std::string("counting check (accepted = completed + failed [+ still queued], charges = completed, no "
                          "duplicates): ") +
              (audits ? "ok in every async run" : "MISMATCH in at least one run (see the tables)"));
  return v;
}

Status write_outputs(const Hw7Options& o, Hw7Result& r) {
  std::vector<const Hw7AsyncRun*> runs;
  for (const auto& a : r.async) runs.push_back(&a);
  if (r.search)
    for (const auto& a : r.search->probes) runs.push_back(&a);
  if (r.functions) runs.push_back(&*r.functions);

  // Raw numbers.
  std::string csv =
      "kind,workers,rate,duration_s,attempts,accepted,accept_pct,accept_p50_ms_wall,accept_p99_ms_wall,peak_depth,"
      "depth_at_end,keeps_up,drain_s,left,projected_drain_s,throughput_per_s,cpu_s_wall,cpu_ms_per_order,"
      "peak_rss_mb,audit_ok\n";
  for (const auto* a : runs)
    csv += fmt::format("{},{},{},{},{},{},{:.2f},{:.3f},{:.3f},{},{},{},{},{},{:.1f},{:.2f},{:.3f},{:.3f},{:.1f},{}\n",
                       a->kind, a->workers, a->rate, a->duration_s, a->attempts, a->accepted, a->accept_pct,
                       a->accept_p50_ms, a->accept_p99_ms, a->peak_depth, a->depth_at_end, a->keeps_up,
                       a->drain_s ? fmt::format("{:.2f}", *a->drain_s) : std::string(), a->left,
                       a->projected_drain_s, a->throughput_per_s, a->cpu_s, a->cpu_ms_per_order, a->peak_rss_mb,
                       a->audit_ok);
  r.runs_csv = o.out_dir / "runs.csv";
  if (auto s = report::write_file(r.runs_csv, csv); !s) return s;
  std::string depth = "kind,workers,t_s,depth,accepted,done,busy,instances,cpu_pct_wall,rss_mb\n";
  for (const auto* a : runs)
    for (const auto& p : a->timeline)
      depth += fmt::format("{},{},{:.3f},{},{},{},{},{},{:.1f},{:.1f}\n", a->kind, a->workers, p.t_s, p.depth,
                           p.accepted, p.done, p.busy, p.instances, p.cpu_pct, p.rss_mb);
  r.depth_csv = o.out_dir / "depth.csv";
  if (auto s = report::write_file(r.depth_csv, depth); !s) return s;
  std::string sync = "phase,start_s,latency_s,status\n";
  for (const auto* p : {r.normal ? &*r.normal : nullptr, r.flash ? &*r.flash : nullptr})
    if (p)
      for (const auto& x : p->samples) sync += fmt::format("{},{:.3f},{:.3f},{}\n", p->name, x.start_s, x.latency_s, x.status);
  if (auto s = report::write_file(o.out_dir / "sync_samples.csv", sync); !s) return s;

  json::object summary{{"time_scale", o.time_scale},
                       {"broker", r.broker},
                       {"payment_delay_s", seconds(o.payment_delay)},
                       {"sync_wait_s", seconds(o.sync_wait)},
                       {"rate", o.rate},
                       {"load_average", load_average()},
                       {"verdict", json::value_from(r.verdict)}};
  if (r.normal) summary["sync_normal"] = sync_json(*r.normal);
  if (r.flash) summary["sync_flash"] = sync_json(*r.flash);
  json::array async;
  for (const auto& a : r.async) async.emplace_back(run_json(a));
  summary["async"] = std::move(async);
  if (r.search) {
    json::array probes;
    for (const auto& a : r.search->probes) probes.emplace_back(run_json(a));
    summary["search"] = json::object{{"minimum", r.search->minimum ? json::value(*r.search->minimum) : json::value()},
                                     {"arithmetic", r.search->arithmetic},
                                     {"note", r.search->note},
                                     {"probes", std::move(probes)}};
  }
  if (r.functions) summary["functions"] = run_json(*r.functions);
  if (r.cost) {
    json::array cases;
    for (const auto& c : r.cost->cases)
      cases.emplace_back(json::object{{"name", c.name},
                                      {"requests", c.requests},
                                      {"gb_seconds", c.cost.gb_seconds},
                                      {"functions_usd", c.cost.functions_usd},
                                      {"tasks_usd", c.cost.tasks_usd}});
    summary["cost"] = json::object{{"billed_s_per_request", r.cost->billed_s_per_request},
                                   {"gb_s_per_request", r.cost->gb_s_per_request},
                                   {"break_even_requests", r.cost->break_even_requests},
                                   {"break_even_rate", r.cost->break_even_rate},
                                   {"cases", std::move(cases)}};
  }
  r.json = o.out_dir / "summary.json";
  if (auto s = report::write_file(r.json, json::serialize(summary)); !s) return s;

  // The page.
  report::HtmlReport page("hw7: the flash sale, synchronous vs asynchronous orders");
  page.paragraph(fmt::format(
      "Everything ran in one process: the orders service, an in-process store, the {} broker, the queue workers or "
      "the function runner, and the load generator. Payment verification takes {} and the sync path's processor "
      "verifies one order at a time (a slot of capacity 1); a sync order waits at most {} for it, then gets 503. "
      "Time scale {}: every duration was multiplied by {} and every rate divided by it, so counts (orders, queue "
      "depth, workers needed = rate x delay) are those of the full-scale experiment while the wall time is {}x "
      "shorter. Times below are in course units (full-scale seconds) unless marked wall; accept latency and CPU are "
      "real (wall) costs and are not scaled. Load average at the end: {}.",
      r.broker, fmt_s(seconds(o.payment_delay)), fmt_s(seconds(o.sync_wait)), o.time_scale, o.time_scale,
      fmt::format("{:.0f}", 1 / o.time_scale), load_average()));
  page.heading("Verdict");
  for (const auto& line : r.verdict) page.paragraph(line);

  if (r.normal || r.flash) {
    page.heading("1. Sync: POST /orders/sync");
    std::vector<std::vector<std::string>> rows;
    for (const auto* p : {r.normal ? &*r.normal : nullptr, r.flash ? &*r.flash : nullptr}) {
      if (!p) continue;
      rows.push_back({p->name, fmt::format("{}", p->users), fmt_s(p->duration_s), fmt::format("{}", p->answered()),
                      fmt::format("{} ({:.1f}%)", p->ok, p->success_pct()), fmt::format("{}", p->rejected),
                      fmt::format("{}", p->errors), fmt::format("{}", p->unfinished), fmt_s(p->p50_s),
                      fmt_s(p->p99_s), fmt::format("{:.2f}", p->completed_per_s)});
    }
    page.table({"load", "users", "length", "orders answered", "completed (200)", "503 no slot", "other errors",
                "still waiting at end", "p50", "p99", "completed/s"},
               rows);
    page.paragraph(fmt::format(
        "The course: normal 5 users for 30 s, 100% success; flash 20 users spawned at 10/s with waits of 100-500 "
        "ms for 60 s. One slot of 3 s completes at most {:.2f} orders/s whatever the load, so every extra user only "
        "lengthens the wait: with 5 users an order waits for up to 4 ahead of it (12 s), with 20 users for up to "
        "19 (57 s), past the {} deadline.",
        1 / seconds(o.payment_delay), fmt_s(seconds(o.sync_wait))));
    json::array datasets;
    for (const auto* p : {r.normal ? &*r.normal : nullptr, r.flash ? &*r.flash : nullptr}) {
      if (!p) continue;
      json::array ok, bad;
      for (const auto& x : p->samples)
        (x.status == 200 ? ok : bad).emplace_back(json::object{{"x", round2(x.start_s)}, {"y", round2(x.latency_s)}});
      datasets.emplace_back(json::object{{"label", p->name + ": completed"}, {"data", std::move(ok)}, {"pointRadius", 3}});
      datasets.emplace_back(json::object{{"label", p->name + ": failed (503 or error)"}, {"data", std::move(bad)},
                                         {"pointRadius", 3}, {"pointStyle", "crossRot"}});
    }
    page.chart("Sync response time by the time the order was sent (each point an order)",
               xy_chart("scatter", std::move(datasets), "sent at (s since the phase began)", "response time (s)"));
  }

  if (!r.async.empty() || r.functions) {
    page.heading("2. Async: POST /orders/async, then the queue");
    std::vector<std::vector<std::string>> rows;
    std::vector<const Hw7AsyncRun*> main_runs;
    for (const auto& a : r.async) main_runs.push_back(&a);
    if (r.functions) main_runs.push_back(&*r.functions);
    for (const auto* a : main_runs)
      rows.push_back({run_name(*a),
                      fmt::format("{}/{} ({:.1f}%)", a->accepted, a->attempts, a->accept_pct),
                      fmt::format("{:.2f} / {:.2f}", a->accept_p50_ms, a->accept_p99_ms),
                      fmt::format("{}", a->peak_depth), fmt::format("{}", a->depth_at_end), drain_text(*a),
                      fmt::format("{:.1f}", a->throughput_per_s),
                      fmt::format("{:.2f} ms/order, {:.0f}% of a core", a->cpu_ms_per_order, a->cpu_pct),
                      fmt::format("{:.0f} MB", a->peak_rss_mb), a->audit_ok ? "ok" : "MISMATCH"});
    page.table({"processing", "accepted (202)", "accept p50 / p99 ms (wall)", "peak queue depth",
                "depth at end of load", "time to drain", "done/s", "CPU (wall)", "peak RSS", "counting check"},
               rows);
    page.paragraph(fmt::format(
        "{:.0f} orders/s for {} (open model: orders arrive on schedule whatever the service does). Accepting stores "
        "the order as pending and publishes it (persistent, confirmed); it never waits on payment. Each worker "
        "verifies one order at a time, so W workers finish W / {} orders per second: below {:.0f} workers the "
        "queue grows by the difference every second. Time to drain: from the end of the load until the queue is "
        "empty and every accepted order is done (bounded by {}; beyond it the projection divides what is left by "
        "the measured rate). CPU and RSS are this whole process (service, workers and load generator).",
        o.rate, fmt_s(seconds(o.async_duration)), fmt_s(seconds(o.payment_delay)),
        o.rate * seconds(o.payment_delay), fmt_s(seconds(o.drain_limit))));
    json::array depth_sets, done_sets;
    for (const auto* a : main_runs) {
      std::string name = run_name(*a);
      depth_sets.emplace_back(json::object{{"label", name},
                                           {"data", timeline_points(*a, [](const Hw7Point& p) { return double(p.depth); })},
                                           {"pointRadius", 0}, {"borderWidth", 2}});
      done_sets.emplace_back(json::object{{"label", name},
                                          {"data", timeline_points(*a, [](const Hw7Point& p) { return double(p.done); })},
                                          {"pointRadius", 0}, {"borderWidth", 2}});
    }
    page.chart("Queue depth over time (ready messages in order-processing-queue, from the broker)",
               xy_chart("line", std::move(depth_sets), "s since the load began", "messages"));
    page.chart("Orders done over time", xy_chart("line", std::move(done_sets), "s since the load began", "orders"));
    json::array labels, p50, p99;
    for (const auto* a : main_runs) {
      labels.emplace_back(run_name(*a));
      p50.emplace_back(round2(a->accept_p50_ms));
      p99.emplace_back(round2(a->accept_p99_ms));
    }
    json::array lat_sets;
    lat_sets.emplace_back(json::object{{"label", "p50"}, {"data", std::move(p50)}});
    lat_sets.emplace_back(json::object{{"label", "p99"}, {"data", std::move(p99)}});
    page.chart("Accept latency of POST /orders/async (wall ms; the course's target: under 100 ms)",
               bar_chart(std::move(labels), std::move(lat_sets), "ms"));

    // Side by side under the flash load.
    if (r.flash) {
      page.heading("Sync and async side by side");
      const Hw7AsyncRun* best = nullptr;
      if (r.search && r.search->minimum)
        for (const auto& p : r.search->probes)
          if (p.workers == *r.search->minimum) best = &p;
      std::vector<std::string> header{"", "sync, flash load"};
      std::vector<const Hw7AsyncRun*> cols;
      if (!r.async.empty()) cols.push_back(&r.async.back());
      if (best) cols.push_back(best);
      if (r.functions) cols.push_back(&*r.functions);
      for (const auto* c : cols)
        header.push_back("async, " + run_name(*c));
      const auto& f = *r.flash;
      std::vector<std::vector<std::string>> side{
          {"offered load", fmt::format("{} users (closed)", f.users)},
          {"orders answered", fmt::format("{} (+{} still waiting at the end)", f.answered(), f.unfinished)},
          {"answered OK", fmt::format("{:.1f}% (200, completed)", f.success_pct())},
          {"response p50", fmt_s(f.p50_s)},
          {"response p99", fmt_s(f.p99_s)},
          {"orders completed per second", fmt::format("{:.2f}", f.completed_per_s)},
          {"lost or double-charged orders", "-"}};
      for (const auto* c : cols) {
        side[0].push_back(fmt::format("{:.0f} orders/s (open)", c->rate));
        side[1].push_back(fmt::format("{}", c->attempts));
        side[2].push_back(fmt::format("{:.1f}% (202, queued)", c->accept_pct));
        side[3].push_back(fmt::format("{:.1f} ms (wall)", c->accept_p50_ms));
        side[4].push_back(fmt::format("{:.1f} ms (wall)", c->accept_p99_ms));
        side[5].push_back(fmt::format("{:.1f}", c->throughput_per_s));
        side[6].push_back(c->audit_ok ? "none (counting check ok)" : "MISMATCH");
      }
      page.table(header, side);
    }
  }

  if (r.search) {
    const auto& s = *r.search;
    page.heading("3. The minimum workers that keep up");
    page.paragraph(fmt::format(
        "Arithmetic: {:.0f} orders/s x {} each = {:.0f} orders in flight, so {:.0f} workers. Measured: bisection "
        "between {} and {} workers, each probe {:.0f} orders/s for {}. A run keeps up when the queue depth at the "
        "end of the load is at most max(3, 2% of rate x delay) = {} messages: with fewer workers than needed the "
        "backlog grows by (rate - workers / delay) every second. Result: {}. {}",
        o.rate, fmt_s(seconds(o.payment_delay)), s.arithmetic, s.arithmetic, o.search_min, o.search_max, o.rate,
        fmt_s(seconds(o.search_duration)), s.probes.empty() ? 0 : s.probes.front().keep_up_bound,
        s.minimum ? workers_text(*s.minimum) : std::string("not found"), s.note));
    std::vector<std::vector<std::string>> rows;
    std::vector<const Hw7AsyncRun*> sorted;
    for (const auto& p : s.probes) sorted.push_back(&p);
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->workers < b->workers; });
    json::array labels, backlog;
    for (const auto* p : sorted) {
      double expected = std::max(0.0, (o.rate - p->workers / seconds(o.payment_delay)) * p->duration_s);
      rows.push_back({fmt::format("{}", p->workers), fmt::format("{}", p->depth_at_end),
                      fmt::format("{:.0f}", expected), fmt::format("{}", p->peak_depth), p->keeps_up ? "yes" : "no",
                      drain_text(*p), p->audit_ok ? "ok" : "MISMATCH"});
      labels.emplace_back(p->workers);
      backlog.emplace_back(p->depth_at_end);
    }
    page.table({"workers", "depth at end of load", "expected (arithmetic)", "peak depth", "keeps up", "time to drain",
                "counting check"},
               rows);
    json::array sets;
    sets.emplace_back(json::object{{"label", "queue depth when the load ended"}, {"data", std::move(backlog)}});
    page.chart("Backlog at the end of the load by worker count", bar_chart(std::move(labels), std::move(sets), "messages"));
  }

  if (r.functions && r.functions->functions) {
    const auto& a = *r.functions;
    const auto& f = *a.functions;
    page.heading("4. Functions (serverless) on the same load");
    page.table({"invocations", "cold starts", "peak concurrency", "peak instances", "init p50 / max",
                "duration p50 / p99", "billed GB-s (course)", "billed s per invocation"},
               {{fmt::format("{}", f.invocations), fmt::format("{}", f.cold_starts),
                 fmt::format("{}", f.peak_concurrency), fmt::format("{}", f.peak_instances),
                 fmt::format("{:.0f} / {:.0f} ms", f.init_p50_ms / o.time_scale, f.init_max_ms / o.time_scale),
                 fmt::format("{:.0f} / {:.0f} ms", f.duration_p50_ms / o.time_scale, f.duration_p99_ms / o.time_scale),
                 fmt::format("{:.0f}", f.gb_seconds / o.time_scale),
                 fmt::format("{:.3f}", f.billed_seconds_per_invocation() / o.time_scale)}});
    page.paragraph(fmt::format(
        "A function instance ({} MB) takes one order at a time; a new one first pays a cold start of {}-{} ms "
        "(the course measured 73 ms on a 3,000 ms call); idle instances stay warm for {}. Concurrency is limited "
        "to {}. Times are scaled back to course units.",
        o.memory_mb, o.cold_start_min.count(), o.cold_start_max.count(), fmt_s(seconds(o.keep_warm)),
        o.function_concurrency));
    json::array sets;
    sets.emplace_back(json::object{{"label", "invocations running"},
                                   {"data", timeline_points(a, [](const Hw7Point& p) { return double(p.busy); })},
                                   {"pointRadius", 0}, {"borderWidth", 2}});
    sets.emplace_back(json::object{{"label", "instances alive"},
                                   {"data", timeline_points(a, [](const Hw7Point& p) { return double(p.instances); })},
                                   {"pointRadius", 0}, {"borderWidth", 2}});
    page.chart("Function concurrency over time", xy_chart("line", std::move(sets), "s since the load began", "instances"));
  }
  if (r.cost) {
    const auto& c = *r.cost;
    page.heading(r.functions ? "Cost per month" : "Cost per month (functions not run: billed time assumed = payment delay)");
    std::vector<std::vector<std::string>> rows;
    for (const auto& x : c.cases)
      rows.push_back({x.name, fmt_count(x.requests), fmt_count(x.cost.gb_seconds), fmt_usd(x.cost.functions_usd),
                      fmt_usd(x.cost.tasks_usd),
                      x.cost.functions_usd < x.cost.tasks_usd ? "functions" : "tasks"});
    page.table({"month", "requests", "GB-seconds", "functions", "two always-on tasks", "cheaper"}, rows);
    page.paragraph(fmt::format(
        "The course's prices: {} always-on tasks at ${:.2f} each (${:.2f}/month whatever the volume) vs ${:.2f} per "
        "million requests + ${:.10f} per GB-second, with {} requests and {} GB-seconds free each month. Each "
        "order is billed {:.3f} s at {} MB = {:.3f} GB-s: the function is billed while it waits on the payment "
        "processor. Break-even: {} requests/month, {:.2f} orders/s on average; above it the tasks are cheaper.",
        o.prices.tasks, o.prices.task_month_usd, o.prices.tasks * o.prices.task_month_usd,
        o.prices.per_million_requests_usd, o.prices.per_gb_second_usd, fmt_count(o.prices.free_requests),
        fmt_count(o.prices.free_gb_seconds), c.billed_s_per_request, o.memory_mb, c.gb_s_per_request,
        fmt_count(c.break_even_requests), c.break_even_rate));
  }
  page.heading("How this differs from the course");
  page.paragraph(
      "The course ran on AWS: ECS tasks behind a load balancer, SNS + SQS (visibility 30 s, long poll 20 s, up to 10 "
      "messages per receive), Lambda, Locust. Here one process holds the service, the store and the broker "
      "(in-process, or RabbitMQ with a quorum queue, publisher confirms and manual acks), the workers are threads "
      "each verifying one order at a time, the function runner simulates instances, cold starts and billing, and the "
      "load engine's open model sends orders on schedule. Time is scaled; counts are not.");
  page.link("runs.csv (one row per async run and probe)", "runs.csv");
  page.link("depth.csv (queue depth, orders done, CPU and RSS over time)", "depth.csv");
  page.link("sync_samples.csv (every sync order)", "sync_samples.csv");
  page.link("summary.json", "summary.json");
  r.report = o.out_dir / "report.html";
  return page.write(r.report);
}

}  // namespace

bool Hw7Result::audits_ok() const {
  bool ok = true;
  for (const auto& a : async) ok = ok && a.audit_ok;
  if (search)
    for (const auto& a : search->probes) ok = ok && a.audit_ok;
  if (functions) ok = ok && functions->audit_ok;
  return ok;
}

double Hw7SyncPhase::success_pct() const {
  return answered() ? 100.0 * static_cast<double>(ok) / static_cast<double>(answered()) : 0;
}

Hw7Cost hw7_cost(double billed_s, const Hw7Options& o) {
  Hw7Cost c;
  c.billed_s_per_request = billed_s;
  c.gb_s_per_request = billed_s * o.memory_mb / 1024.0;
  const double month = orders::kSecondsPerMonth, hour = 3'600;
  auto add = [&](std::string name, double requests) {
    c.cases.push_back({std::move(name), requests, orders::monthly_cost(requests, billed_s, o.memory_mb, o.prices)});
  };
  add(fmt::format("one flash hour alone ({:.0f}/s)", o.rate), o.rate * hour);
  add(fmt::format("ordinary month ({:.0f}/s)", o.normal_rate), o.normal_rate * month);
  add(fmt::format("ordinary month + one flash hour"), o.normal_rate * (month - hour) + o.rate * hour);
  add(fmt::format("the flash rate all month ({:.0f}/s)", o.rate), o.rate * month);
  c.break_even_requests = orders::break_even_requests(billed_s, o.memory_mb, o.prices);
  c.break_even_rate = c.break_even_requests / month;
  return c;
}

Result<Hw7Result> run_hw7(const Hw7Options& o) {
  if (auto s = validate(o); !s) return s.error();
  if (auto s = infra::prepare_dir(o.out_dir); !s) return s.error();
  Hw7Result result;

  std::optional<infra::Server> rabbit;
  std::string url = o.broker_url;
  if (o.rabbitmq) {
    if (o.progress) fmt::print(stderr, "hw7: starting a private RabbitMQ…\n");
    auto s = infra::find_kind("rabbitmq")->start({.dir = o.out_dir / "rabbitmq"});
    if (!s) return Error{s.error().kind, "starting RabbitMQ: " + s.error().message};
    rabbit.emplace(std::move(*s));
    url = rabbit->url();
  }
  std::unique_ptr<mq::Broker> broker;
  if (o.async || o.search || o.functions) {
    auto b = mq::open_broker(url);
    if (!b) return b.error();
    broker = std::move(*b);
    result.broker = broker->kind();
  } else {
    result.broker = "none";
  }

  if (o.sync) {
    auto normal = run_sync(o, "normal", o.normal_users, o.normal_duration);
    if (!normal) return normal.error();
    result.normal = std::move(*normal);
    auto flash = run_sync(o, "flash", o.flash_users, o.flash_duration);
    if (!flash) return flash.error();
    result.flash = std::move(*flash);
  }
  if (o.async) {
    for (int w : o.workers) {
      auto r = run_async(o, *broker, {.kind = "workers", .workers = w, .duration = o.async_duration,
                                      .drain_limit = o.drain_limit});
      if (!r) return r.error();
      result.async.push_back(std::move(*r));
    }
  }
  if (o.search) {
    auto s = run_search(o, *broker);
    if (!s) return s.error();
    result.search = std::move(*s);
  }
  double billed_s = seconds(o.payment_delay);
  if (o.functions) {
    auto r = run_async(o, *broker, {.kind = "functions", .workers = o.function_concurrency,
                                    .duration = o.async_duration, .drain_limit = o.drain_limit});
    if (!r) return r.error();
    result.functions = std::move(*r);
    if (result.functions->functions && result.functions->functions->invocations > 0)
      billed_s = result.functions->functions->billed_seconds_per_invocation() / o.time_scale;
  }
  result.cost = hw7_cost(billed_s, o);
  if (broker) (void)purge(*broker);  // leave an external broker's queue as we found it
  result.verdict = verdict(o, result);
  if (auto s = write_outputs(o, result); !s) return s.error();
  return result;
}

}  // namespace scalelab::lab
