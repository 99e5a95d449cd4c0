#include "lab/hw6_bottleneck.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/json.h"
#include "http/client.h"
#include "lab/cpu_limit.h"
#include "lab/infra/infra.h"
#include "lab/process.h"
#include "report/output.h"
#include "lab/samples.h"
#include "load/engine.h"
#include "obs/metrics.h"

namespace scalelab::lab {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

struct ProcStat {
  double cpu_s = 0;  // user + system
  double rss_mb = 0;
};

ProcStat read_proc(pid_t pid) {
  auto p = obs::read_process_stats(pid);
  return {p.cpu_seconds, p.resident_bytes / (1024.0 * 1024.0)};
}

// The searches every user sends, in turn or at random (the query is
// URL-encoded: a template word cannot hold a space).
constexpr std::array<const char*, 8> kQueries = {"alpha", "electronics", "books", "omega",
                                                 "product%201", "garden", "sigma", "toys"};

std::string search_target(std::uint64_t i) { return fmt::format("/products/search?q={}", kQueries[i % kQueries.size()]); }

// The same queries as a load template: one chosen at random per request.
std::string search_template() { return fmt::format("/products/search?q={{{{choice {}}}}}", fmt::join(kQueries, " ")); }

json::value line_chart(const std::vector<Hw6Second>& t, const std::vector<std::pair<std::string, std::function<double(const Hw6Second&)>>>& series,
                       const std::string& y_label) {
  json::array labels;
  for (const auto& s : t) labels.emplace_back(s.second);
  json::array datasets;
  for (const auto& [name, f] : series) {
    json::array data;
    for (const auto& s : t) data.emplace_back(std::round(f(s) * 100) / 100);
    datasets.emplace_back(json::object{{"label", name}, {"data", data}, {"pointRadius", 0}, {"borderWidth", 2}});
  }
  return json::object{
      {"type", "line"},
      {"data", json::object{{"labels", labels}, {"datasets", datasets}}},
      {"options", json::object{{"maintainAspectRatio", false}, {"animation", false},
                               {"scales", json::object{{"x", json::object{{"title", json::object{{"display", true}, {"text", "second"}}}}},
                                                       {"y", json::object{{"beginAtZero", true}, {"title", json::object{{"display", true}, {"text", y_label}}}}}}}}}};
}

json::object phase_json(const Hw6PhaseSummary& p) {
  return {{"users", p.users}, {"seconds", p.seconds}, {"requests", p.requests}, {"errors", p.errors},
          {"rps", p.rps}, {"mean_ms", p.mean_ms}, {"p50_ms", p.p50_ms}, {"p95_ms", p.p95_ms},
          {"p99_ms", p.p99_ms}, {"max_ms", p.max_ms}, {"cpu_percent", p.cpu_percent}, {"rss_mb", p.rss_mb}};
}

}  // namespace

Result<Hw6BottleneckResult> run_hw6_bottleneck(const Hw6BottleneckOptions& o) {
  if (auto s = infra::prepare_dir(o.out_dir); !s) return s.error();
  auto port = pick_free_port();
  if (!port) return port.error();
  auto exe = o.scalelab.empty() ? self_executable() : o.scalelab;
  auto log = o.out_dir / "catalog.log";
  // One worker thread: the quota is on the process, and a quarter core does not
  // need two threads competing for it.
  auto catalog = Process::spawn({.argv = {exe.string(), "serve", "catalog", "--port", std::to_string(*port),
                                          "--threads", "1", "--log-level", "warn"},
                                 .log_file = log});
  if (!catalog) return catalog.error();
  if (auto up = wait_for_port("127.0.0.1", *port, std::chrono::seconds(30)); !up)
    return Error{ErrorKind::kUnavailable, fmt::format("catalog did not start: {}; see {}", up.error().message, log.string())};

  Hw6BottleneckResult result;
  std::unique_ptr<CpuLimit> limit;
  if (o.cpu_cores > 0) {
    auto applied = CpuLimit::apply(catalog->pid(), o.cpu_cores, "scalelab-hw6");
    if (applied) {
      limit = std::move(*applied);
      result.limited = true;
      result.limit = fmt::format("{} core: {}", o.cpu_cores, limit->how());
    } else {
      if (o.require_limit) return applied.error();
      result.limit = "NOT LIMITED: " + applied.error().message + " (the service ran on whole cores)";
    }
  } else {
    result.limit = "NOT LIMITED (--cpu 0)";
  }
  if (o.progress) std::fprintf(stderr, "hw6-bottleneck: catalog pid %d on port %u; %s\n", catalog->pid(), *port, result.limit.c_str());

  // One user, sequential: the latency of a single search.
  {
    http::ClientOptions co;
    co.port = *port;
    http::BlockingClient client(co);
    std::vector<double> single;
    for (int i = 0; i < 20; ++i) {
      auto t0 = Clock::now();
      auto r = client.get(search_target(static_cast<std::uint64_t>(i)), o.timeout);
      if (r && r->status == 200) single.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    if (single.empty()) return Error{ErrorKind::kUnavailable, "catalog did not answer a single search"};
    result.single_search_ms = quantile(single, 0.5);
  }

  int second = 0;
  for (int phase = 1; phase <= 2; ++phase) {
    const int users = phase == 1 ? o.users_1 : o.users_2;
    Hw6PhaseSummary& sum = phase == 1 ? result.phase_1 : result.phase_2;
    sum.users = users;
    // The load engine's closed model: `users` users, no wait, all at once.
    load::Scenario s;
    s.name = fmt::format("hw6 phase {}", phase);
    s.host = fmt::format("http://127.0.0.1:{}", *port);
    s.tasks = {{.name = "search",
                .requests = {{.name = "GET /products/search",
                              .path = load::Template::compile(search_template()).value(),
                              .expect = {200}}}}};
    s.users = static_cast<unsigned>(users);
    s.duration = std::chrono::duration_cast<load::Micros>(phase == 1 ? o.duration_1 : o.duration_2);
    s.timeout = std::chrono::duration_cast<load::Micros>(o.timeout);
    s.seed = static_cast<std::uint64_t>(phase);
    auto last = read_proc(catalog->pid());
    auto last_t = Clock::now();
    load::RunOptions ro;
    ro.on_progress = [&](const load::Progress& p) {
      auto now = Clock::now();
      auto stat = read_proc(catalog->pid());
      double wall = std::chrono::duration<double>(now - last_t).count();
      if (p.last && p.last->interval_s >= 0.999) {  // whole seconds only
        Hw6Second x;
        x.second = ++second;
        x.users = users;
        x.requests = p.last->requests;
        x.errors = p.last->failures;
        x.p50_ms = p.last->p50_ms;
        x.p95_ms = p.last->p95_ms;
        x.p99_ms = p.last->p99_ms;
        x.cpu_percent = wall > 0 ? 100.0 * (stat.cpu_s - last.cpu_s) / wall : 0;
        x.rss_mb = stat.rss_mb;
        result.timeline.push_back(x);
        if (o.progress)
          std::fprintf(stderr, "  t=%3ds users=%2d  %6.0f req/s  p50 %7.2f ms  p95 %7.2f ms  cpu %5.1f%%  rss %.1f MB\n",
                       x.second, users, p.last->rps(), x.p50_ms, x.p95_ms, x.cpu_percent, x.rss_mb);
      }
      last = stat;
      last_t = now;
    };
    auto report = load::run(s, ro);
    if (!report) return report.error();
    const load::RequestStats& all = report->aggregate;
    sum.seconds = report->elapsed_s;
    sum.requests = all.count;
    sum.errors = all.failures;
    sum.rps = sum.seconds > 0 ? static_cast<double>(all.count - all.failures) / sum.seconds : 0;
    sum.mean_ms = all.mean_ms();
    sum.p50_ms = all.quantile_ms(0.5);
    sum.p95_ms = all.quantile_ms(0.95);
    sum.p99_ms = all.quantile_ms(0.99);
    sum.max_ms = all.quantile_ms(1.0);
    double cpu = 0;
    int n = 0;
    for (const auto& x : result.timeline)
      if (x.users == users) {
        cpu += x.cpu_percent;
        ++n;
        sum.rss_mb = x.rss_mb;
      }
    sum.cpu_percent = n > 0 ? cpu / n : 0;
  }
  if (limit) result.throttled_periods = limit->throttled_periods();
  catalog->stop();
  limit.reset();

  std::string csv = "second,users,requests,errors,p50_ms,p95_ms,p99_ms,cpu_percent,rss_mb\n";
  for (const auto& s : result.timeline)
    csv += fmt::format("{},{},{},{},{:.3f},{:.3f},{:.3f},{:.1f},{:.1f}\n", s.second, s.users, s.requests, s.errors,
                       s.p50_ms, s.p95_ms, s.p99_ms, s.cpu_percent, s.rss_mb);
  result.csv = o.out_dir / "timeline.csv";
  if (auto w = report::write_file(result.csv, csv); !w) return w.error();
  json::object summary{{"experiment", "hw6-bottleneck"}, {"limit", result.limit}, {"limited", result.limited},
                       {"cpu_cores", o.cpu_cores}, {"single_search_ms", result.single_search_ms},
                       {"throttled_periods", result.throttled_periods},
                       {"phase_1", phase_json(result.phase_1)}, {"phase_2", phase_json(result.phase_2)}};
  result.json = o.out_dir / "summary.json";
  if (auto w = report::write_file(result.json, to_json(summary) + "\n"); !w) return w.error();

  report::HtmlReport page("hw6 part II: a CPU bottleneck");
  page.paragraph(fmt::format(
      "One catalog instance (a separate process, one worker thread) serving GET /products/search, where each "
      "search checks exactly 100 of 100,000 products. CPU limit: {}. Load: {} then {} closed-loop users with no "
      "wait between requests (scalelab load's closed model; the course used Locust).", result.limit, o.users_1, o.users_2));
  auto ms = [](double v) { return fmt::format("{:.2f} ms", v); };
  page.table({"", fmt::format("{} users", o.users_1), fmt::format("{} users", o.users_2), "course"},
               {{"duration", fmt::format("{:.0f} s", result.phase_1.seconds), fmt::format("{:.0f} s", result.phase_2.seconds), "2 min, then 3 min"},
                {"requests (errors)", fmt::format("{} ({})", result.phase_1.requests, result.phase_1.errors),
                 fmt::format("{} ({})", result.phase_2.requests, result.phase_2.errors), ""},
                {"throughput", fmt::format("{:.0f} req/s", result.phase_1.rps), fmt::format("{:.0f} req/s", result.phase_2.rps), ""},
                {"service CPU (of one core)", fmt::format("{:.1f}%", result.phase_1.cpu_percent),
                 fmt::format("{:.1f}%", result.phase_2.cpu_percent), "~60% of its quarter core, then near 100%"},
                {"median latency", ms(result.phase_1.p50_ms), ms(result.phase_2.p50_ms), "slower responses at 20 users"},
                {"p95 latency", ms(result.phase_1.p95_ms), ms(result.phase_2.p95_ms), ""},
                {"p99 latency", ms(result.phase_1.p99_ms), ms(result.phase_2.p99_ms), ""},
                {"resident memory at end", fmt::format("{:.1f} MB", result.phase_1.rss_mb), fmt::format("{:.1f} MB", result.phase_2.rss_mb), "flat"},
                {"one search, one user (median)", ms(result.single_search_ms), "", "under 20 ms"}});
  // The reading follows the numbers: whether the service reached its quota
  // decides what the bottleneck was.
  double quota_percent = o.cpu_cores * 100;
  auto at_limit = [&](const Hw6PhaseSummary& p) { return result.limited && p.cpu_percent >= 0.8 * quota_percent; };
  std::string cpu_reading;
  if (!result.limited) {
    cpu_reading = "No CPU limit could be applied here, so this run shows the unthrottled service.";
  } else if (at_limit(result.phase_1) && at_limit(result.phase_2)) {
    cpu_reading = fmt::format(
        "The service's CPU sat at its limit of {:.0f}% of one core under both loads ({:.1f}% and {:.1f}%): with no "
        "wait between requests, even {} users keep it busy for its whole quota (the course's users waited between "
        "requests, hence its ~60% at 5 users).",
        quota_percent, result.phase_1.cpu_percent, result.phase_2.cpu_percent, o.users_1);
  } else {
    cpu_reading = fmt::format(
        "The service did NOT reach its limit of {:.0f}% of one core ({:.1f}% and {:.1f}%): here the bottleneck was "
        "elsewhere (the in-lab load generator, or other work on this machine), so rerun on a quieter machine to see "
        "the quota bind.",
        quota_percent, result.phase_1.cpu_percent, result.phase_2.cpu_percent);
  }
  double rps_ratio = result.phase_1.rps > 0 ? result.phase_2.rps / result.phase_1.rps : 0;
  double p50_ratio = result.phase_1.p50_ms > 0 ? result.phase_2.p50_ms / result.phase_1.p50_ms : 0;
  page.paragraph(fmt::format(
      "Reading: {} Going from {} to {} users changed throughput {:.2f}x ({:.0f} -> {:.0f} req/s) and the median "
      "latency {:.1f}x ({:.2f} -> {:.2f} ms){}. Resident memory went from {:.1f} to {:.1f} MB. The kernel throttled "
      "the group in {} scheduling periods.",
      cpu_reading, o.users_1, o.users_2, rps_ratio, result.phase_1.rps, result.phase_2.rps, p50_ratio,
      result.phase_1.p50_ms, result.phase_2.p50_ms,
      rps_ratio < 1.2 && p50_ratio > 1.5 ? ": a saturated server does not serve more users faster, they queue" : "",
      result.phase_1.rss_mb, result.phase_2.rss_mb, result.throttled_periods));
  page.chart("Service CPU, % of one core", line_chart(result.timeline, {{"cpu %", [](const Hw6Second& s) { return s.cpu_percent; }}}, "% of one core"));
  page.chart("Requests completed per second", line_chart(result.timeline, {{"req/s", [](const Hw6Second& s) { return static_cast<double>(s.requests); }}}, "requests"));
  page.chart("Latency per second", line_chart(result.timeline, {{"p50", [](const Hw6Second& s) { return s.p50_ms; }},
                                                                  {"p95", [](const Hw6Second& s) { return s.p95_ms; }},
                                                                  {"p99", [](const Hw6Second& s) { return s.p99_ms; }}}, "ms"));
  page.chart("Resident memory", line_chart(result.timeline, {{"MB", [](const Hw6Second& s) { return s.rss_mb; }}}, "MB"));
  page.link("timeline.csv", "timeline.csv");
  page.link("summary.json", "summary.json");
  result.report = o.out_dir / "report.html";
  if (auto w = page.write(result.report); !w) return w.error();
  return result;
}

}  // namespace scalelab::lab
