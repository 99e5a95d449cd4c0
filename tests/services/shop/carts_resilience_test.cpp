// carts with and without the resilience policies (issue 6), catalog behind
// the in-process fault proxy: the course's /cart/{user_id} API, the cache
// fallback and degraded_mode, the breaker opening and closing again, and the
// vulnerable version's visible failure.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "faultproxy/faultproxy.h"
#include "services/catalog/catalog.h"
#include "services/shop/shop.h"
#include "services/shop/shop_fixture.h"
#include "support/eventually.h"
#include "support/test_server.h"

namespace scalelab {
namespace {

using namespace std::chrono_literals;
using faultproxy::Fault;
using faultproxy::FaultKind;
using testkit::ShopClient;
using testkit::ShopReply;

// backend (catalog + warehouse + payments) <- fault proxy <- carts (front).
struct Rig {
  explicit Rig(bool resilient, std::chrono::milliseconds breaker_wait = 300ms,
               std::chrono::milliseconds off_timeout = 1'500ms) {
    shop::ShopOptions o;
    o.products = 1'000;
    auto backend = shop::ShopHost::create(shop::kCatalog | shop::kWarehouse | shop::kPayments, o);
    if (!backend) throw std::runtime_error(backend.error().message);
    backend_host = std::move(*backend);
    backend_server = std::make_unique<testkit::TestServer>([this](http::Router& r) { backend_host->register_routes(r); });
    proxy = std::make_unique<faultproxy::FaultProxy>(
        faultproxy::ProxyOptions{.upstream_port = backend_server->port(), .seed = 7});
    proxy->start();
    std::string backend_url = fmt::format("http://127.0.0.1:{}", backend_server->port());
    o.catalog_url = fmt::format("http://127.0.0.1:{}", proxy->port());
    o.warehouse_url = o.payments_url = backend_url;
    o.resilience.enabled = resilient;
    o.resilience.breaker_wait = breaker_wait;
    o.resilience.off_timeout = off_timeout;
    o.metrics = &front_metrics;
    auto front = shop::ShopHost::create(shop::kCarts, o);
    if (!front) throw std::runtime_error(front.error().message);
    front_host = std::move(*front);
    front_server = std::make_unique<testkit::TestServer>([this](http::Router& r) { front_host->register_routes(r); });
    client = std::make_unique<ShopClient>(front_server->port());
  }
  ~Rig() { proxy->stop(); }

  ShopReply add(const std::string& user, int product, int quantity = 1) {
    return client->post(fmt::format("/cart/{}/add", user),
                        fmt::format(R"({{"product_id":{},"quantity":{}}})", product, quantity));
  }
  ShopReply view(const std::string& user) { return client->get("/cart/" + user); }
  // hw5's routes.
  int new_cart() {
    auto r = client->post("/shopping-carts", R"({"customer_id":1})");
    EXPECT_EQ(r.status, 201u) << r.body;
    return r.status == 201 ? static_cast<int>(r.json().at("shopping_cart_id").as_int64()) : 0;
  }
  ShopReply add_item(int cart, int product, int quantity = 1) {
    return client->post(fmt::format("/shopping-carts/{}/items", cart),
                        fmt::format(R"({{"product_id":{},"quantity":{}}})", product, quantity));
  }
  ShopReply view_cart(int cart) { return client->get(fmt::format("/shopping-carts/{}", cart)); }
  ShopReply checkout(int cart) {
    return client->post(fmt::format("/shopping-carts/{}/checkout", cart), R"({"credit_card_number":"4111111111111111"})");
  }
  void fault(Fault f) { ASSERT_TRUE(proxy->add(std::move(f)).ok()); }
  // Time one call.
  template <class F>
  static std::pair<ShopReply, std::chrono::milliseconds> timed(F f) {
    auto t0 = std::chrono::steady_clock::now();
    ShopReply r = f();
    return {r, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)};
  }

  obs::Registry front_metrics;  // carts' policies export here; declared first, destroyed last
  std::unique_ptr<shop::ShopHost> backend_host, front_host;
  std::unique_ptr<testkit::TestServer> backend_server, front_server;
  std::unique_ptr<faultproxy::FaultProxy> proxy;
  std::unique_ptr<ShopClient> client;
};

boost::json::object obj(const ShopReply& r) { return boost::json::parse(r.body).as_object(); }

// n adds of product by user, each answered 200 from the cache (degraded,
// the price pending at `cached_price`) within a generous bound: the policy
// bounds a catalog call at 200 ms.
void expect_adds_from_cache(Rig& rig, const std::string& user, int product, double cached_price, int n) {
  for (int i = 0; i < n; ++i) {
    auto [r, took] = Rig::timed([&] { return rig.add(user, product); });
    ASSERT_EQ(r.status, 200u) << r.body;
    auto o = obj(r);
    EXPECT_TRUE(o.at("degraded_mode").as_bool());
    EXPECT_TRUE(o.at("item").at("price_pending").as_bool());
    EXPECT_NEAR(o.at("item").at("price").to_number<double>(), cached_price, 0.001);
    EXPECT_LT(took, 2s);
  }
}

TEST(Catalog, ServesTheCoursesFiveProducts) {
  Rig rig(true);
  ShopClient backend(rig.backend_server->port());
  struct Want { int id; const char* name; double price; int stock; };
  for (Want w : {Want{1, "Laptop", 999.99, 10}, Want{2, "Mouse", 29.99, 100}, Want{3, "Keyboard", 79.99, 50},
                 Want{4, "Monitor", 299.99, 20}, Want{5, "Headphones", 149.99, 30}}) {
    auto r = backend.get(fmt::format("/products/{}", w.id));
    ASSERT_EQ(r.status, 200u) << r.body;
    auto o = obj(r);
    EXPECT_EQ(o.at("name").as_string(), w.name);
    EXPECT_DOUBLE_EQ(o.at("price").to_number<double>(), w.price);
    EXPECT_EQ(o.at("stock").as_int64(), w.stock);
    EXPECT_TRUE(o.contains("sku"));  // still hw5's Product
  }
  auto other = obj(backend.get("/products/6"));
  EXPECT_GT(other.at("price").to_number<double>(), 0.0);
  EXPECT_FALSE(other.contains("stock"));
}

TEST(UserCart, AddViewAndDeleteWhenHealthy) {
  for (bool resilient : {true, false}) {
    Rig rig(resilient);
    auto a = rig.add("user_1", 1, 2);
    ASSERT_EQ(a.status, 200u) << a.body;
    EXPECT_EQ(obj(a).at("item").at("price_pending").as_bool(), false);
    EXPECT_EQ(obj(a).at("degraded_mode").as_bool(), false);
    ASSERT_EQ(rig.add("user_1", 2, 1).status, 200u);
    ASSERT_EQ(rig.add("user_1", 1, 1).status, 200u);  // the same product adds up
    auto v = rig.view("user_1");
    ASSERT_EQ(v.status, 200u) << v.body;
    auto o = obj(v);
    ASSERT_EQ(o.at("items").as_array().size(), 2u);
    EXPECT_EQ(o.at("items").as_array()[0].at("quantity").as_int64(), 3);
    EXPECT_EQ(o.at("items").as_array()[0].at("name").as_string(), "Laptop");
    EXPECT_NEAR(o.at("total").to_number<double>(), 3 * 999.99 + 29.99, 0.001);
    EXPECT_EQ(o.at("circuit_breaker").as_string(), resilient ? "closed" : "none");
    EXPECT_EQ(rig.client->post("/cart/user_1/add", "{}").status, 400u);
    EXPECT_EQ(rig.add("user_1", 999'999).status, 404u);
    EXPECT_EQ(rig.client->get("/cart/bad%20user").status, 400u);
    // DELETE empties the cart.
    http::BlockingClient c({.host = "127.0.0.1", .port = rig.front_server->port()});
    http::ClientRequest del{.method = http::Method::kDelete, .target = "/cart/user_1"};
    auto d = c.send(std::move(del), 5s);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->status, 204u);
    EXPECT_EQ(obj(rig.view("user_1")).at("items").as_array().size(), 0u);
  }
}

TEST(CartsResilienceOn, CatalogReturning503IsAnsweredFromTheCacheInDegradedMode) {
  Rig rig(true);
  ASSERT_EQ(rig.add("user_1", 3).status, 200u);  // warms the cache
  rig.fault({.name = "err", .kind = FaultKind::kHttpError, .status = 503});
  expect_adds_from_cache(rig, "user_2", 3, 79.99, 6);  // Keyboard
  EXPECT_EQ(obj(rig.view("user_2")).at("circuit_breaker").as_string(), "open");
  // A product never seen is still added, unpriced.
  auto unseen = rig.add("user_2", 4);
  ASSERT_EQ(unseen.status, 200u) << unseen.body;
  EXPECT_TRUE(obj(unseen).at("item").at("price_pending").as_bool());
}

TEST(CartsResilienceOn, PoliciesExportTheirStateAndCountersToTheProcessMetrics) {
  Rig rig(true);
  ASSERT_EQ(rig.add("user_1", 3).status, 200u);
  EXPECT_EQ(testkit::metric_value(rig.front_metrics, R"(resilience_calls_total{downstream="catalog",result="success"})"), 1);
  rig.fault({.name = "err", .kind = FaultKind::kHttpError, .status = 503});
  for (int i = 0; i < 6; ++i) ASSERT_EQ(rig.add("user_2", 3).status, 200u);  // answered from the cache
  EXPECT_GT(testkit::metric_value(rig.front_metrics, R"(resilience_calls_total{downstream="catalog",result="failure"})"), 0);
  EXPECT_GT(testkit::metric_value(rig.front_metrics,
                                  R"(resilience_calls_total{downstream="catalog",result="rejected_circuit_open"})"), 0);
  // carts' cache answers outside the policy's own fallback hook, so the
  // breaker's state is what shows the degradation here.
  EXPECT_EQ(testkit::metric_value(rig.front_metrics, R"(resilience_circuit_breaker_state{name="catalog",state="open"})"), 1)
      << rig.front_metrics.render();
}

TEST(CartsResilienceOn, HangingCatalogIsBoundedByTheDeadline) {
  Rig rig(true);
  ASSERT_EQ(rig.add("user_1", 5).status, 200u);
  rig.fault({.name = "hang", .kind = FaultKind::kHang});
  for (int i = 0; i < 5; ++i) {
    auto [r, took] = Rig::timed([&] { return rig.add("user_1", 5); });
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_TRUE(obj(r).at("degraded_mode").as_bool());
    EXPECT_LT(took, 2s);  // a hang would otherwise last until the client's 10 s
  }
  auto [v, took] = Rig::timed([&] { return rig.view("user_1"); });
  ASSERT_EQ(v.status, 200u) << v.body;
  EXPECT_TRUE(obj(v).at("items").as_array()[0].at("price_pending").as_bool());
  EXPECT_LT(took, 2s);
}

TEST(CartsResilienceOn, BreakerOpensAfterThreeFailuresAndClosesAfterRecovery) {
  Rig rig(true, /*breaker_wait=*/300ms);
  ASSERT_EQ(rig.add("user_1", 1).status, 200u);
  rig.fault({.name = "err", .kind = FaultKind::kHttpError, .status = 503});
  ASSERT_EQ(rig.add("user_1", 1).status, 200u);  // 2 attempts = 2 failures
  ASSERT_EQ(rig.add("user_1", 1).status, 200u);  // the 3rd opens it
  auto before = rig.proxy->stats().faults_applied[static_cast<std::size_t>(FaultKind::kHttpError)];
  EXPECT_EQ(obj(rig.add("user_1", 1)).at("circuit_breaker").as_string(), "open");
  // Open: the catalog is not called at all.
  EXPECT_EQ(rig.proxy->stats().faults_applied[static_cast<std::size_t>(FaultKind::kHttpError)], before);
  rig.proxy->clear();  // the catalog recovers
  // After the wait, two trial calls succeed and the breaker closes.
  // The breaker's wait is real time: poll until the trials have closed it.
  testkit::ShopReply last;
  bool closed = testkit::eventually(
      [&] {
        last = rig.add("user_1", 1);
        return last.status == 200u && obj(last).at("circuit_breaker").as_string() == "closed" &&
               !obj(last).at("degraded_mode").as_bool();
      },
      5s);
  EXPECT_TRUE(closed) << last.status << " " << last.body;
}

TEST(CartsResilienceOff, CatalogReturning503FailsTheCall) {
  Rig rig(false);
  ASSERT_EQ(rig.add("user_1", 2).status, 200u);
  rig.fault({.name = "err", .kind = FaultKind::kHttpError, .status = 503});
  for (int i = 0; i < 4; ++i) EXPECT_EQ(rig.add("user_1", 2).status, 503u);
  EXPECT_EQ(rig.view("user_1").status, 503u);  // one failed item fails the cart
}

TEST(CartsResilienceOff, HangingCatalogHoldsTheCallerUntilItsLongDeadline) {
  Rig rig(false, 300ms, /*off_timeout=*/1'000ms);
  rig.fault({.name = "hang", .kind = FaultKind::kHang});
  auto [r, took] = Rig::timed([&] { return rig.add("user_1", 2); });
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_GE(took, 900ms);  // held for the whole client deadline, not cut short
}

// ---- hw5's /shopping-carts routes: the same fallback ----

TEST(ShoppingCartsResilienceOn, CatalogReturning503StillAddsItemsAndViewsFromTheCache) {
  Rig rig(true);
  int cart = rig.new_cart();
  auto first = rig.add_item(cart, 7, 2);  // healthy: warms the cache
  ASSERT_EQ(first.status, 204u) << first.body;
  EXPECT_EQ(first.header("X-Degraded-Mode"), "false");
  EXPECT_EQ(first.header("X-Circuit-Breaker"), "closed");
  auto healthy = obj(rig.view_cart(cart));
  EXPECT_FALSE(healthy.at("degraded_mode").as_bool());
  EXPECT_FALSE(healthy.at("items").as_array()[0].at("price_pending").as_bool());

  rig.fault({.name = "err", .kind = FaultKind::kHttpError, .status = 503});
  for (int i = 0; i < 4; ++i) {
    auto [r, took] = Rig::timed([&] { return rig.add_item(cart, 7); });
    ASSERT_EQ(r.status, 204u) << r.body;  // the contract's answer, degraded
    EXPECT_EQ(r.header("X-Degraded-Mode"), "true");
    EXPECT_LT(took, 2s);  // generous: the policy bounds a catalog call at 200 ms
  }
  auto unseen = rig.add_item(cart, 8);  // never seen: still added, unconfirmed
  ASSERT_EQ(unseen.status, 204u) << unseen.body;
  EXPECT_EQ(unseen.header("X-Degraded-Mode"), "true");
  EXPECT_EQ(unseen.header("X-Circuit-Breaker"), "open");

  auto [v, took] = Rig::timed([&] { return rig.view_cart(cart); });
  ASSERT_EQ(v.status, 200u) << v.body;
  EXPECT_LT(took, 2s);
  auto o = obj(v);
  EXPECT_TRUE(o.at("degraded_mode").as_bool());
  EXPECT_EQ(o.at("circuit_breaker").as_string(), "open");
  const auto& items = o.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("quantity").as_int64(), 6);
  EXPECT_EQ(items[0].at("product").at("sku").as_string(), "SKU-000007");  // from the cache
  EXPECT_TRUE(items[0].at("price_pending").as_bool());
  EXPECT_TRUE(items[1].at("product").is_null());  // never seen: nothing to show
  EXPECT_TRUE(items[1].at("price_pending").as_bool());
}

TEST(ShoppingCartsResilienceOn, HangingCatalogIsBoundedAndDoesNotStopCheckout) {
  Rig rig(true);
  int cart = rig.new_cart();
  ASSERT_EQ(rig.add_item(cart, 9, 3).status, 204u);
  rig.fault({.name = "hang", .kind = FaultKind::kHang});
  auto [a, add_took] = Rig::timed([&] { return rig.add_item(cart, 9); });
  ASSERT_EQ(a.status, 204u) << a.body;
  EXPECT_EQ(a.header("X-Degraded-Mode"), "true");
  EXPECT_LT(add_took, 2s);  // a hang would otherwise last until the client's 10 s
  auto [v, view_took] = Rig::timed([&] { return rig.view_cart(cart); });
  ASSERT_EQ(v.status, 200u) << v.body;
  EXPECT_TRUE(obj(v).at("items").as_array()[0].at("price_pending").as_bool());
  EXPECT_LT(view_took, 2s);
  // Checkout reserves, charges and ships (warehouse, payments): no catalog call.
  auto c = rig.checkout(cart);
  ASSERT_EQ(c.status, 200u) << c.body;
  EXPECT_FALSE(std::string(obj(c).at("order_id").as_string()).empty());
  ShopClient backend(rig.backend_server->port());
  EXPECT_EQ(obj(backend.get("/warehouse/stock/9")).at("available").as_int64(), 1'000 - 4);
}

TEST(ShoppingCartsResilienceOff, CatalogFaultsFailAddAndView) {
  Rig rig(false);
  int cart = rig.new_cart();
  auto first = rig.add_item(cart, 7);
  ASSERT_EQ(first.status, 204u) << first.body;
  EXPECT_EQ(first.header("X-Circuit-Breaker"), "none");
  EXPECT_EQ(obj(rig.view_cart(cart)).at("circuit_breaker").as_string(), "none");
  rig.fault({.name = "err", .kind = FaultKind::kHttpError, .status = 503});
  for (int i = 0; i < 4; ++i) {
    auto r = rig.add_item(cart, 7);
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_EQ(r.error_code(), "DOWNSTREAM_UNAVAILABLE");
  }
  EXPECT_EQ(rig.view_cart(cart).status, 503u);  // one failed item fails the cart
}

// ---- every fault kind of the proxy, through carts ----

std::vector<Fault> every_fault_kind() {
  return {{.name = "error", .kind = FaultKind::kHttpError, .status = 503},
          {.name = "hang", .kind = FaultKind::kHang},
          {.name = "slow", .kind = FaultKind::kLatency, .latency = 3s},
          {.name = "reset", .kind = FaultKind::kReset},
          {.name = "bandwidth", .kind = FaultKind::kBandwidth, .rate_bytes_per_second = 10},
          {.name = "down", .kind = FaultKind::kDown}};
}

TEST(CartsResilienceOn, EveryCatalogFaultKindIsAnsweredFromTheCacheWithinTheBound) {
  for (const Fault& f : every_fault_kind()) {
    SCOPED_TRACE(f.name);
    Rig rig(true);
    ASSERT_EQ(rig.add("user_1", 2).status, 200u);  // warms the cache
    rig.fault(f);
    expect_adds_from_cache(rig, "user_1", 2, 29.99, 4);  // Mouse
  }
}

TEST(CartsResilienceOff, EveryCatalogFaultKindFailsTheCall) {
  for (const Fault& f : every_fault_kind()) {
    SCOPED_TRACE(f.name);
    Rig rig(false, 300ms, /*off_timeout=*/1'000ms);
    ASSERT_EQ(rig.add("user_1", 2).status, 200u);
    rig.fault(f);
    auto r = rig.add("user_1", 2);
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_EQ(r.error_code(), "DOWNSTREAM_UNAVAILABLE");
  }
}

}  // namespace
}  // namespace scalelab
