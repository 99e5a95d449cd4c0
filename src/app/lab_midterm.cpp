// `scalelab lab midterm`: carts with resilience off, then on, through a
// catalog fault timeline (src/lab/midterm/midterm.h, docs/midterm.md).
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/lab_web.h"
#include "app/labs.h"
#include "app/options.h"
#include "lab/midterm/midterm.h"

namespace scalelab::app {

namespace {

// Prints the per-phase table, the totals beside the course's and the acceptance.
void print_midterm(const lab::MidtermResult& r) {
  fmt::print("{:<16} {:>12} {:>12} {:>10} {:>10} {:>10} {:>10}\n", "phase", "add fail off", "add fail on",
             "p50 off", "p50 on", "p99 off", "p99 on");
  for (std::size_t i = 0; i < r.on.phases.size(); ++i) {
    const auto& f = r.off.phases[i];
    const auto& n = r.on.phases[i];
    fmt::print("{:<16} {:>11.2f}% {:>11.2f}% {:>8.0f}ms {:>8.0f}ms {:>8.0f}ms {:>8.0f}ms\n", lab::to_string(f.phase),
               f.add_failure_pct(), n.add_failure_pct(), f.add_p50_ms, n.add_p50_ms, f.add_p99_ms, n.add_p99_ms);
  }
  fmt::print("all: add failures off {:.2f}% on {:.2f}% (course 65% / 0.07%); view failures off {:.2f}% on {:.2f}% "
             "(course 69% / 0%)\n     add median off {:.0f} ms on {:.0f} ms (course 1,900-2,000 / 110); "
             "req/s off {:.1f} on {:.1f} (course 10.5 / 14.6)\n",
             r.off.all.add_failure_pct(), r.on.all.add_failure_pct(), r.off.all.view_failure_pct(),
             r.on.all.view_failure_pct(), r.off.all.add_p50_ms, r.on.all.add_p50_ms, r.off.rps, r.on.rps);
  if (r.on.breaker_closed_after_s)
    fmt::print("breaker closed {:.2f} s after the catalog recovered\n", *r.on.breaker_closed_after_s);
  else
    fmt::print("breaker did not close before the run ended\n");
  const auto& acc = r.acceptance;
  fmt::print("acceptance: {} - on: worst add failures {:.2f}% (<= 1%: {}), worst add p99 {:.0f} ms "
             "(<= 250 ms: {}), breaker closed within wait + 1 s: {}; off failure visible: {}\n",
             acc.met() ? "met" : "NOT met", acc.worst_add_failure_pct, acc.add_failures_ok ? "yes" : "no",
             acc.worst_add_p99_ms, acc.add_p99_ok ? "yes" : "no", acc.breaker_closed_ok ? "yes" : "no",
             acc.off_visible ? "yes" : "no");
}

int run_midterm_command(lab::MidtermOptions o, const LabWebArgs& web) {
  return run_lab_command("midterm", web, [&](lab::Live* live) -> Result<LabOutcome> {
    o.live = live;
    auto r = lab::run_midterm(o);
    if (!r) return r.error();
    auto files = lab::render_midterm(*r, o.out_dir);
    if (!files) return files.error();
    print_midterm(*r);
    fmt::print("report: {}\n", files->report.string());
    return LabOutcome{{{"HTML report", files->report}, {"timeline CSV", files->timeline_csv},
                       {"phases CSV", files->phases_csv}, {"summary JSON", files->summary}}};
  });
}

}  // namespace

void add_midterm_lab(CLI::App& lab, int& exit_code) {
  auto o = std::make_shared<lab::MidtermOptions>();
  auto out = std::make_shared<std::string>(o->out_dir.string());
  auto* cmd = lab.add_subcommand(
      "midterm", "carts with resilience off then on, catalog behind the fault proxy: healthy, 503, hang, slow, recovered");
  add_flag_option(*cmd, "--out", *out, "Directory for report.html, timeline.csv, phases.csv, summary.json");
  add_duration_option(*cmd, "--phase", o->phase, "Length of each of the five phases");
  add_flag_option(*cmd, "--users", o->users, "Virtual users (closed model)");
  add_duration_option(*cmd, "--slow", o->slow, "Latency added in the slow phase");
  add_duration_option(*cmd, "--breaker-wait", o->breaker_wait, "Resilience on: open -> half-open (the course: 30s)");
  add_duration_option(*cmd, "--catalog-timeout", o->catalog_timeout, "Resilience on: bound of a catalog call");
  add_duration_option(*cmd, "--off-timeout", o->off_timeout, "Resilience off: carts' catalog deadline");
  cmd->add_flag("--progress,!--no-progress", o->progress, "Print progress each second on stderr");
  auto web = std::make_shared<LabWebArgs>();
  add_lab_web_options(*cmd, *web);
  cmd->callback([o, out, web, &exit_code] {
    o->out_dir = *out;
    exit_code = run_midterm_command(*o, *web);
  });
}

}  // namespace scalelab::app
