#include "lab/midterm/midterm.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <mutex>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "faultproxy/faultproxy.h"
#include "http/server.h"
#include "report/output.h"
#include "lab/samples.h"
#include "load/engine.h"
#include "obs/metrics.h"
#include "services/shop/shop.h"

namespace scalelab::lab {

namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
constexpr std::size_t kPhases = std::size(kMidtermPhases);

struct Obs {
  double start_s = 0;
  double latency_ms = 0;
  bool failed = false;
  bool add = false;
};

MidtermPhaseStats stats_of(const std::string& name, const std::vector<const Obs*>& obs) {
  MidtermPhaseStats s;
  s.phase = name;
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

std::vector<faultproxy::Fault> faults_of(std::size_t phase, const MidtermOptions& o) {
  using faultproxy::FaultKind;
  switch (phase) {
    case 1: return {{.name = "error", .kind = FaultKind::kHttpError, .status = 503}};
    case 2: return {{.name = "hang", .kind = FaultKind::kHang}};
    case 3: return {{.name = "slow", .kind = FaultKind::kLatency, .latency = o.slow}};
    default: return {};
  }
}

Result<MidtermRun> run_one(const MidtermOptions& o, bool resilient) {
  // backend: catalog + warehouse + payments; the fault proxy before catalog; carts.
  shop::ShopOptions so;
  so.products = 1'000;
  auto backend = shop::ShopHost::create(shop::kCatalog | shop::kWarehouse | shop::kPayments, so);
  if (!backend) return backend.error();
  http::ServerOptions server_options;
  server_options.address = "127.0.0.1";
  server_options.port = 0;
  server_options.threads = 2;
  server_options.read_timeout = std::chrono::milliseconds(60'000);
  server_options.write_timeout = std::chrono::milliseconds(60'000);
  server_options.shutdown_grace = std::chrono::milliseconds(1'000);
  http::Router backend_router;
  (*backend)->register_routes(backend_router);
  obs::Registry backend_registry;
  http::Server backend_server(server_options, backend_router, backend_registry);
  backend_server.start();

  faultproxy::FaultProxy proxy({.upstream_port = backend_server.port()});
  proxy.start();

  const std::string backend_url = fmt::format("http://127.0.0.1:{}", backend_server.port());
  so.catalog_url = fmt::format("http://127.0.0.1:{}", proxy.port());
  so.warehouse_url = so.payments_url = backend_url;
  so.resilience.enabled = resilient;
  so.resilience.breaker_wait = o.breaker_wait;
  so.resilience.catalog_timeout = o.catalog_timeout;
  so.resilience.per_try_timeout = o.catalog_timeout / 2;
  so.resilience.off_timeout = o.off_timeout;
  auto front = shop::ShopHost::create(shop::kCarts, so);
  if (!front) {
    proxy.stop();
    backend_server.stop();
    return front.error();
  }
  http::Router front_router;
  (*front)->register_routes(front_router);
  obs::Registry front_registry;
  http::Server front_server(server_options, front_router, front_registry);
  front_server.start();

  // The course's load: add weight 10, view weight 3, users user_1..user_1000,
  // products 1-5, quantity 1-3, waits 0.5-2 s.
  load::Scenario s;
  s.name = resilient ? "midterm on" : "midterm off";
  s.host = fmt::format("http://127.0.0.1:{}", front_server.port());
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
  s.timeout = std::chrono::duration_cast<load::Micros>(std::max(o.off_timeout, o.slow) + std::chrono::seconds(5));

  std::mutex mu;
  std::vector<Obs> samples;
  load::RunOptions ro;
  ro.on_sample = [&](const load::Sample& x) {
    std::lock_guard lock(mu);
    samples.push_back({x.start_s, x.latency_ms, x.failed, x.request == 0});
  };
  const double phase_s = std::chrono::duration<double>(o.phase).count();
  ro.on_progress = [&](const load::Progress& p) {
    if (!o.progress) return;
    std::size_t phase = std::min<std::size_t>(kPhases - 1, static_cast<std::size_t>(p.elapsed_s / phase_s));
    fmt::print(stderr, "midterm {}: {:5.1f}s {:<16} requests {:6} failures {:6} breaker {}\n",
               resilient ? "on " : "off", p.elapsed_s, kMidtermPhases[phase], p.total_requests, p.total_failures,
               (*front)->catalog_breaker_state());
  };

  // The fault timeline and the breaker's state, sampled every 50 ms.
  std::atomic<bool> done{false};
  std::vector<std::pair<double, std::string>> breaker_samples;  // (t, state)
  std::optional<double> closed_after;
  const auto t0 = Clock::now();
  std::thread timeline([&] {
    std::size_t applied = 0;  // healthy: nothing to apply
    while (!done.load()) {
      double t = std::chrono::duration<double>(Clock::now() - t0).count();
      std::size_t phase = std::min<std::size_t>(kPhases - 1, static_cast<std::size_t>(t / phase_s));
      if (phase != applied) {
        proxy.clear();
        for (auto& f : faults_of(phase, o)) (void)proxy.add(f);
        applied = phase;
      }
      std::string state = (*front)->catalog_breaker_state();
      if (phase == kPhases - 1 && !closed_after && state == "closed") closed_after = t - phase_s * (kPhases - 1);
      breaker_samples.emplace_back(t, std::move(state));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto report = load::run(s, ro);
  done = true;
  timeline.join();
  front_server.stop();
  proxy.stop();
  backend_server.stop();
  if (!report) return report.error();

  MidtermRun run;
  run.resilient = resilient;
  run.unfinished = report->unfinished;
  run.rps = report->rps();
  if (resilient) run.breaker_closed_after_s = closed_after;
  std::vector<std::vector<const Obs*>> by_phase(kPhases);
  std::vector<const Obs*> all;
  int seconds = static_cast<int>(std::ceil(phase_s * kPhases));
  std::vector<std::vector<const Obs*>> by_second(static_cast<std::size_t>(std::max(seconds, 1)));
  for (const Obs& x : samples) {
    all.push_back(&x);
    by_phase[std::min<std::size_t>(kPhases - 1, static_cast<std::size_t>(x.start_s / phase_s))].push_back(&x);
    by_second[std::min<std::size_t>(by_second.size() - 1, static_cast<std::size_t>(x.start_s))].push_back(&x);
  }
  for (std::size_t i = 0; i < kPhases; ++i) run.phases.push_back(stats_of(kMidtermPhases[i], by_phase[i]));
  run.all = stats_of("all", all);
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
    m.breaker = resilient ? "closed" : "none";
    for (const auto& [t, st] : breaker_samples)
      if (t <= static_cast<double>(sec + 1)) m.breaker = st;
    run.timeline.push_back(std::move(m));
  }
  return run;
}

double breaker_level(const std::string& s) {
  if (s == "open" || s == "forced_open") return 2;
  if (s == "half_open") return 1;
  return 0;
}

json::value chart(const MidtermRun& off, const MidtermRun& on, const std::string& y,
                  double (*f)(const MidtermSecond&)) {
  json::array labels;
  for (const auto& s : on.timeline) labels.emplace_back(s.second);
  json::array datasets;
  for (const MidtermRun* r : {&off, &on}) {
    json::array data;
    for (const auto& s : r->timeline) data.emplace_back(std::round(f(s) * 100) / 100);
    datasets.emplace_back(json::object{{"label", r->resilient ? "resilience on" : "resilience off"},
                                       {"data", data}, {"pointRadius", 0}, {"borderWidth", 2},
                                       {"stepped", y == "breaker"}});
  }
  return json::object{
      {"type", "line"},
      {"data", json::object{{"labels", labels}, {"datasets", datasets}}},
      {"options",
       json::object{{"maintainAspectRatio", false},
                    {"animation", false},
                    {"scales", json::object{{"x", json::object{{"title", json::object{{"display", true},
                                                                                        {"text", "second"}}}}},
                                            {"y", json::object{{"beginAtZero", true},
                                                               {"title", json::object{{"display", true},
                                                                                      {"text", y}}}}}}}}}};
}

std::string pct(double v) { return fmt::format("{:.2f}%", v); }
std::string ms(double v) { return fmt::format("{:.0f} ms", v); }

json::object phase_json(const MidtermPhaseStats& p) {
  return {{"phase", p.phase},        {"add", p.add},
          {"add_failed", p.add_failed}, {"add_failure_pct", p.add_failure_pct()},
          {"add_p50_ms", p.add_p50_ms}, {"add_p99_ms", p.add_p99_ms},
          {"view", p.view},          {"view_failed", p.view_failed},
          {"view_failure_pct", p.view_failure_pct()}, {"view_p50_ms", p.view_p50_ms},
          {"view_p99_ms", p.view_p99_ms}};
}

json::object run_json(const MidtermRun& r) {
  json::array phases;
  for (const auto& p : r.phases) phases.emplace_back(phase_json(p));
  json::object o{{"resilience", r.resilient ? "on" : "off"}, {"phases", phases}, {"all", phase_json(r.all)},
                 {"rps", r.rps}, {"unfinished", r.unfinished}};
  if (r.breaker_closed_after_s) o["breaker_closed_after_recovery_s"] = *r.breaker_closed_after_s;
  else o["breaker_closed_after_recovery_s"] = nullptr;
  return o;
}

MidtermAcceptance judge(const MidtermResult& r, const MidtermOptions& o) {
  MidtermAcceptance acc;
  for (const auto& p : r.on.phases) {
    acc.worst_add_failure_pct = std::max(acc.worst_add_failure_pct, p.add_failure_pct());
    acc.worst_add_p99_ms = std::max(acc.worst_add_p99_ms, p.add_p99_ms);
  }
  acc.add_failures_ok = acc.worst_add_failure_pct <= 1.0;
  acc.add_p99_ok = acc.worst_add_p99_ms <= 250.0;
  const double wait_s = std::chrono::duration<double>(o.breaker_wait).count();
  acc.breaker_closed_ok = r.on.breaker_closed_after_s && *r.on.breaker_closed_after_s <= wait_s + 1.0;
  acc.off_visible = r.off.all.add_failure_pct() > r.on.all.add_failure_pct();
  return acc;
}

}  // namespace

Result<MidtermResult> run_midterm(const MidtermOptions& o) {
  if (o.phase < std::chrono::milliseconds(500)) return Error{ErrorKind::kInvalidInput, "--phase must be >= 500ms"};
  if (o.users < 1) return Error{ErrorKind::kInvalidInput, "--users must be >= 1"};
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return Error{ErrorKind::kInvalidInput, fmt::format("cannot create {}: {}", o.out_dir.string(), ec.message())};
  MidtermResult result;
  auto off = run_one(o, false);
  if (!off) return off.error();
  result.off = std::move(*off);
  auto on = run_one(o, true);
  if (!on) return on.error();
  result.on = std::move(*on);
  result.acceptance = judge(result, o);

  // Raw numbers.
  {
    std::ofstream csv(o.out_dir / "timeline.csv");
    csv << "resilience,second,requests,failures,p50_ms,p99_ms,breaker\n";
    for (const MidtermRun* r : {&result.off, &result.on})
      for (const auto& s : r->timeline)
        csv << (r->resilient ? "on" : "off") << ',' << s.second << ',' << s.requests << ',' << s.failures << ','
            << s.p50_ms << ',' << s.p99_ms << ',' << s.breaker << '\n';
    std::ofstream phases(o.out_dir / "phases.csv");
    phases << "resilience,phase,add,add_failed,add_p50_ms,add_p99_ms,view,view_failed,view_p50_ms,view_p99_ms\n";
    for (const MidtermRun* r : {&result.off, &result.on})
      for (const auto& p : r->phases)
        phases << (r->resilient ? "on" : "off") << ',' << p.phase << ',' << p.add << ',' << p.add_failed << ','
               << p.add_p50_ms << ',' << p.add_p99_ms << ',' << p.view << ',' << p.view_failed << ','
               << p.view_p50_ms << ',' << p.view_p99_ms << '\n';
    std::ofstream summary(o.out_dir / "summary.json");
    summary << json::serialize(json::object{
        {"phase_s", std::chrono::duration<double>(o.phase).count()},
        {"users", o.users},
        {"breaker_wait_s", std::chrono::duration<double>(o.breaker_wait).count()},
        {"off", run_json(result.off)},
        {"on", run_json(result.on)},
        {"acceptance", json::object{{"add_failures_le_1pct", result.acceptance.add_failures_ok},
                                    {"add_p99_le_250ms", result.acceptance.add_p99_ok},
                                    {"breaker_closed_within_wait_plus_1s", result.acceptance.breaker_closed_ok},
                                    {"off_failure_visible", result.acceptance.off_visible},
                                    {"met", result.acceptance.met()}}}});
  }

  report::HtmlReport page("Midterm: carts with and without resilience");
  page.paragraph(fmt::format(
      "catalog behind the fault proxy; carts calling it; {} users (waits {}-{} ms; add to cart weight 10, view "
      "cart weight 3; users user_1..user_1000, products 1-5, quantity 1-3). Five phases of {:.1f} s each: "
      "healthy, catalog answering 503, catalog hanging, catalog slow ({} ms), recovered. First with resilience "
      "off (no deliberate timeout: carts waits up to {} ms for catalog; one failed item fails the cart), then on "
      "(catalog calls bounded at {} ms with one retry inside, circuit breaker: 3 failures open it, {} ms before "
      "half-open, 2 trial successes close it; cache of recently seen products as fallback, items marked "
      "price_pending, responses in degraded_mode).",
      o.users, o.wait_min.count(), o.wait_max.count(), std::chrono::duration<double>(o.phase).count(),
      o.slow.count(), o.off_timeout.count(), o.catalog_timeout.count(), o.breaker_wait.count()));
  page.heading("Whole run: ours beside the course's");
  const auto& a = result.off.all;
  const auto& b = result.on.all;
  page.table({"", "off (ours)", "on (ours)", "course: without", "course: with"},
               {{"add to cart failures", pct(a.add_failure_pct()), pct(b.add_failure_pct()), "65%", "0.07%"},
                {"view cart failures", pct(a.view_failure_pct()), pct(b.view_failure_pct()), "69%", "0%"},
                {"add to cart median", ms(a.add_p50_ms), ms(b.add_p50_ms), "1,900-2,000 ms", "110 ms"},
                {"add to cart p99", ms(a.add_p99_ms), ms(b.add_p99_ms), "", ""},
                {"requests/s", fmt::format("{:.1f}", result.off.rps), fmt::format("{:.1f}", result.on.rps), "10.5",
                 "14.6"}});
  page.heading("Per phase");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < kPhases; ++i) {
    const auto& f = result.off.phases[i];
    const auto& n = result.on.phases[i];
    rows.push_back({f.phase, pct(f.add_failure_pct()), pct(n.add_failure_pct()), ms(f.add_p50_ms), ms(n.add_p50_ms),
                    ms(f.add_p99_ms), ms(n.add_p99_ms), pct(f.view_failure_pct()), pct(n.view_failure_pct())});
  }
  page.table({"phase", "add fail off", "add fail on", "add p50 off", "add p50 on", "add p99 off", "add p99 on",
                "view fail off", "view fail on"},
               rows);
  // The acceptance (issue 6), as measured.
  const MidtermAcceptance& acc = result.acceptance;
  const double wait_s = std::chrono::duration<double>(o.breaker_wait).count();
  page.heading("Acceptance (resilience on)");
  page.table(
      {"criterion", "measured", "met"},
      {{"add to cart failures <= 1% in every phase", fmt::format("worst phase {}", pct(acc.worst_add_failure_pct)),
        acc.add_failures_ok ? "yes" : "NO"},
       {"add to cart p99 <= 250 ms in every phase", fmt::format("worst phase {}", ms(acc.worst_add_p99_ms)),
        acc.add_p99_ok ? "yes" : "NO"},
       {fmt::format("breaker closed within wait + 1 s ({:.1f} s) after recovery", wait_s + 1.0),
        result.on.breaker_closed_after_s ? fmt::format("{:.2f} s", *result.on.breaker_closed_after_s)
                                         : std::string("did not close"),
        acc.breaker_closed_ok ? "yes" : "NO"},
       {"resilience off: the failure is visible",
        fmt::format("add failures {} , median {}", pct(a.add_failure_pct()), ms(a.add_p50_ms)),
        acc.off_visible ? "yes" : "NO"}});
  page.paragraph(fmt::format(
      "Reading: without the policies every catalog fault reaches the user: 503s fail the call at once, a hanging "
      "catalog holds each request for carts' whole deadline and then fails it, and a slow catalog makes every "
      "request slow. With them, a catalog call is bounded, the breaker stops calling a catalog that keeps failing, "
      "and the cache answers with the last known price (marked price_pending). The course's figures come from "
      "its own run (Locust against a deployed service); ours from this machine, with short phases: compare the "
      "shape, not the digits."));
  page.chart("Failures per second (by request start)", chart(result.off, result.on, "failed requests",
                                                               [](const MidtermSecond& s) {
                                                                 return static_cast<double>(s.failures);
                                                               }));
  page.chart("Failure rate per second, %", chart(result.off, result.on, "%", [](const MidtermSecond& s) {
                 return s.requests ? 100.0 * static_cast<double>(s.failures) / static_cast<double>(s.requests) : 0.0;
               }));
  page.chart("p50 latency per second", chart(result.off, result.on, "ms", [](const MidtermSecond& s) { return s.p50_ms; }));
  page.chart("p99 latency per second", chart(result.off, result.on, "ms", [](const MidtermSecond& s) { return s.p99_ms; }));
  page.chart("Circuit breaker state (0 closed or none, 1 half-open, 2 open)",
               chart(result.off, result.on, "breaker", [](const MidtermSecond& s) { return breaker_level(s.breaker); }));
  page.link("timeline.csv", "timeline.csv");
  page.link("phases.csv", "phases.csv");
  page.link("summary.json", "summary.json");
  result.report = o.out_dir / "report.html";
  if (auto w = page.write(result.report); !w) return w.error();
  return result;
}

}  // namespace scalelab::lab
