// Faults on a RabbitMQ cluster this process started (`infra up rabbitmq
// --nodes N`, kept in-process as a Server): which node leads a quorum queue,
// kill -9 of one node, and its restart with its state dir intact (mnesia
// remembers the cluster, so the node rejoins it by itself and its quorum
// queue members catch up from the leader).
// Nodes are named as the cluster names them: rabbit-a@localhost, … (D/nodes).
// Thread-safety: call from one thread at a time per cluster (they change the
// Server's members); queue_leader only reads.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"
#include "infra/servers.h"

namespace scalelab::infra::rabbit_cluster {

// The node leading quorum queue `queue`, asked of the cluster's running
// nodes in turn (`rabbitmqctl -n NODE list_queues name leader`).
Result<std::string> queue_leader(Server& cluster, std::string_view queue);

// kill -9 of the node's process group (the Erlang VM and its helpers), as a
// crash would: no clean shutdown, nothing flushed. Returns once it is gone.
Status kill_node(Server& cluster, std::string_view name);

// Starts a stopped node again on its AMQP port with its state dir, and
// waits until it answers AMQP (it has rejoined) or `timeout`. D/nodes is
// rewritten with its new process group.
Status restart_node(Server& cluster, std::string_view name, std::chrono::seconds timeout);

}  // namespace scalelab::infra::rabbit_cluster
