#include "load/html_report.h"

#include <cmath>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "report/charts.h"

namespace scalelab::load {

namespace json = boost::json;

namespace {


std::string ms(double v) { return fmt::format("{:.2f} ms", v); }

json::object axis(const std::string& title, bool log = false) {
  json::object a{{"title", json::object{{"display", true}, {"text", title}}}};
  if (log) a["type"] = "logarithmic";
  else a["beginAtZero"] = true;
  return a;
}

json::object line_dataset(const std::string& label, json::array data, const char* color, const char* axis_id = "y") {
  return json::object{{"label", label},       {"data", std::move(data)}, {"borderColor", color},
                      {"backgroundColor", color}, {"pointRadius", 0},     {"borderWidth", 2},
                      {"yAxisID", axis_id}};
}

json::object chart(const char* type, json::array datasets, json::object scales) {
  return json::object{{"type", type},
                      {"data", json::object{{"datasets", std::move(datasets)}}},
                      {"options", json::object{{"maintainAspectRatio", false},
                                               {"animation", false},
                                               {"parsing", false},
                                               {"scales", std::move(scales)}}}};
}

}  // namespace

json::value throughput_chart(const std::vector<std::pair<std::string, const load::Report*>>& runs) {
  json::array sets;
  std::size_t c = 0;
  for (const auto& [label, r] : runs) {
    json::array rps, users;
    for (const auto& p : r->series) {
      rps.push_back(json::object{{"x", std::round(p.t_s * 10) / 10}, {"y", std::round(p.rps())}});
      users.push_back(json::object{{"x", std::round(p.t_s * 10) / 10}, {"y", p.users}});
    }
    const std::string prefix = runs.size() > 1 ? label + ": " : "";
    sets.push_back(line_dataset(prefix + "requests/s", std::move(rps), report::chart_color(c)));
    auto u = line_dataset(prefix + (r->model == load::Model::kClosed ? "users" : "in flight"), std::move(users),
                          report::chart_color(c + 3), "y1");
    u["borderDash"] = json::array{4, 4};
    sets.push_back(std::move(u));
    ++c;
  }
  json::object y1 = axis("users");
  y1["position"] = "right";
  return chart("line", std::move(sets),
               json::object{{"x", json::object{{"type", "linear"}, {"title", json::object{{"display", true}, {"text", "time (s)"}}}}},
                            {"y", axis("requests/s")},
                            {"y1", y1}});
}

json::value latency_over_time_chart(const load::Report& r) {
  json::array p50, p95, p99;
  for (const auto& p : r.series) {
    if (!p.requests) continue;
    const double x = std::round(p.t_s * 10) / 10;
    p50.push_back(json::object{{"x", x}, {"y", p.p50_ms}});
    p95.push_back(json::object{{"x", x}, {"y", p.p95_ms}});
    p99.push_back(json::object{{"x", x}, {"y", p.p99_ms}});
  }
  json::array sets{line_dataset("p50", std::move(p50), report::chart_color(0)), line_dataset("p95", std::move(p95), report::chart_color(3)),
                   line_dataset("p99", std::move(p99), report::chart_color(1))};
  return chart("line", std::move(sets),
               json::object{{"x", json::object{{"type", "linear"}, {"title", json::object{{"display", true}, {"text", "time (s)"}}}}},
                            {"y", axis("latency (ms)")}});
}

json::value latency_distribution_chart(const std::vector<std::pair<std::string, const load::Report*>>& runs) {
  // The share of requests at or below each latency (a CDF from the
  // histogram's buckets), on a log axis so the tail is visible.
  json::array sets;
  std::size_t c = 0;
  for (const auto& [label, r] : runs) {
    const auto& h = r->aggregate.latency_us;
    json::array pts;
    std::uint64_t seen = 0;
    const double total = static_cast<double>(std::max<std::uint64_t>(1, h.count()));
    double last_x = -1;
    h.for_each_bucket([&](std::uint64_t, std::uint64_t upper, std::uint64_t n) {
      seen += n;
      const double x = static_cast<double>(upper) / 1000.0;
      // Thin the points: at most one per 2% step in latency.
      if (last_x > 0 && x < last_x * 1.02 && seen < h.count()) return;
      last_x = x;
      pts.push_back(json::object{{"x", std::max(x, 0.001)}, {"y", 100.0 * static_cast<double>(seen) / total}});
    });
    auto ds = line_dataset(label, std::move(pts), report::chart_color(c++));
    ds["stepped"] = true;
    sets.push_back(std::move(ds));
  }
  return chart("line", std::move(sets),
               json::object{{"x", json::object{{"type", "logarithmic"}, {"title", json::object{{"display", true}, {"text", "latency (ms, log scale)"}}}}},
                            {"y", axis("% of requests at or below")}});
}

void add_load_sections(report::HtmlReport& page, const load::Report& r, const std::vector<load::ThresholdResult>& thresholds) {
  page.paragraph(fmt::format("Scenario '{}' against {}: {} model, {} client, {} generator thread(s), {:.1f} s.",
                             r.scenario, r.host, to_string(r.model), to_string(r.client), r.threads, r.elapsed_s));
  std::vector<std::vector<std::string>> rows;
  auto row = [&](const load::RequestStats& s) {
    rows.push_back({s.method.empty() ? s.name : s.method + " " + (s.name.starts_with(s.method + " ") ? s.name.substr(s.method.size() + 1) : s.name),
                    fmt::format("{}", s.count), fmt::format("{}", s.failures),
                    fmt::format("{:.1f}", r.elapsed_s > 0 ? static_cast<double>(s.count) / r.elapsed_s : 0),
                    ms(s.mean_ms()), ms(s.quantile_ms(0.5)), ms(s.quantile_ms(0.95)), ms(s.quantile_ms(0.99)),
                    ms(s.quantile_ms(0.999)), ms(static_cast<double>(s.latency_us.max()) / 1000.0)});
  };
  for (const auto& s : r.requests) row(s);
  if (r.requests.size() > 1) row(r.aggregate);
  page.table({"request", "count", "failures", "req/s", "mean", "p50", "p95", "p99", "p99.9", "max"}, rows);
  if (r.aggregate.failures) {
    std::vector<std::vector<std::string>> f;
    for (const auto& s : r.requests)
      for (const auto& [reason, n] : s.failures_by_reason) f.push_back({s.name, reason, fmt::format("{}", n)});
    page.heading("Failures by reason");
    page.table({"request", "reason", "occurrences"}, f);
  }
  if (r.model == load::Model::kOpen)
    page.paragraph(fmt::format(
        "Open model: {} arrivals; {} started more than 1 ms after their intended time (their latency counts from "
        "the intended time, so waiting for the server is not hidden); the largest start lag was {:.1f} ms; {} "
        "were unfinished or never started when the run ended.",
        r.arrivals, r.late_starts, r.max_start_lag_ms, r.unfinished));
  if (!r.edits.empty()) {
    std::vector<std::vector<std::string>> e;
    for (const auto& x : r.edits)
      e.push_back({fmt::format("{:.1f} s", x.t_s),
                   r.model == load::Model::kClosed
                       ? fmt::format("{} users, spawn rate {:g}/s{}", x.users, x.spawn_rate,
                                     x.spawn_rate > 0 ? "" : " (at once)")
                       : fmt::format("arrival rate {:g}/s", x.rate)});
    page.heading("Changes during the run");
    page.table({"at", "load from then on"}, e);
  }
  if (!thresholds.empty()) {
    std::vector<std::vector<std::string>> t;
    for (const auto& x : thresholds)
      t.push_back({x.rule.text, fmt::format("{:.3f}", x.actual), x.pass ? "pass" : "FAIL"});
    page.heading("Thresholds");
    page.table({"rule", "measured", "result"}, t);
  }
  page.heading("Self-check");
  if (r.check.trustworthy)
    page.paragraph(fmt::format("Trustworthy: the generator's busiest thread used {:.0f}% of a core{}.",
                               100 * r.check.generator_busy,
                               r.model == load::Model::kOpen ? " and the arrival schedule kept time" : ""));
  else
    for (const auto& why : r.check.reasons) page.paragraph("NOT TRUSTWORTHY: " + why);
  // Each change of the load while it ran, where it happened.
  std::vector<report::Marker> changes;
  for (const auto& x : r.edits)
    changes.push_back({x.t_s, r.model == load::Model::kClosed ? fmt::format("{} users", x.users)
                                                               : fmt::format("{:g}/s", x.rate)});
  auto throughput = throughput_chart({{r.scenario, &r}});
  report::add_markers(throughput, changes);
  page.chart("Requests per second (solid) and active users (dashed) over time", throughput);
  auto latency = latency_over_time_chart(r);
  report::add_markers(latency, changes);
  page.chart("Latency percentiles per second", latency);
  page.chart("Latency distribution: share of requests at or below each latency",
             latency_distribution_chart({{"all requests", &r}}));
}

namespace {

// What a generator was given, as it ran: its users (closed model) or the
// iterations it started per second (open model).
std::string generator_load(const load::Report& r) {
  if (r.model == load::Model::kClosed) return fmt::format("{} users", r.peak_users);
  return fmt::format("{:.1f} started/s", r.elapsed_s > 0 ? static_cast<double>(r.arrivals) / r.elapsed_s : 0);
}

}  // namespace

void add_generator_section(report::HtmlReport& page, const std::vector<GeneratorRow>& generators) {
  if (generators.empty()) return;
  std::size_t lost = 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& g : generators) {
    if (!g.report) {
      ++lost;
      rows.push_back({g.name, "lost mid-run", "-", "-", "-", "-", "-", "-", g.lost_reason});
      continue;
    }
    const auto& a = g.report->aggregate;
    rows.push_back({g.name, generator_load(*g.report), fmt::format("{}", a.count), fmt::format("{}", a.failures),
                    fmt::format("{:.1f}", g.report->rps()), ms(a.quantile_ms(0.5)), ms(a.quantile_ms(0.99)),
                    fmt::format("{:.2f} s", g.report->check.generator_cpu_s), "finished"});
  }
  page.heading("Generators");
  page.paragraph(fmt::format(
      "The run was split over {} generators ({} finished, {} lost); the tables and charts above merge the "
      "finished ones' histograms and series exactly{}.",
      generators.size(), generators.size() - lost, lost,
      lost ? ", so a lost generator's requests are missing from them" : ""));
  page.table({"generator", "load", "requests", "failures", "req/s", "p50", "p99", "generator CPU", "state"}, rows);
}

Status write_load_report(const load::Report& r, const std::filesystem::path& file,
                         const std::vector<load::ThresholdResult>& thresholds,
                         const std::vector<GeneratorRow>& generators) {
  report::HtmlReport page("scalelab load: " + r.scenario);
  add_load_sections(page, r, thresholds);
  add_generator_section(page, generators);
  return page.write(file);
}

}  // namespace scalelab::load
