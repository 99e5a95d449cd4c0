// render_midterm(): timeline.csv, phases.csv, summary.json and the page (the
// two runs side by side, beside the course's figures), through report::Output.
#include <cmath>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "lab/midterm/midterm.h"
#include "report/charts.h"
#include "report/output.h"

namespace scalelab::lab {

namespace {

namespace json = boost::json;

std::string pct(double v) { return fmt::format("{:.2f}%", v); }
std::string ms(double v) { return fmt::format("{:.0f} ms", v); }
double seconds(std::chrono::milliseconds d) { return std::chrono::duration<double>(d).count(); }

std::string breaker_text(const std::optional<resilience::BreakerState>& s) {
  return s ? resilience::to_string(*s) : "none";
}

// Each run keeps its colour on every chart.
const char* run_color(Resilience r) { return report::chart_color(r == Resilience::kOn ? 0 : 1); }

std::string timeline_csv(const MidtermResult& r) {
  std::string csv = "resilience,second,requests,failures,p50_ms,p99_ms,breaker\n";
  for (const MidtermRun* run : {&r.off, &r.on})
    for (const auto& s : run->timeline)
      csv += fmt::format("{},{},{},{},{:g},{:g},{}\n", to_string(run->resilience), s.second, s.requests, s.failures,
                         s.p50_ms, s.p99_ms, breaker_text(s.breaker));
  return csv;
}

std::string phases_csv(const MidtermResult& r) {
  std::string csv = "resilience,phase,add,add_failed,add_p50_ms,add_p99_ms,view,view_failed,view_p50_ms,view_p99_ms\n";
  for (const MidtermRun* run : {&r.off, &r.on})
    for (const auto& p : run->phases)
      csv += fmt::format("{},{},{},{},{:g},{:g},{},{},{:g},{:g}\n", to_string(run->resilience), to_string(p.phase),
                         p.add, p.add_failed, p.add_p50_ms, p.add_p99_ms, p.view, p.view_failed, p.view_p50_ms,
                         p.view_p99_ms);
  return csv;
}

json::object stats_json(std::string_view name, const MidtermStats& p) {
  return {{"phase", name},          {"add", p.add},
          {"add_failed", p.add_failed}, {"add_failure_pct", p.add_failure_pct()},
          {"add_p50_ms", p.add_p50_ms}, {"add_p99_ms", p.add_p99_ms},
          {"view", p.view},          {"view_failed", p.view_failed},
          {"view_failure_pct", p.view_failure_pct()}, {"view_p50_ms", p.view_p50_ms},
          {"view_p99_ms", p.view_p99_ms}};
}

json::object run_json(const MidtermRun& r) {
  json::array phases;
  for (const auto& p : r.phases) phases.emplace_back(stats_json(to_string(p.phase), p));
  json::object o{{"resilience", to_string(r.resilience)}, {"phases", phases}, {"all", stats_json("all", r.all)},
                 {"rps", r.rps}, {"unfinished", r.unfinished}};
  o["breaker_closed_after_recovery_s"] =
      r.breaker_closed_after_s ? json::value(*r.breaker_closed_after_s) : json::value(nullptr);
  return o;
}

json::object summary_json(const MidtermResult& r) {
  const MidtermOptions& o = r.options;
  const MidtermAcceptance& acc = r.acceptance;
  return {{"experiment", "midterm"},
          {"phase_s", seconds(o.phase)},
          {"users", o.users},
          {"breaker_wait_s", seconds(o.breaker_wait)},
          {"off", run_json(r.off)},
          {"on", run_json(r.on)},
          {"acceptance", json::object{{"add_failures_le_1pct", acc.add_failures_ok},
                                      {"add_p99_le_250ms", acc.add_p99_ok},
                                      {"breaker_closed_within_wait_plus_1s", acc.breaker_closed_ok},
                                      {"off_failure_visible", acc.off_visible},
                                      {"met", acc.met()}}}};
}

// The breaker as a level a line can show: 0 closed (or none), 1 half-open, 2 open.
double breaker_level(const MidtermSecond& s) {
  using resilience::BreakerState;
  if (s.breaker == BreakerState::kOpen || s.breaker == BreakerState::kForcedOpen) return 2;
  if (s.breaker == BreakerState::kHalfOpen) return 1;
  return 0;
}

json::object axis(const std::string& title) {
  return {{"title", json::object{{"display", true}, {"text", title}}}};
}

// Where each fault phase after the first begins, in seconds of the run.
std::vector<report::Marker> phase_markers(const MidtermOptions& o) {
  std::vector<report::Marker> markers;
  for (std::size_t i = 1; i < kMidtermPhases.size(); ++i)
    markers.push_back({seconds(o.phase) * static_cast<double>(i), std::string(to_string(kMidtermPhases[i]))});
  return markers;
}

// A line per run over the seconds of the run, the phase boundaries marked;
// `stepped` for states.
json::value chart(const MidtermResult& r, const std::string& y, double (*f)(const MidtermSecond&),
                  bool stepped = false) {
  json::array labels;
  for (const auto& s : r.on.timeline) labels.emplace_back(s.second);
  json::array datasets;
  for (const MidtermRun* run : {&r.off, &r.on}) {
    json::array data;
    for (const auto& s : run->timeline) data.emplace_back(std::round(f(s) * 100) / 100);
    datasets.emplace_back(json::object{{"label", fmt::format("resilience {}", to_string(run->resilience))},
                                       {"data", data}, {"pointRadius", 0}, {"borderWidth", 2},
                                       {"borderColor", run_color(run->resilience)},
                                       {"backgroundColor", run_color(run->resilience)},
                                       {"stepped", stepped}});
  }
  json::object yaxis = axis(y);
  yaxis["beginAtZero"] = true;
  json::object options{{"maintainAspectRatio", false},
                       {"animation", false},
                       {"scales", json::object{{"x", axis("second")}, {"y", yaxis}}}};
  json::value config = json::object{{"type", "line"},
                                    {"data", json::object{{"labels", labels}, {"datasets", datasets}}},
                                    {"options", std::move(options)}};
  report::add_markers(config, phase_markers(r.options));
  return config;
}

void intro(report::HtmlReport& page, const MidtermOptions& o) {
  page.paragraph(fmt::format(
      "catalog behind the fault proxy; carts calling it; {} users (waits {}-{} ms; add to cart weight 10, view "
      "cart weight 3; users user_1..user_1000, products 1-5, quantity 1-3). Five phases of {:.1f} s each: "
      "healthy, catalog answering 503, catalog hanging, catalog slow ({} ms), recovered. First with resilience "
      "off (no deliberate timeout: carts waits up to {} ms for catalog; one failed item fails the cart), then on "
      "(catalog calls bounded at {} ms with one retry inside, circuit breaker: 3 failures open it, {} ms before "
      "half-open, 2 trial successes close it; cache of recently seen products as fallback, items marked "
      "price_pending, responses in degraded_mode).",
      o.users, o.wait_min.count(), o.wait_max.count(), seconds(o.phase), o.slow.count(), o.off_timeout.count(),
      o.catalog_timeout.count(), o.breaker_wait.count()));
}

// The course's figures come from its report: without / with the policies.
void whole_run(report::HtmlReport& page, const MidtermResult& r) {
  const auto& a = r.off.all;
  const auto& b = r.on.all;
  page.heading("Whole run: ours beside the course's");
  page.table({"", "off (ours)", "on (ours)", "course: without", "course: with"},
             {{"add to cart failures", pct(a.add_failure_pct()), pct(b.add_failure_pct()), "65%", "0.07%"},
              {"view cart failures", pct(a.view_failure_pct()), pct(b.view_failure_pct()), "69%", "0%"},
              {"add to cart median", ms(a.add_p50_ms), ms(b.add_p50_ms), "1,900-2,000 ms", "110 ms"},
              {"add to cart p99", ms(a.add_p99_ms), ms(b.add_p99_ms), "", ""},
              {"requests/s", fmt::format("{:.1f}", r.off.rps), fmt::format("{:.1f}", r.on.rps), "10.5", "14.6"}});
}

void per_phase(report::HtmlReport& page, const MidtermResult& r) {
  page.heading("Per phase");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < r.off.phases.size() && i < r.on.phases.size(); ++i) {
    const auto& f = r.off.phases[i];
    const auto& n = r.on.phases[i];
    rows.push_back({std::string(to_string(f.phase)), pct(f.add_failure_pct()), pct(n.add_failure_pct()),
                    ms(f.add_p50_ms), ms(n.add_p50_ms), ms(f.add_p99_ms), ms(n.add_p99_ms),
                    pct(f.view_failure_pct()), pct(n.view_failure_pct())});
  }
  page.table({"phase", "add fail off", "add fail on", "add p50 off", "add p50 on", "add p99 off", "add p99 on",
              "view fail off", "view fail on"},
             rows);
}

void acceptance(report::HtmlReport& page, const MidtermResult& r) {
  const MidtermAcceptance& acc = r.acceptance;
  const auto& a = r.off.all;
  const double wait_s = seconds(r.options.breaker_wait);
  auto yes = [](bool ok) { return ok ? "yes" : "NO"; };
  page.heading("Acceptance (resilience on)");
  page.table(
      {"criterion", "measured", "met"},
      {{"add to cart failures <= 1% in every phase", fmt::format("worst phase {}", pct(acc.worst_add_failure_pct)),
        yes(acc.add_failures_ok)},
       {"add to cart p99 <= 250 ms in every phase", fmt::format("worst phase {}", ms(acc.worst_add_p99_ms)),
        yes(acc.add_p99_ok)},
       {fmt::format("breaker closed within wait + 1 s ({:.1f} s) after recovery", wait_s + 1.0),
        r.on.breaker_closed_after_s ? fmt::format("{:.2f} s", *r.on.breaker_closed_after_s)
                                    : std::string("did not close"),
        yes(acc.breaker_closed_ok)},
       {"resilience off: the failure is visible",
        fmt::format("add failures {} , median {}", pct(a.add_failure_pct()), ms(a.add_p50_ms)), yes(acc.off_visible)}});
  page.paragraph(
      "Reading: without the policies every catalog fault reaches the user: 503s fail the call at once, a hanging "
      "catalog holds each request for carts' whole deadline and then fails it, and a slow catalog makes every "
      "request slow. With them, a catalog call is bounded, the breaker stops calling a catalog that keeps failing, "
      "and the cache answers with the last known price (marked price_pending). The course's figures come from "
      "its own run (Locust against a deployed service); ours from this machine, with short phases: compare the "
      "shape, not the digits.");
}

void charts(report::HtmlReport& page, const MidtermResult& r) {
  page.chart("Failures per second (by request start)",
             chart(r, "failed requests", [](const MidtermSecond& s) { return static_cast<double>(s.failures); }));
  page.chart("Failure rate per second, %", chart(r, "%", [](const MidtermSecond& s) {
               return s.requests ? 100.0 * static_cast<double>(s.failures) / static_cast<double>(s.requests) : 0.0;
             }));
  page.chart("p50 latency per second", chart(r, "ms", [](const MidtermSecond& s) { return s.p50_ms; }));
  page.chart("p99 latency per second", chart(r, "ms", [](const MidtermSecond& s) { return s.p99_ms; }));
  page.chart("Circuit breaker state (0 closed or none, 1 half-open, 2 open)",
             chart(r, "breaker", breaker_level, /*stepped=*/true));
}

}  // namespace

Result<MidtermFiles> render_midterm(const MidtermResult& r, const std::filesystem::path& out_dir) {
  report::Output out(out_dir);
  MidtermFiles files;
  auto timeline = out.data("timeline.csv", timeline_csv(r), "timeline.csv (per second: requests, failures, latency, breaker)");
  if (!timeline) return timeline.error();
  files.timeline_csv = *timeline;
  auto phases = out.data("phases.csv", phases_csv(r), "phases.csv (per phase: add to cart and view cart)");
  if (!phases) return phases.error();
  files.phases_csv = *phases;
  auto summary = out.summary(summary_json(r));
  if (!summary) return summary.error();
  files.summary = *summary;
  report::HtmlReport page("Midterm: carts with and without resilience");
  intro(page, r.options);
  whole_run(page, r);
  per_phase(page, r);
  acceptance(page, r);
  charts(page, r);
  auto html = out.page(page);
  if (!html) return html.error();
  files.report = *html;
  return files;
}

}  // namespace scalelab::lab
