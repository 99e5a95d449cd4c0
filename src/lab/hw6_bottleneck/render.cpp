#include <functional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "lab/hw6_bottleneck/hw6_bottleneck.h"
#include "report/charts.h"
#include "report/output.h"

namespace scalelab::lab {

namespace json = boost::json;

namespace {

// A phase whose mean CPU is at least this share of the quota "reached" it:
// per-second sampling and scheduling jitter keep it a little below 100%.
constexpr double kAtQuota = 0.8;
// Throughput grew less than this factor while the median grew more than
// kQueued: the extra users only queued.
constexpr double kFlatThroughput = 1.2;
constexpr double kQueued = 1.5;

using Series = std::vector<std::pair<std::string, std::function<double(const Hw6Second&)>>>;

// Where the user count changes (phase 2 begins): between the last second of
// the old count and the first of the new one.
std::vector<report::Marker> user_steps(const std::vector<Hw6Second>& t) {
  std::vector<report::Marker> markers;
  for (std::size_t i = 1; i < t.size(); ++i)
    if (t[i].users != t[i - 1].users)
      markers.push_back({(t[i - 1].second + t[i].second) / 2.0, fmt::format("{} users", t[i].users)});
  return markers;
}

json::value line_chart(const std::vector<Hw6Second>& t, const Series& series, const std::string& y_label) {
  std::vector<double> seconds;
  for (const auto& s : t) seconds.push_back(s.second);
  std::vector<report::LineSeries> lines;
  for (const auto& [name, f] : series) {
    lines.push_back({.label = name});
    for (const auto& s : t) lines.back().values.push_back(f(s));
  }
  auto config = report::line_chart(seconds, lines, "second", y_label);
  report::add_markers(config, user_steps(t));
  return config;
}

json::object phase_json(const Hw6PhaseSummary& p) {
  return {{"users", p.users}, {"seconds", p.seconds}, {"requests", p.requests}, {"errors", p.errors},
          {"rps", p.rps}, {"mean_ms", p.mean_ms}, {"p50_ms", p.p50_ms}, {"p95_ms", p.p95_ms},
          {"p99_ms", p.p99_ms}, {"max_ms", p.max_ms}, {"cpu_percent", p.cpu_percent}, {"rss_mb", p.rss_mb}};
}

json::object summary_json(const Hw6BottleneckResult& r) {
  return {{"experiment", "hw6-bottleneck"}, {"limit", r.limit}, {"limited", r.limited},
          {"cpu_cores", r.cpu_cores}, {"single_search_ms", r.single_search_ms},
          {"throttled_periods", r.throttled_periods},
          {"phase_1", phase_json(r.phase_1)}, {"phase_2", phase_json(r.phase_2)}};
}

std::string timeline_csv(const std::vector<Hw6Second>& timeline) {
  std::string csv = "second,users,requests,errors,p50_ms,p95_ms,p99_ms,cpu_percent,rss_mb\n";
  for (const auto& s : timeline)
    csv += fmt::format("{},{},{},{},{:.3f},{:.3f},{:.3f},{:.1f},{:.1f}\n", s.second, s.users, s.requests, s.errors,
                       s.p50_ms, s.p95_ms, s.p99_ms, s.cpu_percent, s.rss_mb);
  return csv;
}

void add_figures(report::HtmlReport& page, const Hw6BottleneckResult& r) {
  const auto& a = r.phase_1;
  const auto& b = r.phase_2;
  page.paragraph(fmt::format(
      "One catalog instance (a separate process, one worker thread) serving GET /products/search, where each "
      "search checks exactly 100 of 100,000 products. CPU limit: {}. Load: {} then {} closed-loop users with no "
      "wait between requests (scalelab load's closed model; the course used Locust).",
      r.limit, a.users, b.users));
  auto ms = [](double v) { return fmt::format("{:.2f} ms", v); };
  page.table({"", fmt::format("{} users", a.users), fmt::format("{} users", b.users), "course"},
             {{"duration", fmt::format("{:.0f} s", a.seconds), fmt::format("{:.0f} s", b.seconds), "2 min, then 3 min"},
              {"requests (errors)", fmt::format("{} ({})", a.requests, a.errors),
               fmt::format("{} ({})", b.requests, b.errors), ""},
              {"throughput", fmt::format("{:.0f} req/s", a.rps), fmt::format("{:.0f} req/s", b.rps), ""},
              {"service CPU (of one core)", fmt::format("{:.1f}%", a.cpu_percent), fmt::format("{:.1f}%", b.cpu_percent),
               "~60% of its quarter core, then near 100%"},
              {"median latency", ms(a.p50_ms), ms(b.p50_ms), "slower responses at 20 users"},
              {"p95 latency", ms(a.p95_ms), ms(b.p95_ms), ""},
              {"p99 latency", ms(a.p99_ms), ms(b.p99_ms), ""},
              {"resident memory at end", fmt::format("{:.1f} MB", a.rss_mb), fmt::format("{:.1f} MB", b.rss_mb), "flat"},
              {"one search, one user (median)", ms(r.single_search_ms), "", "under 20 ms"}});
}

// Whether the service reached its quota decides what the bottleneck was.
std::string cpu_reading(const Hw6BottleneckResult& r) {
  if (!r.limited) return "No CPU limit could be applied here, so this run shows the unthrottled service.";
  const double quota_percent = r.cpu_cores * 100;
  auto at_limit = [&](const Hw6PhaseSummary& p) { return p.cpu_percent >= kAtQuota * quota_percent; };
  if (at_limit(r.phase_1) && at_limit(r.phase_2))
    return fmt::format(
        "The service's CPU sat at its limit of {:.0f}% of one core under both loads ({:.1f}% and {:.1f}%): with no "
        "wait between requests, even {} users keep it busy for its whole quota (the course's users waited between "
        "requests, hence its ~60% at 5 users).",
        quota_percent, r.phase_1.cpu_percent, r.phase_2.cpu_percent, r.phase_1.users);
  return fmt::format(
      "The service did NOT reach its limit of {:.0f}% of one core ({:.1f}% and {:.1f}%): here the bottleneck was "
      "elsewhere (the in-lab load generator, or other work on this machine), so rerun on a quieter machine to see "
      "the quota bind.",
      quota_percent, r.phase_1.cpu_percent, r.phase_2.cpu_percent);
}

void add_reading(report::HtmlReport& page, const Hw6BottleneckResult& r) {
  const auto& a = r.phase_1;
  const auto& b = r.phase_2;
  const double rps_ratio = a.rps > 0 ? b.rps / a.rps : 0;
  const double p50_ratio = a.p50_ms > 0 ? b.p50_ms / a.p50_ms : 0;
  page.paragraph(fmt::format(
      "Reading: {} Going from {} to {} users changed throughput {:.2f}x ({:.0f} -> {:.0f} req/s) and the median "
      "latency {:.1f}x ({:.2f} -> {:.2f} ms){}. Resident memory went from {:.1f} to {:.1f} MB. The kernel throttled "
      "the group in {} scheduling periods.",
      cpu_reading(r), a.users, b.users, rps_ratio, a.rps, b.rps, p50_ratio, a.p50_ms, b.p50_ms,
      rps_ratio < kFlatThroughput && p50_ratio > kQueued ? ": a saturated server does not serve more users faster, they queue"
                                                         : "",
      a.rss_mb, b.rss_mb, r.throttled_periods));
}

void add_charts(report::HtmlReport& page, const std::vector<Hw6Second>& t) {
  page.chart("Service CPU, % of one core",
             line_chart(t, {{"cpu %", [](const Hw6Second& s) { return s.cpu_percent; }}}, "% of one core"));
  page.chart("Requests completed per second",
             line_chart(t, {{"req/s", [](const Hw6Second& s) { return static_cast<double>(s.requests); }}}, "requests"));
  page.chart("Latency per second", line_chart(t,
                                              {{"p50", [](const Hw6Second& s) { return s.p50_ms; }},
                                               {"p95", [](const Hw6Second& s) { return s.p95_ms; }},
                                               {"p99", [](const Hw6Second& s) { return s.p99_ms; }}},
                                              "ms"));
  page.chart("Resident memory", line_chart(t, {{"MB", [](const Hw6Second& s) { return s.rss_mb; }}}, "MB"));
}

}  // namespace

Result<Hw6BottleneckFiles> render_hw6_bottleneck(const Hw6BottleneckResult& result,
                                                 const std::filesystem::path& out_dir) {
  report::Output out(out_dir);
  Hw6BottleneckFiles files;
  auto csv = out.data("timeline.csv", timeline_csv(result.timeline), "timeline.csv");
  if (!csv) return csv.error();
  files.csv = *csv;
  auto json_file = out.summary(summary_json(result));
  if (!json_file) return json_file.error();
  files.json = *json_file;
  report::HtmlReport page("hw6 part II: a CPU bottleneck");
  add_figures(page, result);
  add_reading(page, result);
  add_charts(page, result.timeline);
  auto html = out.page(page);
  if (!html) return html.error();
  files.report = *html;
  return files;
}

}  // namespace scalelab::lab
