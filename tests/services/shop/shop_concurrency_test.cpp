// Under concurrency, over the memory store and (built with
// SHOP_TEST_REDIS) a private Redis: reserves of the last units never
// oversell, a payment retried concurrently charges once, and instances sharing
// a store agree.
#include <atomic>
#include <random>
#include <set>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "services/shop/shop_fixture.h"

using namespace scalelab;
using testkit::ShopClient;

namespace {

#define SHOP_SUITE SHOP_BACKEND_SUITE(ShopConcurrency)

std::string store_url() { return SHOP_TEST_STORE_URL(); }

// Tests may share one Redis: each picks its own products and carts.
int random_id(int lo, int hi) {
  static std::mutex mu;
  static std::mt19937 rng{std::random_device{}()};
  std::lock_guard lock(mu);
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// Products 1-5 are the course's, with their own stock: tests that set the
// stock pick from 6 up.
constexpr int kFirstPlainProduct = 6;

TEST(SHOP_SUITE, ConcurrentReservesOfTheLastUnitsNeverOversell) {
  constexpr int kStock = 25, kThreads = 8, kPerThread = 20;  // 160 reserves of 1 for 25 units
  testkit::RunningShop shop(store_url(), 100'000, kStock);
  int product = random_id(kFirstPlainProduct, 100'000);
  std::atomic<int> reserved{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      ShopClient client(shop.backend_port());
      for (int i = 0; i < kPerThread; ++i) {
        auto r = client.post("/warehouse/reserve", fmt::format(R"({{"product_id":{},"quantity":1}})", product));
        if (r.status == 204) ++reserved;
        else if (r.status == 409) ++refused;
        else ++other;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(reserved.load(), kStock);
  EXPECT_EQ(refused.load(), kThreads * kPerThread - kStock);
  ShopClient client(shop.backend_port());
  auto stock = client.get(fmt::format("/warehouse/stock/{}", product)).json().as_object();
  EXPECT_EQ(stock.at("available").as_int64(), 0);
  EXPECT_EQ(stock.at("reserved").as_int64(), kStock);
}

TEST(SHOP_SUITE, ConcurrentRetriesOfOnePaymentChargeOnce) {
  testkit::RunningShop shop(store_url());
  int cart = random_id(1'000'000, 2'000'000'000);
  std::mutex mu;
  std::set<std::string> transactions;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      ShopClient client(shop.backend_port());
      for (int i = 0; i < 5; ++i) {
        auto r = client.post("/payments/checkout",
                             fmt::format(R"({{"credit_card_number":"4111111111111111","shopping_cart_id":{}}})", cart));
        if (r.status != 200) { ++failures; continue; }
        std::lock_guard lock(mu);
        transactions.insert(std::string(r.json().at("transaction_id").as_string()));
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(transactions.size(), 1u);
}

TEST(SHOP_SUITE, ConcurrentCheckoutsOfTheLastUnitsSellEachOnce) {
  constexpr int kStock = 3, kCarts = 8;
  testkit::RunningShop shop(store_url(), 100'000, kStock);
  int product = random_id(kFirstPlainProduct, 100'000);
  ShopClient setup(shop.front_port());
  std::vector<int> carts;
  for (int i = 0; i < kCarts; ++i) {
    auto c = setup.post("/shopping-carts", R"({"customer_id":5})");
    ASSERT_EQ(c.status, 201u) << c.body;
    carts.push_back(static_cast<int>(c.json().at("shopping_cart_id").as_int64()));
    ASSERT_EQ(setup.post(fmt::format("/shopping-carts/{}/items", carts.back()),
                         fmt::format(R"({{"product_id":{},"quantity":1}})", product)).status, 204u);
  }
  std::atomic<int> ordered{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int cart : carts)
    threads.emplace_back([&, cart] {
      ShopClient client(shop.front_port());
      auto r = client.post(fmt::format("/shopping-carts/{}/checkout", cart), R"({"credit_card_number":"4111111111111111"})");
      if (r.status == 200) ++ordered;
      else if (r.status == 409) ++refused;
      else ++other;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ordered.load(), kStock);
  EXPECT_EQ(refused.load(), kCarts - kStock);
  auto stock = setup.get(fmt::format("/warehouse/stock/{}", product)).json().as_object();
  (void)stock;
  ShopClient backend(shop.backend_port());
  auto s = backend.get(fmt::format("/warehouse/stock/{}", product)).json().as_object();
  EXPECT_EQ(s.at("available").as_int64(), 0);
  EXPECT_EQ(s.at("reserved").as_int64(), 0);
}

TEST(SHOP_SUITE, TwoInstancesOnOneStoreAgreeOnDetailsAndCarts) {
  testkit::RunningShop a(store_url()), b(store_url());
  int product = random_id(1, 1'000);
  std::string sku = fmt::format("SHARED-{}", random_id(1, 1'000'000));
  ShopClient ca(a.backend_port()), cb(b.backend_port());
  ASSERT_EQ(ca.post(fmt::format("/products/{}/details", product),
                    fmt::format(R"({{"product_id":{},"sku":"{}","manufacturer":"m","category_id":1,"weight":1,"some_other_id":1}})",
                                product, sku)).status, 204u);
  auto seen = cb.get(fmt::format("/products/{}", product));
#ifdef SHOP_TEST_REDIS
  EXPECT_EQ(std::string(seen.json().at("sku").as_string()), sku);  // shared store: they agree
#else
  EXPECT_NE(std::string(seen.json().at("sku").as_string()), sku);  // separate memory: they do not
#endif
}

}  // namespace
