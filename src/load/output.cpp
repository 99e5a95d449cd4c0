#include "load/output.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "core/json.h"
#include "core/text.h"

namespace scalelab::load {

namespace json = boost::json;

const char* const kLocustStatsHeader =
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
    "Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
    "99.99%,100%";
const char* const kLocustHistoryHeader =
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,"
    "Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,"
    "Total Min Response Time,Total Max Response Time,Total Average Content Size";
const char* const kLocustFailuresHeader = "Method,Name,Error,Occurrences";

namespace {

std::string fmt_ms(double ms) {
  if (ms >= 1000) return fmt::format("{:.2f}s", ms / 1000);
  if (ms >= 10) return fmt::format("{:.1f}ms", ms);
  return fmt::format("{:.2f}ms", ms);
}

json::object stats_json(const RequestStats& s, double elapsed) {
  json::object pct;
  for (double q : kLocustPercentiles) {
    std::string key = q == 1.0 ? "p100" : fmt::format("p{}", std::round(q * 10000) / 100);
    pct[key] = s.quantile_ms(q);
  }
  json::object failures;
  for (const auto& [reason, n] : s.failures_by_reason) failures[reason] = n;
  return json::object{{"name", s.name},
                      {"method", s.method},
                      {"requests", s.count},
                      {"failures", s.failures},
                      {"requests_per_s", elapsed > 0 ? static_cast<double>(s.count) / elapsed : 0.0},
                      {"failures_per_s", elapsed > 0 ? static_cast<double>(s.failures) / elapsed : 0.0},
                      {"min_ms", static_cast<double>(s.latency_us.min()) / 1000.0},
                      {"mean_ms", s.mean_ms()},
                      {"median_ms", s.quantile_ms(0.5)},
                      {"max_ms", static_cast<double>(s.latency_us.max()) / 1000.0},
                      {"avg_content_bytes", s.count ? static_cast<double>(s.bytes) / static_cast<double>(s.count) : 0.0},
                      {"percentiles_ms", pct},
                      {"failures_by_reason", failures}};
}

void append_stats_row(std::string& out, const RequestStats& s, double elapsed) {
  const double rps = elapsed > 0 ? static_cast<double>(s.count) / elapsed : 0;
  const double fps = elapsed > 0 ? static_cast<double>(s.failures) / elapsed : 0;
  // Locust prints response times in whole ms for the percentiles and the
  // median, with decimals for the average.
  fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{},{},{},{},{}", core::csv_field(s.method),
                 core::csv_field(s.name), s.count, s.failures, std::lround(s.quantile_ms(0.5)), s.mean_ms(),
                 static_cast<double>(s.latency_us.min()) / 1000.0, static_cast<double>(s.latency_us.max()) / 1000.0,
                 s.count ? static_cast<double>(s.bytes) / static_cast<double>(s.count) : 0.0, rps, fps);
  for (double q : kLocustPercentiles) {
    if (s.count) fmt::format_to(std::back_inserter(out), ",{}", std::lround(s.quantile_ms(q)));
    else out += ",N/A";
  }
  out += '\n';
}

}  // namespace

std::string progress_line(const Progress& p) {
  const double rps = p.last ? p.last->rps() : 0;
  const double err = p.total_requests ? 100.0 * static_cast<double>(p.total_failures) / static_cast<double>(p.total_requests) : 0;
  return fmt::format("{:6.1f}s  users {:>5}  rps {:>8.0f}  p50 {:>8}  p99 {:>8}  requests {:>9}  errors {} ({:.2f}%)",
                     p.elapsed_s, p.users, rps, fmt_ms(p.last ? p.last->p50_ms : 0),
                     fmt_ms(p.last ? p.last->p99_ms : 0), p.total_requests, p.total_failures, err);
}

std::string summary_table(const Report& r) {
  std::string out;
  fmt::format_to(std::back_inserter(out), "scenario {} against {}: {} model, {} client, {:.1f} s\n", r.scenario, r.host,
                 to_string(r.model), to_string(r.client), r.elapsed_s);
  fmt::format_to(std::back_inserter(out), "{:<32} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "name",
                 "requests", "fails", "req/s", "mean", "p50", "p95", "p99", "p99.9", "max");
  auto row = [&](const RequestStats& s) {
    std::string name = s.method.empty() ? s.name : s.name;
    if (name.size() > 32) name = name.substr(0, 29) + "...";
    fmt::format_to(std::back_inserter(out), "{:<32} {:>9} {:>7} {:>9.1f} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", name,
                   s.count, s.failures, r.elapsed_s > 0 ? static_cast<double>(s.count) / r.elapsed_s : 0,
                   fmt_ms(s.mean_ms()), fmt_ms(s.quantile_ms(0.5)), fmt_ms(s.quantile_ms(0.95)),
                   fmt_ms(s.quantile_ms(0.99)), fmt_ms(s.quantile_ms(0.999)),
                   fmt_ms(static_cast<double>(s.latency_us.max()) / 1000.0));
  };
  for (const auto& s : r.requests) row(s);
  if (r.requests.size() > 1) row(r.aggregate);
  if (r.aggregate.failures) {
    out += "failures:\n";
    for (const auto& s : r.requests)
      for (const auto& [reason, n] : s.failures_by_reason)
        fmt::format_to(std::back_inserter(out), "  {:>9}  {}: {}\n", n, s.name, reason);
  }
  if (r.model == Model::kOpen)
    fmt::format_to(std::back_inserter(out),
                   "open model: {} arrivals, {} started late (> 1 ms after their intended time; latency counts from "
                   "it), max start lag {}, {} not finished or never started at the end\n",
                   r.arrivals, r.late_starts, fmt_ms(r.max_start_lag_ms), r.unfinished);
  fmt::format_to(std::back_inserter(out), "generator: busiest thread {:.0f}% of a core, {:.2f} s CPU in all\n",
                 100 * r.check.generator_busy, r.check.generator_cpu_s);
  if (!r.check.trustworthy) {
    out += "NOT TRUSTWORTHY:\n";
    for (const auto& why : r.check.reasons) out += "  - " + why + "\n";
  }
  return out;
}

std::string report_json(const Report& r, const std::vector<ThresholdResult>& thresholds) {
  json::array rows;
  for (const auto& s : r.requests) rows.push_back(stats_json(s, r.elapsed_s));
  json::array series;
  for (const auto& p : r.series)
    series.push_back(json::object{{"t_s", p.t_s},
                                  {"users", p.users},
                                  {"interval_s", p.interval_s},
                                  {"requests", p.requests},
                                  {"failures", p.failures},
                                  {"late_starts", p.late_starts},
                                  {"p50_ms", p.p50_ms},
                                  {"p95_ms", p.p95_ms},
                                  {"p99_ms", p.p99_ms},
                                  {"max_ms", p.max_ms},
                                  {"arrival_rate", p.arrival_rate}});
  json::array edits;  // changes made while it ran (the live dashboard)
  for (const auto& e : r.edits)
    edits.push_back(r.model == Model::kClosed
                        ? json::object{{"t_s", e.t_s}, {"users", e.users}, {"spawn_rate", e.spawn_rate}}
                        : json::object{{"t_s", e.t_s}, {"rate", e.rate}});
  json::array reasons;
  for (const auto& why : r.check.reasons) reasons.emplace_back(why);
  json::array th;
  for (const auto& t : thresholds)
    th.push_back(json::object{{"rule", t.rule.text},
                              {"name", t.rule.name.empty() ? std::string("Aggregated") : t.rule.name},
                              {"actual", t.actual},
                              {"pass", t.pass}});
  json::object o{{"scenario", r.scenario},
                 {"host", r.host},
                 {"model", to_string(r.model)},
                 {"client", to_string(r.client)},
                 {"threads", r.threads},
                 {"elapsed_s", r.elapsed_s},
                 {"total_requests", r.aggregate.count},
                 {"failures", r.aggregate.failures},
                 {"requests_per_s", r.rps()},
                 {"error_rate", r.error_rate()},
                 {"peak_users", r.peak_users},
                 {"aggregate", stats_json(r.aggregate, r.elapsed_s)},
                 {"requests", rows},
                 {"open_model", json::object{{"arrivals", r.arrivals},
                                             {"late_starts", r.late_starts},
                                             {"generator_slips", r.generator_slips},
                                             {"max_start_lag_ms", r.max_start_lag_ms},
                                             {"unfinished", r.unfinished}}},
                 {"self_check", json::object{{"trustworthy", r.check.trustworthy},
                                             {"generator_busy", r.check.generator_busy},
                                             {"generator_cpu_s", r.check.generator_cpu_s},
                                             {"reasons", reasons}}},
                 {"thresholds", th},
                 {"edits", edits},
                 {"series", series}};
  return to_json(o) + "\n";
}

std::string locust_stats_csv(const Report& r) {
  std::string out = std::string(kLocustStatsHeader) + "\n";
  for (const auto& s : r.requests) append_stats_row(out, s, r.elapsed_s);
  append_stats_row(out, r.aggregate, r.elapsed_s);
  return out;
}

std::string locust_history_csv(const Report& r, double start_unix_s) {
  std::string out = std::string(kLocustHistoryHeader) + "\n";
  for (const auto& p : r.series) {
    fmt::format_to(std::back_inserter(out), "{},{},,Aggregated,{:.6f},{:.6f}",
                   static_cast<long long>(start_unix_s + p.t_s), p.users, p.rps(),
                   p.interval_s > 0 ? static_cast<double>(p.failures) / p.interval_s : 0.0);
    for (std::size_t i = 0; i < std::size(kLocustPercentiles); ++i) {
      if (p.requests) fmt::format_to(std::back_inserter(out), ",{}", std::lround(p.percentiles_ms[i]));
      else out += ",N/A";
    }
    fmt::format_to(std::back_inserter(out), ",{},{},{},{},{},{},{}\n", p.total_requests, p.total_failures,
                   std::lround(p.total_p50_ms), p.total_mean_ms, p.total_min_ms, p.total_max_ms, p.total_avg_bytes);
  }
  return out;
}

std::string locust_failures_csv(const Report& r) {
  std::string out = std::string(kLocustFailuresHeader) + "\n";
  for (const auto& s : r.requests)
    for (const auto& [reason, n] : s.failures_by_reason)
      fmt::format_to(std::back_inserter(out), "{},{},{},{}\n", core::csv_field(s.method), core::csv_field(s.name),
                     core::csv_field(reason), n);
  return out;
}

Status write_locust_csv(const Report& r, const std::string& prefix, double start_unix_s) {
  const std::pair<std::string, std::string> files[] = {
      {prefix + "_stats.csv", locust_stats_csv(r)},
      {prefix + "_stats_history.csv", locust_history_csv(r, start_unix_s)},
      {prefix + "_failures.csv", locust_failures_csv(r)}};
  for (const auto& [name, content] : files) {
    const auto parent = std::filesystem::path(name).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    std::ofstream f(name, std::ios::binary | std::ios::trunc);
    f << content;
    if (!f) return Error{ErrorKind::kInternal, "cannot write " + name};
  }
  return {};
}

}  // namespace scalelab::load
