// `scalelab autoscale SERVICE`: HAProxy with its frontend on --listen, the
// service's instances behind it (child processes, each in its own cgroup
// with a CPU quota) and the controller that scales them on measured CPU,
// until Ctrl-C, which drains and stops everything it started. Decisions are
// printed as they are made, and exported at --metrics (GET /metrics, and
// GET /autoscale for the decision log as JSON).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/options.h"
#include "autoscale/controller.h"
#include "autoscale/policy.h"
#include "core/host_port.h"
#include "core/json_writer.h"
#include "http/router.h"
#include "http/server.h"
#include "infra/haproxy.h"
#include "infra/process.h"

namespace scalelab::app {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_autoscale_signal(int) { g_stop = true; }

struct AutoscaleArgs {
  std::string service;
  std::vector<std::string> service_flags;
  std::string listen = "127.0.0.1:8080";
  std::string metrics;  // ADDR:PORT, empty: none
  std::string dir;
  std::string policy = "target-tracking";
  int min = 2, max = 4;
  double target_cpu = 70, cpu = 0.25, time_scale = 1;
  std::chrono::milliseconds sync{15'000}, check_interval{30'000}, scale_out_cooldown{300'000},
      scale_in_cooldown{300'000}, stabilization{300'000};
  int rise = 2, fall = 2;
};

Result<std::unique_ptr<autoscale::Policy>> make_policy(const AutoscaleArgs& a) {
  const autoscale::Bounds bounds{a.min, a.max};
  if (a.policy == "target-tracking") {
    autoscale::TargetTrackingOptions o{.target_cpu = a.target_cpu, .bounds = bounds,
                                       .scale_out_cooldown = a.scale_out_cooldown,
                                       .scale_in_cooldown = a.scale_in_cooldown};
    return autoscale::make_target_tracking(autoscale::scaled(o, a.time_scale));
  }
  if (a.policy == "hpa") {
    autoscale::HpaOptions o{.target_cpu = a.target_cpu, .bounds = bounds, .scale_down_stabilization = a.stabilization};
    return autoscale::make_hpa(autoscale::scaled(o, a.time_scale));
  }
  return Error{ErrorKind::kInvalidInput, fmt::format("--policy: '{}' is not target-tracking or hpa", a.policy)};
}

std::string decisions_json(const std::vector<autoscale::DecisionRecord>& records) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (const auto& r : records) {
    w.begin_object().field("at_s", r.at.count() / 1000.0).field("instances", r.current).field("ready", r.ready);
    w.key("cpu_percent");
    if (r.cpu_percent) w.number(*r.cpu_percent);
    else w.null();
    w.key("rps");
    if (r.rps) w.number(*r.rps);
    else w.null();
    w.key("instances_cpu").begin_object();
    for (const auto& i : r.instances) w.dynamic_key(i.name).number(i.percent);
    w.end_object();
    w.field("desired", r.desired).field("reason", r.reason).field("action", r.action).end_object();
  }
  w.end_array();
  return out;
}

int run_autoscale(const AutoscaleArgs& a) {
  if (a.min < 1 || a.max < a.min) return std::fprintf(stderr, "scalelab autoscale: need 1 <= --min <= --max\n"), 1;
  if (a.target_cpu <= 0 || a.target_cpu > 100)
    return std::fprintf(stderr, "scalelab autoscale: --target-cpu must be in (0, 100]\n"), 1;
  auto listen = parse_host_port(a.listen, /*allow_port_zero=*/true);
  if (!listen) return std::fprintf(stderr, "scalelab autoscale: --listen: %s\n", listen.error().message.c_str()), 1;
  auto policy = make_policy(a);
  if (!policy) return std::fprintf(stderr, "scalelab autoscale: %s\n", policy.error().message.c_str()), 1;
  const double k = std::max(1.0, a.time_scale);
  const std::filesystem::path dir =
      a.dir.empty() ? std::filesystem::temp_directory_path() / fmt::format("scalelab-autoscale-{}", getpid())
                    : std::filesystem::path(a.dir);
  auto balancer = infra::start_haproxy(
      {.dir = dir / "haproxy", .port = listen->second},
      {.check_interval = std::chrono::duration_cast<std::chrono::milliseconds>(a.check_interval / k),
       .rise = a.rise,
       .fall = a.fall,
       .listen_address = listen->first});
  if (!balancer) return std::fprintf(stderr, "scalelab autoscale: %s\n", balancer.error().message.c_str()), 1;
  std::vector<std::string> argv{infra::self_executable().string(), "serve", a.service};
  argv.insert(argv.end(), a.service_flags.begin(), a.service_flags.end());
  autoscale::InstancePool pool({.argv = argv, .cpu_cores = a.cpu, .log_dir = dir / "instances"},
                               infra::HaproxyAdmin(infra::haproxy_admin_socket(balancer->dir())));
  obs::Registry registry;
  http::Router router;
  std::unique_ptr<http::Server> metrics;
  const auto sync = std::chrono::duration_cast<std::chrono::milliseconds>(a.sync / k);
  autoscale::Controller controller(pool, std::move(*policy), {.sync = sync, .metrics = &registry});
  if (!a.metrics.empty()) {
    auto at = parse_host_port(a.metrics, /*allow_port_zero=*/true);
    if (!at) return std::fprintf(stderr, "scalelab autoscale: --metrics: %s\n", at.error().message.c_str()), 1;
    router.get("/autoscale", [&controller](http::Request&) -> boost::asio::awaitable<http::Response> {
      co_return http::Response::json_text(200, decisions_json(controller.records()));
    });
    metrics = std::make_unique<http::Server>(http::ServerOptions{.address = at->first, .port = at->second, .threads = 1},
                                             router, registry);
    metrics->start();
  }
  g_stop = false;
  auto old_int = std::signal(SIGINT, on_autoscale_signal);
  auto old_term = std::signal(SIGTERM, on_autoscale_signal);
  int code = 0;
  if (auto st = controller.start(a.min); !st) {
    std::fprintf(stderr, "scalelab autoscale: %s\n", st.error().message.c_str());
    code = 1;
  } else {
    std::printf("scalelab autoscale: %s behind HAProxy at %s (%d instances, %s, target CPU %.0f%%, %s; sync %.1fs); "
                "Ctrl-C stops it\n",
                a.service.c_str(), balancer->url().c_str(), pool.size(), pool.limit_description().c_str(),
                a.target_cpu, controller.policy().name().c_str(), sync.count() / 1000.0);
    std::fflush(stdout);
    controller.run(g_stop);
  }
  std::printf("scalelab autoscale: stopping %d instances and the balancer\n", pool.size());
  std::fflush(stdout);
  for (const auto& name : pool.names()) (void)pool.stop_one(name, autoscale::StopMode::kGraceful);
  if (metrics) metrics->stop(), metrics->wait();
  balancer->stop();
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  return code;
}

}  // namespace

void add_autoscale_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<AutoscaleArgs>();
  auto* cmd = app.add_subcommand("autoscale",
                                 "Run a service behind HAProxy with instances scaled on their measured CPU");
  cmd->add_option("service", a->service, "The service to scale (any `scalelab serve` service, e.g. catalog)")
      ->required();
  cmd->add_option("service_flags", a->service_flags, "Flags for each instance's `scalelab serve SERVICE` (after --)");
  add_flag_option(*cmd, "--listen", a->listen, "ADDR:PORT of the balancer's frontend");
  add_flag_option(*cmd, "--min", a->min, "Fewest instances");
  add_flag_option(*cmd, "--max", a->max, "Most instances");
  add_flag_option(*cmd, "--target-cpu", a->target_cpu, "Average CPU to hold, % of each instance's quota");
  add_flag_option(*cmd, "--policy", a->policy, "target-tracking (ECS) or hpa (Kubernetes)")
      ->check(CLI::IsMember({"target-tracking", "hpa"}));
  add_flag_option(*cmd, "--cpu", a->cpu, "Each instance's CPU quota in cores (0: none)");
  add_duration_option(*cmd, "--sync", a->sync, "How often the controller measures and decides");
  add_duration_option(*cmd, "--check-interval", a->check_interval, "The balancer's health check interval");
  add_flag_option(*cmd, "--rise", a->rise, "Passed health checks before an instance takes requests");
  add_flag_option(*cmd, "--fall", a->fall, "Failed health checks before an instance is taken out");
  add_duration_option(*cmd, "--scale-out-cooldown", a->scale_out_cooldown, "target-tracking: after a scale-out");
  add_duration_option(*cmd, "--scale-in-cooldown", a->scale_in_cooldown, "target-tracking: after any scaling");
  add_duration_option(*cmd, "--stabilization", a->stabilization, "hpa: the scale-down stabilization window");
  add_flag_option(*cmd, "--time-scale", a->time_scale,
                  "Divide every period, interval and cooldown by this (fit minutes into seconds)");
  add_flag_option(*cmd, "--metrics", a->metrics, "ADDR:PORT serving GET /metrics and GET /autoscale (decisions)");
  add_flag_option(*cmd, "--dir", a->dir, "Where HAProxy's files and the instances' logs go (default: a temp dir)");
  cmd->callback([a, &exit_code] { exit_code = run_autoscale(*a); });
}

}  // namespace scalelab::app
