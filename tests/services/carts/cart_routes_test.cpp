// Both carts APIs (hw5's /shopping-carts and the course's /cart/{user_id})
// add items through one path: the same merging, limits and errors, checked
// here for each API over a running shop, on each store backend.
#include <atomic>
#include <functional>
#include <ostream>
#include <memory>
#include <random>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "services/shop/shop_fixture.h"

using namespace scalelab;
using testkit::ShopClient;
using testkit::ShopReply;

namespace {

constexpr std::int32_t kProducts = 1'000;  // the running catalog's ids: 1..kProducts

// A fresh cart id or user, unique across the processes sharing a Redis.
std::string fresh_user() {
  static std::atomic<int> next{0};
  static const int run = std::random_device{}() % 1'000'000;
  return fmt::format("routes_{}_{}", run, next++);
}

// One of the two APIs, as the tests drive it.
struct CartApi {
  std::string name;
  unsigned added_status;  // what a successful add answers
  std::function<std::string(ShopClient&)> new_cart;
  std::function<ShopReply(ShopClient&, const std::string& cart, const std::string& body)> add;
  std::function<boost::json::array(ShopClient&, const std::string& cart)> items;
};

CartApi shopping_carts() {
  return {"ShoppingCarts", 204,
          [](ShopClient& c) {
            auto r = c.post("/shopping-carts", R"({"customer_id":1})");
            EXPECT_EQ(r.status, 201u) << r.body;
            return std::to_string(r.json().at("shopping_cart_id").as_int64());
          },
          [](ShopClient& c, const std::string& cart, const std::string& body) {
            return c.post("/shopping-carts/" + cart + "/items", body);
          },
          [](ShopClient& c, const std::string& cart) {
            return c.get("/shopping-carts/" + cart).json().at("items").as_array();
          }};
}

CartApi user_carts() {
  return {"UserCarts", 200, [](ShopClient&) { return fresh_user(); },
          [](ShopClient& c, const std::string& user, const std::string& body) {
            return c.post("/cart/" + user + "/add", body);
          },
          [](ShopClient& c, const std::string& user) { return c.get("/cart/" + user).json().at("items").as_array(); }};
}

void PrintTo(const CartApi& api, std::ostream* os) { *os << api.name; }

std::string item(std::int64_t product, std::int64_t quantity) {
  return fmt::format(R"({{"product_id":{},"quantity":{}}})", product, quantity);
}

class SHOP_BACKEND_SUITE(CartRoutes) : public ::testing::TestWithParam<CartApi> {
 protected:
  static void SetUpTestSuite() { shop_ = std::make_unique<testkit::RunningShop>(SHOP_TEST_STORE_URL(), kProducts); }
  static void TearDownTestSuite() { shop_.reset(); }

  const CartApi& api() const { return GetParam(); }
  ShopClient front_{shop_->front_port()};
  static inline std::unique_ptr<testkit::RunningShop> shop_;
};

// One more macro level, so the suite's name is expanded before gtest pastes
// and stringizes it.
#define CART_ROUTES SHOP_BACKEND_SUITE(CartRoutes)
#define ROUTES_TEST_P(suite, name) TEST_P(suite, name)
#define ROUTES_INSTANTIATE(prefix, suite, ...) INSTANTIATE_TEST_SUITE_P(prefix, suite, __VA_ARGS__)

ROUTES_TEST_P(CART_ROUTES, AddingAProductTwiceMergesItsQuantityIntoOneLine) {
  std::string cart = api().new_cart(front_);
  EXPECT_EQ(api().add(front_, cart, item(7, 2)).status, api().added_status);
  EXPECT_EQ(api().add(front_, cart, item(9, 1)).status, api().added_status);
  EXPECT_EQ(api().add(front_, cart, item(7, 3)).status, api().added_status);
  auto items = api().items(front_, cart);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("product_id").as_int64(), 7);
  EXPECT_EQ(items[0].at("quantity").as_int64(), 5);
  EXPECT_EQ(items[1].at("product_id").as_int64(), 9);
}

ROUTES_TEST_P(CART_ROUTES, UnknownProductIs404AndAddsNothing) {
  std::string cart = api().new_cart(front_);
  auto r = api().add(front_, cart, item(kProducts + 1, 1));
  EXPECT_EQ(r.status, 404u) << r.body;
  EXPECT_EQ(r.error_code(), "NOT_FOUND");
  EXPECT_TRUE(api().items(front_, cart).empty());
}

ROUTES_TEST_P(CART_ROUTES, InvalidItemIs400AndAddsNothing) {
  std::string cart = api().new_cart(front_);
  for (const std::string& body : {item(1, 0), item(0, 1), std::string(R"({"quantity":1})"), std::string("[]")}) {
    auto r = api().add(front_, cart, body);
    EXPECT_EQ(r.status, 400u) << body << " -> " << r.body;
  }
  EXPECT_TRUE(api().items(front_, cart).empty());
}

ROUTES_TEST_P(CART_ROUTES, QuantityBeyondInt32Is400AndKeepsTheLine) {
  std::string cart = api().new_cart(front_);
  ASSERT_EQ(api().add(front_, cart, item(3, 2147483647)).status, api().added_status);
  auto r = api().add(front_, cart, item(3, 1));
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(api().items(front_, cart)[0].at("quantity").as_int64(), 2147483647);
}

ROUTES_INSTANTIATE(BothApis, CART_ROUTES, ::testing::Values(shopping_carts(), user_carts()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
