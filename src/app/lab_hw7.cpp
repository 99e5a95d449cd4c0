// `scalelab lab hw7`: the flash sale, sync vs async orders, the minimum
// workers, and functions with their cost (src/lab/hw7/hw7.h, docs/hw7.md).
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/lab_web.h"
#include "app/labs.h"
#include "app/options.h"
#include "lab/hw7/hw7.h"

namespace scalelab::app {

namespace {

// --quick: a run of a few minutes instead of half an hour.
constexpr double kQuickTimeScale = 0.1;
// --quick with --kill-node: each phase of the kill-node run (before the
// kill, node down, after it is back) lasts this long (wall time).
constexpr std::chrono::seconds kQuickKillPhase{5};

// --kill-node runs part 5 alone unless a part is asked for by name; a
// cluster (--rabbitmq-nodes > 1, --kill-node) means a private RabbitMQ.
void apply_implications(CLI::App& cmd, lab::Hw7Options& o, bool quick) {
  if (o.rabbitmq_nodes > 1 || o.kill_node) o.rabbitmq = true;
  if (o.kill_node) {
    for (auto [flag, part] : {std::pair{"--sync", &o.sync}, {"--async", &o.async}, {"--search", &o.search},
                              {"--functions", &o.functions}})
      if (cmd.get_option(flag)->count() == 0) *part = false;
  }
  if (quick) {
    o.time_scale = kQuickTimeScale;
    for (auto [flag, phase] : {std::pair{"--kill-at", &o.kill_at}, {"--kill-down", &o.kill_down},
                               {"--kill-tail", &o.kill_tail}})
      if (cmd.get_option(flag)->count() == 0) *phase = kQuickKillPhase;
  }
}

// Runs, renders and prints the verdict (with its live view, if asked for);
// the exit code (3: a counting check failed).
int run_hw7_command(lab::Hw7Options o, const LabWebArgs& web) {
  return run_lab_command("hw7", web, [&](lab::Live* live) -> Result<LabOutcome> {
    o.live = live;
    auto r = lab::run_hw7(o);
    if (!r) return r.error();
    auto files = lab::render_hw7(*r, o.out_dir);
    if (!files) return files.error();
    fmt::print("hw7 (time scale {}, broker {}):\n", o.time_scale, r->broker);
    for (const auto& line : r->verdict) fmt::print("  {}\n", line);
    fmt::print("report: {}\nruns: {}\ndepth: {}\nsummary: {}\n", files->report.string(), files->runs_csv.string(),
               files->depth_csv.string(), files->summary.string());
    return LabOutcome{{{"HTML report", files->report}, {"runs CSV", files->runs_csv},
                       {"queue depth CSV", files->depth_csv}, {"sync samples CSV", files->sync_csv},
                       {"summary JSON", files->summary}},
                      r->audits_ok() ? 0 : 3};
  });
}

}  // namespace

void add_hw7_lab(CLI::App& lab, int& exit_code) {
  auto o = std::make_shared<lab::Hw7Options>();
  auto out = std::make_shared<std::string>(o->out_dir.string());
  auto quick = std::make_shared<bool>(false);
  auto* cmd = lab.add_subcommand(
      "hw7",
      "The flash sale: sync orders (normal, flash) vs async at 60/s with 1/5/20/100 workers, the minimum workers "
      "that keep up, functions and their monthly cost");
  add_flag_option(*cmd, "--out", *out, "Directory for report.html, runs.csv, depth.csv, sync_samples.csv, summary.json");
  auto* scale = add_flag_option(*cmd, "--time-scale", o->time_scale,
                                "Multiply every duration by K and divide every rate by K (counts stay; 0.1: ~3 min)");
  cmd->add_flag("--quick", *quick, "Shorthand for --time-scale 0.1 (a few minutes)")->excludes(scale);
  add_broker_option(*cmd, o->broker_url);
  cmd->add_flag("--rabbitmq", o->rabbitmq, "Start a private RabbitMQ (under --out) and use it as the broker");
  add_flag_option(*cmd, "--rabbitmq-nodes", o->rabbitmq_nodes,
                  "A private RabbitMQ cluster of this many nodes (implies --rabbitmq; the orders queue is a quorum "
                  "queue on all of them)")
      ->check(CLI::Range(1, 7));
  cmd->add_flag("--kill-node", o->kill_node,
                "Part 5 (alone unless parts are named): async orders at --rate while the node leading the orders "
                "queue is killed with kill -9, then restarted (needs --rabbitmq-nodes 3)");
  add_duration_option(*cmd, "--kill-at", o->kill_at, "Kill-node: load before the kill (wall)");
  add_duration_option(*cmd, "--kill-down", o->kill_down, "Kill-node: how long the node stays down (wall)");
  add_duration_option(*cmd, "--kill-tail", o->kill_tail, "Kill-node: load after the node answers again (wall)");
  add_duration_option(*cmd, "--payment-delay", o->payment_delay, "Payment verification time (course units)");
  add_duration_option(*cmd, "--sync-wait", o->sync_wait, "Longest a sync order waits for the payment slot, then 503");
  cmd->add_flag("--sync,!--no-sync", o->sync, "Part 1: sync normal and flash load");
  add_flag_option(*cmd, "--normal-users", o->normal_users, "Sync normal load: users");
  add_duration_option(*cmd, "--normal-duration", o->normal_duration, "Sync normal load: length");
  add_flag_option(*cmd, "--flash-users", o->flash_users, "Sync flash load: users");
  add_flag_option(*cmd, "--spawn-rate", o->flash_spawn_rate, "Sync: users started per second");
  add_duration_option(*cmd, "--wait-min", o->wait_min, "Sync: shortest wait between a user's orders");
  add_duration_option(*cmd, "--wait-max", o->wait_max, "Sync: longest wait between a user's orders");
  add_duration_option(*cmd, "--flash-duration", o->flash_duration, "Sync flash load: length");
  cmd->add_flag("--async,!--no-async", o->async, "Part 2: async with each --workers count");
  add_flag_option(*cmd, "--rate", o->rate, "Async: orders per second (open model)");
  add_duration_option(*cmd, "--async-duration", o->async_duration, "Async: length of each run (and the functions')");
  add_flag_option(*cmd, "--workers", o->workers, "Async: worker counts to run")->delimiter(',');
  add_duration_option(*cmd, "--drain-limit", o->drain_limit, "Longest wait after the load for the queue to drain");
  cmd->add_flag("--search,!--no-search", o->search, "Part 3: bisect for the minimum workers that keep up");
  add_flag_option(*cmd, "--search-min", o->search_min, "Search: lower bound (expected not to keep up)");
  add_flag_option(*cmd, "--search-max", o->search_max, "Search: upper bound (expected to keep up)");
  add_duration_option(*cmd, "--search-duration", o->search_duration, "Search: length of each probe");
  cmd->add_flag("--functions,!--no-functions", o->functions, "Part 4: the function runner on the async load");
  add_flag_option(*cmd, "--function-concurrency", o->function_concurrency, "Functions: instances alive at once");
  add_duration_option(*cmd, "--cold-start-min", o->cold_start_min, "Functions: shortest cold start");
  add_duration_option(*cmd, "--cold-start-max", o->cold_start_max, "Functions: longest cold start");
  add_duration_option(*cmd, "--keep-warm", o->keep_warm, "Functions: an idle instance is reclaimed after this");
  add_flag_option(*cmd, "--memory-mb", o->memory_mb, "Functions: memory (billed GB-s = MB/1024 x seconds)");
  add_flag_option(*cmd, "--normal-rate", o->normal_rate, "Cost: orders/s of an ordinary month");
  cmd->add_flag("--progress,!--no-progress", o->progress, "Print progress each second on stderr");
  auto web = std::make_shared<LabWebArgs>();
  add_lab_web_options(*cmd, *web);
  cmd->callback([cmd, o, out, quick, web, &exit_code] {
    o->out_dir = *out;
    apply_implications(*cmd, *o, *quick);
    exit_code = run_hw7_command(*o, *web);
  });
}

}  // namespace scalelab::app
