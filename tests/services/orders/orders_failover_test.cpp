// The experiment: POST /orders/sync under a steady load while the Redis
// primary under the store is killed with kill -9 (a private primary, two
// replicas and three Sentinels; the service reaches them through
// redis-sentinel://). Clients retry a refused request with the same
// Idempotency-Key, as the API asks. Checked: every order a client was
// answered 200 for is in the store, completed and charged once; printed:
// requests refused during the failover and the seconds until orders
// succeed again.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "orders_support.h"
#include "infra/redis.h"
#include "services/orders/audit.h"
#include "services/orders/record.h"

namespace scalelab::orders {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::field;
using testing::kGoodOrder;
using testing::post;

struct Load {
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};  // answers other than 200 (each retried)
  std::atomic<Clock::rep> killed_at{0};
  std::atomic<Clock::rep> first_ok_after_kill{0};
  std::mutex mu;
  std::vector<std::string> accepted;  // order ids answered 200; guarded by mu
};

// One client: orders one after another, each retried with its key until 200.
void order_until_stopped(std::uint16_t port, Load& load, int client) {
  http::BlockingClient c(http::ClientOptions{.port = port});
  constexpr auto kRetryPause = std::chrono::milliseconds(100);  // the client's own retry pace
  for (int i = 0; !load.stop; ++i) {
    const std::string key = fmt::format("failover-{}-{}", client, i);
    for (;;) {
      auto started = Clock::now().time_since_epoch().count();
      auto r = post(c, "/orders/sync", kGoodOrder, key, std::chrono::seconds(10));
      if (r && r->status == 200) {
        std::lock_guard lock(load.mu);
        load.accepted.push_back(field(r->body, "order_id"));
        Clock::rep none = 0;
        if (load.killed_at != 0 && started > load.killed_at)
          load.first_ok_after_kill.compare_exchange_strong(none, Clock::now().time_since_epoch().count());
        break;
      }
      ++load.refused;
      if (load.stop) return;
      std::this_thread::sleep_for(kRetryPause);
    }
  }
}

// The charges of orders no client was answered 200 for, with what the store
// holds of each (for the failure message).
std::string orphans(store::Store& store, const std::vector<store::KeyValue>& charges,
                    const std::vector<std::string>& accepted) {
  std::string out;
  auto idem = run_blocking(store.scan("order-idem/"));
  for (const auto& [key, value] : charges) {
    std::string id = key.substr(std::string("order-charge/").size());
    if (std::find(accepted.begin(), accepted.end(), id) != accepted.end()) continue;
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

  Load load;
  constexpr int kClients = 4;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) clients.emplace_back([&, c] { order_until_stopped(server.port(), load, c); });
  auto accepted = [&] {
    std::lock_guard lock(load.mu);
    return load.accepted.size();
  };
  ASSERT_TRUE(testkit::eventually([&] { return accepted() >= 100; }, 20s));
  load.killed_at = Clock::now().time_since_epoch().count();
  ::kill(topology->process().pid(), SIGKILL);  // the primary leads the topology's process group
  const bool recovered = testkit::eventually([&] { return load.first_ok_after_kill.load() != 0; }, 20s);
  const auto after = accepted();
  (void)testkit::eventually([&] { return accepted() >= after + 100; }, 10s);
  load.stop = true;
  for (auto& t : clients) t.join();
  ASSERT_TRUE(recovered) << "no order succeeded after the kill";

  auto a = run_blocking(audit(*store, load.accepted));
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto charges = run_blocking(store->scan("order-charge/"));
  ASSERT_TRUE(charges.ok());
  const double seconds =
      std::chrono::duration<double>(Clock::duration(load.first_ok_after_kill - load.killed_at)).count();
  std::printf("orders failover: %zu accepted, %zu completed, %zu charged (%zu charge records in all), %d requests "
              "refused and retried, orders succeeded again %.2f s after kill -9\n",
              a->accepted, a->completed, a->charges, charges->size(), load.refused.load(), seconds);
  EXPECT_TRUE(a->ok()) << a->describe();
  EXPECT_EQ(a->completed, a->accepted);
  EXPECT_EQ(a->charges, a->completed);
  EXPECT_EQ(charges->size(), a->charges) << "a charge for an order no client was answered for: "
                                         << orphans(*store, *charges, load.accepted);
  topology->stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace scalelab::orders
