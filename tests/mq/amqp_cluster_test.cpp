// The AMQP broker against the three-node cluster fixture (rabbitmq3): a
// queue is replicated on the nodes, and when the node a client uses is
// killed (kill -9 of its process group) every publish is confirmed or
// reported failed, the client goes on through another node, and the
// consumer receives every confirmed message (at least once, as the bus
// promises). The kill leaves the fixture with two of its three nodes, which
// is still a majority for quorum queues, so the tests may run in any order.
#include <gtest/gtest.h>

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

#include "mq/amqp_broker.h"
#include "support/eventually.h"
#include "support/test_server.h"

namespace scalelab::mq {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> split_urls(const std::string& urls) {
  std::vector<std::string> out;
  std::stringstream in(urls);
  for (std::string u; std::getline(in, u, ',');) out.push_back(u);
  return out;
}

// The process group of the node listening on port, from the fixture's nodes
// file ("NAME PORT PGID" per line); 0 when not found.
pid_t node_group(int port) {
  const char* dir = std::getenv("SCALELAB_TEST_RABBITMQ3_DIR");
  if (!dir) return 0;
  std::ifstream in(std::string(dir) + "/nodes");
  std::string name;
  int p = 0;
  pid_t pgid = 0;
  while (in >> name >> p >> pgid) {
    if (p == port) return pgid;
  }
  return 0;
}

int port_of(const std::string& display) {  // amqp://127.0.0.1:PORT/vhost
  auto colon = display.rfind(':');
  return std::atoi(display.c_str() + colon + 1);
}

std::string unique(const std::string& name) { return fmt::format("{}.{}", name, ::getpid()); }

TEST(AmqpCluster, AQueueDeclaredThroughOneNodeIsSeenWithItsMessagesThroughTheOthers) {
  const auto urls = testkit::infra_url("rabbitmq3");
  ASSERT_EQ(split_urls(urls).size(), 3u) << urls;
  auto broker = AmqpBroker::connect(urls, {});
  ASSERT_TRUE(broker) << broker.error().message;
  const auto queue = unique("cluster.seen");
  ASSERT_TRUE((*broker)->declare({.queues = {{queue}}}));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*broker)->publish("", {.routing_key = queue, .body = "m"}));

  int answered = 0;
  for (const auto& url : split_urls(urls)) {
    auto one = AmqpBroker::connect(url, {.connect_timeout = 2s});
    if (!one) continue;  // the node another test killed
    ++answered;
    auto depth = (*one)->queue_depth(queue);
    ASSERT_TRUE(depth) << url << ": " << depth.error().message;
    EXPECT_EQ(*depth, 3u) << url;
  }
  EXPECT_GE(answered, 2) << "a majority of the cluster must answer";
}

struct Outcomes {
  std::mutex mutex;
  int confirmed = 0;
  int failed = 0;
  int confirmed_after_kill = 0;
  std::string last_failure;
  std::vector<std::string> confirmed_bodies;
  int settled() {
    std::lock_guard lock(mutex);
    return confirmed + failed;
  }
};

TEST(AmqpCluster, EveryPublishIsConfirmedOrFailedAndConsumingResumesWhenTheNodeInUseIsKilled) {
  const auto urls = testkit::infra_url("rabbitmq3");
  auto opened = AmqpBroker::connect(urls, {.reconnect_max_backoff = 500ms});
  ASSERT_TRUE(opened) << opened.error().message;
  auto& broker = **opened;
  const auto queue = unique("cluster.orders");
  ASSERT_TRUE(broker.declare({.queues = {{queue}}}));

  std::mutex m;
  std::map<std::string, int> received;  // body -> deliveries
  auto sub = broker.subscribe(queue, {}, [&](const Delivery& d) {
    std::lock_guard lock(m);
    ++received[d.body];
    return Outcome::kAck;
  });
  ASSERT_TRUE(sub) << sub.error().message;

  // A steady rate across the kill, on until publishing has resumed (a
  // quorum queue whose leader died nacks until the survivors elect one).
  constexpr int kBeforeKill = 100;
  constexpr int kResumedAfter = 50;  // confirmed after the kill
  constexpr auto kGiveUp = 40s;
  const std::string before = broker.connected_node();
  const pid_t victim = node_group(port_of(before));
  ASSERT_GT(victim, 0) << "no node listens on " << before;
  Outcomes out;
  bool killed = false;
  auto resumed = [&] {
    std::lock_guard lock(out.mutex);
    return out.confirmed_after_kill >= kResumedAfter;
  };
  int sent = 0;
  std::chrono::steady_clock::time_point kill_time;
  for (; sent < kBeforeKill || !resumed(); ++sent) {
    if (sent == kBeforeKill) {
      ASSERT_EQ(::kill(-victim, SIGKILL), 0);
      kill_time = std::chrono::steady_clock::now();
      killed = true;
    }
    if (killed && std::chrono::steady_clock::now() - kill_time > kGiveUp) break;
    std::string body = std::to_string(sent);
    const bool after_kill = killed;
    broker.publish_async("", {.routing_key = queue, .body = body}, [&out, after_kill, body](Status s) {
      std::lock_guard lock(out.mutex);
      if (!s) {
        out.last_failure = s.error().message;
        return void(++out.failed);
      }
      ++out.confirmed;
      out.confirmed_bodies.push_back(body);
      if (after_kill) ++out.confirmed_after_kill;
    });
    std::this_thread::sleep_for(10ms);
  }
  const double resume_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - kill_time).count();
  const int kMessages = sent;
  ASSERT_TRUE(testkit::eventually([&] { return out.settled() == kMessages; }, 60s))
      << "publishes neither confirmed nor failed: " << kMessages - out.settled();
  EXPECT_NE(broker.connected_node(), before);
  std::lock_guard lock(out.mutex);
  EXPECT_GT(out.confirmed_after_kill, 0) << "publishing did not resume on another node; last failure: "
                                         << out.last_failure;
  auto all_received = [&] {
    std::lock_guard rl(m);
    for (const auto& b : out.confirmed_bodies) {
      if (!received.count(b)) return false;
    }
    return true;
  };
  EXPECT_TRUE(testkit::eventually(all_received, 60s)) << "a confirmed message never reached the consumer";
  std::lock_guard rl(m);
  int duplicates = 0;
  for (const auto& [body, n] : received) duplicates += n - 1;
  std::cout << fmt::format("{} published, {} confirmed ({} after the kill), {} failed, {} received, {} redelivered; "
                           "{} confirmed after the kill within {:.1f} s\n",
                           kMessages, out.confirmed, out.confirmed_after_kill, out.failed, received.size(), duplicates,
                           kResumedAfter, resume_s);
}

}  // namespace
}  // namespace scalelab::mq
