// The experiment: POST /orders/sync under a steady load while the Redis
// primary under the store is killed with kill -9 (a private primary, two
// replicas and three Sentinels; the service reaches them through
// redis-sentinel://). Clients retry a refused request with the same
// Idempotency-Key, as the API asks. Checked: every order a client was
// answered 200 for is in the store, completed and charged once; printed:
// requests refused during the failover and the seconds until orders
// succeed again. The clients, the timeline and the charges check are those
// of `lab redis-failover` (lab/redis_failover/probe.h).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "orders_support.h"
#include "infra/redis.h"
#include "lab/redis_failover/probe.h"
#include "services/orders/audit.h"
#include "services/orders/record.h"

namespace scalelab::orders {
namespace {

using namespace std::chrono_literals;

// The charges of orders no client was answered 200 for, with what the store
// holds of each (for the failure message).
std::string describe(store::Store& store, const std::vector<std::string>& ids) {
  std::string out;
  auto idem = run_blocking(store.scan("order-idem/"));
  for (const auto& id : ids) {
    auto record = run_blocking(store.get(order_key(id)));
    out += fmt::format("\n  {} order: {}", id, record.ok() && *record ? **record : "(none)");
    if (idem.ok())
      for (const auto& [k, v] : *idem)
        if (v == id) out += " key: " + k;
  }
  return out;
}

TEST(OrdersFailover, EveryAcceptedOrderSurvivesAKilledRedisPrimaryChargedOnce) {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("scalelab-orders-failover-{}", ::getpid());
  auto topology = infra::start_redis({.dir = dir, .redis_replicas = 2, .redis_sentinels = 3});
  ASSERT_TRUE(topology.ok()) << topology.error().message;
  auto opened = store::open_store(topology->url());
  ASSERT_TRUE(opened.ok());
  auto store = std::move(*opened);
  OrdersService service(*store, nullptr, {.payment = {.slots = 8, .delay = std::chrono::milliseconds(1)}});
  testkit::TestServer server([&](http::Router& r) { service.register_routes(r); });

  lab::failover::Timeline timeline;
  lab::failover::OrderClients load(server.port(), "/orders/sync", 200, "failover", timeline);
  std::atomic<bool> stop{false};
  constexpr int kClients = 4;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) clients.emplace_back([&, c] { load.run(c, stop); });
  ASSERT_TRUE(testkit::eventually([&] { return load.accepted_count() >= 100; }, 20s));
  timeline.mark_kill();
  ::kill(topology->process().pid(), SIGKILL);  // the primary leads the topology's process group
  const bool recovered = testkit::eventually([&] { return timeline.recovered(); }, 20s);
  const auto after = load.accepted_count();
  (void)testkit::eventually([&] { return load.accepted_count() >= after + 100; }, 10s);
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_TRUE(recovered) << "no order succeeded after the kill";

  const auto accepted = load.accepted();
  auto a = run_blocking(audit(*store, accepted));
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto unanswered = lab::failover::unanswered_charges(*store, accepted);
  ASSERT_TRUE(unanswered.ok()) << unanswered.error().message;
  std::printf("orders failover: %zu accepted, %zu completed, %zu charged (%zu charges no client was answered for), "
              "%llu requests refused and retried, orders succeeded again %.2f s after kill -9\n",
              a->accepted, a->completed, a->charges, unanswered->size(),
              static_cast<unsigned long long>(load.refused()), timeline.recovery_s());
  EXPECT_TRUE(a->ok()) << a->describe();
  EXPECT_EQ(a->completed, a->accepted);
  EXPECT_EQ(a->charges, a->completed);
  EXPECT_TRUE(unanswered->empty()) << "a charge for an order no client was answered for: "
                                   << describe(*store, *unanswered);
  topology->stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace scalelab::orders
