// The AMQP 0-9-1 broker (amqp://user:pass@host:port/vhost) on Debian's
// rabbitmq-c, against a real RabbitMQ.
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
// - A lost connection is logged at warn with the reason; publishes in flight
//   and publishes while disconnected fail with kUnavailable; the thread
//   reconnects with exponential backoff, declares the recorded topology again
//   and resumes consuming.
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

#include "core/thread_annotations.h"
#include "mq/broker.h"

namespace scalelab::mq {

struct AmqpAddress {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
  std::string display() const;  // amqp://host:port/vhost, no password
};

Result<AmqpAddress> parse_amqp_url(const std::string& url);

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

  // Everything declared so far, shared with every connection for redeclaring.
  // Auto-delete queues are not in it: the subscription on one declares it
  // (and its bindings) itself, taking it from `transient`.
  struct Declared {
    core::Mutex mutex;
    Topology topology GUARDED_BY(mutex);
    std::map<std::string, Topology> transient GUARDED_BY(mutex);  // by queue name
  };

 private:
  AmqpBroker(AmqpAddress address, BrokerOptions options);
  Result<std::unique_ptr<Subscription>> start_subscription(const std::string& queue, SubscribeOptions options,
                                                           Handler handler, AsyncHandler async_handler);

  AmqpAddress address_;
  BrokerOptions options_;
  std::shared_ptr<Declared> declared_;
  std::unique_ptr<AmqpConnection> publisher_;
};

}  // namespace scalelab::mq
