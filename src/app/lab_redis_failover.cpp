// `scalelab lab redis-failover`: orders and carts under load while the Redis
// primary under them is killed (src/lab/redis_failover/redis_failover.h).
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/lab_web.h"
#include "app/labs.h"
#include "app/options.h"
#include "lab/redis_failover/redis_failover.h"

namespace scalelab::app {

namespace {

int run_redis_failover_command(lab::RedisFailoverOptions o, const LabWebArgs& web) {
  return run_lab_command("redis-failover", web, [&](lab::Live* live) -> Result<LabOutcome> {
    o.live = live;
    auto r = lab::run_redis_failover(o);
    auto files = r ? lab::render_redis_failover(*r, o.out_dir) : Result<lab::RedisFailoverFiles>(r.error());
    if (!files) return files.error();
    for (const auto& s : r->streams)
      fmt::print("{:<13} ok {:6d}  failed {:4d}  succeed again {:.2f} s after the kill\n", s.name, s.ok, s.failed,
                 s.recovery_s);
    fmt::print("orders accepted {} sync + {} async, completed {} + {}; carts created {}, paid {}, item adds lost {} of "
               "{}\nlost durable records {}, double charges {}\n{}\nreport: {}\n",
               r->sync.accepted, r->async.accepted, r->sync.completed, r->async.completed, r->carts.created,
               r->carts.paid, r->carts.adds_lost, r->carts.adds, r->lost_durable(), r->double_charges(),
               lab::kRedisFailoverGuarantee, files->report.string());
    return LabOutcome{{{"HTML report", files->report}, {"timeline CSV", files->csv}, {"summary JSON", files->json}},
                      r->lost_durable() == 0 && r->double_charges() == 0 ? 0 : 1};
  });
}

}  // namespace

void add_redis_failover_lab(CLI::App& lab, int& exit_code) {
  auto opts = std::make_shared<lab::RedisFailoverOptions>();
  auto out_dir = std::make_shared<std::string>(opts->out_dir.string());
  auto quick = std::make_shared<bool>(false);
  auto* cmd = lab.add_subcommand(
      "redis-failover",
      "Orders (sync and async) and carts under load while the Redis primary is killed with kill -9 and Sentinel "
      "promotes a replica; failed requests, recovery, lost durable records, double charges");
  add_flag_option(*cmd, "--out", *out_dir, "Directory for report.html, timeline.csv, summary.json and the servers");
  cmd->add_flag("--quick", *quick, "3 s of load before the kill and 6 s after (about 20 s); explicit flags still win");
  add_flag_option(*cmd, "--replicas", opts->replicas, "Replicas of the primary (2: one is left after the failover)");
  add_flag_option(*cmd, "--clients", opts->sync_clients, "Clients of each kind (sync orders, async orders, carts)");
  auto* before = add_duration_option(*cmd, "--before", opts->before, "Load before the kill");
  auto* after = add_duration_option(*cmd, "--after", opts->after, "Load after the kill");
  cmd->add_flag("--progress,!--no-progress", opts->progress, "Print each step on stderr");
  auto web = std::make_shared<LabWebArgs>();
  add_lab_web_options(*cmd, *web);
  cmd->callback([opts, out_dir, quick, before, after, web, &exit_code] {
    opts->out_dir = *out_dir;
    opts->async_clients = opts->cart_clients = opts->sync_clients;
    auto o = *quick ? lab::quick_redis_failover(*opts) : *opts;
    if (before->count() > 0) o.before = opts->before;
    if (after->count() > 0) o.after = opts->after;
    exit_code = run_redis_failover_command(o, *web);
  });
}

}  // namespace scalelab::app
