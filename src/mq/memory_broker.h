// The in-process broker (memory://): exchanges, durable-in-name-only queues
// and subscriptions inside this process, with the semantics of broker.h
// (at-least-once, prefetch, requeue on close, dead-lettering after
// max_deliveries). Confirms are immediate. For single-process runs and tests.
// Thread-safety: one mutex guards all broker state; handlers run unlocked on
// each subscription's threads (or its HandlerPool, for coroutines).
#pragma once

#include <memory>

#include "mq/broker.h"

namespace scalelab::mq {

class MemoryBroker final : public Broker {
 public:
  MemoryBroker();
  ~MemoryBroker() override;

  BrokerKind kind() const override { return BrokerKind::kMemory; }
  Status declare(const Topology& topology) override;
  void publish_async(const std::string& exchange, Message message, PublishCallback done) override;
  Result<std::unique_ptr<Subscription>> subscribe(const std::string& queue, SubscribeOptions options,
                                                  Handler handler) override;
  Result<std::unique_ptr<Subscription>> subscribe(const std::string& queue, SubscribeOptions options,
                                                  AsyncHandler handler) override;
  Result<std::uint64_t> queue_depth(const std::string& queue) override;

  struct State;

 private:
  Result<std::unique_ptr<Subscription>> start_subscription(const std::string& queue, SubscribeOptions options,
                                                           Handler handler, AsyncHandler async_handler);
  std::shared_ptr<State> state_;
};

}  // namespace scalelab::mq
