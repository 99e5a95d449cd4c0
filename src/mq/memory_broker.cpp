#include "mq/memory_broker.h"

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "core/thread_annotations.h"
#include "mq/handler_pool.h"

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
  std::vector<std::condition_variable_any*> wakes;
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
  core::Mutex mutex;
  std::unordered_map<std::string, Exchange> exchanges GUARDED_BY(mutex);
  std::unordered_map<std::string, Queue> queues GUARDED_BY(mutex);

  void route(const std::string& exchange, Stored stored) REQUIRES(mutex) {
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
  void give_back(const std::string& queue, Stored stored, bool requeue) REQUIRES(mutex) {
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

// A subscription with a plain Handler runs `concurrency` threads that each
// take a message and run the handler. One with an AsyncHandler runs a single
// dispatching thread that starts up to `concurrency` handler coroutines on
// its HandlerPool; each settles its message when it completes.
struct MemorySubscription final : Subscription {
  std::shared_ptr<MemoryBroker::State> state;
  std::string queue;
  SubscribeOptions options;
  Handler handler;                     // null with an AsyncHandler
  std::unique_ptr<HandlerPool> pool;   // the AsyncHandler's executor
  bool closed GUARDED_BY(state->mutex) = false;
  bool released GUARDED_BY(state->mutex) = false;  // counted out of the queue's subscriptions
  std::uint64_t next_tag GUARDED_BY(state->mutex) = 1;
  int in_flight GUARDED_BY(state->mutex) = 0;      // handler coroutines started, not completed
  std::unordered_map<std::uint64_t, Stored> unacked GUARDED_BY(state->mutex);
  std::vector<std::thread> workers GUARDED_BY(state->mutex);
  // A message for this queue, room for it, or closed (registered in Queue::wakes).
  std::condition_variable_any wake;

  // The next message this subscription may take: ready, under prefetch
  // and (coroutines) under concurrency.
  Queue* takeable() REQUIRES(state->mutex) {
    auto it = state->queues.find(queue);
    Queue* q = it == state->queues.end() ? nullptr : &it->second;
    if (!q || q->ready.empty() || unacked.size() >= options.prefetch) return nullptr;
    if (pool && in_flight >= options.concurrency) return nullptr;
    return q;
  }

  // Moves the front message of q to unacked; returns its tag and delivery.
  std::pair<std::uint64_t, Delivery> take(Queue& q) REQUIRES(state->mutex) {
    Stored stored = std::move(q.ready.front());
    q.ready.pop_front();
    ++stored.deliveries;
    Delivery d{stored.exchange, stored.message.routing_key, stored.message.body, stored.message.headers,
               stored.deliveries > 1, stored.deliveries};
    std::uint64_t tag = next_tag++;
    unacked.emplace(tag, std::move(stored));
    return {tag, std::move(d)};
  }

  // Applies a handler's outcome (nothing when the message was requeued by
  // abandon meanwhile). A requeued or dead-lettered message wakes its
  // queue's subscriptions.
  void settle(std::uint64_t tag, Outcome outcome) REQUIRES(state->mutex) {
    auto it = unacked.find(tag);
    if (it == unacked.end()) return;
    Stored done = std::move(it->second);
    unacked.erase(it);
    if (outcome != Outcome::kAck) state->give_back(queue, std::move(done), outcome == Outcome::kRequeue);
  }

  void run() {
    state->mutex.lock();
    while (turn()) {
    }
    state->mutex.unlock();
  }

  // Waits for a message and handles it (a Handler, unlocked meanwhile) or
  // starts its coroutine. False once closed.
  bool turn() REQUIRES(state->mutex) {
    Queue* q = nullptr;
    while (!closed && !(q = takeable())) wake.wait(state->mutex);
    if (closed) return false;
    auto [tag, d] = take(*q);
    if (pool) {
      ++in_flight;
      start(tag, std::move(d));
      return true;
    }
    // More waiting and room for it: pass the wake-up on to a sibling.
    if (!q->ready.empty() && unacked.size() < options.prefetch) wake.notify_one();
    state->mutex.unlock();
    Outcome outcome = Outcome::kRequeue;
    try {
      outcome = handler(d);
    } catch (...) {
      outcome = Outcome::kRequeue;
    }
    state->mutex.lock();
    settle(tag, outcome);
    return true;
  }

  // Starts a handler coroutine. Posting to the pool does not run it here,
  // so the broker's lock is not held while it runs.
  void start(std::uint64_t tag, Delivery d) REQUIRES(state->mutex) {
    pool->start(std::move(d), [this, tag](Outcome outcome) {
      core::MutexLock lock(state->mutex);
      --in_flight;
      settle(tag, outcome);
      wake.notify_all();  // the dispatcher (room again) and a closing thread
    });
  }

  void close() override { shut_down(false); }
  void abandon() override { shut_down(true); }

  void shut_down(bool abandon) {
    std::vector<std::thread> joining;
    {
      core::MutexLock lock(state->mutex);
      closed = true;
      if (abandon) requeue_unacked();
      joining.swap(workers);
      wake.notify_all();
    }
    for (auto& t : joining) {
      assert(t.get_id() != std::this_thread::get_id() && "a subscription cannot close itself from its handler");
      t.join();
    }
    {
      core::MutexLock lock(state->mutex);
      while (in_flight > 0) wake.wait(state->mutex);  // running coroutines finish (and settle)
    }
    if (pool) pool->join();
    core::MutexLock lock(state->mutex);
    requeue_unacked();
    if (!released) release();
  }

  void release() REQUIRES(state->mutex) {
    released = true;
    auto q = state->queues.find(queue);
    if (q == state->queues.end()) return;
    std::erase(q->second.wakes, &wake);
    if (--q->second.subscriptions == 0 && q->second.spec.auto_delete) {
      state->queues.erase(q);
      for (auto& [name, e] : state->exchanges) {
        std::erase_if(e.bindings, [&](const auto& b) { return b.first == queue; });
      }
    }
  }

  void requeue_unacked() REQUIRES(state->mutex) {
    for (auto& [tag, stored] : unacked) state->give_back(queue, std::move(stored), true);
    unacked.clear();
  }

  ~MemorySubscription() override { close(); }
};

}  // namespace

MemoryBroker::MemoryBroker() : state_(std::make_shared<State>()) {}
MemoryBroker::~MemoryBroker() = default;

Status MemoryBroker::declare(const Topology& topology) {
  core::MutexLock lock(state_->mutex);
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
    core::MutexLock lock(state_->mutex);
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
  return start_subscription(queue, options, std::move(handler), nullptr);
}

Result<std::unique_ptr<Subscription>> MemoryBroker::subscribe(const std::string& queue, SubscribeOptions options,
                                                              AsyncHandler handler) {
  if (options.threads < 1) return Error{ErrorKind::kInvalidInput, "threads must be at least 1"};
  return start_subscription(queue, options, nullptr, std::move(handler));
}

Result<std::unique_ptr<Subscription>> MemoryBroker::start_subscription(const std::string& queue,
                                                                       SubscribeOptions options, Handler handler,
                                                                       AsyncHandler async_handler) {
  if (options.prefetch < 1 || options.concurrency < 1) {
    return Error{ErrorKind::kInvalidInput, "prefetch and concurrency must be at least 1"};
  }
  auto sub = std::make_unique<MemorySubscription>();
  sub->state = state_;
  sub->queue = queue;
  sub->options = options;
  sub->handler = std::move(handler);
  if (async_handler) sub->pool = std::make_unique<HandlerPool>(std::move(async_handler), options.threads);
  // sub->state is state_, named through sub so the analysis sees the lock
  // that guards the subscription's fields.
  core::MutexLock lock(sub->state->mutex);
  auto q = sub->state->queues.find(queue);
  if (q == sub->state->queues.end()) return Error{ErrorKind::kNotFound, fmt::format("no queue '{}'", queue)};
  ++q->second.subscriptions;
  q->second.wakes.push_back(&sub->wake);
  const int threads = sub->pool ? 1 : options.concurrency;  // a dispatcher, or the handler threads
  for (int i = 0; i < threads; ++i) sub->workers.emplace_back([s = sub.get()] { s->run(); });
  return std::unique_ptr<Subscription>(std::move(sub));
}

Result<std::uint64_t> MemoryBroker::queue_depth(const std::string& queue) {
  core::MutexLock lock(state_->mutex);
  auto q = state_->queues.find(queue);
  if (q == state_->queues.end()) return Error{ErrorKind::kNotFound, fmt::format("no queue '{}'", queue)};
  return static_cast<std::uint64_t>(q->second.ready.size());
}

}  // namespace scalelab::mq
