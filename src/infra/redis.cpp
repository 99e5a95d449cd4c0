#include "infra/redis.h"

#include <hiredis/hiredis.h>

#include <thread>

#include <fmt/format.h>

#include "core/file.h"

namespace scalelab::infra {

namespace {

using Clock = std::chrono::steady_clock;

// How long a failover may take before a Sentinel tries again (it also bounds
// the replicas' reconfiguration); short, as the topology is local.
constexpr std::chrono::milliseconds kFailoverTimeout{3'000};
constexpr std::chrono::milliseconds kRedisPollPause{50};

// Runs one command on 127.0.0.1:port and hands the reply to check; false
// when there is no reply.
template <class Check>
bool reply_satisfies(std::uint16_t port, const char* command, Check check) {
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{0, 500'000});
  if (c == nullptr) return false;
  bool ok = false;
  if (c->err == 0) {
    redisSetTimeout(c, timeval{0, 500'000});
    auto* r = static_cast<redisReply*>(redisCommand(c, command));
    ok = r != nullptr && check(*r);
    if (r != nullptr) freeReplyObject(r);
  }
  redisFree(c);
  return ok;
}

bool answers_ping(std::uint16_t port) {
  return reply_satisfies(port, "PING", [](const redisReply& r) {
    return r.type == REDIS_REPLY_STATUS && std::string_view(r.str, r.len) == "PONG";
  });
}

bool replica_link_up(std::uint16_t port) {
  return reply_satisfies(port, "INFO replication", [](const redisReply& r) {
    return r.type == REDIS_REPLY_STRING && std::string_view(r.str, r.len).find("master_link_status:up") !=
                                               std::string_view::npos;
  });
}

// An array reply with at least n elements.
bool lists_at_least(std::uint16_t port, const char* command, std::size_t n) {
  return reply_satisfies(port, command,
                         [n](const redisReply& r) { return r.type == REDIS_REPLY_ARRAY && r.elements >= n; });
}

Result<std::uint16_t> port_or_free(std::uint16_t port) {
  if (port != 0) return port;
  return pick_free_port();
}

struct Spawned {
  Process process;
  std::uint16_t port;
};

// One redis-server (or Sentinel) named name under dir; group > 0 joins
// that process group.
Result<Spawned> spawn_server(const Options& o, const std::string& name, std::uint16_t port,
                             std::vector<std::string> extra, pid_t group) {
  // Logs side by side in the state dir; data (an RDB a replica's full sync
  // writes) in a dir per server, so two servers never share a dump.rdb.
  auto log = std::filesystem::absolute(o.dir) / (name + ".log");
  auto dir = std::filesystem::absolute(o.dir) / name;
  if (auto made = prepare_dir(dir); !made) return made.error();
  // Everything on the command line (but a Sentinel's own file, which it
  // rewrites): no config file to go stale.
  std::vector<std::string> argv{"redis-server"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::vector<std::string> common{"--port", std::to_string(port), "--bind", "127.0.0.1", "--dir", dir.string(),
                                  "--logfile", log.string(), "--daemonize", "no", "--protected-mode", "yes"};
  argv.insert(argv.end(), common.begin(), common.end());
  auto process = Process::spawn({.argv = std::move(argv),
                                 .log_file = std::filesystem::absolute(o.dir) / (name + ".stdout.log"),
                                 .join_process_group = group,
                                 .die_with_parent = !o.detached});
  if (!process) return process.error();
  return Spawned{std::move(*process), port};
}

// Polls ready() until it holds, the process exits or the start timeout passes.
template <class Ready>
Status wait_until(const Options& o, Process& process, const std::string& what, const std::string& log, Ready ready) {
  auto deadline = Clock::now() + o.start_timeout;
  while (!ready()) {
    if (!process.running() || Clock::now() > deadline) {
      return Error{ErrorKind::kUnavailable,
                   fmt::format("{} not ready; {}:\n{}", what, log, tail_of(std::filesystem::absolute(o.dir) / log))};
    }
    std::this_thread::sleep_for(kRedisPollPause);
  }
  return {};
}

Result<Spawned> start_data_server(const Options& o, const std::string& name, std::uint16_t port,
                                  std::vector<std::string> extra, pid_t group) {
  // A replica's full sync starts at once (Redis waits 5 s by default for
  // more replicas to share a diskless transfer).
  std::vector<std::string> args{"--save", "", "--appendonly", "no", "--databases", "16",
                                "--repl-diskless-sync-delay", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto s = spawn_server(o, name, port, std::move(args), group);
  if (!s) return s;
  if (auto ok = wait_until(o, s->process, fmt::format("redis-server on 127.0.0.1:{}", port), name + ".log",
                           [&] { return answers_ping(port); });
      !ok)
    return ok.error();
  return s;
}

Status write_sentinel_config(const std::filesystem::path& file, std::uint16_t primary, int quorum,
                             const Options& o) {
  return write_text(file, fmt::format("sentinel monitor {0} 127.0.0.1 {1} {2}\n"
                                      "sentinel down-after-milliseconds {0} {3}\n"
                                      "sentinel failover-timeout {0} {4}\n"
                                      "sentinel parallel-syncs {0} 1\n",
                                      kSentinelMaster, primary, quorum, o.sentinel_down_after.count(),
                                      kFailoverTimeout.count()));
}

Result<Server> start_topology(const Options& o) {
  auto primary_port = port_or_free(o.port);
  if (!primary_port) return primary_port.error();
  auto primary = start_data_server(o, "primary", *primary_port, {}, 0);
  if (!primary) return primary.error();
  const pid_t group = primary->process.pid();
  std::vector<Process> members;  // released once all are up; the group reaches them
  for (int i = 1; i <= o.redis_replicas; ++i) {
    auto port = pick_free_port();
    if (!port) return port.error();
    auto name = fmt::format("replica-{}", i);
    auto replica = start_data_server(o, name, *port, {"--replicaof", "127.0.0.1", std::to_string(*primary_port)},
                                     group);
    if (!replica) return replica.error();
    members.push_back(std::move(replica->process));
    if (auto ok = wait_until(o, members.back(), name + " replication link", name + ".log",
                             [p = *port] { return replica_link_up(p); });
        !ok)
      return ok.error();
  }
  const int quorum = o.redis_sentinels / 2 + 1;
  std::vector<std::uint16_t> sentinel_ports;
  for (int i = 1; i <= o.redis_sentinels; ++i) {
    auto port = pick_free_port();
    if (!port) return port.error();
    auto name = fmt::format("sentinel-{}", i);
    auto conf = std::filesystem::absolute(o.dir) / (name + ".conf");
    if (auto ok = write_sentinel_config(conf, *primary_port, quorum, o); !ok) return ok.error();
    auto sentinel = spawn_server(o, name, *port, {conf.string(), "--sentinel"}, group);
    if (!sentinel) return sentinel.error();
    members.push_back(std::move(sentinel->process));
    sentinel_ports.push_back(*port);
  }
  for (std::size_t i = 0; i < sentinel_ports.size(); ++i) {
    auto name = fmt::format("sentinel-{}", i + 1);
    auto replicas = fmt::format("SENTINEL replicas {}", kSentinelMaster);
    auto peers = fmt::format("SENTINEL sentinels {}", kSentinelMaster);
    auto p = sentinel_ports[i];
    if (auto ok = wait_until(o, members[o.redis_replicas + i], name + " (replicas and peers known)", name + ".log",
                             [&] {
                               return lists_at_least(p, replicas.c_str(), o.redis_replicas) &&
                                      lists_at_least(p, peers.c_str(), sentinel_ports.size() - 1);
                             });
        !ok)
      return ok.error();
  }
  for (auto& m : members) m.release();
  std::string hosts;
  for (auto p : sentinel_ports) hosts += fmt::format("{}127.0.0.1:{}", hosts.empty() ? "" : ",", p);
  return Server("redis", fmt::format("redis-sentinel://{}/{}", hosts, kSentinelMaster), sentinel_ports.front(),
                std::filesystem::absolute(o.dir), std::move(primary->process));
}

}  // namespace

Result<Server> start_redis(const Options& options) {
  if (auto s = prepare_dir(options.dir); !s) return s.error();
  if (options.redis_sentinels > 0) return start_topology(options);
  if (options.redis_replicas > 0)
    return Error{ErrorKind::kInvalidInput, "redis replicas need Sentinels to fail over to them (--sentinels N)"};
  auto port = port_or_free(options.port);
  if (!port) return port.error();
  auto server = start_data_server(options, "redis", *port, {}, 0);
  if (!server) return server.error();
  return Server("redis", fmt::format("redis://127.0.0.1:{}", *port), *port, std::filesystem::absolute(options.dir),
                std::move(server->process));
}

}  // namespace scalelab::infra
