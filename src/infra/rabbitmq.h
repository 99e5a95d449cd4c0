// Internal to src/infra: what a single RabbitMQ node (rabbitmq.cpp) and a
// cluster of them (rabbitmq_cluster.cpp) share: ports outside rabbitmqctl's
// range, the node's private files and environment, and readiness.
// Thread-safety: the functions are thread-safe (amqp_answers opens its own
// connection).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/result.h"
#include "infra/process.h"
#include "infra/servers.h"

namespace scalelab::infra::rabbit {

inline constexpr const char* kServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
inline constexpr const char* kCtlScript = "/usr/lib/rabbitmq/bin/rabbitmqctl";

// rabbitmqctl itself listens on 35672-35682; no node port may be there.
bool in_rabbitmqctl_range(std::uint16_t port);
Result<std::uint16_t> pick_port_outside_ctl_range();

// True when an AMQP 0-9-1 login and channel open succeed on 127.0.0.1:port.
bool amqp_answers(std::uint16_t port);

// One node: its name (x@localhost), ports and state dir (mnesia/, log/,
// its config files).
struct NodePlan {
  std::string name;
  std::uint16_t port = 0;
  std::uint16_t dist_port = 0;
  std::filesystem::path dir;
};

// Writes the node's config files (no plugins, AMQP on 127.0.0.1 only).
Status write_node_files(const NodePlan& node);

// The environment a node and a rabbitmqctl talking to it share: home holds
// the Erlang cookie, epmd_port is the private epmd's.
std::vector<std::pair<std::string, std::string>> node_env(const NodePlan& node, const std::filesystem::path& home,
                                                          std::uint16_t epmd_port);

// "amqp://guest:guest@127.0.0.1:PORT"
std::string node_url(std::uint16_t port);

}  // namespace scalelab::infra::rabbit
