// The AMQP 0-9-1 broker (amqp://user:pass@host:port/vhost) on Debian's
// rabbitmq-c, against a real RabbitMQ node or cluster (a list of node URLs
// joined by commas: amqp://h:1,amqp://h:2,…).
// rabbitmq-c is blocking and not thread-safe, so every connection has its own
// thread and nothing else touches it: one connection for publishing and
// declaring, and one per subscription (its handlers run on `concurrency`
// worker threads, or its coroutines on the subscription's HandlerPool; acks
// go back through the connection's thread). Files: amqp_url.cpp (the URL),
// amqp_wire.{h,cpp} (rabbitmq-c helpers, topology declaration),
// amqp_connection.{h,cpp} (a connection and its thread), amqp_broker.cpp
// (the broker and its consumers).
// - Publishes are queued to the connection thread, which sends all it has and
//   then reads the confirms (basic.ack, often `multiple`), so concurrent
//   publishers are confirmed in batches.
// - A lost connection is logged at warn with the reason; publishes sent and
//   not yet confirmed fail with kUnavailable (the message may or may not be
//   in the queue); publishes queued while disconnected wait up to
//   connect_timeout for a connection, then fail with kUnavailable; none is
//   dropped without its callback. The thread reconnects with exponential
//   backoff (reconnect_min_backoff doubling up to reconnect_max_backoff),
//   declares the recorded topology again and resumes consuming.
// - A cluster: every connection starts with the first node that answers and,
//   on loss, moves to the next node of the list (round robin), so a killed
//   node's clients go on through the others. Durable queues are then quorum
//   queues (replicated on the cluster's nodes; a classic queue lives on one
//   node and is gone with it, and declaring it again would fail).
// - A publish sent but not confirmed within confirm_timeout fails with
//   kTimeout; the connection is kept (a frozen broker never closes it).
// - Delivery limits: queues with max_deliveries > 0 are quorum queues with
//   x-delivery-limit = max_deliveries - 1 (RabbitMQ counts returns, so the
//   message is delivered at most max_deliveries times); other queues are
//   durable classic queues.
// Thread-safety: as Broker (broker.h).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "core/thread_annotations.h"
#include "mq/broker.h"

namespace scalelab::mq {

struct AmqpAddress {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
  // AMQP heartbeat in seconds (`?heartbeat=N`, RabbitMQ's URI parameter);
  // 0, the default, asks for none. With N > 0 the broker closes a connection
  // it has heard nothing from for about 2N s (a host cut off by the network),
  // so the unacked messages of its consumers are delivered again to others,
  // and the client drops a connection silent for as long and reconnects.
  int heartbeat = 0;
  std::string display() const;  // amqp://host:port/vhost, no password
};

// amqp://user:pass@host:port/vhost?heartbeat=N (only that parameter).
Result<AmqpAddress> parse_amqp_url(const std::string& url);
// One URL or several joined by commas (a cluster's nodes, in the order they
// are tried). A ',' inside a user or password must be percent-encoded.
Result<std::vector<AmqpAddress>> parse_amqp_urls(const std::string& urls);

class AmqpConnection;

class AmqpBroker final : public Broker {
 public:
  static Result<std::unique_ptr<AmqpBroker>> connect(const std::string& url, const BrokerOptions& options);
  ~AmqpBroker() override;

  BrokerKind kind() const override { return BrokerKind::kAmqp; }
  Status declare(const Topology& topology) override;
  void publish_async(const std::string& exchange, Message message, PublishCallback done) override;
  Result<std::unique_ptr<Subscription>> subscribe(const std::string& queue, SubscribeOptions options,
                                                  Handler handler) override;
  Result<std::unique_ptr<Subscription>> subscribe(const std::string& queue, SubscribeOptions options,
                                                  AsyncHandler handler) override;
  Result<std::uint64_t> queue_depth(const std::string& queue) override;

  // The node the publishing connection uses now (amqp://host:port/vhost).
  std::string connected_node() const;

  // Everything declared so far, shared with every connection for redeclaring.
  // Auto-delete queues are not in it: the subscription on one declares it
  // (and its bindings) itself, taking it from `transient`.
  struct Declared {
    core::Mutex mutex;
    Topology topology GUARDED_BY(mutex);
    std::map<std::string, Topology> transient GUARDED_BY(mutex);  // by queue name
  };

 private:
  AmqpBroker(std::vector<AmqpAddress> addresses, BrokerOptions options);
  Result<std::unique_ptr<Subscription>> start_subscription(const std::string& queue, SubscribeOptions options,
                                                           Handler handler, AsyncHandler async_handler);

  std::vector<AmqpAddress> addresses_;
  BrokerOptions options_;
  std::shared_ptr<Declared> declared_;
  std::unique_ptr<AmqpConnection> publisher_;
};

}  // namespace scalelab::mq
