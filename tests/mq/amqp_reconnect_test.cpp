// The AMQP broker across a RabbitMQ restart: connection loss is surfaced
// (publishes fail with kUnavailable), then the broker reconnects, declares
// its topology again and the same subscription resumes; and across a frozen
// node (SIGSTOP), whose publishes fail with kTimeout instead of waiting
// forever, or sooner as lost when a heartbeat is set. Starts its own private nodes so the shared fixture is never
// disturbed.
#include <gtest/gtest.h>

#include <csignal>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "support/private_node.h"
#include "mq/amqp_broker.h"
#include "mq/broker.h"
#include "support/eventually.h"

namespace scalelab::mq {
namespace {

using namespace std::chrono_literals;

// Publishes until the broker confirms (a node coming back), for at most 60 s.
Status publish_until_confirmed(Broker& broker, const std::string& exchange, const Message& message) {
  Status up = Error{ErrorKind::kUnavailable, "not tried"};
  scalelab::testkit::eventually([&] { return static_cast<bool>(up = broker.publish(exchange, message)); }, 60s);
  return up;
}

TEST(AmqpUrl, ParsesUserPasswordHostPortVhost) {
  auto a = parse_amqp_url("amqp://u%40x:p%3Aw@10.0.0.1:5673/shop");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->user, "u@x");
  EXPECT_EQ(a->password, "p:w");
  EXPECT_EQ(a->host, "10.0.0.1");
  EXPECT_EQ(a->port, 5673);
  EXPECT_EQ(a->vhost, "shop");
  auto d = parse_amqp_url("amqp://127.0.0.1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->vhost, "/");
  EXPECT_EQ(d->port, 5672);
  EXPECT_EQ(parse_amqp_url("amqp://h/%2F")->vhost, "/");
  EXPECT_FALSE(parse_amqp_url("amqp://h:99999/"));
  EXPECT_FALSE(parse_amqp_url("http://h/"));
}

TEST(AmqpUrl, TakesAHeartbeatParameterAndRefusesOtherParameters) {
  EXPECT_EQ(parse_amqp_url("amqp://h:1")->heartbeat, 0);
  auto a = parse_amqp_url("amqp://u:p@10.0.0.1:5673/shop?heartbeat=2");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->heartbeat, 2);
  EXPECT_EQ(a->vhost, "shop");
  EXPECT_EQ(a->port, 5673);
  auto b = parse_amqp_url("amqp://h:7?heartbeat=5");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->port, 7);
  EXPECT_EQ(b->heartbeat, 5);
  EXPECT_FALSE(parse_amqp_url("amqp://h:1?heartbeat=-1"));
  EXPECT_FALSE(parse_amqp_url("amqp://h:1?heartbeat=x"));
  EXPECT_FALSE(parse_amqp_url("amqp://h:1?frame_max=4096"));
  auto list = parse_amqp_urls("amqp://h:1?heartbeat=3,amqp://h:2");
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ((*list)[0].heartbeat, 3);
  EXPECT_EQ((*list)[1].heartbeat, 0);
}

TEST(AmqpUrl, ParsesACommaSeparatedListOfNodeUrlsInOrder) {
  auto list = parse_amqp_urls("amqp://a:b@127.0.0.1:5701,amqp://127.0.0.1:5702/shop,amqp://h3");
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].port, 5701);
  EXPECT_EQ((*list)[0].user, "a");
  EXPECT_EQ((*list)[1].port, 5702);
  EXPECT_EQ((*list)[1].vhost, "shop");
  EXPECT_EQ((*list)[2].host, "h3");
  EXPECT_EQ((*list)[2].port, 5672);
  EXPECT_EQ(parse_amqp_urls("amqp://u:p%2Cq@h:1")->front().password, "p,q");
  EXPECT_FALSE(parse_amqp_urls("amqp://h:1,"));
  EXPECT_FALSE(parse_amqp_urls("amqp://h:1,http://h:2"));
}

TEST(AmqpBroker, ReconnectsAndResumesConsumingAfterABrokerRestart) {
  testkit::PrivateNode server("rabbitmq", "restart");
  auto started = server.start();
  ASSERT_TRUE(started) << started.error().message;
  auto opened = open_broker(server.url(), {.reconnect_max_backoff = 500ms});
  ASSERT_TRUE(opened) << opened.error().message;
  auto& broker = **opened;
  Topology t;
  t.exchanges = {{"restart.ex", ExchangeType::kDirect}};
  t.queues = {{"restart.q"}};
  t.bindings = {{"restart.q", "restart.ex", "k"}};
  ASSERT_TRUE(broker.declare(t));

  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> got;
  auto sub = broker.subscribe("restart.q", {}, [&](const Delivery& d) {
    std::lock_guard lock(m);
    got.push_back(d.body);
    cv.notify_all();
    return Outcome::kAck;
  });
  ASSERT_TRUE(sub) << sub.error().message;
  auto wait_for = [&](std::size_t n) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, 60s, [&] { return got.size() >= n; });
  };
  ASSERT_TRUE(broker.publish("restart.ex", {.routing_key = "k", .body = "before"}));
  ASSERT_TRUE(wait_for(1));

  server.stop();
  // Loss is surfaced: publishing fails (once the connection notices).
  Status down;
  scalelab::testkit::eventually(
      [&] { return !(down = broker.publish("restart.ex", {.routing_key = "k", .body = "while down"})); }, 10s);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().kind, ErrorKind::kUnavailable);

  // Same port and data dir: the same node comes back.
  auto restarted = server.start();
  ASSERT_TRUE(restarted) << restarted.error().message;
  Status up = publish_until_confirmed(broker, "restart.ex", {.routing_key = "k", .body = "after"});
  ASSERT_TRUE(up) << up.error().message;
  ASSERT_TRUE(wait_for(2));
  std::lock_guard lock(m);
  EXPECT_EQ(got.back(), "after");
  sub->reset();
  opened->reset();
}

TEST(AmqpBroker, APublishAFrozenBrokerNeverConfirmsFailsWithATimeout) {
  testkit::PrivateNode server("rabbitmq", "frozen");
  auto started = server.start();
  ASSERT_TRUE(started) << started.error().message;
  auto opened = open_broker(server.url(), {.confirm_timeout = 1s});
  ASSERT_TRUE(opened) << opened.error().message;
  auto& broker = **opened;
  ASSERT_TRUE(broker.declare({.queues = {{"frozen.q"}}}));
  ASSERT_TRUE(broker.publish("", {.routing_key = "frozen.q", .body = "before"}));

  server.signal(SIGSTOP);  // the node's whole process group: alive, silent, connection open
  auto result = std::make_shared<std::promise<Status>>();  // outlives a test that gives up
  auto outcome = result->get_future();
  broker.publish_async("", {.routing_key = "frozen.q", .body = "frozen"},
                       [result](Status s) { result->set_value(std::move(s)); });
  bool answered = outcome.wait_for(60s) == std::future_status::ready;
  server.signal(SIGCONT);
  ASSERT_TRUE(answered) << "the publish waited for the frozen broker's confirm (no bound)";
  Status frozen = outcome.get();
  ASSERT_FALSE(frozen);
  EXPECT_EQ(frozen.error().kind, ErrorKind::kTimeout) << frozen.error().message;

  // Thawed, the same broker publishes again (the connection was kept or reopened).
  Status up = publish_until_confirmed(broker, "", {.routing_key = "frozen.q", .body = "after"});
  EXPECT_TRUE(up) << up.error().message;
  opened->reset();
}

// With ?heartbeat=1 the client hears nothing from a frozen node for two
// periods and drops the connection: the publish awaiting its confirm fails
// as lost (kUnavailable) within seconds, long before confirm_timeout; thawed,
// the broker reconnects and publishes again.
TEST(AmqpBroker, WithAHeartbeatASilentBrokerIsDroppedBeforeTheConfirmTimeout) {
  testkit::PrivateNode server("rabbitmq", "heartbeat");
  auto started = server.start();
  ASSERT_TRUE(started) << started.error().message;
  auto opened = open_broker(server.url() + "?heartbeat=1", {.reconnect_max_backoff = 500ms, .confirm_timeout = 60s});
  ASSERT_TRUE(opened) << opened.error().message;
  auto& broker = **opened;
  ASSERT_TRUE(broker.declare({.queues = {{"heartbeat.q"}}}));
  ASSERT_TRUE(broker.publish("", {.routing_key = "heartbeat.q", .body = "before"}));

  server.signal(SIGSTOP);
  const auto frozen_at = std::chrono::steady_clock::now();
  auto result = std::make_shared<std::promise<Status>>();  // outlives a test that gives up
  auto outcome = result->get_future();
  broker.publish_async("", {.routing_key = "heartbeat.q", .body = "frozen"},
                       [result](Status s) { result->set_value(std::move(s)); });
  bool answered = outcome.wait_for(30s) == std::future_status::ready;
  const auto waited = std::chrono::steady_clock::now() - frozen_at;
  server.signal(SIGCONT);
  ASSERT_TRUE(answered) << "the publish was still waiting 30 s after the broker fell silent";
  Status frozen = outcome.get();
  ASSERT_FALSE(frozen);
  EXPECT_EQ(frozen.error().kind, ErrorKind::kUnavailable) << frozen.error().message;
  EXPECT_LT(waited, 10s) << "two heartbeat periods are 2 s";

  Status up = publish_until_confirmed(broker, "", {.routing_key = "heartbeat.q", .body = "after"});
  EXPECT_TRUE(up) << up.error().message;
  opened->reset();
}

}  // namespace
}  // namespace scalelab::mq
