#include "mq/bench.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "core/ids.h"

namespace scalelab::mq {

namespace {

// A queue with a delivery limit is a quorum queue on RabbitMQ; any limit will do.
constexpr int kQuorumDeliveryLimit = 5;

}  // namespace

Result<PublishBenchResult> publish_bench(Broker& broker, const PublishBenchOptions& options) {
  std::string queue;
  assign_random_hex_id(queue);
  queue = "bench.publish." + queue;
  QueueSpec spec{.name = queue};
  if (options.quorum) spec.max_deliveries = kQuorumDeliveryLimit;
  if (auto s = broker.declare({.queues = {spec}}); !s) return s.error();
  const std::string body(options.size, 'x');
  const auto start = std::chrono::steady_clock::now();
  std::size_t sent = 0;
  while (sent < options.messages) {
    const std::size_t n = std::min(options.batch, options.messages - sent);
    std::vector<Message> batch(n, Message{.routing_key = queue, .body = body});
    if (auto s = broker.publish_batch("", std::move(batch)); !s) return s.error();
    sent += n;
  }
  return PublishBenchResult{sent, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

}  // namespace scalelab::mq
