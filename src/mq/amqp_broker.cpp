#include "mq/amqp_broker.h"

#include <condition_variable>
#include <deque>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/thread_annotations.h"
#include "mq/amqp_connection.h"
#include "mq/handler_pool.h"

namespace scalelab::mq {

using namespace detail;

namespace {

// The consumer of one queue on its own connection. Deliveries arrive on the
// connection's thread and are queued here. A plain Handler runs on
// `concurrency` threads that take from the queue; an AsyncHandler's
// coroutines are started on the subscription's HandlerPool, up to
// `concurrency` at once. Either way the outcome goes back to the connection
// as an ack request once the handler has completed.
class AmqpSubscription final : public Subscription {
 public:
  AmqpSubscription(Handler handler, AsyncHandler async_handler, SubscribeOptions options)
      : handler_(std::move(handler)), options_(options) {
    if (async_handler) pool_ = std::make_unique<HandlerPool>(std::move(async_handler), options.threads);
  }

  Status start(std::vector<AmqpAddress> addresses, BrokerOptions broker_options,
               std::shared_ptr<AmqpBroker::Declared> declared, const std::string& queue, Topology own) {
    AmqpConnection::ConsumerSetup setup;
    setup.queue = queue;
    setup.own = std::move(own);
    setup.prefetch = options_.prefetch;
    setup.deliver = [this](Work w) { deliver(std::move(w)); };
    setup.lost = [this] {
      core::MutexLock lock(mutex_);
      work_.clear();
    };
    connection_ = std::make_unique<AmqpConnection>(std::move(addresses), broker_options, std::move(declared),
                                                   std::move(setup));
    if (!pool_) {
      for (int i = 0; i < options_.concurrency; ++i) workers_.emplace_back([this] { work(); });
    }
    Status s = connection_->start();
    if (!s) abandon();
    return s;
  }

  // Graceful: handlers finish and their acks are sent, then the connection
  // closes (the broker requeues what was prefetched but not started).
  void close() override {
    {
      core::MutexLock lock(mutex_);
      closed_ = true;
      work_.clear();
      cv_.notify_all();
    }
    join_handlers();
    if (connection_) connection_->stop();
    connection_.reset();
  }

  // As if the process died: the connection closes first, so every unacked
  // message is requeued; running handlers' outcomes are dropped.
  void abandon() override {
    if (connection_) connection_->stop();
    {
      core::MutexLock lock(mutex_);
      closed_ = true;
      abandoned_ = true;
      work_.clear();
      cv_.notify_all();
    }
    join_handlers();
    connection_.reset();
  }

  ~AmqpSubscription() override { close(); }

 private:
  // On the connection's thread.
  void deliver(Work w) {
    core::MutexLock lock(mutex_);
    if (closed_) return;  // not acked: the broker requeues it when the connection closes
    work_.push_back(std::move(w));
    if (pool_) start_next();
    else cv_.notify_one();
  }

  // Starts queued work while under the concurrency limit (coroutines).
  void start_next() REQUIRES(mutex_) {
    while (!closed_ && !work_.empty() && in_flight_ < options_.concurrency) {
      Work w = std::move(work_.front());
      work_.pop_front();
      ++in_flight_;
      // Posted to the pool: the coroutine does not run under mutex_.
      pool_->start(std::move(w.delivery), [this, generation = w.generation, tag = w.tag](Outcome outcome) {
        core::MutexLock lock(mutex_);
        --in_flight_;
        if (!abandoned_) connection_->ack({generation, tag, outcome});
        start_next();
        cv_.notify_all();  // a closing thread waits for in_flight_ == 0
      });
    }
  }

  // A handler thread (plain Handler).
  void work() {
    for (;;) {
      Work w;
      {
        core::MutexLock lock(mutex_);
        while (!closed_ && work_.empty()) cv_.wait(mutex_);
        if (closed_) return;
        w = std::move(work_.front());
        work_.pop_front();
      }
      Outcome outcome = Outcome::kRequeue;
      try {
        outcome = handler_(w.delivery);
      } catch (const std::exception& e) {
        spdlog::warn("mq handler threw: {}; requeueing", e.what());
      }
      core::MutexLock lock(mutex_);
      if (abandoned_) return;
      connection_->ack({w.generation, w.tag, outcome});
      if (closed_) return;
    }
  }

  // Waits for the handler threads, or for the running coroutines and the
  // pool's threads.
  void join_handlers() {
    for (auto& t : workers_) {
      if (t.joinable()) t.join();
    }
    workers_.clear();
    if (!pool_) return;
    {
      core::MutexLock lock(mutex_);
      while (in_flight_ > 0) cv_.wait(mutex_);
    }
    pool_->join();
  }

  Handler handler_;                    // null with an AsyncHandler
  SubscribeOptions options_;
  std::unique_ptr<HandlerPool> pool_;  // the AsyncHandler's executor
  std::unique_ptr<AmqpConnection> connection_;
  std::vector<std::thread> workers_;
  core::Mutex mutex_;
  std::condition_variable_any cv_;
  bool closed_ GUARDED_BY(mutex_) = false;     // no new work
  bool abandoned_ GUARDED_BY(mutex_) = false;  // outcomes dropped
  int in_flight_ GUARDED_BY(mutex_) = 0;       // coroutines started, not completed
  std::deque<Work> work_ GUARDED_BY(mutex_);
};

}  // namespace

AmqpBroker::AmqpBroker(std::vector<AmqpAddress> addresses, BrokerOptions options)
    : addresses_(std::move(addresses)), options_(options), declared_(std::make_shared<Declared>()) {}

AmqpBroker::~AmqpBroker() {
  if (publisher_) publisher_->stop();
}

Result<std::unique_ptr<AmqpBroker>> AmqpBroker::connect(const std::string& url, const BrokerOptions& options) {
  auto addresses = parse_amqp_urls(url);
  if (!addresses) return addresses.error();
  std::unique_ptr<AmqpBroker> broker(new AmqpBroker(*addresses, options));
  broker->publisher_ = std::make_unique<AmqpConnection>(*addresses, options, broker->declared_, std::nullopt);
  if (auto s = broker->publisher_->start(); !s) return s.error();
  return broker;
}

std::string AmqpBroker::connected_node() const { return publisher_->address().display(); }

Status AmqpBroker::declare(const Topology& topology) {
  const bool replicated = addresses_.size() > 1;
  auto r = publisher_->call<bool>([topology, replicated](amqp_connection_state_t c) -> Result<bool> {
    if (!c) return Error{ErrorKind::kUnavailable, "connection lost"};
    if (auto s = declare_on(c, topology, replicated); !s) return s.error();
    return true;
  });
  if (!r) return r.error();
  core::MutexLock lock(declared_->mutex);
  auto& t = declared_->topology;
  t.exchanges.insert(t.exchanges.end(), topology.exchanges.begin(), topology.exchanges.end());
  for (const auto& q : topology.queues) {
    if (q.auto_delete) declared_->transient[q.name].queues.push_back(q);
    else t.queues.push_back(q);
  }
  for (const auto& b : topology.bindings) {
    auto tq = declared_->transient.find(b.queue);
    if (tq != declared_->transient.end()) tq->second.bindings.push_back(b);
    else t.bindings.push_back(b);
  }
  return {};
}

void AmqpBroker::publish_async(const std::string& exchange, Message message, PublishCallback done) {
  publisher_->publish(exchange, std::move(message), std::move(done));
}

Result<std::unique_ptr<Subscription>> AmqpBroker::subscribe(const std::string& queue, SubscribeOptions options,
                                                            Handler handler) {
  return start_subscription(queue, options, std::move(handler), nullptr);
}

Result<std::unique_ptr<Subscription>> AmqpBroker::subscribe(const std::string& queue, SubscribeOptions options,
                                                            AsyncHandler handler) {
  if (options.threads < 1) return Error{ErrorKind::kInvalidInput, "threads must be at least 1"};
  return start_subscription(queue, options, nullptr, std::move(handler));
}

Result<std::unique_ptr<Subscription>> AmqpBroker::start_subscription(const std::string& queue,
                                                                     SubscribeOptions options, Handler handler,
                                                                     AsyncHandler async_handler) {
  if (options.prefetch < 1 || options.concurrency < 1) {
    return Error{ErrorKind::kInvalidInput, "prefetch and concurrency must be at least 1"};
  }
  auto sub = std::make_unique<AmqpSubscription>(std::move(handler), std::move(async_handler), options);
  Topology own;
  {
    core::MutexLock lock(declared_->mutex);
    auto tq = declared_->transient.find(queue);
    if (tq != declared_->transient.end()) {
      own = std::move(tq->second);
      declared_->transient.erase(tq);
    }
  }
  if (auto s = sub->start(addresses_, options_, declared_, queue, std::move(own)); !s) return s.error();
  return std::unique_ptr<Subscription>(std::move(sub));
}

Result<std::uint64_t> AmqpBroker::queue_depth(const std::string& queue) {
  return publisher_->call<std::uint64_t>([queue](amqp_connection_state_t c) -> Result<std::uint64_t> {
    if (!c) return Error{ErrorKind::kUnavailable, "connection lost"};
    auto* ok = amqp_queue_declare(c, kRpcChannel, amqp_cstring_bytes(queue.c_str()), 1, 0, 0, 0, amqp_empty_table);
    auto r = amqp_get_rpc_reply(c);
    if (r.reply_type != AMQP_RESPONSE_NORMAL || !ok) {
      return Error{ErrorKind::kNotFound, fmt::format("queue '{}': {}", queue, describe(r))};
    }
    return static_cast<std::uint64_t>(ok->message_count);
  });
}

}  // namespace scalelab::mq
