// A RabbitMQ cluster (`infra up rabbitmq --nodes N`): N nodes of Debian's
// rabbitmq-server on one machine, as RabbitMQ's "clustering on a single
// machine" guide does it:
//  - nodes rabbit-a@localhost, rabbit-b@localhost, … each with its own AMQP
//    port, distribution port and state dir (D/rabbit-a/…), all on 127.0.0.1;
//  - one private epmd for the cluster (its own port via ERL_EPMD_PORT, its
//    own process group): the nodes find each other through it, and no epmd
//    of ours is left behind or shared with the system's;
//  - one private Erlang cookie, D/.erlang.cookie (HOME=D for the nodes and
//    for rabbitmqctl);
//  - the nodes boot in parallel (each takes seconds), then every node but
//    the first joins the first (rabbitmqctl stop_app, join_cluster,
//    start_app), one at a time; mnesia starts empty on every `up`, so a
//    cluster never inherits membership from an earlier run.
// The server's URL lists every node's URL joined by commas; D/nodes has one
// line per node, "NAME PORT PGID" (tests kill a node by its process group),
// D/epmd_port the private epmd's port (for restart_node and rabbitmqctl).
// The Server's process is epmd; its members are the nodes, in D/nodes order.
#include "infra/rabbitmq_cluster.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/file.h"
#include "infra/rabbitmq.h"

namespace scalelab::infra {
namespace {

using namespace rabbit;
using Clock = std::chrono::steady_clock;

constexpr int kMaxNodes = 7;
constexpr auto kCtlTimeout = std::chrono::seconds(60);
constexpr auto kEpmdTimeout = std::chrono::seconds(10);

Status write_cookie(const std::filesystem::path& dir) {
  const auto path = dir / ".erlang.cookie";
  std::error_code ec;
  std::filesystem::remove(path, ec);  // it is read-only once written
  std::random_device rd;
  std::string cookie;
  for (int i = 0; i < 20; ++i) cookie.push_back(static_cast<char>('A' + rd() % 26));
  if (auto s = write_text(path, cookie); !s) return s;
  // Erlang refuses a cookie file others can read.
  std::filesystem::permissions(path, std::filesystem::perms::owner_read, ec);
  return {};
}

Result<Process> start_epmd(const std::filesystem::path& dir, std::uint16_t port, bool detached) {
  ProcessOptions po;
  po.argv = {"epmd", "-address", "127.0.0.1", "-port", std::to_string(port)};
  po.log_file = dir / "epmd.log";
  po.die_with_parent = !detached;
  auto epmd = Process::spawn(std::move(po));
  if (!epmd) return epmd.error();
  if (auto s = wait_for_port("127.0.0.1", port, kEpmdTimeout); !s) return s.error();
  return epmd;
}

Result<std::vector<NodePlan>> plan_nodes(const Options& o, const std::filesystem::path& dir) {
  std::vector<NodePlan> nodes;
  for (int i = 0; i < o.nodes; ++i) {
    NodePlan n;
    const char letter = static_cast<char>('a' + i);
    n.name = fmt::format("rabbit-{}@localhost", letter);
    n.dir = dir / fmt::format("rabbit-{}", letter);
    n.port = i == 0 ? o.port : 0;
    if (n.port == 0) {
      auto p = pick_port_outside_ctl_range();
      if (!p) return p.error();
      n.port = *p;
    }
    auto dist = pick_port_outside_ctl_range();
    if (!dist) return dist.error();
    n.dist_port = *dist;
    std::error_code ec;
    std::filesystem::remove_all(n.dir / "mnesia", ec);  // a fresh cluster every time
    if (auto s = write_node_files(n); !s) return s.error();
    nodes.push_back(std::move(n));
  }
  return nodes;
}

// Runs `rabbitmqctl -n NODE args…` against a node of the cluster; its
// output is appended to `log` (default D/rabbitmqctl.log).
Status ctl(const NodePlan& node, const std::filesystem::path& home, std::uint16_t epmd_port,
           std::vector<std::string> args, std::filesystem::path log = {}) {
  if (log.empty()) log = home / "rabbitmqctl.log";
  ProcessOptions po;
  po.argv = {kCtlScript, "-n", node.name};
  po.argv.insert(po.argv.end(), args.begin(), args.end());
  po.env = node_env(node, home, epmd_port);
  po.log_file = log;
  auto p = Process::spawn(std::move(po));
  if (!p) return p.error();
  auto code = p->wait_for(kCtlTimeout);
  if (code == 0) return {};
  return Error{ErrorKind::kUnavailable,
               fmt::format("rabbitmqctl -n {} {} failed (exit {}); log {}:\n{}", node.name, fmt::join(args, " "),
                           code.value_or(-1), log.string(), tail_of(log))};
}

Result<Process> spawn_node(const NodePlan& n, const std::filesystem::path& dir, std::uint16_t epmd_port,
                           bool detached) {
  ProcessOptions po;
  po.argv = {kServerScript};
  po.env = node_env(n, dir, epmd_port);
  po.log_file = n.dir / "server.log";
  po.working_dir = n.dir;
  po.die_with_parent = !detached;
  return Process::spawn(std::move(po));
}

// Waits until every node answers AMQP; fails when one exits or time runs out.
Status await_nodes(const std::vector<NodePlan>& plan, std::vector<Process>& nodes, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const auto log = plan[i].dir / "server.log";
    while (!amqp_answers(plan[i].port)) {
      if (!nodes[i].running()) {
        return Error{ErrorKind::kUnavailable,
                     fmt::format("{} exited during start (exit {}); log {}:\n{}", plan[i].name,
                                 nodes[i].exit_code().value_or(-1), log.string(), tail_of(log))};
      }
      if (Clock::now() > deadline) {
        return Error{ErrorKind::kTimeout, fmt::format("{} did not answer AMQP on port {} within {}s; log {}:\n{}",
                                                      plan[i].name, plan[i].port, timeout.count(), log.string(),
                                                      tail_of(log))};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  return {};
}

Status write_nodes_file(const std::filesystem::path& dir, const std::vector<NodePlan>& plan,
                        const std::vector<Process>& nodes) {
  std::string lines;
  for (std::size_t i = 0; i < plan.size(); ++i)
    lines += fmt::format("{} {} {}\n", plan[i].name, plan[i].port, nodes[i].pid());
  return write_text(dir / "nodes", lines);
}

Status write_epmd_port(const std::filesystem::path& dir, std::uint16_t port) {
  return write_text(dir / "epmd_port", fmt::format("{}\n", port));
}

}  // namespace

Result<Server> start_rabbitmq_cluster(const Options& o) {
  if (!std::filesystem::exists(kServerScript) || !std::filesystem::exists(kCtlScript)) {
    return Error{ErrorKind::kUnavailable,
                 fmt::format("{} not found: install rabbitmq-server (scripts/setup.sh)", kServerScript)};
  }
  if (o.nodes > kMaxNodes) return Error{ErrorKind::kInvalidInput, fmt::format("at most {} nodes", kMaxNodes)};
  if (o.port != 0 && in_rabbitmqctl_range(o.port)) {
    return Error{ErrorKind::kInvalidInput, "ports 35672-35682 belong to rabbitmqctl; pick another"};
  }
  const auto dir = std::filesystem::absolute(o.dir);
  if (auto s = prepare_dir(dir); !s) return s.error();
  if (auto s = write_cookie(dir); !s) return s.error();
  auto plan = plan_nodes(o, dir);
  if (!plan) return plan.error();
  auto epmd_port = pick_port_outside_ctl_range();
  if (!epmd_port) return epmd_port.error();
  auto epmd = start_epmd(dir, *epmd_port, o.detached);
  if (!epmd) return epmd.error();
  if (auto s = write_epmd_port(dir, *epmd_port); !s) return s.error();

  std::vector<Process> nodes;  // stopped (destructors) if anything below fails
  for (const auto& n : *plan) {
    auto p = spawn_node(n, dir, *epmd_port, o.detached);
    if (!p) return p.error();
    nodes.push_back(std::move(*p));
  }
  if (auto s = await_nodes(*plan, nodes, o.start_timeout); !s) return s.error();
  const auto& first = plan->front();
  for (std::size_t i = 1; i < plan->size(); ++i) {
    for (auto args : {std::vector<std::string>{"stop_app"}, {"join_cluster", first.name}, {"start_app"}}) {
      if (auto s = ctl((*plan)[i], dir, *epmd_port, args); !s) return s.error();
    }
  }
  if (auto s = await_nodes(*plan, nodes, o.start_timeout); !s) return s.error();
  if (auto s = write_nodes_file(dir, *plan, nodes); !s) return s.error();

  std::vector<std::string> urls;
  for (const auto& n : *plan) urls.push_back(node_url(n.port));
  Server server("rabbitmq", fmt::format("{}", fmt::join(urls, ",")), first.port, dir, std::move(*epmd));
  for (auto& n : nodes) server.add_member(std::move(n));
  spdlog::info("rabbitmq cluster of {} nodes up: {}", plan->size(), server.url());
  return server;
}

namespace rabbit_cluster {

namespace {

constexpr auto kKilledWait = std::chrono::seconds(10);
constexpr auto kStartPoll = std::chrono::milliseconds(250);

// The cluster as D/nodes and D/epmd_port describe it (node i is member i).
struct ClusterFiles {
  std::vector<NodePlan> nodes;
  std::uint16_t epmd_port = 0;
};

Result<ClusterFiles> read_cluster(Server& cluster) {
  const auto& dir = cluster.dir();
  ClusterFiles files;
  std::ifstream epmd(dir / "epmd_port");
  epmd >> files.epmd_port;
  std::ifstream in(dir / "nodes");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    NodePlan n;
    long pgid = 0;
    if (!(fields >> n.name >> n.port >> pgid)) continue;
    n.dir = dir / n.name.substr(0, n.name.find('@'));
    files.nodes.push_back(std::move(n));
  }
  if (files.epmd_port == 0 || files.nodes.empty() || files.nodes.size() != cluster.members().size())
    return Error{ErrorKind::kInvalidInput,
                 fmt::format("{} is not a cluster this process started (nodes, epmd_port)", dir.string())};
  return files;
}

Result<std::size_t> node_index(const ClusterFiles& files, std::string_view name) {
  for (std::size_t i = 0; i < files.nodes.size(); ++i)
    if (files.nodes[i].name == name) return i;
  return Error{ErrorKind::kNotFound, fmt::format("no node {} in the cluster", name)};
}

// The leader column of `list_queues name leader` for `queue`.
std::optional<std::string> leader_in(const std::filesystem::path& listing, std::string_view queue) {
  std::ifstream in(listing);
  std::string line;
  while (std::getline(in, line)) {  // "NAME\tLEADER"; a classic queue's leader is empty
    const auto tab = line.find('\t');
    if (tab == std::string::npos || line.substr(0, tab) != queue) continue;
    auto leader = line.substr(tab + 1);
    if (!leader.empty()) return leader;
  }
  return std::nullopt;
}

}  // namespace

Result<std::string> queue_leader(Server& cluster, std::string_view queue) {
  auto files = read_cluster(cluster);
  if (!files) return files.error();
  const auto listing = cluster.dir() / "list_queues.out";
  std::string errors;
  for (std::size_t i = 0; i < files->nodes.size(); ++i) {
    if (!cluster.members()[i].running()) continue;
    std::error_code ec;
    std::filesystem::remove(listing, ec);
    auto s = ctl(files->nodes[i], cluster.dir(), files->epmd_port,
                 {"list_queues", "name", "leader", "--quiet", "--no-table-headers"}, listing);
    if (!s) {
      errors += s.error().message + "\n";
      continue;
    }
    if (auto leader = leader_in(listing, queue)) return *leader;
    return Error{ErrorKind::kNotFound, fmt::format("no queue {} (or no leader) in the cluster", queue)};
  }
  return Error{ErrorKind::kUnavailable, "no running node answered list_queues:\n" + errors};
}

Status kill_node(Server& cluster, std::string_view name) {
  auto files = read_cluster(cluster);
  if (!files) return files.error();
  auto i = node_index(*files, name);
  if (!i) return i.error();
  Process& node = cluster.members()[*i];
  node.signal(SIGKILL);  // the whole group: the script, the VM, its port helpers
  if (!node.wait_for(kKilledWait))
    return Error{ErrorKind::kUnavailable, fmt::format("{} still running after kill -9", name)};
  return {};
}

Status restart_node(Server& cluster, std::string_view name, std::chrono::seconds timeout) {
  auto files = read_cluster(cluster);
  if (!files) return files.error();
  auto i = node_index(*files, name);
  if (!i) return i.error();
  if (cluster.members()[*i].running())
    return Error{ErrorKind::kInvalidInput, fmt::format("{} is running", name)};
  NodePlan& plan = files->nodes[*i];
  // A fresh distribution port: the old one may linger in TIME_WAIT, and the
  // other nodes look it up in epmd anyway.
  auto dist = pick_port_outside_ctl_range();
  if (!dist) return dist.error();
  plan.dist_port = *dist;
  auto p = spawn_node(plan, cluster.dir(), files->epmd_port, /*detached=*/false);
  if (!p) return p.error();
  cluster.members()[*i] = std::move(*p);
  const auto log = plan.dir / "server.log";
  const auto deadline = Clock::now() + timeout;
  while (!amqp_answers(plan.port)) {
    if (!cluster.members()[*i].running())
      return Error{ErrorKind::kUnavailable, fmt::format("{} exited during restart; log {}:\n{}", name, log.string(),
                                                        tail_of(log))};
    if (Clock::now() > deadline)
      return Error{ErrorKind::kTimeout, fmt::format("{} did not answer AMQP within {}s after restart; log {}:\n{}",
                                                    name, timeout.count(), log.string(), tail_of(log))};
    std::this_thread::sleep_for(kStartPoll);
  }
  return write_nodes_file(cluster.dir(), files->nodes, cluster.members());
}

}  // namespace rabbit_cluster

}  // namespace scalelab::infra
