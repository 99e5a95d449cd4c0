// run_midterm(): the shop stack (catalog behind the fault proxy, carts in
// front), the course's load against carts, the fault timeline applied from a
// thread, then figures per phase and per second.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "faultproxy/faultproxy.h"
#include "http/server.h"
#include "lab/loopback.h"
#include "lab/live.h"
#include "lab/midterm/midterm.h"
#include "lab/samples.h"
#include "load/engine.h"
#include "obs/metrics.h"
#include "services/shop/shop.h"

namespace scalelab::lab {

namespace {

const char* breaker_name(std::optional<resilience::BreakerState> state) {
  return state ? resilience::to_string(*state) : "none";
}

// The breaker on the live page, as a level: 0 closed, 1 half-open, 2 open.
double breaker_level(resilience::BreakerState state) {
  using resilience::BreakerState;
  if (state == BreakerState::kOpen || state == BreakerState::kForcedOpen) return 2;
  return state == BreakerState::kHalfOpen ? 1 : 0;
}

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
constexpr std::size_t kPhases = kMidtermPhases.size();

constexpr unsigned kProducts = 1'000;
// The timeline thread applies faults and samples the breaker this often.
constexpr auto kTimelinePoll = 50ms;
// The client waits past carts' own longest deadline, so carts answers first.
constexpr auto kClientSlack = 5s;
// Acceptance, from the course: add-to-cart failures and p99 in every phase,
// and the breaker closing within its wait plus a second after recovery.
constexpr double kMaxAddFailurePct = 1.0;
constexpr double kMaxAddP99Ms = 250.0;
constexpr double kBreakerCloseSlackS = 1.0;
constexpr auto kMinPhase = 500ms;

// One request as the load engine saw it.
struct Obs {
  double start_s = 0;
  double latency_ms = 0;
  bool failed = false;
  bool add = false;
};

http::ServerOptions server_options() { return loopback_server_options(60s, 1s); }

// backend (catalog + warehouse + payments), the fault proxy before catalog,
// and carts in front calling catalog through the proxy.
class Stack {
 public:
  static Result<std::unique_ptr<Stack>> start(const MidtermOptions& o, Resilience r) {
    std::unique_ptr<Stack> s(new Stack);
    shop::ShopOptions so;
    so.products = kProducts;
    auto backend = shop::ShopHost::create(shop::kCatalog | shop::kWarehouse | shop::kPayments, so);
    if (!backend) return backend.error();
    s->backend_ = std::move(*backend);
    s->backend_->register_routes(s->backend_router_);
    s->backend_server_.emplace(server_options(), s->backend_router_, s->backend_registry_);
    s->backend_server_->start();
    s->proxy_.emplace(faultproxy::ProxyOptions{.upstream_port = s->backend_server_->port()});
    s->proxy_->start();

    const std::string backend_url = fmt::format("http://127.0.0.1:{}", s->backend_server_->port());
    so.catalog_url = fmt::format("http://127.0.0.1:{}", s->proxy_->port());
    so.warehouse_url = so.payments_url = backend_url;
    so.resilience.enabled = r == Resilience::kOn;
    so.resilience.breaker_wait = o.breaker_wait;
    so.resilience.catalog_timeout = o.catalog_timeout;
    so.resilience.per_try_timeout = o.catalog_timeout / 2;  // one retry fits inside the bound
    so.resilience.off_timeout = o.off_timeout;
    auto front = shop::ShopHost::create(shop::kCarts, so);
    if (!front) return front.error();
    s->front_ = std::move(*front);
    s->front_->register_routes(s->front_router_);
    s->front_server_.emplace(server_options(), s->front_router_, s->front_registry_);
    s->front_server_->start();
    return s;
  }
  ~Stack() { stop(); }
  void stop() {
    if (front_server_) front_server_->stop();
    if (proxy_) proxy_->stop();
    if (backend_server_) backend_server_->stop();
  }
  std::string front_url() const { return fmt::format("http://127.0.0.1:{}", front_server_->port()); }
  faultproxy::FaultProxy& proxy() { return *proxy_; }
  std::optional<resilience::BreakerState> breaker_state() { return front_->catalog_breaker_state(); }

 private:
  Stack() = default;
  std::unique_ptr<shop::ShopHost> backend_, front_;
  http::Router backend_router_, front_router_;
  obs::Registry backend_registry_, front_registry_;
  std::optional<http::Server> backend_server_, front_server_;
  std::optional<faultproxy::FaultProxy> proxy_;
};

// The course's load: add weight 10, view weight 3, users user_1..user_1000,
// products 1-5, quantity 1-3, waits 0.5-2 s.
load::Scenario scenario(const MidtermOptions& o, Resilience r, const std::string& url) {
  load::Scenario s;
  s.name = fmt::format("midterm {}", to_string(r));
  s.host = url;
  auto tpl = [](std::string_view t) { return load::Template::compile(t).value(); };
  load::RequestSpec add{.name = "add to cart", .method = http::Method::kPost,
                        .path = tpl("/cart/user_{{randint 1 1000}}/add"),
                        .body = tpl(R"({"product_id":{{randint 1 5}},"quantity":{{randint 1 3}}})"),
                        .content_type = "application/json", .expect = {200}};
  load::RequestSpec view{.name = "view cart", .method = http::Method::kGet,
                         .path = tpl("/cart/user_{{randint 1 1000}}"), .expect = {200}};
  s.tasks = {{.name = "add", .weight = 10, .requests = {add}}, {.name = "view", .weight = 3, .requests = {view}}};
  s.wait = {load::WaitSpec::Kind::kBetween, std::chrono::duration_cast<load::Micros>(o.wait_min),
            std::chrono::duration_cast<load::Micros>(o.wait_max)};
  s.users = o.users;
  s.duration = std::chrono::duration_cast<load::Micros>(o.phase * kPhases);
  s.timeout = std::chrono::duration_cast<load::Micros>(std::max(o.off_timeout, o.slow) + kClientSlack);
  return s;
}

std::vector<faultproxy::Fault> faults_of(MidtermPhase phase, const MidtermOptions& o) {
  using faultproxy::FaultKind;
  switch (phase) {
    case MidtermPhase::kCatalog503: return {{.name = "error", .kind = FaultKind::kHttpError, .status = 503}};
    case MidtermPhase::kCatalogHanging: return {{.name = "hang", .kind = FaultKind::kHang}};
    case MidtermPhase::kCatalogSlow: return {{.name = "slow", .kind = FaultKind::kLatency, .latency = o.slow}};
    case MidtermPhase::kHealthy:
    case MidtermPhase::kRecovered: break;
  }
  return {};
}

// The phase index at `t` seconds into the run (the last one past the end).
std::size_t phase_at(double t, double phase_s) {
  return std::min<std::size_t>(kPhases - 1, static_cast<std::size_t>(t / phase_s));
}

// Applies the fault timeline and samples carts' breaker on its own thread.
class Timeline {
 public:
  Timeline(const MidtermOptions& o, Stack& stack)
      : o_(o), stack_(stack), phase_s_(std::chrono::duration<double>(o.phase).count()),
        thread_([this] { loop(); }) {}
  ~Timeline() { stop(); }
  void stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // After stop(): (t, state) samples, and when the breaker first read closed
  // after the catalog recovered.
  std::vector<std::pair<double, std::optional<resilience::BreakerState>>> samples;
  std::optional<double> closed_after;

 private:
  void loop() {
    std::size_t applied = 0;  // healthy: nothing to apply
    while (!done_.load()) {
      double t = std::chrono::duration<double>(Clock::now() - t0_).count();
      std::size_t phase = phase_at(t, phase_s_);
      if (phase != applied) {
        stack_.proxy().clear();
        for (auto& f : faults_of(kMidtermPhases[phase], o_)) (void)stack_.proxy().add(f);
        applied = phase;
      }
      auto state = stack_.breaker_state();
      if (phase == kPhases - 1 && !closed_after && state == resilience::BreakerState::kClosed)
        closed_after = t - phase_s_ * (kPhases - 1);
      samples.emplace_back(t, state);
      std::this_thread::sleep_for(kTimelinePoll);
    }
  }
  const MidtermOptions& o_;
  Stack& stack_;
  const double phase_s_;
  const Clock::time_point t0_ = Clock::now();
  std::atomic<bool> done_{false};
  std::thread thread_;  // last: starts once the rest is built
};

MidtermStats stats_of(const std::vector<const Obs*>& obs) {
  MidtermStats s;
  std::vector<double> add, view;
  for (const Obs* o : obs) {
    if (o->add) {
      ++s.add;
      s.add_failed += o->failed;
      add.push_back(o->latency_ms);
    } else {
      ++s.view;
      s.view_failed += o->failed;
      view.push_back(o->latency_ms);
    }
  }
  s.add_p50_ms = quantile(add, 0.5);
  s.add_p99_ms = quantile(add, 0.99);
  s.view_p50_ms = quantile(view, 0.5);
  s.view_p99_ms = quantile(view, 0.99);
  return s;
}

void fill_phases(const std::vector<Obs>& samples, double phase_s, MidtermRun& run) {
  std::vector<std::vector<const Obs*>> by_phase(kPhases);
  std::vector<const Obs*> all;
  for (const Obs& x : samples) {
    all.push_back(&x);
    by_phase[phase_at(x.start_s, phase_s)].push_back(&x);
  }
  for (std::size_t i = 0; i < kPhases; ++i) {
    MidtermPhaseStats p;
    static_cast<MidtermStats&>(p) = stats_of(by_phase[i]);
    p.phase = kMidtermPhases[i];
    run.phases.push_back(p);
  }
  run.all = stats_of(all);
}

void fill_seconds(const std::vector<Obs>& samples, double phase_s, const Timeline& timeline, MidtermRun& run) {
  int seconds = static_cast<int>(std::ceil(phase_s * kPhases));
  std::vector<std::vector<const Obs*>> by_second(static_cast<std::size_t>(std::max(seconds, 1)));
  for (const Obs& x : samples)
    by_second[std::min<std::size_t>(by_second.size() - 1, static_cast<std::size_t>(x.start_s))].push_back(&x);
  for (std::size_t sec = 0; sec < by_second.size(); ++sec) {
    MidtermSecond m;
    m.second = static_cast<int>(sec) + 1;
    std::vector<double> lat;
    for (const Obs* x : by_second[sec]) {
      ++m.requests;
      m.failures += x->failed;
      lat.push_back(x->latency_ms);
    }
    m.p50_ms = quantile(lat, 0.5);
    m.p99_ms = quantile(lat, 0.99);
    if (run.resilience == Resilience::kOn) m.breaker = resilience::BreakerState::kClosed;
    for (const auto& [t, st] : timeline.samples)
      if (t <= static_cast<double>(sec + 1)) m.breaker = st;
    run.timeline.push_back(std::move(m));
  }
}

Result<MidtermRun> run_one(const MidtermOptions& o, Resilience r) {
  auto stack = Stack::start(o, r);
  if (!stack) return stack.error();
  const load::Scenario s = scenario(o, r, (*stack)->front_url());
  std::mutex mu;
  std::vector<Obs> samples;
  load::RunOptions ro;
  ro.on_sample = [&](const load::Sample& x) {
    std::lock_guard lock(mu);
    samples.push_back({x.start_s, x.latency_ms, x.failed, x.request == 0});
  };
  const double phase_s = std::chrono::duration<double>(o.phase).count();
  std::string live_phase_shown;
  ro.on_progress = [&](const load::Progress& p) {
    if (o.live) {
      auto at = fmt::format("resilience {}: {}", to_string(r), to_string(kMidtermPhases[phase_at(p.elapsed_s, phase_s)]));
      if (at != live_phase_shown) live_phase(o.live, live_phase_shown = std::move(at));
      if (auto state = (*stack)->breaker_state())
        live_series(o.live, "breaker (0 closed, 1 half-open, 2 open)", "breaker", breaker_level(*state));
    }
    if (!o.progress) return;
    fmt::print(stderr, "midterm {:<3}: {:5.1f}s {:<16} requests {:6} failures {:6} breaker {}\n", to_string(r),
               p.elapsed_s, to_string(kMidtermPhases[phase_at(p.elapsed_s, phase_s)]), p.total_requests,
               p.total_failures, breaker_name((*stack)->breaker_state()));
  };
  Timeline timeline(o, **stack);
  live_phase(o.live, fmt::format("resilience {}", to_string(r)));
  watch(o.live, ro);
  auto report = load::run(s, ro);
  timeline.stop();
  (*stack)->stop();
  if (!report) return report.error();

  MidtermRun run;
  run.resilience = r;
  run.unfinished = report->unfinished;
  run.rps = report->rps();
  if (r == Resilience::kOn) run.breaker_closed_after_s = timeline.closed_after;
  fill_phases(samples, phase_s, run);
  fill_seconds(samples, phase_s, timeline, run);
  return run;
}

}  // namespace

std::string_view to_string(Resilience r) { return r == Resilience::kOn ? "on" : "off"; }

std::string_view to_string(MidtermPhase p) {
  switch (p) {
    case MidtermPhase::kHealthy: return "healthy";
    case MidtermPhase::kCatalog503: return "catalog 503";
    case MidtermPhase::kCatalogHanging: return "catalog hanging";
    case MidtermPhase::kCatalogSlow: return "catalog slow";
    case MidtermPhase::kRecovered: break;
  }
  return "recovered";
}

MidtermAcceptance judge_midterm(const MidtermRun& off, const MidtermRun& on, const MidtermOptions& o) {
  MidtermAcceptance acc;
  for (const auto& p : on.phases) {
    acc.worst_add_failure_pct = std::max(acc.worst_add_failure_pct, p.add_failure_pct());
    acc.worst_add_p99_ms = std::max(acc.worst_add_p99_ms, p.add_p99_ms);
  }
  acc.add_failures_ok = acc.worst_add_failure_pct <= kMaxAddFailurePct;
  acc.add_p99_ok = acc.worst_add_p99_ms <= kMaxAddP99Ms;
  const double wait_s = std::chrono::duration<double>(o.breaker_wait).count();
  acc.breaker_closed_ok = on.breaker_closed_after_s && *on.breaker_closed_after_s <= wait_s + kBreakerCloseSlackS;
  acc.off_visible = off.all.add_failure_pct() > on.all.add_failure_pct();
  return acc;
}

Result<MidtermResult> run_midterm(const MidtermOptions& o) {
  if (o.phase < kMinPhase) return Error{ErrorKind::kInvalidInput, "--phase must be >= 500ms"};
  if (o.users < 1) return Error{ErrorKind::kInvalidInput, "--users must be >= 1"};
  MidtermResult result;
  result.options = o;
  auto off = run_one(o, Resilience::kOff);
  if (!off) return off.error();
  result.off = std::move(*off);
  auto on = run_one(o, Resilience::kOn);
  if (!on) return on.error();
  result.on = std::move(*on);
  result.acceptance = judge_midterm(result.off, result.on, o);
  return result;
}

}  // namespace scalelab::lab
