// The per-second series of a run: each point is the interval the Workers
// recorded into their sinks since the previous one, plus running totals.
#include "load/detail/engine.h"

namespace scalelab::load::detail {

namespace {

// One interval's requests, gathered from every sink.
struct Interval {
  obs::LogLinearHistogram latency_us;
  std::uint64_t requests = 0, failures = 0, bytes = 0;
};

void collect_interval(Sink& s, Interval& into) {
  core::MutexLock lock(s.mu);
  into.latency_us.merge(s.interval);
  s.interval.reset();
  into.requests += s.interval_requests;
  into.failures += s.interval_failures;
  into.bytes += s.interval_bytes;
  s.interval_requests = s.interval_failures = s.interval_bytes = 0;
}

double ms(std::uint64_t us) { return static_cast<double>(us) / 1000.0; }

}  // namespace

bool has_pending(std::span<const std::unique_ptr<Sink>> sinks) {
  std::uint64_t pending = 0;
  for (const auto& s : sinks) {
    core::MutexLock lock(s->mu);
    pending += s->interval_requests;
  }
  return pending > 0;
}

void Timeline::take(Clock::time_point at, unsigned users, double arrival_rate, std::uint64_t late_total,
                    std::span<const std::unique_ptr<Sink>> sinks, Report& rep) {
  Interval sec;
  for (const auto& s : sinks) collect_interval(*s, sec);
  cumulative_.merge(sec.latency_us);
  total_req_ += sec.requests;
  total_fail_ += sec.failures;
  total_bytes_ += sec.bytes;

  SecondPoint p;
  p.t_s = std::chrono::duration<double>(at - t0_).count();
  p.interval_s = rep.series.empty() ? p.t_s : p.t_s - rep.series.back().t_s;
  p.users = users;
  p.arrival_rate = arrival_rate;
  p.requests = sec.requests;
  p.failures = sec.failures;
  p.p50_ms = ms(sec.latency_us.quantile(0.5));
  p.p95_ms = ms(sec.latency_us.quantile(0.95));
  p.p99_ms = ms(sec.latency_us.quantile(0.99));
  p.max_ms = ms(sec.latency_us.max());
  for (double q : kLocustPercentiles) p.percentiles_ms.push_back(ms(sec.latency_us.quantile(q)));
  p.total_requests = total_req_;
  p.total_failures = total_fail_;
  p.total_p50_ms = ms(cumulative_.quantile(0.5));
  p.total_mean_ms = cumulative_.mean() / 1000.0;
  p.total_min_ms = ms(cumulative_.min());
  p.total_max_ms = ms(cumulative_.max());
  p.total_avg_bytes = total_req_ ? static_cast<double>(total_bytes_) / static_cast<double>(total_req_) : 0;
  p.late_starts = late_total - last_late_;
  last_late_ = late_total;
  rep.peak_users = std::max(rep.peak_users, p.users);
  rep.series.push_back(std::move(p));

  if (opts_.on_progress) {
    Progress pr;
    pr.elapsed_s = rep.series.back().t_s;
    pr.users = rep.series.back().users;
    pr.total_requests = total_req_;
    pr.total_failures = total_fail_;
    pr.last = &rep.series.back();
    pr.edits = &rep.edits;
    opts_.on_progress(pr);
  }
}

}  // namespace scalelab::load::detail
