// The verdict: hw7's conclusion in numbers, one line per part, and the
// number formats the verdict and the page share.
#include <optional>

#include <fmt/format.h>

#include "lab/hw7/internal.h"

namespace scalelab::lab::hw7_detail {

namespace {

std::string sync_line(const Hw7Options& o, const Hw7SyncPhase& normal, const Hw7SyncPhase& flash) {
  return fmt::format(
      "sync: normal load ({} users) {:.0f}% of {} answered orders succeeded, p50 {}; flash load ({} users) {:.0f}% "
      "of {} answered orders failed ({} rejected with 503 after the {} deadline, {} more still waiting at the "
      "end), p50 {}, {:.2f} orders/s completed",
      normal.users, normal.success_pct(), normal.answered(), fmt_s(normal.p50_s), flash.users, flash.failed_pct(),
      flash.answered(), flash.rejected, fmt_s(seconds(o.sync_wait)), flash.unfinished, fmt_s(flash.p50_s),
      flash.completed_per_s);
}

std::string async_line(const Hw7Options& o, const std::vector<Hw7AsyncRun>& async) {
  double min_accept = 100, max_p99 = 0;
  for (const auto& a : async) {
    min_accept = std::min(min_accept, a.accept_pct);
    max_p99 = std::max(max_p99, a.accept_p99_ms);
  }
  std::string runs;
  for (const auto& a : async)
    runs += fmt::format("{}{}: peak queue {}, drain {}", runs.empty() ? "" : "; ", workers_text(a.workers), a.peak_depth,
                        a.drain_s ? fmt_s(*a.drain_s) : fmt::format("> {} ({} left)", fmt_s(a.drain_waited_s), a.left));
  return fmt::format("async at {:.0f} orders/s: {:.1f}% accepted or better in every run, accept p99 <= {:.1f} ms "
                     "(wall); {}",
                     o.rate, min_accept, max_p99, runs);
}

std::string search_line(const Hw7Options& o, const Hw7Search& s) {
  if (!s.minimum) return "minimum workers: not found; " + s.note;
  return fmt::format("minimum workers that keep up with {:.0f}/s: {} (measured) vs {:.0f} x {} = {:.0f} "
                     "(arithmetic){}",
                     o.rate, *s.minimum, o.rate, fmt_s(seconds(o.payment_delay)), s.arithmetic,
                     s.note.empty() ? "" : "; " + s.note);
}

std::string functions_line(const Hw7AsyncRun& run) {
  const auto& f = *run.functions;
  return fmt::format("functions: {} cold starts for {} invocations, peak concurrency {}, queue peak {}, drain {}",
                     f.cold_starts, f.invocations, f.peak_concurrency, run.peak_depth, drain_text(run));
}

std::string cost_line(const Hw7Cost& c) {
  std::string cases;
  for (const auto& x : c.cases)
    cases += fmt::format("{}{}: functions {} vs tasks {}", cases.empty() ? "" : "; ", x.name,
                         fmt_usd(x.cost.functions_usd), fmt_usd(x.cost.tasks_usd));
  return fmt::format("cost per month ({:.3f} billed s/request): {}; break-even at {} requests/month ({:.2f} "
                     "orders/s on average)",
                     c.billed_s_per_request, cases, fmt_count(c.break_even_requests), c.break_even_rate);
}

}  // namespace

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

std::vector<std::string> verdict(const Hw7Result& r) {
  const Hw7Options& o = r.options;
  std::vector<std::string> v;
  if (r.normal && r.flash) v.push_back(sync_line(o, *r.normal, *r.flash));
  if (!r.async.empty()) v.push_back(async_line(o, r.async));
  if (r.search) v.push_back(search_line(o, *r.search));
  if (r.functions && r.functions->functions) v.push_back(functions_line(*r.functions));
  if (r.cost) v.push_back(cost_line(*r.cost));
  if (r.kill_node) v.push_back(kill_line(*r.kill_node));
  v.push_back(std::string("counting check (accepted = completed + failed [+ still queued], charges = completed, no "
                          "duplicates): ") +
              (r.audits_ok() ? "ok in every async run" : "MISMATCH in at least one run (see the tables)"));
  return v;
}

}  // namespace scalelab::lab::hw7_detail
