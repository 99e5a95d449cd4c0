// `scalelab lab hw3`: the concurrency primitives in C++ beside the Go twin
// (src/lab/hw3/hw3.h, docs/hw3.md).
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/lab_web.h"
#include "app/labs.h"
#include "app/options.h"
#include "lab/hw3/hw3.h"
#include "lab/hw3/load_lab.h"

namespace scalelab::app {
namespace {

void print_headline(const lab::Hw3Result& r) {
  for (const auto& c : r.atomicity.rows)
    fmt::print("  counter {:<3} {:<7} {:>7} of {} ({} lost), {:.2f} ns/increment\n", c.language, c.kind, c.final_value,
               c.expected, c.lost(), c.ns_per_increment);
  for (const auto& m : r.maps.rows)
    fmt::print("  map     {:<3} {:<15} {:<7} {:>9.1f} entries, {:>8.2f} ms (sd {:.2f})  {}\n", m.language, m.name,
               m.workload, m.entries, m.ms.mean, m.ms.stddev, m.outcome);
  for (const auto& f : r.file_io.rows)
    fmt::print("  file    {:<3} {:<15} {:>8.2f} ms, {} write syscalls\n", f.language, f.name, f.ms.mean,
               f.syscalls ? std::to_string(*f.syscalls) : "n/a");
  for (const auto& s : r.context_switch.rows)
    fmt::print("  switch  {:<3} {:<9} {:<8} {:>8.1f} ns/switch, {} voluntary, {} involuntary\n", s.language, s.name,
               s.pinned ? "one core" : "free", s.ns_per_switch, s.voluntary, s.involuntary);
  for (const auto& f : r.false_sharing.rows)
    fmt::print("  sharing {:<3} {:<8} {:>8.2f} ns/increment\n", f.language, f.layout, f.ns_per_increment);
  if (!r.go.ran) fmt::print("  Go twin not run: {}\n", r.go.note);
}

}  // namespace

void add_hw3_lab(CLI::App& lab, int& exit_code) {
  auto o = std::make_shared<lab::Hw3Options>();
  auto out = std::make_shared<std::string>(o->out_dir.string());
  auto quick = std::make_shared<bool>(false);
  auto* cmd = lab.add_subcommand(
      "hw3", "Concurrency primitives: lost updates vs atomics, concurrent maps, buffered I/O, context switches, "
             "false sharing (C++ beside the Go twin)");
  add_flag_option(*cmd, "--out", *out, "Directory for report.html, summary.json and a CSV per experiment");
  cmd->add_flag("--quick", *quick, "Fewer runs, round trips and increments (under a minute)");
  add_flag_option(*cmd, "--threads", o->threads, "Threads for the counter and the maps");
  add_flag_option(*cmd, "--per-thread", o->per_thread, "Increments / map entries per thread");
  add_flag_option(*cmd, "--runs", o->runs, "Repetitions for mean and spread (maps, file I/O)");
  add_flag_option(*cmd, "--lines", o->lines, "Lines written in the file I/O experiment");
  add_flag_option(*cmd, "--round-trips", o->round_trips, "Hand-off round trips in the context-switch experiment");
  cmd->add_flag("--go,!--no-go", o->go, "Run the Go twin when go is installed");
  cmd->add_flag("--progress,!--no-progress", o->progress, "Name each experiment on stderr as it starts");
  auto web = std::make_shared<LabWebArgs>();
  add_lab_web_options(*cmd, *web);
  cmd->callback([o, out, quick, web, &exit_code] {
    o->out_dir = *out;
    exit_code = run_lab_command("hw3", *web, [&](lab::Live* live) -> Result<LabOutcome> {
      o->live = live;
      const lab::Hw3Options options = *quick ? lab::quick_hw3(*o) : *o;
      auto r = lab::run_hw3(options);
      if (!r) return r.error();
      auto files = lab::render_hw3(*r, options.out_dir);
      if (!files) return files.error();
      fmt::print("hw3 ({}):\n", r->machine);
      print_headline(*r);
      fmt::print("report: {}\nsummary: {}\n", files->report.string(), files->json.string());
      LabOutcome outcome{{{"HTML report", files->report}, {"summary JSON", files->json}}};
      for (const auto& csv : files->csv) outcome.files.push_back({csv.filename().string(), csv});
      return outcome;
    });
  });

  auto lo = std::make_shared<lab::Hw3LoadOptions>();
  auto lo_out = std::make_shared<std::string>(lo->out_dir.string());
  auto lo_quick = std::make_shared<bool>(false);
  auto* load_cmd = lab.add_subcommand(
      "hw3-load", "The course's Locust runs on albums (GET:POST 3:1): 1 user, 50 users at 10/s, 1 vs 4 generator "
                  "processes, simple vs fast client; server and generator CPU decide the reading");
  add_flag_option(*load_cmd, "--out", *lo_out, "Directory for report.html, runs.csv, summary.json");
  add_duration_option(*load_cmd, "--duration", lo->duration, "Length of each run");
  load_cmd->add_flag("--quick", *lo_quick, "6 s runs instead of 30 s");
  add_flag_option(*load_cmd, "--users", lo->users, "Users of the larger runs");
  add_flag_option(*load_cmd, "--processes", lo->processes, "Generator processes of the multi-process run");
  load_cmd->add_flag("--progress,!--no-progress", lo->progress, "Name each run on stderr as it starts");
  auto lo_web = std::make_shared<LabWebArgs>();
  add_lab_web_options(*load_cmd, *lo_web);
  load_cmd->callback([lo, lo_out, lo_quick, lo_web, &exit_code] {
    lo->out_dir = *lo_out;
    exit_code = run_lab_command("hw3-load", *lo_web, [&](lab::Live* live) -> Result<LabOutcome> {
      lo->live = live;
      if (*lo_quick) lo->duration = std::chrono::seconds(6);
      auto r = lab::run_hw3_load(*lo);
      auto files = r ? lab::render_hw3_load(*r, lo->out_dir) : Result<lab::Hw3LoadFiles>(r.error());
      if (!files) return files.error();
      for (const auto& x : r->runs)
        fmt::print("  {:<26} {:>7} req {:>4} fail {:>8.1f} req/s  GET p99 {:>7.2f} ms  POST p99 {:>7.2f} ms  server "
                   "{:>3.0f}%  generators {:>3.0f}%\n",
                   x.name, x.requests, x.failures, x.rps, x.get_p99_ms, x.post_p99_ms, x.server_cpu_pct,
                   x.generator_cpu_pct);
      for (const auto& line : r->reading) fmt::print("{}\n", line);
      fmt::print("report: {}\nruns: {}\nsummary: {}\n", files->report.string(), files->csv.string(),
                 files->json.string());
      return LabOutcome{{{"HTML report", files->report}, {"runs CSV", files->csv}, {"summary JSON", files->json}}};
    });
  });
}

}  // namespace scalelab::app
