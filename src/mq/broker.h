// The message bus: a small Broker interface over RabbitMQ (AMQP 0-9-1, via
// rabbitmq-c) and an in-process implementation with the same semantics the
// services rely on:
//  - at-least-once delivery: a message leaves a queue only when a handler acks
//    it; unacked messages go back to the queue when their subscription closes
//    (or its process or connection dies) and are delivered again;
//  - prefetch: a subscription holds at most `prefetch` unacked messages;
//  - dead-lettering: a message rejected without requeue, or delivered
//    `max_deliveries` times without an ack, is routed to the queue's
//    dead-letter exchange (or dropped when it has none);
//  - publish returns (or completes) once the broker has confirmed the message
//    (AMQP publisher confirms; many publishes in flight are confirmed in
//    batches).
// Handlers must be idempotent: a message can arrive more than once.
// Selected by URL with open_broker(): "memory://" or
// "amqp://user:pass@host:port/vhost".
// Handlers are plain functions, run on the subscription's own threads
// (`concurrency` of them), or coroutines (AsyncHandler), run on an executor
// the subscription owns (a pool of `threads` threads) with up to
// `concurrency` in flight; either way the message is settled (acked,
// requeued or rejected) when the handler has completed, and a handler that
// throws requeues it.
// Thread-safety: a Broker and its Subscriptions are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/result.h"

namespace scalelab::mq {

enum class ExchangeType { kDirect, kFanout, kTopic };

// Which implementation a Broker is; strings only at the wire and the CLI.
enum class BrokerKind { kMemory, kAmqp };
std::string_view to_string(BrokerKind kind);  // "memory", "amqp"

struct ExchangeSpec {
  std::string name;
  ExchangeType type = ExchangeType::kDirect;
};

// Queues are durable unless auto_delete. With max_deliveries > 0 a message delivered that many
// times without an ack is dead-lettered (on RabbitMQ: a quorum queue with
// x-delivery-limit = max_deliveries - 1; see docs/mq.md).
struct QueueSpec {
  std::string name;
  std::string dead_letter_exchange;     // empty: none (dead messages are dropped)
  std::string dead_letter_routing_key;  // empty: the message's own routing key
  int max_deliveries = 0;               // 0: no limit
  // Not durable, and deleted when its last subscription closes (reply
  // queues). REQUIRES: max_deliveries == 0.
  bool auto_delete = false;
};

// routing_key: the key for direct exchanges, a pattern for topic exchanges
// ("orders.*", "#.eu"), ignored by fanout exchanges.
struct BindingSpec {
  std::string queue;
  std::string exchange;
  std::string routing_key;
};

// Declaring is idempotent; a Broker remembers what it declared and declares it
// again after reconnecting to a restarted RabbitMQ.
struct Topology {
  std::vector<ExchangeSpec> exchanges;
  std::vector<QueueSpec> queues;
  std::vector<BindingSpec> bindings;
};

using Headers = std::map<std::string, std::string>;

struct Message {
  std::string routing_key;
  std::string body;
  Headers headers;
  bool persistent = true;  // survives a broker restart (delivery mode 2)
};

struct Delivery {
  std::string exchange;
  std::string routing_key;
  std::string body;
  Headers headers;
  bool redelivered = false;     // delivered before (to this or another consumer)
  std::uint32_t delivery_count = 1;  // 1 on the first delivery, when the broker says
};

enum class Outcome {
  kAck,      // done: remove it
  kRequeue,  // try again later (counts towards max_deliveries)
  kReject,   // never: dead-letter it now
};

using Handler = std::function<Outcome(const Delivery&)>;
// A coroutine handler. It owns its Delivery (a value, not a reference: the
// coroutine suspends, and the broker's copy is gone by then).
using AsyncHandler = std::function<boost::asio::awaitable<Outcome>(Delivery)>;

struct SubscribeOptions {
  std::uint16_t prefetch = 16;  // unacked messages held at once (>= concurrency)
  int concurrency = 1;          // handlers running at once (a Handler: its threads)
  int threads = 1;              // an AsyncHandler: threads of the subscription's executor
};

// A consumer on one queue.
// REQUIRES: neither is called from one of its own handlers.
class Subscription {
 public:
  virtual ~Subscription() = default;
  // Graceful (also the destructor): no new deliveries; running handlers
  // finish and their outcomes count; every other unacked message is requeued.
  virtual void close() = 0;
  // As if the consumer's process died: every unacked message is requeued at
  // once; running handlers still run to the end (their outcomes are dropped),
  // and abandon() returns when they have.
  virtual void abandon() = 0;
};

using PublishCallback = std::function<void(Status)>;

class Broker {
 public:
  virtual ~Broker() = default;

  virtual BrokerKind kind() const = 0;

  // Declares exchanges, queues and bindings (idempotent).
  virtual Status declare(const Topology& topology) = 0;

  // Publishes to exchange ("" is the default exchange: routing_key names the
  // queue). done runs on a broker thread once the broker confirmed the
  // message, or with kUnavailable when the connection is down or was lost
  // before the confirm, or with kTimeout when no confirm came within
  // BrokerOptions::confirm_timeout (either way the message may or may not
  // have been delivered).
  virtual void publish_async(const std::string& exchange, Message message, PublishCallback done) = 0;

  // REQUIRES: options.prefetch >= 1, options.concurrency >= 1.
  virtual Result<std::unique_ptr<Subscription>> subscribe(const std::string& queue, SubscribeOptions options,
                                                          Handler handler) = 0;
  // The same with a coroutine handler on the subscription's executor.
  // REQUIRES: also options.threads >= 1.
  virtual Result<std::unique_ptr<Subscription>> subscribe(const std::string& queue, SubscribeOptions options,
                                                          AsyncHandler handler) = 0;

  // Number of messages ready in a queue (not counting unacked ones).
  virtual Result<std::uint64_t> queue_depth(const std::string& queue) = 0;

  // Blocking publish: waits for the confirm.
  Status publish(const std::string& exchange, Message message);
  // Publishes all, then waits for all confirms (the fast way to publish many).
  // Fails with the first failure; the others may have been delivered.
  Status publish_batch(const std::string& exchange, std::vector<Message> messages);
};

// For coroutines (e.g. an HTTP handler): completes on the caller's executor
// once the message is confirmed.
inline boost::asio::awaitable<Status> publish(Broker& broker, const std::string& exchange, Message message) {
  auto executor = co_await boost::asio::this_coro::executor;
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Status)>(
      [&broker, &exchange, executor](auto handler, Message m) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        broker.publish_async(exchange, std::move(m), [shared, executor](Status s) {
          boost::asio::post(executor, [shared, s = std::move(s)]() mutable { (*shared)(std::move(s)); });
        });
      },
      boost::asio::use_awaitable, std::move(message));
}

struct BrokerOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds reconnect_min_backoff{100};
  std::chrono::milliseconds reconnect_max_backoff{3'000};
  // The longest a sent publish waits for the broker's confirm before it
  // fails with kTimeout (a broker that froze without closing the connection).
  std::chrono::milliseconds confirm_timeout{10'000};
  // A cluster (several node URLs): how long a client that lost its node
  // waits before connecting to the next one. RabbitMQ 3.10 was seen to nack
  // every publish, for as long as the channel lived, on a channel opened
  // before the surviving nodes had elected a new leader for a quorum queue
  // whose leader was on the lost node; a second lets them.
  std::chrono::milliseconds failover_delay{1'000};
};

// "memory://" (a new in-process broker) or "amqp://user:pass@host:port/vhost"
// (vhost "/" when the path is empty). Connects before returning (amqp):
// fails with kUnavailable when the broker cannot be reached.
Result<std::unique_ptr<Broker>> open_broker(const std::string& url, const BrokerOptions& options = {});

// Topic-exchange matching: '*' is one word, '#' zero or more ('.'-separated).
bool topic_matches(const std::string& pattern, const std::string& routing_key);

}  // namespace scalelab::mq
