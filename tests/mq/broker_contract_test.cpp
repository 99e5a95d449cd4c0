// The Broker contract: every behaviour the services rely on, run against the
// in-process broker (mq_memory_test) and against a private RabbitMQ
// (mq_rabbitmq_test, label rabbitmq). Names are unique per test so runs never
// share queues.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/run_blocking.h"
#include "mq/broker.h"
#include "support/eventually.h"
#include "support/test_server.h"

namespace scalelab::mq {
namespace {

using namespace std::chrono_literals;

#ifdef SCALELAB_MQ_TEST_RABBITMQ
#define BrokerContract RabbitMqBrokerContract
std::string broker_url() { return testkit::infra_url("rabbitmq"); }
#else
#define BrokerContract MemoryBrokerContract
std::string broker_url() { return "memory://"; }
#endif

std::string unique(const std::string& base) {
  static std::atomic<int> n{0};
  return fmt::format("test.{}.{}.{}", base, ::getpid(), n++) + "." + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

// Collects deliveries; tests wait on it instead of sleeping.
struct Inbox {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<Delivery> got;

  void add(const Delivery& d) {
    std::lock_guard lock(mutex);
    got.push_back(d);
    cv.notify_all();
  }
  bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, [&] { return got.size() >= n; });
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return got.size();
  }
  Delivery at(std::size_t i) {
    std::lock_guard lock(mutex);
    return got.at(i);
  }
};

class BrokerContract : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = open_broker(broker_url());
    ASSERT_TRUE(b) << b.error().message;
    broker = std::move(*b);
  }

  // A direct exchange bound to one queue with key "k".
  std::pair<std::string, std::string> direct_queue(QueueSpec spec = {}) {
    std::string ex = unique("ex");
    spec.name = unique("q");
    Topology t;
    t.exchanges.push_back({ex, ExchangeType::kDirect});
    t.queues.push_back(spec);
    t.bindings.push_back({spec.name, ex, "k"});
    auto s = broker->declare(t);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return {ex, spec.name};
  }

  Message msg(const std::string& body) {
    Message m;
    m.routing_key = "k";
    m.body = body;
    return m;
  }

  // Waits (bounded) until a queue holds n ready messages.
  bool wait_depth(const std::string& queue, std::uint64_t n) {
    return testkit::eventually([&] {
      auto d = broker->queue_depth(queue);
      return d && *d == n;
    }, 20s);
  }

  std::unique_ptr<Broker> broker;
};

TEST_F(BrokerContract, PublishedMessageArrivesWithBodyAndHeaders) {
  auto [ex, q] = direct_queue();
  Message m = msg("hello");
  m.headers["job"] = "j-1";
  ASSERT_TRUE(broker->publish(ex, m));
  Inbox inbox;
  auto sub = broker->subscribe(q, {}, [&](const Delivery& d) {
    inbox.add(d);
    return Outcome::kAck;
  });
  ASSERT_TRUE(sub) << sub.error().message;
  ASSERT_TRUE(inbox.wait_for_count(1));
  auto d = inbox.at(0);
  EXPECT_EQ(d.body, "hello");
  EXPECT_EQ(d.routing_key, "k");
  EXPECT_EQ(d.exchange, ex);
  EXPECT_EQ(d.headers["job"], "j-1");
  EXPECT_FALSE(d.redelivered);
  EXPECT_EQ(d.delivery_count, 1u);
}

TEST_F(BrokerContract, ConfirmedBatchIsInTheQueue) {
  auto [ex, q] = direct_queue();
  std::vector<Message> batch;
  for (int i = 0; i < 300; ++i) batch.push_back(msg(std::string(1024, 'a' + i % 26)));
  ASSERT_TRUE(broker->publish_batch(ex, std::move(batch)));
  auto depth = broker->queue_depth(q);
  ASSERT_TRUE(depth) << depth.error().message;
  EXPECT_EQ(*depth, 300u);
}

TEST_F(BrokerContract, PublishFromACoroutineAwaitsTheConfirm) {
  auto [ex, q] = direct_queue();
  Status s = run_blocking(publish(*broker, ex, msg("from a coroutine")));
  ASSERT_TRUE(s) << s.error().message;
  auto depth = broker->queue_depth(q);
  ASSERT_TRUE(depth);
  EXPECT_EQ(*depth, 1u);
}

TEST_F(BrokerContract, PublishToAMissingExchangeFails) {
  Status s = broker->publish(unique("missing"), msg("x"));
  EXPECT_FALSE(s);
  // The broker is still usable afterwards (on RabbitMQ the channel was reset).
  auto [ex, q] = direct_queue();
  Status again = broker->publish(ex, msg("y"));
  if (!again) scalelab::testkit::eventually([&] { return static_cast<bool>(again = broker->publish(ex, msg("y"))); }, 20s);
  EXPECT_TRUE(again) << again.error().message;
}

TEST_F(BrokerContract, AckedMessageIsGoneAfterTheConsumerCloses) {
  auto [ex, q] = direct_queue();
  ASSERT_TRUE(broker->publish(ex, msg("once")));
  Inbox inbox;
  auto sub = broker->subscribe(q, {}, [&](const Delivery& d) {
    inbox.add(d);
    return Outcome::kAck;
  });
  ASSERT_TRUE(sub);
  ASSERT_TRUE(inbox.wait_for_count(1));
  (*sub)->close();
  EXPECT_TRUE(wait_depth(q, 0));
  EXPECT_EQ(inbox.size(), 1u);
}

TEST_F(BrokerContract, RequeuedMessageIsDeliveredAgain) {
  auto [ex, q] = direct_queue();
  ASSERT_TRUE(broker->publish(ex, msg("again")));
  Inbox inbox;
  auto sub = broker->subscribe(q, {}, [&](const Delivery& d) {
    inbox.add(d);
    return inbox.size() == 1 ? Outcome::kRequeue : Outcome::kAck;
  });
  ASSERT_TRUE(sub);
  ASSERT_TRUE(inbox.wait_for_count(2));
  EXPECT_EQ(inbox.at(1).body, "again");
  EXPECT_TRUE(inbox.at(1).redelivered);
  EXPECT_GE(inbox.at(1).delivery_count, 2u);
}

TEST_F(BrokerContract, UnackedMessageGoesToAnotherConsumerWhenItsConsumerGoesAway) {
  auto [ex, q] = direct_queue();
  ASSERT_TRUE(broker->publish(ex, msg("orphan")));
  Inbox first, second;
  std::atomic<bool> released{false};
  auto sub1 = broker->subscribe(q, {}, [&](const Delivery& d) {
    first.add(d);
    // Holds the message unacked until the second consumer has it (bounded).
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!released && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    return Outcome::kAck;
  });
  ASSERT_TRUE(sub1);
  ASSERT_TRUE(first.wait_for_count(1));
  auto sub2 = broker->subscribe(q, {}, [&](const Delivery& d) {
    second.add(d);
    return Outcome::kAck;
  });
  ASSERT_TRUE(sub2);
  std::thread closer([&] { (*sub1)->abandon(); });  // as if its process died
  EXPECT_TRUE(second.wait_for_count(1));
  released = true;
  closer.join();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second.at(0).body, "orphan");
  EXPECT_TRUE(second.at(0).redelivered);
  (*sub2)->close();
  EXPECT_TRUE(wait_depth(q, 0));  // the first consumer's late ack did not resurrect it
}

TEST_F(BrokerContract, PrefetchBoundsUnackedMessagesPerConsumer) {
  auto [ex, q] = direct_queue();
  std::vector<Message> batch;
  for (int i = 0; i < 12; ++i) batch.push_back(msg(std::to_string(i)));
  ASSERT_TRUE(broker->publish_batch(ex, std::move(batch)));
  std::mutex m;
  std::condition_variable cv;
  int in_flight = 0, max_in_flight = 0, done = 0;
  auto sub = broker->subscribe(q, {.prefetch = 2, .concurrency = 4}, [&](const Delivery&) {
    std::unique_lock lock(m);
    max_in_flight = std::max(max_in_flight, ++in_flight);
    cv.notify_all();
    // Hold until a second handler runs (or briefly, when none can).
    cv.wait_for(lock, 100ms, [&] { return in_flight >= 3; });
    --in_flight;
    ++done;
    cv.notify_all();
    return Outcome::kAck;
  });
  ASSERT_TRUE(sub);
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return done == 12; }));
  EXPECT_EQ(max_in_flight, 2);
}

TEST_F(BrokerContract, HandlersRunConcurrently) {
  auto [ex, q] = direct_queue();
  std::vector<Message> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(msg(std::to_string(i)));
  ASSERT_TRUE(broker->publish_batch(ex, std::move(batch)));
  std::mutex m;
  std::condition_variable cv;
  int arrived = 0;
  bool all_together = false;
  auto sub = broker->subscribe(q, {.prefetch = 3, .concurrency = 3}, [&](const Delivery&) {
    std::unique_lock lock(m);
    ++arrived;
    cv.notify_all();
    // Three handlers can only all be here at once when they run concurrently.
    if (cv.wait_for(lock, 20s, [&] { return arrived >= 3; })) all_together = true;
    return Outcome::kAck;
  });
  ASSERT_TRUE(sub);
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return arrived == 3; }));
  lock.unlock();
  (*sub)->close();
  EXPECT_TRUE(all_together);
}

TEST_F(BrokerContract, CloseLetsRunningHandlersFinishAndAck) {
  auto [ex, q] = direct_queue();
  ASSERT_TRUE(broker->publish(ex, msg("finish me")));
  std::mutex m;
  std::condition_variable cv;
  bool entered = false, finished = false;
  auto sub = broker->subscribe(q, {}, [&](const Delivery&) {
    std::unique_lock lock(m);
    entered = true;
    cv.notify_all();
    lock.unlock();
    std::this_thread::sleep_for(100ms);  // still running when close() is called
    lock.lock();
    finished = true;
    return Outcome::kAck;
  });
  ASSERT_TRUE(sub);
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return entered; }));
  }
  (*sub)->close();
  EXPECT_TRUE(finished);
  EXPECT_TRUE(wait_depth(q, 0));
}

// ---- coroutine handlers (AsyncHandler) ----

TEST_F(BrokerContract, CoroutineHandlerIsAckedWhenItCompletes) {
  auto [ex, q] = direct_queue();
  ASSERT_TRUE(broker->publish(ex, msg("co")));
  Inbox inbox;
  auto sub = broker->subscribe(q, {}, AsyncHandler([&](Delivery d) -> boost::asio::awaitable<Outcome> {
                                 // Suspends once, so the ack must wait for the resumed coroutine.
                                 boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 10ms);
                                 co_await t.async_wait(boost::asio::use_awaitable);
                                 inbox.add(d);
                                 co_return Outcome::kAck;
                               }));
  ASSERT_TRUE(sub) << sub.error().message;
  ASSERT_TRUE(inbox.wait_for_count(1));
  EXPECT_EQ(inbox.at(0).body, "co");
  (*sub)->close();
  EXPECT_TRUE(wait_depth(q, 0));
  EXPECT_EQ(inbox.size(), 1u) << "acked: not delivered again";
}

TEST_F(BrokerContract, ThrowingCoroutineHandlerRequeuesTheMessage) {
  auto [ex, q] = direct_queue();
  ASSERT_TRUE(broker->publish(ex, msg("boom")));
  Inbox inbox;
  auto sub = broker->subscribe(q, {}, AsyncHandler([&](Delivery d) -> boost::asio::awaitable<Outcome> {
                                 inbox.add(d);
                                 if (inbox.size() == 1) throw std::runtime_error("handler failed");
                                 co_return Outcome::kAck;
                               }));
  ASSERT_TRUE(sub);
  ASSERT_TRUE(inbox.wait_for_count(2));
  EXPECT_EQ(inbox.at(1).body, "boom");
  EXPECT_TRUE(inbox.at(1).redelivered);
}

TEST_F(BrokerContract, CoroutineHandlersRunConcurrentlyOnOneThread) {
  auto [ex, q] = direct_queue();
  std::vector<Message> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(msg(std::to_string(i)));
  ASSERT_TRUE(broker->publish_batch(ex, std::move(batch)));
  std::atomic<int> running{0}, peak{0}, done{0};
  auto sub = broker->subscribe(
      q, {.prefetch = 3, .concurrency = 3, .threads = 1},
      AsyncHandler([&](Delivery) -> boost::asio::awaitable<Outcome> {
        int now = ++running;
        for (int seen = peak.load(); now > seen && !peak.compare_exchange_weak(seen, now);) {
        }
        // Three coroutines can only all be here at once when one thread
        // interleaves them: each waits for the others without blocking it.
        boost::asio::steady_timer t(co_await boost::asio::this_coro::executor);
        for (auto until = std::chrono::steady_clock::now() + 20s; peak < 3 && std::chrono::steady_clock::now() < until;) {
          t.expires_after(1ms);
          co_await t.async_wait(boost::asio::use_awaitable);
        }
        --running;
        ++done;
        co_return Outcome::kAck;
      }));
  ASSERT_TRUE(sub);
  ASSERT_TRUE(testkit::eventually([&] { return done == 3; }, 30s)) << done;
  (*sub)->close();
  EXPECT_EQ(peak, 3);
}

TEST_F(BrokerContract, CloseWaitsForRunningCoroutinesAndAcksThem) {
  auto [ex, q] = direct_queue();
  ASSERT_TRUE(broker->publish(ex, msg("finish me")));
  std::atomic<bool> entered{false}, finished{false};
  auto sub = broker->subscribe(q, {}, AsyncHandler([&](Delivery) -> boost::asio::awaitable<Outcome> {
                                 entered = true;
                                 boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 100ms);
                                 co_await t.async_wait(boost::asio::use_awaitable);  // running when close() is called
                                 finished = true;
                                 co_return Outcome::kAck;
                               }));
  ASSERT_TRUE(sub);
  ASSERT_TRUE(testkit::eventually([&] { return entered.load(); }, 20s));
  (*sub)->close();
  EXPECT_TRUE(finished);
  EXPECT_TRUE(wait_depth(q, 0));
}

TEST_F(BrokerContract, SubscribeRefusesACoroutineHandlerWithoutThreads) {
  auto [ex, q] = direct_queue();
  auto sub = broker->subscribe(q, {.threads = 0}, AsyncHandler([](Delivery) -> boost::asio::awaitable<Outcome> {
                                 co_return Outcome::kAck;
                               }));
  ASSERT_FALSE(sub);
  EXPECT_EQ(sub.error().kind, ErrorKind::kInvalidInput);
}

struct DeadLetterSetup {
  std::string exchange, queue, dlq;
};

DeadLetterSetup dead_letter_queue(Broker& broker, int max_deliveries) {
  DeadLetterSetup s{unique("ex"), unique("work"), unique("dlq")};
  std::string dlx = unique("dlx");
  Topology t;
  t.exchanges = {{s.exchange, ExchangeType::kDirect}, {dlx, ExchangeType::kFanout}};
  t.queues = {{s.queue, dlx, "", max_deliveries}, {s.dlq}};
  t.bindings = {{s.queue, s.exchange, "k"}, {s.dlq, dlx, ""}};
  auto st = broker.declare(t);
  EXPECT_TRUE(st) << (st ? "" : st.error().message);
  return s;
}

TEST_F(BrokerContract, MessageIsDeadLetteredAfterMaxDeliveries) {
  auto s = dead_letter_queue(*broker, 3);
  ASSERT_TRUE(broker->publish(s.exchange, msg("poison")));
  std::atomic<int> deliveries{0};
  auto sub = broker->subscribe(s.queue, {}, [&](const Delivery&) {
    ++deliveries;
    return Outcome::kRequeue;
  });
  ASSERT_TRUE(sub);
  Inbox dead;
  auto dsub = broker->subscribe(s.dlq, {}, [&](const Delivery& d) {
    dead.add(d);
    return Outcome::kAck;
  });
  ASSERT_TRUE(dsub);
  ASSERT_TRUE(dead.wait_for_count(1));
  EXPECT_EQ(dead.at(0).body, "poison");
  EXPECT_EQ(deliveries.load(), 3);
}

TEST_F(BrokerContract, RejectedMessageIsDeadLetteredAtOnce) {
  auto s = dead_letter_queue(*broker, 5);
  ASSERT_TRUE(broker->publish(s.exchange, msg("bad")));
  std::atomic<int> deliveries{0};
  auto sub = broker->subscribe(s.queue, {}, [&](const Delivery&) {
    ++deliveries;
    return Outcome::kReject;
  });
  ASSERT_TRUE(sub);
  Inbox dead;
  auto dsub = broker->subscribe(s.dlq, {}, [&](const Delivery& d) {
    dead.add(d);
    return Outcome::kAck;
  });
  ASSERT_TRUE(dsub);
  ASSERT_TRUE(dead.wait_for_count(1));
  EXPECT_EQ(dead.at(0).body, "bad");
  EXPECT_EQ(deliveries.load(), 1);
}

TEST_F(BrokerContract, FanoutCopiesToEveryBoundQueue) {
  std::string ex = unique("fan");
  std::string a = unique("a"), b = unique("b"), c = unique("c");
  Topology t;
  t.exchanges = {{ex, ExchangeType::kFanout}};
  t.queues = {{a}, {b}, {c}};
  t.bindings = {{a, ex, ""}, {b, ex, "ignored"}};
  ASSERT_TRUE(broker->declare(t));
  ASSERT_TRUE(broker->publish(ex, msg("everyone")));
  EXPECT_TRUE(wait_depth(a, 1));
  EXPECT_TRUE(wait_depth(b, 1));
  EXPECT_TRUE(wait_depth(c, 0));
}

TEST_F(BrokerContract, TopicRoutesByPattern) {
  std::string ex = unique("topic");
  std::string star = unique("star"), hash = unique("hash"), exact = unique("exact");
  Topology t;
  t.exchanges = {{ex, ExchangeType::kTopic}};
  t.queues = {{star}, {hash}, {exact}};
  t.bindings = {{star, ex, "orders.*.created"}, {hash, ex, "orders.#"}, {exact, ex, "orders.eu.paid"}};
  ASSERT_TRUE(broker->declare(t));
  for (const char* key : {"orders.eu.created", "orders.us.created", "orders.eu.paid", "orders", "payments.eu.created"}) {
    Message m = msg(key);
    m.routing_key = key;
    ASSERT_TRUE(broker->publish(ex, m));
  }
  EXPECT_TRUE(wait_depth(star, 2));
  EXPECT_TRUE(wait_depth(hash, 4));
  EXPECT_TRUE(wait_depth(exact, 1));
}

TEST_F(BrokerContract, DefaultExchangeRoutesByQueueName) {
  std::string q = unique("direct-to-queue");
  ASSERT_TRUE(broker->declare({.queues = {{q}}}));
  Message m = msg("x");
  m.routing_key = q;
  ASSERT_TRUE(broker->publish("", m));
  EXPECT_TRUE(wait_depth(q, 1));
}

#ifndef SCALELAB_MQ_TEST_RABBITMQ
TEST(TopicMatches, StarIsOneWordHashIsAny) {
  EXPECT_TRUE(topic_matches("a.*.c", "a.b.c"));
  EXPECT_FALSE(topic_matches("a.*.c", "a.b.b.c"));
  EXPECT_TRUE(topic_matches("a.#", "a"));
  EXPECT_TRUE(topic_matches("a.#", "a.b.c"));
  EXPECT_TRUE(topic_matches("#.c", "a.b.c"));
  EXPECT_TRUE(topic_matches("#", ""));
  EXPECT_FALSE(topic_matches("a.b", "a.c"));
}

TEST(OpenBroker, RejectsUnknownSchemes) {
  auto b = open_broker("kafka://localhost");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().kind, ErrorKind::kInvalidInput);
}

TEST(OpenBroker, UnreachableAmqpFailsClearly) {
  auto b = open_broker("amqp://guest:guest@127.0.0.1:1/", {.connect_timeout = 2s});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(b.error().message.find("127.0.0.1:1"), std::string::npos) << b.error().message;
}

#endif

}  // namespace
}  // namespace scalelab::mq
