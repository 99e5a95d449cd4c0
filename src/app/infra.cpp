// `scalelab infra`: start and stop the real servers scalelab uses (Redis,
// RabbitMQ, HAProxy), privately, for tests, experiments and users.
#include <csignal>
#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/options.h"
#include "infra/servers.h"

namespace scalelab::app {
namespace {

std::string kind_list() {
  std::string out;
  for (const auto& k : infra::kinds()) out += fmt::format("\n  {:<10} {}", k.name, k.description);
  return out.empty() ? "\n  (none yet)" : out;
}

struct InfraArgs {
  std::string kind;
  std::string dir;
  std::uint16_t port = 0;
  int nodes = 1;
  // redis only
  int redis_replicas = 0;
  int redis_sentinels = 0;
  int sentinel_down_after_ms = 1'000;
};

void add_start_options(CLI::App& cmd, InfraArgs& a) {
  cmd.add_option("kind", a.kind, "What to start:" + kind_list())->required();
  cmd.add_option("--dir", a.dir, "State directory: data, logs, and the url and pid files")->required();
  // No SCALELAB_PORT here: that one belongs to `serve`.
  cmd.add_option("--port", a.port, "Port on 127.0.0.1 (0: pick a free one)")->capture_default_str();
  cmd.add_option("--nodes", a.nodes, "rabbitmq: a cluster of this many nodes (the url lists them all)")
      ->check(CLI::Range(1, 7))
      ->capture_default_str();
  // redis only
  cmd.add_option("--replicas", a.redis_replicas, "redis: replicas of the primary (needs --sentinels)")
      ->check(CLI::Range(0, 8));
  cmd.add_option("--sentinels", a.redis_sentinels, "redis: Sentinels watching the primary (quorum: a majority)")
      ->check(CLI::Range(0, 9));
  cmd.add_option("--down-after-ms", a.sentinel_down_after_ms,
                 "redis: a primary silent this long is down (Sentinel's down-after-milliseconds)")
      ->check(CLI::Range(100, 60'000))
      ->capture_default_str();
}

Result<infra::Server> start(const InfraArgs& a, bool detached) {
  const auto* kind = infra::find_kind(a.kind);
  if (!kind) {
    return Error{ErrorKind::kInvalidInput, fmt::format("unknown kind '{}'; known:{}", a.kind, kind_list())};
  }
  if (a.nodes > 1 && a.kind != "rabbitmq") return Error{ErrorKind::kInvalidInput, "--nodes: only rabbitmq clusters"};
  return kind->start({.dir = a.dir,
                      .port = a.port,
                      .detached = detached,
                      .nodes = a.nodes,
                      .redis_replicas = a.redis_replicas,
                      .redis_sentinels = a.redis_sentinels,
                      .sentinel_down_after = std::chrono::milliseconds(a.sentinel_down_after_ms)});
}

}  // namespace

void add_infra_commands(CLI::App& app, int& exit_code) {
  auto* infra = app.add_subcommand("infra", "Start and stop private Redis, RabbitMQ and HAProxy servers");
  infra->require_subcommand(1);

  auto up_args = std::make_shared<InfraArgs>();
  auto* up = infra->add_subcommand("up", "Start a server in the background; print its URL and return");
  add_start_options(*up, *up_args);
  up->callback([up_args, &exit_code] {
    // A server left by an aborted run in the same directory goes first.
    if (std::filesystem::exists(std::filesystem::path(up_args->dir) / "pid")) {
      (void)infra::stop_detached(up_args->dir);
    }
    auto server = start(*up_args, /*detached=*/true);
    if (!server) {
      spdlog::error("infra up {}: {}", up_args->kind, server.error().message);
      exit_code = 1;
      return;
    }
    if (auto s = infra::record_detached(*server); !s) {
      spdlog::error("infra up {}: {}", up_args->kind, s.error().message);
      server->stop();
      exit_code = 1;
      return;
    }
    fmt::print("{}\n", server->url());
  });

  auto run_args = std::make_shared<InfraArgs>();
  auto* run = infra->add_subcommand("run", "Start a server and keep it until Ctrl-C");
  add_start_options(*run, *run_args);
  run->callback([run_args, &exit_code] {
    auto server = start(*run_args, /*detached=*/false);
    if (!server) {
      spdlog::error("infra run {}: {}", run_args->kind, server.error().message);
      exit_code = 1;
      return;
    }
    fmt::print("{} at {} (data and logs in {}); Ctrl-C stops it\n", server->kind(), server->url(),
               server->dir().string());
    std::fflush(stdout);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    int sig = 0;
    sigwait(&set, &sig);
    server->stop();
  });

  auto down_dir = std::make_shared<std::string>();
  auto* down = infra->add_subcommand("down", "Stop a server started with `infra up`");
  down->add_option("--dir", *down_dir, "The state directory given to `infra up`")->required();
  down->callback([down_dir, &exit_code] {
    if (auto s = infra::stop_detached(*down_dir); !s) {
      spdlog::error("infra down: {}", s.error().message);
      exit_code = 1;
    }
  });
}

}  // namespace scalelab::app
