// The hw5/hw6 contract, endpoint by endpoint, status by status, with the
// boundary values (0, 1, int32 max and max+1, empty and over-length strings,
// missing fields, wrong types, malformed JSON, wrong Content-Type).
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "infra/process.h"
#include "services/shop/shop_fixture.h"

using namespace scalelab;
using testkit::ShopClient;
using testkit::ShopReply;

namespace {

constexpr const char* kMax = "2147483647";
constexpr const char* kMaxPlus1 = "2147483648";

class ShopContract : public ::testing::Test {
 protected:
  ShopContract() : shop_("memory://", 1'000, 10), backend_(shop_.backend_port()), front_(shop_.front_port()) {}

  static std::string product(const std::string& id, const std::string& sku = "\"SKU-1\"",
                             const std::string& manufacturer = "\"Acme\"", const std::string& category = "1",
                             const std::string& weight = "0", const std::string& other = "1") {
    return fmt::format(R"({{"product_id":{},"sku":{},"manufacturer":{},"category_id":{},"weight":{},"some_other_id":{}}})",
                       id, sku, manufacturer, category, weight, other);
  }
  static std::string quoted(std::size_t n) { return fmt::format("\"{}\"", std::string(n, 'x')); }
  static std::string inventory(const std::string& product, const std::string& quantity) {
    return fmt::format(R"({{"product_id":{},"quantity":{}}})", product, quantity);
  }
  static std::string payment(const std::string& card, const std::string& cart) {
    return fmt::format(R"({{"credit_card_number":{},"shopping_cart_id":{}}})", card, cart);
  }
  int new_cart() {
    auto r = front_.post("/shopping-carts", R"({"customer_id":1})");
    EXPECT_EQ(r.status, 201u) << r.body;
    return static_cast<int>(r.json().at("shopping_cart_id").as_int64());
  }
  std::int64_t available(int product) {
    return backend_.get(fmt::format("/warehouse/stock/{}", product)).json().at("available").as_int64();
  }

  testkit::RunningShop shop_;
  ShopClient backend_, front_;
};

// ---- catalog ----

TEST_F(ShopContract, GetProductReturnsEveryContractField) {
  auto r = backend_.get("/products/1");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto o = r.json().as_object();
  for (const char* f : {"product_id", "sku", "manufacturer", "category_id", "weight", "some_other_id"})
    EXPECT_TRUE(o.contains(f)) << f;
  EXPECT_EQ(o.at("product_id").as_int64(), 1);
  EXPECT_EQ(backend_.get("/products/1000").status, 200u);
}

TEST_F(ShopContract, GetProductIdBoundaries) {
  EXPECT_EQ(backend_.get("/products/1001").status, 404u);
  EXPECT_EQ(backend_.get(std::string("/products/") + kMax).status, 404u);
  for (std::string bad : {"0", "-1", kMaxPlus1, "abc", "1.5", "99999999999999999999"}) {
    auto r = backend_.get("/products/" + bad);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_EQ(r.error_code(), "INVALID_INPUT") << bad;
  }
  auto missing = backend_.get("/products/1001");
  EXPECT_EQ(missing.error_code(), "NOT_FOUND");
  EXPECT_FALSE(missing.json().at("message").as_string().empty());
}

TEST_F(ShopContract, PostDetailsUpsertsAndGetReturnsThem) {
  auto r = backend_.post("/products/7/details", product("7", "\"NEW-SKU\""));
  EXPECT_EQ(r.status, 204u) << r.body;
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(backend_.get("/products/7").json().at("sku").as_string(), "NEW-SKU");
  EXPECT_EQ(backend_.post("/products/7/details", product("7", "\"AGAIN\"")).status, 204u);
  EXPECT_EQ(backend_.get("/products/7").json().at("sku").as_string(), "AGAIN");
}

TEST_F(ShopContract, PostDetailsStatusCodes) {
  EXPECT_EQ(backend_.post("/products/1001/details", product("1001")).status, 404u);
  EXPECT_EQ(backend_.post("/products/2/details", product("3")).status, 400u);  // differs from the path
  EXPECT_EQ(backend_.post("/products/0/details", product("0")).status, 400u);
  EXPECT_EQ(backend_.post("/products/1/details", product("1"), "text/plain").status, 415u);
  EXPECT_EQ(backend_.post("/products/1/details", "{\"product_id\":1,").status, 400u);
  EXPECT_EQ(backend_.post("/products/1/details", "[1]").status, 400u);
  EXPECT_EQ(backend_.post("/products/1/details", R"({"product_id":1,"extra":true,)" + product("1").substr(16)).status,
            204u);  // unknown fields are ignored
}

TEST_F(ShopContract, PostDetailsFieldBoundaries) {
  struct Case { std::string body; unsigned status; };
  const Case cases[] = {
      {product("1", quoted(1)), 204},        {product("1", quoted(100)), 204},
      {product("1", quoted(0)), 400},        {product("1", quoted(101)), 400},
      {product("1", "\"s\"", quoted(200)), 204}, {product("1", "\"s\"", quoted(201)), 400},
      {product("1", "\"s\"", quoted(0)), 400},
      {product("1", "\"s\"", "\"m\"", kMax), 204}, {product("1", "\"s\"", "\"m\"", kMaxPlus1), 400},
      {product("1", "\"s\"", "\"m\"", "0"), 400},  {product("1", "\"s\"", "\"m\"", "1.5"), 400},
      {product("1", "\"s\"", "\"m\"", "\"1\""), 400},
      {product("1", "\"s\"", "\"m\"", "1", "0"), 204},  {product("1", "\"s\"", "\"m\"", "1", "-1"), 400},
      {product("1", "\"s\"", "\"m\"", "1", kMax), 204}, {product("1", "\"s\"", "\"m\"", "1", kMaxPlus1), 400},
      {product("1", "\"s\"", "\"m\"", "1", "true"), 400},
      {product("1", "\"s\"", "\"m\"", "1", "0", "0"), 400}, {product("1", "\"s\"", "\"m\"", "1", "0", kMax), 204},
      {product("1", "\"s\"", "\"m\"", "1", "0", "null"), 400}, {product("1", "7"), 400},
      {R"({"product_id":1,"sku":"s","manufacturer":"m","category_id":1,"weight":0})", 400},  // missing some_other_id
      {R"({"sku":"s","manufacturer":"m","category_id":1,"weight":0,"some_other_id":1})", 400},
  };
  for (const auto& c : cases) {
    auto r = backend_.post("/products/1/details", c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    if (c.status == 400) {
      EXPECT_EQ(r.error_code(), "INVALID_INPUT") << c.body;
    }
  }
}

TEST_F(ShopContract, SearchChecksExactlyOneHundredProductsAndReturnsAtMostTwenty) {
  auto r = backend_.get("/products/search?q=product");  // every name matches
  ASSERT_EQ(r.status, 200u) << r.body;
  auto o = r.json().as_object();
  EXPECT_EQ(o.at("products_checked").as_int64(), 100);
  EXPECT_EQ(o.at("total_found").as_int64(), 100);
  EXPECT_EQ(o.at("products").as_array().size(), 20u);
  EXPECT_TRUE(o.at("search_time").is_string());
  auto alpha = backend_.get("/products/search?q=ALPHA").json().as_object();
  EXPECT_EQ(alpha.at("total_found").as_int64(), 10);  // one name in ten, case-insensitive
  for (const auto& p : alpha.at("products").as_array())
    EXPECT_NE(std::string(p.at("name").as_string()).find("Alpha"), std::string::npos);
  auto books = backend_.get("/products/search?q=books").json().as_object();
  for (const auto& p : books.at("products").as_array()) EXPECT_EQ(p.at("category").as_string(), "Books");
  EXPECT_EQ(backend_.get("/products/search?q=nothing-matches").json().at("total_found").as_int64(), 0);
}

TEST_F(ShopContract, SearchQueryBoundaries) {
  EXPECT_EQ(backend_.get("/products/search").status, 400u);
  EXPECT_EQ(backend_.get("/products/search?q=").status, 400u);
  EXPECT_EQ(backend_.get("/products/search?q=" + std::string(100, 'a')).status, 200u);
  EXPECT_EQ(backend_.get("/products/search?q=" + std::string(101, 'a')).status, 400u);
}

TEST_F(ShopContract, OpenApiDocumentIsServed) {
  auto r = backend_.get("/openapi.json");
  ASSERT_EQ(r.status, 200u);
  auto o = r.json().as_object();
  EXPECT_EQ(o.at("openapi").as_string(), "3.0.3");
  for (const char* path : {"/products/{productId}", "/products/{productId}/details", "/products/search",
                           "/shopping-carts", "/shopping-carts/{shoppingCartId}/items",
                           "/shopping-carts/{shoppingCartId}/checkout", "/warehouse/reserve", "/warehouse/ship",
                           "/payments/checkout"})
    EXPECT_TRUE(o.at("paths").as_object().contains(path)) << path;
  EXPECT_EQ(front_.get("/openapi.json").status, 200u);
}

// ---- warehouse ----

TEST_F(ShopContract, ReserveTakesStockAndShipTakesTheReservation) {
  // Product 15: products 1-5 have the course's stock, not the fixture's 10.
  EXPECT_EQ(backend_.post("/warehouse/reserve", inventory("15", "3")).status, 204u);
  auto stock = backend_.get("/warehouse/stock/15").json().as_object();
  EXPECT_EQ(stock.at("available").as_int64(), 7);
  EXPECT_EQ(stock.at("reserved").as_int64(), 3);
  EXPECT_EQ(backend_.post("/warehouse/ship", inventory("15", "2")).status, 204u);
  auto r = backend_.post("/warehouse/ship", inventory("15", "2"));  // only 1 left reserved
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(r.error_code(), "NOT_RESERVED");
  EXPECT_EQ(backend_.post("/warehouse/release", inventory("15", "1")).status, 204u);
  EXPECT_EQ(available(15), 8);
}

TEST_F(ShopContract, ReserveBeyondStockIs409AndChangesNothing) {
  EXPECT_EQ(backend_.post("/warehouse/reserve", inventory("6", "10")).status, 204u);  // all of it
  auto r = backend_.post("/warehouse/reserve", inventory("6", "1"));
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(r.error_code(), "INSUFFICIENT_STOCK");
  EXPECT_EQ(backend_.post("/warehouse/reserve", inventory("7", kMax)).status, 409u);
  EXPECT_EQ(available(6), 0);
  EXPECT_EQ(available(7), 10);
}

TEST_F(ShopContract, WarehouseFieldBoundaries) {
  for (const char* path : {"/warehouse/reserve", "/warehouse/ship"}) {
    struct Case { std::string body; unsigned status; };
    const Case cases[] = {
        {inventory("1001", "1"), 404},  {inventory(kMax, "1"), 404},   {inventory("0", "1"), 400},
        {inventory(kMaxPlus1, "1"), 400}, {inventory("1", "0"), 400},  {inventory("1", "-1"), 400},
        {inventory("1", kMaxPlus1), 400}, {inventory("1", "\"1\""), 400}, {inventory("1", "1.0"), 400},
        {R"({"product_id":1})", 400},   {R"({"quantity":1})", 400},    {"{", 400},  {"\"x\"", 400},
    };
    for (const auto& c : cases) {
      auto r = backend_.post(path, c.body);
      EXPECT_EQ(r.status, c.status) << path << " " << c.body << " -> " << r.body;
    }
    EXPECT_EQ(backend_.post(path, inventory("1", "1"), "application/x-www-form-urlencoded").status, 415u);
  }
  EXPECT_EQ(backend_.post("/warehouse/reserve", inventory("1", "1")).status, 204u);
  EXPECT_EQ(backend_.post("/warehouse/ship", inventory("1", "1")).status, 204u);
}

// ---- payments ----

TEST_F(ShopContract, PaymentSucceedsAndARetryGetsTheSameTransaction) {
  auto first = backend_.post("/payments/checkout", payment("\"4111111111111111\"", "42"));
  ASSERT_EQ(first.status, 200u) << first.body;
  EXPECT_TRUE(first.json().at("success").as_bool());
  std::string txn(first.json().at("transaction_id").as_string());
  EXPECT_FALSE(txn.empty());
  auto again = backend_.post("/payments/checkout", payment("\"4111111111111111\"", "42"));
  EXPECT_EQ(std::string(again.json().at("transaction_id").as_string()), txn);
  auto other = backend_.post("/payments/checkout", payment("\"4111111111111111\"", "43"));
  EXPECT_NE(std::string(other.json().at("transaction_id").as_string()), txn);
}

TEST_F(ShopContract, TestCardEndingIn0002IsDeclinedWith402) {
  auto r = backend_.post("/payments/checkout", payment("\"4000000000000002\"", "44"));
  EXPECT_EQ(r.status, 402u);
  EXPECT_EQ(r.error_code(), "PAYMENT_DECLINED");
  // A decline charges nothing: another card then succeeds for that cart.
  EXPECT_EQ(backend_.post("/payments/checkout", payment("\"4111111111111111\"", "44")).status, 200u);
}

TEST_F(ShopContract, PaymentFieldBoundaries) {
  struct Case { std::string body; unsigned status; };
  const Case cases[] = {
      {payment("\"1234567890123\"", "1"), 200},          {payment("\"1234567890123456789\"", "2"), 200},
      {payment("\"123456789012\"", "3"), 400},           {payment("\"12345678901234567890\"", "4"), 400},
      {payment("\"41111111111111a1\"", "5"), 400},       {payment("\"4111 1111 1111 1111\"", "6"), 400},
      {payment("4111111111111111", "7"), 400},           {payment("\"\"", "8"), 400},
      {payment("\"4111111111111111\"", "0"), 400},       {payment("\"4111111111111111\"", kMax), 200},
      {payment("\"4111111111111111\"", kMaxPlus1), 400}, {payment("\"4111111111111111\"", "\"9\""), 400},
      {R"({"shopping_cart_id":1})", 400},                {R"({"credit_card_number":"4111111111111111"})", 400},
      {"not json", 400},
  };
  for (const auto& c : cases) {
    auto r = backend_.post("/payments/checkout", c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
  }
  EXPECT_EQ(backend_.post("/payments/checkout", payment("\"4111111111111111\"", "10"), "text/plain").status, 415u);
}

// ---- carts ----

TEST_F(ShopContract, CreateCartBoundaries) {
  EXPECT_EQ(front_.post("/shopping-carts", R"({"customer_id":1})").status, 201u);
  EXPECT_EQ(front_.post("/shopping-carts", std::string(R"({"customer_id":)") + kMax + "}").status, 201u);
  for (std::string bad : {std::string(R"({"customer_id":0})"), std::string(R"({"customer_id":)") + kMaxPlus1 + "}",
                          std::string(R"({"customer_id":"1"})"), std::string("{}"), std::string("{"),
                          std::string(R"({"customer_id":1.5})")}) {
    auto r = front_.post("/shopping-carts", bad);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_EQ(r.error_code(), "INVALID_INPUT") << bad;
  }
  EXPECT_EQ(front_.post("/shopping-carts", R"({"customer_id":1})", "text/plain").status, 415u);
  auto a = front_.post("/shopping-carts", R"({"customer_id":1})").json().at("shopping_cart_id").as_int64();
  auto b = front_.post("/shopping-carts", R"({"customer_id":1})").json().at("shopping_cart_id").as_int64();
  EXPECT_NE(a, b);
}

TEST_F(ShopContract, AddItemsThenGetCartShowsProductDetails) {
  int cart = new_cart();
  auto items = fmt::format("/shopping-carts/{}/items", cart);
  EXPECT_EQ(front_.post(items, inventory("3", "2")).status, 204u);
  EXPECT_EQ(front_.post(items, inventory("3", "1")).status, 204u);  // same product: quantities add up
  EXPECT_EQ(front_.post(items, inventory("9", "1")).status, 204u);
  auto r = front_.get(fmt::format("/shopping-carts/{}", cart));
  ASSERT_EQ(r.status, 200u) << r.body;
  auto list = r.json().at("items").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("quantity").as_int64(), 3);
  EXPECT_EQ(list[0].at("product").at("sku").as_string(), "SKU-000003");
}

TEST_F(ShopContract, AddItemsStatusCodes) {
  int cart = new_cart();
  auto items = fmt::format("/shopping-carts/{}/items", cart);
  EXPECT_EQ(front_.post("/shopping-carts/999999/items", inventory("1", "1")).status, 404u);
  EXPECT_EQ(front_.post(items, inventory("1001", "1")).status, 404u);  // unknown product (asked the catalog)
  EXPECT_EQ(front_.post(items, inventory("1", "0")).status, 400u);
  EXPECT_EQ(front_.post(items, inventory("1", kMax)).status, 204u);
  EXPECT_EQ(front_.post(items, inventory("1", "1")).status, 400u);  // the sum would pass int32 max
  EXPECT_EQ(front_.post(items, inventory("1", kMaxPlus1)).status, 400u);
  EXPECT_EQ(front_.post(items, inventory("0", "1")).status, 400u);
  EXPECT_EQ(front_.post(items, R"({"product_id":1})").status, 400u);
  EXPECT_EQ(front_.post(items, "{]").status, 400u);
  EXPECT_EQ(front_.post(items, inventory("1", "1"), "text/plain").status, 415u);
  EXPECT_EQ(front_.post("/shopping-carts/0/items", inventory("1", "1")).status, 400u);
  EXPECT_EQ(front_.post("/shopping-carts/abc/items", inventory("1", "1")).status, 400u);
  EXPECT_EQ(front_.get("/shopping-carts/999999").status, 404u);
  EXPECT_EQ(front_.get(std::string("/shopping-carts/") + kMaxPlus1).status, 400u);
}

TEST_F(ShopContract, CheckoutReservesChargesShipsAndIsIdempotent) {
  int cart = new_cart();
  ASSERT_EQ(front_.post(fmt::format("/shopping-carts/{}/items", cart), inventory("11", "4")).status, 204u);
  auto checkout = fmt::format("/shopping-carts/{}/checkout", cart);
  auto r = front_.post(checkout, R"({"credit_card_number":"4111111111111111"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  std::string order(r.json().at("order_id").as_string());
  EXPECT_FALSE(order.empty());
  auto stock = backend_.get("/warehouse/stock/11").json().as_object();
  EXPECT_EQ(stock.at("available").as_int64(), 6);
  EXPECT_EQ(stock.at("reserved").as_int64(), 0);  // shipped
  auto again = front_.post(checkout, R"({"credit_card_number":"4111111111111111"})");
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(std::string(again.json().at("order_id").as_string()), order);
  EXPECT_EQ(available(11), 6);  // not reserved twice
  EXPECT_EQ(front_.post(fmt::format("/shopping-carts/{}/items", cart), inventory("1", "1")).status, 409u);
}

TEST_F(ShopContract, DeclinedCheckoutIs402AndReturnsTheStock) {
  int cart = new_cart();
  ASSERT_EQ(front_.post(fmt::format("/shopping-carts/{}/items", cart), inventory("12", "5")).status, 204u);
  auto r = front_.post(fmt::format("/shopping-carts/{}/checkout", cart), R"({"credit_card_number":"4000000000000002"})");
  EXPECT_EQ(r.status, 402u) << r.body;
  EXPECT_EQ(r.error_code(), "PAYMENT_DECLINED");
  EXPECT_EQ(available(12), 10);
  auto ok = front_.post(fmt::format("/shopping-carts/{}/checkout", cart), R"({"credit_card_number":"4111111111111111"})");
  EXPECT_EQ(ok.status, 200u) << ok.body;  // the cart was reopened
}

TEST_F(ShopContract, InsufficientStockCheckoutIs409AndReleasesEarlierItems) {
  int cart = new_cart();
  auto items = fmt::format("/shopping-carts/{}/items", cart);
  ASSERT_EQ(front_.post(items, inventory("13", "2")).status, 204u);
  ASSERT_EQ(front_.post(items, inventory("14", "11")).status, 204u);  // more than the 10 in stock
  auto r = front_.post(fmt::format("/shopping-carts/{}/checkout", cart), R"({"credit_card_number":"4111111111111111"})");
  EXPECT_EQ(r.status, 409u) << r.body;
  EXPECT_EQ(r.error_code(), "INSUFFICIENT_STOCK");
  EXPECT_EQ(available(13), 10);
  EXPECT_EQ(available(14), 10);
}

TEST_F(ShopContract, WarehouseStocksTheCoursesFiveProductsAsTheCourseDoes) {
  // The fixture's --initial-stock is 10; products 1-5 keep the course's stock.
  struct Want { int id; std::int64_t stock; };
  for (Want w : {Want{1, 10}, Want{2, 100}, Want{3, 50}, Want{4, 20}, Want{5, 30}}) {
    EXPECT_EQ(available(w.id), w.stock) << "product " << w.id;
    // The same figure the catalog publishes for the product.
    EXPECT_EQ(backend_.get(fmt::format("/products/{}", w.id)).json().at("stock").as_int64(), w.stock);
  }
  EXPECT_EQ(available(6), 10);  // every other product: --initial-stock
  // Mouse: 100 units, so 60 then 40 fit and one more does not.
  EXPECT_EQ(backend_.post("/warehouse/reserve", inventory("2", "60")).status, 204u);
  EXPECT_EQ(backend_.post("/warehouse/reserve", inventory("2", "40")).status, 204u);
  auto r = backend_.post("/warehouse/reserve", inventory("2", "1"));
  EXPECT_EQ(r.status, 409u) << r.body;
  EXPECT_EQ(r.error_code(), "INSUFFICIENT_STOCK");
  EXPECT_EQ(backend_.post("/warehouse/release", inventory("2", "40")).status, 204u);
  EXPECT_EQ(available(2), 40);
}

TEST_F(ShopContract, CheckoutStatusCodes) {
  int cart = new_cart();
  auto checkout = fmt::format("/shopping-carts/{}/checkout", cart);
  EXPECT_EQ(front_.post(checkout, R"({"credit_card_number":"4111111111111111"})").status, 400u);  // empty cart
  EXPECT_EQ(front_.post("/shopping-carts/999999/checkout", R"({"credit_card_number":"4111111111111111"})").status, 404u);
  EXPECT_EQ(front_.post(checkout, R"({"credit_card_number":"123"})").status, 400u);
  EXPECT_EQ(front_.post(checkout, R"({})").status, 400u);
  EXPECT_EQ(front_.post(checkout, "x").status, 400u);
  EXPECT_EQ(front_.post(checkout, R"({"credit_card_number":"4111111111111111"})", "text/plain").status, 415u);
}

TEST(ShopDownstream, CartsAnswersWithinItsDeadlineWhenEveryDownstreamIsDown) {
  auto port = infra::pick_free_port();  // nothing listens there
  ASSERT_TRUE(port.ok());
  for (bool resilient : {false, true}) {
    SCOPED_TRACE(resilient ? "resilience on" : "resilience off");
    shop::ShopOptions o;
    o.catalog_url = o.warehouse_url = o.payments_url = fmt::format("http://127.0.0.1:{}", *port);
    o.downstream_timeout = std::chrono::milliseconds(500);
    o.resilience.enabled = resilient;
    auto host = shop::ShopHost::create(shop::kCarts, o);
    ASSERT_TRUE(host.ok()) << host.error().message;
    testkit::TestServer server([&](http::Router& r) { (*host)->register_routes(r); });
    ShopClient client(server.port());
    auto cart = client.post("/shopping-carts", R"({"customer_id":1})").json().at("shopping_cart_id").as_int64();
    auto r = client.post(fmt::format("/shopping-carts/{}/items", cart), R"({"product_id":1,"quantity":1})");
    if (!resilient) {  // the catalog's fault fails the call
      EXPECT_EQ(r.status, 503u) << r.body;
      EXPECT_EQ(r.error_code(), "DOWNSTREAM_UNAVAILABLE");
      continue;
    }
    // On: the item is added unconfirmed; checkout needs warehouse and
    // payments, which no cache can stand in for: 503.
    EXPECT_EQ(r.status, 204u) << r.body;
    EXPECT_EQ(r.header("X-Degraded-Mode"), "true");
    auto c = client.post(fmt::format("/shopping-carts/{}/checkout", cart), R"({"credit_card_number":"4111111111111111"})");
    EXPECT_EQ(c.status, 503u) << c.body;
    EXPECT_EQ(c.error_code(), "DOWNSTREAM_UNAVAILABLE");
  }
}

}  // namespace
