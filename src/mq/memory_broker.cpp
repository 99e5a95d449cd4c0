#include "mq/memory_broker.h"

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

namespace scalelab::mq {

namespace {

struct Stored {
  std::string exchange;
  Message message;
  std::uint32_t deliveries = 0;  // times handed to a handler
};

struct MemorySubscription;

struct Queue {
  QueueSpec spec;
  std::deque<Stored> ready;
  int subscriptions = 0;
  // The wake-up of each subscription on this queue. A new ready message wakes
  // one handler thread per subscription, not every thread of the broker: with
  // hundreds of idle handler threads (hw7's workers) waking all of them on
  // every publish and ack cost more CPU than the work.
  std::vector<std::condition_variable*> wakes;
  void signal() {
    for (auto* w : wakes) w->notify_one();
  }
};

struct Exchange {
  ExchangeType type = ExchangeType::kDirect;
  std::vector<std::pair<std::string, std::string>> bindings;  // queue, routing key
};

}  // namespace

struct MemoryBroker::State {
  std::mutex mutex;
  std::unordered_map<std::string, Exchange> exchanges;
  std::unordered_map<std::string, Queue> queues;

  // REQUIRES: mutex held.
  void route(const std::string& exchange, Stored stored) {
    if (exchange.empty()) {
      auto q = queues.find(stored.message.routing_key);
      if (q != queues.end()) {
        q->second.ready.push_back(std::move(stored));
        q->second.signal();
      }
      return;
    }
    auto e = exchanges.find(exchange);
    if (e == exchanges.end()) return;
    std::vector<std::string> targets;
    for (const auto& [queue, key] : e->second.bindings) {
      bool match = e->second.type == ExchangeType::kFanout ||
                   (e->second.type == ExchangeType::kDirect && key == stored.message.routing_key) ||
                   (e->second.type == ExchangeType::kTopic && topic_matches(key, stored.message.routing_key));
      if (match && std::find(targets.begin(), targets.end(), queue) == targets.end()) targets.push_back(queue);
    }
    for (const auto& t : targets) {
      auto q = queues.find(t);
      if (q == queues.end()) continue;
      Stored copy = stored;
      copy.exchange = exchange;
      copy.deliveries = 0;
      q->second.ready.push_back(std::move(copy));
      q->second.signal();
    }
  }

  // A message its handler gave up on (or whose subscription closed).
  // REQUIRES: mutex held.
  void give_back(const std::string& queue, Stored stored, bool requeue) {
    auto q = queues.find(queue);
    if (q == queues.end()) return;
    const auto& spec = q->second.spec;
    bool exhausted = spec.max_deliveries > 0 && stored.deliveries >= static_cast<std::uint32_t>(spec.max_deliveries);
    if (requeue && !exhausted) {
      q->second.ready.push_front(std::move(stored));
      q->second.signal();
      return;
    }
    if (spec.dead_letter_exchange.empty()) return;
    std::string dlx = spec.dead_letter_exchange;
    if (!spec.dead_letter_routing_key.empty()) stored.message.routing_key = spec.dead_letter_routing_key;
    stored.message.headers["x-first-death-queue"] = queue;
    stored.message.headers["x-first-death-reason"] = requeue ? "delivery_limit" : "rejected";
    route(dlx, std::move(stored));
  }
};

namespace {

struct MemorySubscription final : Subscription {
  std::shared_ptr<MemoryBroker::State> state;
  std::string queue;
  SubscribeOptions options;
  Handler handler;
  // Guarded by state->mutex:
  bool closed = false;
  bool released = false;  // counted out of the queue's subscriptions
  std::uint64_t next_tag = 1;
  std::unordered_map<std::uint64_t, Stored> unacked;
  std::vector<std::thread> workers;
  std::condition_variable wake;  // a message for this queue, or closed (registered in Queue::wakes)

  void run() {
    std::unique_lock lock(state->mutex);
    for (;;) {
      Queue* q = nullptr;
      wake.wait(lock, [&] {
        if (closed) return true;
        auto it = state->queues.find(queue);
        q = it == state->queues.end() ? nullptr : &it->second;
        return q && !q->ready.empty() && unacked.size() < options.prefetch;
      });
      if (closed) return;
      Stored stored = std::move(q->ready.front());
      q->ready.pop_front();
      ++stored.deliveries;
      Delivery d{stored.exchange, stored.message.routing_key, stored.message.body, stored.message.headers,
                 stored.deliveries > 1, stored.deliveries};
      std::uint64_t tag = next_tag++;
      unacked.emplace(tag, std::move(stored));
      // More waiting and room for it: pass the wake-up on to a sibling.
      if (!q->ready.empty() && unacked.size() < options.prefetch) wake.notify_one();
      lock.unlock();
      Outcome outcome = Outcome::kRequeue;
      try {
        outcome = handler(d);
      } catch (...) {
        outcome = Outcome::kRequeue;
      }
      lock.lock();
      auto it = unacked.find(tag);
      if (it == unacked.end()) continue;  // closed meanwhile: already requeued
      Stored done = std::move(it->second);
      unacked.erase(it);
      // A requeued or dead-lettered message wakes its queue's subscriptions;
      // this thread looks for the next message itself.
      if (outcome != Outcome::kAck) state->give_back(queue, std::move(done), outcome == Outcome::kRequeue);
    }
  }

  void close() override { shut_down(false); }
  void abandon() override { shut_down(true); }

  void shut_down(bool abandon) {
    std::vector<std::thread> joining;
    {
      std::lock_guard lock(state->mutex);
      closed = true;
      if (abandon) requeue_unacked();
      joining.swap(workers);
      wake.notify_all();
    }
    for (auto& t : joining) {
      assert(t.get_id() != std::this_thread::get_id() && "a subscription cannot close itself from its handler");
      t.join();
    }
    std::lock_guard lock(state->mutex);
    requeue_unacked();
    if (!released) {
      released = true;
      auto q = state->queues.find(queue);
      if (q != state->queues.end()) std::erase(q->second.wakes, &wake);
      if (q != state->queues.end() && --q->second.subscriptions == 0 && q->second.spec.auto_delete) {
        state->queues.erase(q);
        for (auto& [name, e] : state->exchanges) {
          std::erase_if(e.bindings, [&](const auto& b) { return b.first == queue; });
        }
      }
    }
  }

  // REQUIRES: state->mutex held.
  void requeue_unacked() {
    for (auto& [tag, stored] : unacked) state->give_back(queue, std::move(stored), true);
    unacked.clear();
  }

  ~MemorySubscription() override { close(); }
};

}  // namespace

MemoryBroker::MemoryBroker() : state_(std::make_shared<State>()) {}
MemoryBroker::~MemoryBroker() = default;

Status MemoryBroker::declare(const Topology& topology) {
  std::lock_guard lock(state_->mutex);
  for (const auto& e : topology.exchanges) {
    auto [it, inserted] = state_->exchanges.try_emplace(e.name);
    if (!inserted && it->second.type != e.type) {
      return Error{ErrorKind::kConflict, fmt::format("exchange '{}' exists with another type", e.name)};
    }
    it->second.type = e.type;
  }
  for (const auto& q : topology.queues) {
    auto [it, inserted] = state_->queues.try_emplace(q.name);
    if (inserted) it->second.spec = q;
  }
  for (const auto& b : topology.bindings) {
    auto e = state_->exchanges.find(b.exchange);
    if (e == state_->exchanges.end()) {
      return Error{ErrorKind::kNotFound, fmt::format("no exchange '{}' to bind '{}' to", b.exchange, b.queue)};
    }
    if (!state_->queues.contains(b.queue)) {
      return Error{ErrorKind::kNotFound, fmt::format("no queue '{}' to bind", b.queue)};
    }
    std::pair<std::string, std::string> binding{b.queue, b.routing_key};
    auto& list = e->second.bindings;
    if (std::find(list.begin(), list.end(), binding) == list.end()) list.push_back(std::move(binding));
  }
  return {};
}

void MemoryBroker::publish_async(const std::string& exchange, Message message, PublishCallback done) {
  bool known = false;
  {
    std::lock_guard lock(state_->mutex);
    known = exchange.empty() || state_->exchanges.contains(exchange);
    if (known) {
      state_->route(exchange, Stored{exchange, std::move(message), 0});
    }
  }
  // Confirmed at once: the message is in every queue it routes to.
  if (known) done({});
  else done(Error{ErrorKind::kNotFound, fmt::format("no exchange '{}'", exchange)});
}

Result<std::unique_ptr<Subscription>> MemoryBroker::subscribe(const std::string& queue, SubscribeOptions options,
                                                              Handler handler) {
  if (options.prefetch < 1 || options.concurrency < 1) {
    return Error{ErrorKind::kInvalidInput, "prefetch and concurrency must be at least 1"};
  }
  auto sub = std::make_unique<MemorySubscription>();
  sub->state = state_;
  sub->queue = queue;
  sub->options = options;
  sub->handler = std::move(handler);
  std::lock_guard lock(state_->mutex);
  auto q = state_->queues.find(queue);
  if (q == state_->queues.end()) return Error{ErrorKind::kNotFound, fmt::format("no queue '{}'", queue)};
  ++q->second.subscriptions;
  q->second.wakes.push_back(&sub->wake);
  for (int i = 0; i < options.concurrency; ++i) sub->workers.emplace_back([s = sub.get()] { s->run(); });
  return std::unique_ptr<Subscription>(std::move(sub));
}

Result<std::uint64_t> MemoryBroker::queue_depth(const std::string& queue) {
  std::lock_guard lock(state_->mutex);
  auto q = state_->queues.find(queue);
  if (q == state_->queues.end()) return Error{ErrorKind::kNotFound, fmt::format("no queue '{}'", queue)};
  return static_cast<std::uint64_t>(q->second.ready.size());
}

}  // namespace scalelab::mq
