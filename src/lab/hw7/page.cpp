// The hw7 page: the verdict, then one section per part, each with its
// table, the course's numbers in words and its charts.
#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "lab/hw7/internal.h"

namespace scalelab::lab::hw7_detail {

namespace {

namespace json = boost::json;

// At most ~400 points per line keeps the page light.
constexpr std::size_t kMaxLinePoints = 400;

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

json::array timeline_points(const Hw7AsyncRun& r, double (*f)(const Hw7Point&)) {
  json::array data;
  std::size_t step = std::max<std::size_t>(1, r.timeline.size() / kMaxLinePoints);
  for (std::size_t i = 0; i < r.timeline.size(); i += step)
    data.emplace_back(json::object{{"x", round2(r.timeline[i].t_s)}, {"y", round2(f(r.timeline[i]))}});
  return data;
}

void intro(report::HtmlReport& page, const Hw7Result& r) {
  const Hw7Options& o = r.options;
  page.paragraph(fmt::format(
      "Everything ran in one process: the orders service, an in-process store, the {} broker, the queue workers or "
      "the function runner, and the load generator. Payment verification takes {} and the sync path's processor "
      "verifies one order at a time (a slot of capacity 1); a sync order waits at most {} for it, then gets 503. "
      "Time scale {}: every duration was multiplied by {} and every rate divided by it, so counts (orders, queue "
      "depth, workers needed = rate x delay) are those of the full-scale experiment while the wall time is {}x "
      "shorter. Times below are in course units (full-scale seconds) unless marked wall; accept latency and CPU are "
      "real (wall) costs and are not scaled. Load average at the end: {}.",
      r.broker, fmt_s(seconds(o.payment_delay)), fmt_s(seconds(o.sync_wait)), o.time_scale, o.time_scale,
      fmt::format("{:.0f}", 1 / o.time_scale), r.load_average));
  page.heading("Verdict");
  for (const auto& line : r.verdict) page.paragraph(line);
}

void sync_section(report::HtmlReport& page, const Hw7Result& r) {
  const Hw7Options& o = r.options;
  page.heading("1. Sync: POST /orders/sync");
  std::vector<std::vector<std::string>> rows;
  for (const auto* p : {r.normal ? &*r.normal : nullptr, r.flash ? &*r.flash : nullptr}) {
    if (!p) continue;
    rows.push_back({std::string(to_string(p->load)), fmt::format("{}", p->users), fmt_s(p->duration_s), fmt::format("{}", p->answered()),
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
    const std::string name(to_string(p->load));
    datasets.emplace_back(json::object{{"label", name + ": completed"}, {"data", std::move(ok)}, {"pointRadius", 3}});
    datasets.emplace_back(json::object{{"label", name + ": failed (503 or error)"}, {"data", std::move(bad)},
                                       {"pointRadius", 3}, {"pointStyle", "crossRot"}});
  }
  page.chart("Sync response time by the time the order was sent (each point an order)",
             xy_chart("scatter", std::move(datasets), "sent at (s since the phase began)", "response time (s)"));
}

// Queue depth and orders done over time, and the accept latency, per run.
void async_charts(report::HtmlReport& page, const std::vector<const Hw7AsyncRun*>& main_runs) {
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
}

void async_section(report::HtmlReport& page, const Hw7Result& r) {
  const Hw7Options& o = r.options;
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
  async_charts(page, main_runs);
}

// The flash load against the last async run, the minimum that kept up and
// the functions.
void side_by_side(report::HtmlReport& page, const Hw7Result& r) {
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

void search_section(report::HtmlReport& page, const Hw7Result& r) {
  const Hw7Options& o = r.options;
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

void functions_section(report::HtmlReport& page, const Hw7Result& r) {
  const Hw7Options& o = r.options;
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

void cost_section(report::HtmlReport& page, const Hw7Result& r) {
  const Hw7Options& o = r.options;
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

void differences(report::HtmlReport& page) {
  page.heading("How this differs from the course");
  page.paragraph(
      "The course ran on AWS: ECS tasks behind a load balancer, SNS + SQS (visibility 30 s, long poll 20 s, up to 10 "
      "messages per receive), Lambda, Locust. Here one process holds the service, the store and the broker "
      "(in-process, or RabbitMQ with a quorum queue, publisher confirms and manual acks), the workers are threads "
      "each verifying one order at a time, the function runner simulates instances, cold starts and billing, and the "
      "load engine's open model sends orders on schedule. Time is scaled; counts are not.");
}

}  // namespace

report::HtmlReport build_page(const Hw7Result& r) {
  report::HtmlReport page("hw7: the flash sale, synchronous vs asynchronous orders");
  intro(page, r);
  if (r.normal || r.flash) sync_section(page, r);
  if (!r.async.empty() || r.functions) {
    async_section(page, r);
    if (r.flash) side_by_side(page, r);
  }
  if (r.search) search_section(page, r);
  if (r.functions && r.functions->functions) functions_section(page, r);
  if (r.cost) cost_section(page, r);
  if (r.kill_node) kill_section(page, *r.kill_node);
  differences(page);
  return page;
}

}  // namespace scalelab::lab::hw7_detail
