// The `rabbitmq` kind: a private RabbitMQ node from Debian's rabbitmq-server
// (with Options::nodes > 1, a cluster: rabbitmq_cluster.cpp).
//
// Why it is started this way:
//  - /usr/sbin/rabbitmq-server (the Debian wrapper) drops to the `rabbitmq`
//    user and cds to /var/lib/rabbitmq; we run the real script
//    (/usr/lib/rabbitmq/bin/rabbitmq-server) as the calling user instead, so
//    the data and log dirs only need to be ours, and HOME points at the state
//    dir (a private Erlang cookie).
//  - Each node has its own name (scalelab-<port>@localhost), AMQP port,
//    distribution port and epmd port, all on 127.0.0.1, none in 35672-35682
//    (where `rabbitmqctl` itself listens), so several nodes (tests + an
//    experiment) run at once and never touch the system instance.
//  - epmd would otherwise daemonise itself out of our process group and stay
//    behind; we start it in the foreground of the node's process group, so
//    stopping the group stops everything.
//  - No plugins (an empty enabled-plugins file), no /etc/rabbitmq files.
// Ready means: an AMQP connection logs in and opens a channel.
#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <sys/time.h>

#include <thread>

#include <fmt/format.h>

#include "core/file.h"
#include "infra/rabbitmq.h"

namespace scalelab::infra {

Result<Server> start_rabbitmq_cluster(const Options& o);  // rabbitmq_cluster.cpp

namespace rabbit {

bool in_rabbitmqctl_range(std::uint16_t port) { return port >= 35672 && port <= 35682; }

Result<std::uint16_t> pick_port_outside_ctl_range() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto port = pick_free_port();
    if (!port) return port;
    if (!in_rabbitmqctl_range(*port)) return port;
  }
  return Error{ErrorKind::kUnavailable, "no free port outside 35672-35682"};
}

bool amqp_answers(std::uint16_t port) {
  amqp_connection_state_t conn = amqp_new_connection();
  bool ok = false;
  amqp_socket_t* socket = amqp_tcp_socket_new(conn);
  timeval timeout{2, 0};
  if (socket && amqp_socket_open_noblock(socket, "127.0.0.1", port, &timeout) == AMQP_STATUS_OK) {
    amqp_rpc_reply_t r = amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
      amqp_channel_open(conn, 1);
      ok = amqp_get_rpc_reply(conn).reply_type == AMQP_RESPONSE_NORMAL;
      if (ok) amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
      amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    }
  }
  amqp_destroy_connection(conn);
  return ok;
}

namespace {


}  // namespace

Status write_node_files(const NodePlan& node) {
  if (auto s = prepare_dir(node.dir / "mnesia"); !s) return s;
  if (auto s = prepare_dir(node.dir / "log"); !s) return s;
  if (auto s = write_text(node.dir / "enabled_plugins", "[].\n"); !s) return s;
  if (auto s = write_text(node.dir / "rabbitmq-env.conf", ""); !s) return s;
  // pause_minority: a node cut off from the majority of its cluster stops
  // serving until it is back, instead of both sides serving and diverging
  // (the default, ignore); a single node is never in a minority.
  return write_text(node.dir / "rabbitmq.conf", fmt::format("listeners.tcp.1 = 127.0.0.1:{}\n"
                                                            "disk_free_limit.absolute = 50MB\n"
                                                            "cluster_partition_handling = pause_minority\n",
                                                            node.port));
}

std::vector<std::pair<std::string, std::string>> node_env(const NodePlan& node, const std::filesystem::path& home,
                                                          std::uint16_t epmd_port) {
  const auto& dir = node.dir;
  return {
      {"HOME", home.string()},
      {"ERL_EPMD_PORT", std::to_string(epmd_port)},
      {"ERL_EPMD_ADDRESS", "127.0.0.1"},
      {"RABBITMQ_NODENAME", node.name},
      {"RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"},
      {"RABBITMQ_NODE_PORT", std::to_string(node.port)},
      {"RABBITMQ_DIST_PORT", std::to_string(node.dist_port)},
      {"RABBITMQ_BASE", dir.string()},
      {"RABBITMQ_MNESIA_BASE", (dir / "mnesia").string()},
      {"RABBITMQ_LOG_BASE", (dir / "log").string()},
      {"RABBITMQ_PID_FILE", (dir / "rabbitmq.pid").string()},
      {"RABBITMQ_ENABLED_PLUGINS_FILE", (dir / "enabled_plugins").string()},
      {"RABBITMQ_CONFIG_FILE", (dir / "rabbitmq.conf").string()},
      {"RABBITMQ_ADVANCED_CONFIG_FILE", (dir / "advanced.config").string()},
      {"RABBITMQ_CONF_ENV_FILE", (dir / "rabbitmq-env.conf").string()},
      {"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}"},
  };
}

std::string node_url(std::uint16_t port) { return fmt::format("amqp://guest:guest@127.0.0.1:{}", port); }

}  // namespace rabbit

namespace {

using Clock = std::chrono::steady_clock;
using namespace rabbit;

Result<Server> start_rabbitmq(const Options& o) {
  if (o.nodes > 1) return start_rabbitmq_cluster(o);
  if (!std::filesystem::exists(kServerScript)) {
    return Error{ErrorKind::kUnavailable,
                 fmt::format("{} not found: install rabbitmq-server (scripts/setup.sh)", kServerScript)};
  }
  if (o.port != 0 && in_rabbitmqctl_range(o.port)) {
    return Error{ErrorKind::kInvalidInput, "ports 35672-35682 belong to rabbitmqctl; pick another"};
  }
  NodePlan node{.port = o.port, .dir = std::filesystem::absolute(o.dir)};
  if (node.port == 0) {
    auto p = pick_port_outside_ctl_range();
    if (!p) return p.error();
    node.port = *p;
  }
  auto dist_port = pick_port_outside_ctl_range();
  if (!dist_port) return dist_port.error();
  node.dist_port = *dist_port;
  auto epmd_port = pick_port_outside_ctl_range();
  if (!epmd_port) return epmd_port.error();
  node.name = fmt::format("scalelab-{}@localhost", node.port);
  if (auto s = write_node_files(node); !s) return s.error();

  const auto& dir = node.dir;
  const auto port = node.port;
  const std::filesystem::path log = dir / "server.log";
  ProcessOptions po;
  // epmd first, in our process group; the node waits until it answers.
  po.argv = {"/bin/sh", "-c",
             "epmd -address 127.0.0.1 -port \"$ERL_EPMD_PORT\" & "
             "i=0; until epmd -names >/dev/null 2>&1 || [ $i -ge 100 ]; do sleep 0.1; i=$((i+1)); done; "
             "exec " + std::string(kServerScript)};
  po.env = node_env(node, dir, *epmd_port);
  po.log_file = log;
  po.working_dir = dir;
  po.die_with_parent = !o.detached;
  auto process = Process::spawn(std::move(po));
  if (!process) return process.error();

  const auto deadline = Clock::now() + o.start_timeout;
  while (!amqp_answers(port)) {
    if (!process->running()) {
      return Error{ErrorKind::kUnavailable,
                   fmt::format("rabbitmq-server exited during start (exit {}); log {}:\n{}",
                               process->exit_code().value_or(-1), log.string(), tail_of(log))};
    }
    if (Clock::now() > deadline) {
      process->stop(std::chrono::seconds(15));
      return Error{ErrorKind::kTimeout, fmt::format("rabbitmq did not answer AMQP on port {} within {}s; log {}:\n{}",
                                                    port, o.start_timeout.count(), log.string(), tail_of(log))};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return Server("rabbitmq", node_url(port), port, dir,
                std::move(*process));
}

}  // namespace

Kind rabbitmq_kind() {
  return {"rabbitmq", "RabbitMQ node (AMQP 0-9-1, guest/guest on 127.0.0.1)", start_rabbitmq};
}

}  // namespace scalelab::infra
