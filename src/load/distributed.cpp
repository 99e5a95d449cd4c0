#include "load/distributed.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace scalelab::load {
namespace {

namespace json = boost::json;

// n split into `parts` shares: share `index` of it.
std::uint64_t split(std::uint64_t n, unsigned index, unsigned parts) {
  return n / parts + (index < n % parts ? 1 : 0);
}

double as_double(const json::value& v) { return json::value_to<double>(v); }
std::uint64_t as_u64(const json::value& v) { return static_cast<std::uint64_t>(std::llround(as_double(v))); }
std::string as_str(const json::value& v) { return json::value_to<std::string>(v); }

json::value histogram_json(const obs::LogLinearHistogram& h) {
  json::array buckets;
  h.for_each_bucket([&](std::uint64_t lower, std::uint64_t, std::uint64_t n) {
    buckets.emplace_back(json::array{lower, n});
  });
  return json::object{{"buckets", std::move(buckets)}, {"sum", h.sum()}, {"min", h.min()}, {"max", h.max()}};
}

obs::LogLinearHistogram histogram_from(const json::value& v) {
  const auto& o = v.as_object();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> buckets;
  for (const auto& b : o.at("buckets").as_array())
    buckets.emplace_back(as_u64(b.as_array().at(0)), as_u64(b.as_array().at(1)));
  return obs::LogLinearHistogram::restore(buckets, as_u64(o.at("sum")), as_u64(o.at("min")), as_u64(o.at("max")));
}

json::value stats_json(const RequestStats& r) {
  json::object reasons;
  for (const auto& [k, n] : r.failures_by_reason) reasons[k] = n;
  return json::object{{"name", r.name},         {"method", r.method},   {"count", r.count},
                      {"failures", r.failures}, {"bytes", r.bytes},     {"latency_us", histogram_json(r.latency_us)},
                      {"reasons", std::move(reasons)}};
}

RequestStats stats_from(const json::value& v) {
  const auto& o = v.as_object();
  RequestStats r;
  r.name = as_str(o.at("name"));
  r.method = as_str(o.at("method"));
  r.count = as_u64(o.at("count"));
  r.failures = as_u64(o.at("failures"));
  r.bytes = as_u64(o.at("bytes"));
  r.latency_us = histogram_from(o.at("latency_us"));
  for (const auto& [k, n] : o.at("reasons").as_object()) r.failures_by_reason[std::string(k)] = as_u64(n);
  return r;
}

json::value second_json(const SecondPoint& p) {
  return json::object{{"t_s", p.t_s},
                      {"interval_s", p.interval_s},
                      {"users", p.users},
                      {"requests", p.requests},
                      {"failures", p.failures},
                      {"late_starts", p.late_starts},
                      {"total_avg_bytes", p.total_avg_bytes},
                      {"total_requests", p.total_requests}};
}

SecondPoint second_from(const json::value& v) {
  const auto& o = v.as_object();
  SecondPoint p;
  p.t_s = as_double(o.at("t_s"));
  p.interval_s = as_double(o.at("interval_s"));
  p.users = static_cast<unsigned>(as_u64(o.at("users")));
  p.requests = as_u64(o.at("requests"));
  p.failures = as_u64(o.at("failures"));
  p.late_starts = as_u64(o.at("late_starts"));
  p.total_avg_bytes = as_double(o.at("total_avg_bytes"));
  p.total_requests = as_u64(o.at("total_requests"));
  return p;
}

json::value report_json_value(const Report& r) {
  json::array requests, series, reasons;
  for (const auto& q : r.requests) requests.emplace_back(stats_json(q));
  for (const auto& p : r.series) series.emplace_back(second_json(p));
  for (const auto& why : r.check.reasons) reasons.emplace_back(json::value(why));
  return json::object{{"scenario", r.scenario},
                      {"host", r.host},
                      {"source", r.source},
                      {"model", static_cast<int>(r.model)},
                      {"client", static_cast<int>(r.client)},
                      {"threads", r.threads},
                      {"elapsed_s", r.elapsed_s},
                      {"requests", std::move(requests)},
                      {"aggregate", stats_json(r.aggregate)},
                      {"series", std::move(series)},
                      {"peak_users", r.peak_users},
                      {"arrivals", r.arrivals},
                      {"late_starts", r.late_starts},
                      {"generator_slips", r.generator_slips},
                      {"max_start_lag_ms", r.max_start_lag_ms},
                      {"unfinished", r.unfinished},
                      {"trustworthy", r.check.trustworthy},
                      {"reasons", std::move(reasons)},
                      {"generator_busy", r.check.generator_busy},
                      {"generator_cpu_s", r.check.generator_cpu_s}};
}

Report report_from(const json::object& o) {
  Report r;
  r.scenario = as_str(o.at("scenario"));
  r.host = as_str(o.at("host"));
  r.source = as_str(o.at("source"));
  r.model = static_cast<Model>(as_u64(o.at("model")));
  r.client = static_cast<ClientKind>(as_u64(o.at("client")));
  r.threads = static_cast<unsigned>(as_u64(o.at("threads")));
  r.elapsed_s = as_double(o.at("elapsed_s"));
  for (const auto& q : o.at("requests").as_array()) r.requests.push_back(stats_from(q));
  r.aggregate = stats_from(o.at("aggregate"));
  for (const auto& p : o.at("series").as_array()) r.series.push_back(second_from(p));
  r.peak_users = static_cast<unsigned>(as_u64(o.at("peak_users")));
  r.arrivals = as_u64(o.at("arrivals"));
  r.late_starts = as_u64(o.at("late_starts"));
  r.generator_slips = as_u64(o.at("generator_slips"));
  r.max_start_lag_ms = as_double(o.at("max_start_lag_ms"));
  r.unfinished = as_u64(o.at("unfinished"));
  r.check.trustworthy = o.at("trustworthy").as_bool();
  for (const auto& why : o.at("reasons").as_array()) r.check.reasons.push_back(as_str(why));
  r.check.generator_busy = as_double(o.at("generator_busy"));
  r.check.generator_cpu_s = as_double(o.at("generator_cpu_s"));
  return r;
}

double ms(std::uint64_t us) { return static_cast<double>(us) / 1000.0; }

// Fills a merged second's percentiles from its histogram and the running
// cumulative one (Locust's history columns).
void set_percentiles(SecondPoint& p, const obs::LogLinearHistogram& sec, const obs::LogLinearHistogram& total) {
  p.p50_ms = ms(sec.quantile(0.5));
  p.p95_ms = ms(sec.quantile(0.95));
  p.p99_ms = ms(sec.quantile(0.99));
  p.max_ms = ms(sec.max());
  p.percentiles_ms.clear();
  for (double q : kLocustPercentiles) p.percentiles_ms.push_back(ms(sec.quantile(q)));
  p.total_p50_ms = ms(total.quantile(0.5));
  p.total_mean_ms = total.mean() / 1000.0;
  p.total_min_ms = ms(total.min());
  p.total_max_ms = ms(total.max());
}

std::vector<SecondPoint> merge_series(const std::vector<PartReport>& parts) {
  std::size_t n = 0;
  for (const auto& p : parts) n = std::max(n, p.report.series.size());
  std::vector<SecondPoint> out(n);
  obs::LogLinearHistogram total;
  std::uint64_t total_requests = 0, total_failures = 0;
  for (std::size_t i = 0; i < n; ++i) {
    SecondPoint& m = out[i];
    m.interval_s = 0;
    obs::LogLinearHistogram sec;
    double bytes = 0;
    for (const auto& part : parts) {
      if (i < part.second_latency_us.size()) sec.merge(part.second_latency_us[i]);
      if (i >= part.report.series.size()) continue;
      const SecondPoint& p = part.report.series[i];
      m.t_s = std::max(m.t_s, p.t_s);
      m.interval_s = std::max(m.interval_s, p.interval_s);
      m.users += p.users;
      m.requests += p.requests;
      m.failures += p.failures;
      m.late_starts += p.late_starts;
      bytes += p.total_avg_bytes * static_cast<double>(p.total_requests);
    }
    total.merge(sec);
    total_requests += m.requests;
    total_failures += m.failures;
    m.total_requests = total_requests;
    m.total_failures = total_failures;
    m.total_avg_bytes = total_requests ? bytes / static_cast<double>(total_requests) : 0;
    set_percentiles(m, sec, total);
  }
  return out;
}

}  // namespace

Scenario share_of(const Scenario& s, unsigned index, unsigned parts) {
  Scenario out = s;
  const double frac = 1.0 / parts;
  out.users = static_cast<unsigned>(split(s.users, index, parts));
  out.spawn_rate = s.spawn_rate * frac;
  out.rate = s.rate * frac;
  out.max_in_flight = std::max<unsigned>(1, static_cast<unsigned>(split(s.max_in_flight, index, parts)));
  out.max_requests = split(s.max_requests, index, parts);
  for (auto& st : out.stages)
    st.target = s.model == Model::kClosed ? static_cast<double>(split(static_cast<std::uint64_t>(st.target), index, parts))
                                          : st.target * frac;
  // A seed per share, or every process would send the same random sequence.
  if (s.seed) out.seed = s.seed + index;
  return out;
}

void SecondRecorder::record(const Sample& sample) {
  const double done_s = sample.start_s + sample.latency_ms / 1000.0;
  const auto second = static_cast<std::size_t>(std::max(0.0, done_s));
  const auto us = static_cast<std::uint64_t>(std::max(0.0, sample.latency_ms * 1000.0));
  std::lock_guard lock(mu_);
  if (seconds_.size() <= second) seconds_.resize(second + 1);
  seconds_[second].record(us);
}

std::vector<obs::LogLinearHistogram> SecondRecorder::take() {
  std::lock_guard lock(mu_);
  return std::move(seconds_);
}

std::string part_to_json(const PartReport& part) {
  json::array seconds;
  for (const auto& h : part.second_latency_us) seconds.emplace_back(histogram_json(h));
  return json::serialize(json::object{
      {"name", part.name}, {"report", report_json_value(part.report)}, {"seconds", std::move(seconds)}});
}

Result<PartReport> part_from_json(std::string_view text) {
  try {
    const auto doc = json::parse(text).as_object();
    PartReport p;
    p.name = as_str(doc.at("name"));
    p.report = report_from(doc.at("report").as_object());
    for (const auto& h : doc.at("seconds").as_array()) p.second_latency_us.push_back(histogram_from(h));
    return p;
  } catch (const std::exception& e) {
    return Error{ErrorKind::kProtocol, fmt::format("a generator's result is malformed: {}", e.what())};
  }
}

ShareProgress share_progress(const Progress& p) {
  return {p.elapsed_s, p.users, p.total_requests, p.total_failures, p.last ? p.last->rps() : 0};
}

std::string progress_to_json(const ShareProgress& p) {
  return json::serialize(json::object{{"elapsed_s", p.elapsed_s},
                                      {"users", p.users},
                                      {"requests", p.requests},
                                      {"failures", p.failures},
                                      {"rps", p.rps}});
}

std::optional<ShareProgress> progress_from_json(std::string_view text) {
  try {
    const auto o = json::parse(text).as_object();
    return ShareProgress{as_double(o.at("elapsed_s")), static_cast<unsigned>(as_u64(o.at("users"))),
                         as_u64(o.at("requests")), as_u64(o.at("failures")), as_double(o.at("rps"))};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string merged_progress_line(const std::vector<std::optional<ShareProgress>>& shares, std::size_t alive) {
  ShareProgress m;
  for (const auto& s : shares) {
    if (!s) continue;
    m.elapsed_s = std::max(m.elapsed_s, s->elapsed_s);
    m.users += s->users;
    m.requests += s->requests;
    m.failures += s->failures;
    m.rps += s->rps;
  }
  const double err = m.requests ? 100.0 * static_cast<double>(m.failures) / static_cast<double>(m.requests) : 0;
  return fmt::format("{:6.1f}s  generators {}/{}  users {:>5}  rps {:>8.0f}  requests {:>9}  errors {} ({:.2f}%)",
                     m.elapsed_s, alive, shares.size(), m.users, m.rps, m.requests, m.failures, err);
}

Report merge_parts(const std::vector<PartReport>& parts) {
  Report m = parts.front().report;
  m.threads = 0;
  m.peak_users = 0;
  m.arrivals = m.late_starts = m.generator_slips = m.unfinished = 0;
  m.check = SelfCheck{};
  m.aggregate = RequestStats{m.aggregate.name, m.aggregate.method};
  for (auto& q : m.requests) q = RequestStats{q.name, q.method};
  for (const auto& part : parts) {
    const Report& r = part.report;
    for (std::size_t i = 0; i < m.requests.size() && i < r.requests.size(); ++i) m.requests[i].merge(r.requests[i]);
    m.aggregate.merge(r.aggregate);
    m.threads += r.threads;
    m.elapsed_s = std::max(m.elapsed_s, r.elapsed_s);
    m.peak_users += r.peak_users;
    m.arrivals += r.arrivals;
    m.late_starts += r.late_starts;
    m.generator_slips += r.generator_slips;
    m.unfinished += r.unfinished;
    m.max_start_lag_ms = std::max(m.max_start_lag_ms, r.max_start_lag_ms);
    m.check.trustworthy = m.check.trustworthy && r.check.trustworthy;
    for (const auto& why : r.check.reasons) m.check.reasons.push_back(part.name + ": " + why);
    m.check.generator_busy = std::max(m.check.generator_busy, r.check.generator_busy);
    m.check.generator_cpu_s += r.check.generator_cpu_s;
  }
  m.series = merge_series(parts);
  return m;
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace scalelab::load
