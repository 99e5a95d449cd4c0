#include "services/shop/shop.h"

#include <fmt/format.h>

#include "services/payments/payments.h"
#include "services/shop/openapi.h"

namespace scalelab::shop {

namespace {

// GET /openapi.json, once per router.
void register_openapi(http::Router& router) {
  if (router.has(http::Method::kGet, "/openapi.json")) return;
  router.get("/openapi.json", [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::Response::json_text(200, std::string(openapi_json()));
  });
}

// The warehouse stocks the catalog's products 1..count: the course's five
// with the course's stock (Laptop 10, Mouse 100, …), the others with
// `initial` units each.
class CatalogProducts final : public warehouse::ProductDirectory {
 public:
  CatalogProducts(std::int32_t count, std::int64_t initial) : count_(count), initial_(initial) {}
  bool exists(std::int32_t id) const override { return id >= 1 && id <= count_; }
  std::int64_t initial_stock(std::int32_t id) const override {
    if (const catalog::CourseProduct* c = catalog::course_product(id)) return c->stock;
    return initial_;
  }

 private:
  std::int32_t count_;
  std::int64_t initial_;
};

}  // namespace

ShopHost::ShopHost(unsigned parts, ShopOptions options, std::unique_ptr<store::Store> store)
    : parts_(parts), options_(std::move(options)), store_(std::move(store)),
      client_work_(boost::asio::make_work_guard(client_io_)) {}

Result<std::unique_ptr<ShopHost>> ShopHost::create(unsigned parts, ShopOptions options,
                                                   std::unique_ptr<store::Store> store) {
  if (!store) {
    auto opened = store::open_store(options.store_url);
    if (!opened) return opened.error();
    store = std::move(*opened);
  }
  if (options.products < 1) return Error{ErrorKind::kInvalidInput, "--products must be >= 1"};
  std::unique_ptr<ShopHost> host(new ShopHost(parts, std::move(options), std::move(store)));
  if (parts & kCatalog) host->catalog_ = std::make_unique<catalog::Catalog>(host->options_.products);
  if (parts & kWarehouse)
    host->stocked_ = std::make_unique<CatalogProducts>(host->options_.products, host->options_.initial_stock);
  if (parts & kCarts) {
    auto ex = host->client_io_.get_executor();
    const auto& o = host->options_;
    const auto& r = o.resilience;
    auto open = [&](std::string_view name, const std::string& url) -> Result<std::unique_ptr<carts::Downstream>> {
      if (url.empty()) return Error{ErrorKind::kInvalidInput, fmt::format("carts needs --{}-url", name)};
      const bool is_catalog = name == "catalog";
      std::optional<resilience::PolicyOptions> policy;
      if (r.enabled)
        policy = is_catalog ? carts::policy_options("catalog", r, r.catalog_timeout, r.max_attempts)
                            : carts::policy_options(std::string(name), r, o.downstream_timeout, 1);
      auto timeout = !r.enabled && is_catalog ? r.off_timeout : o.downstream_timeout;
      auto d = carts::Downstream::open(ex, url, timeout, std::move(policy), o.metrics);
      if (!d) return Error{ErrorKind::kInvalidInput, fmt::format("--{}-url: {}", name, d.error().message)};
      return d;
    };
    auto c = open("catalog", o.catalog_url);
    if (!c) return c.error();
    auto w = open("warehouse", o.warehouse_url);
    if (!w) return w.error();
    auto p = open("payments", o.payments_url);
    if (!p) return p.error();
    host->catalog_client_ = std::make_unique<carts::CatalogClient>(std::move(*c));
    host->warehouse_client_ = std::make_unique<carts::WarehouseClient>(std::move(*w));
    host->payments_client_ = std::make_unique<carts::PaymentsClient>(std::move(*p));
    host->client_thread_ = std::thread([h = host.get()] { h->client_io_.run(); });
  }
  return host;
}

ShopHost::~ShopHost() {
  client_work_.reset();
  client_io_.stop();
  if (client_thread_.joinable()) client_thread_.join();
}

void ShopHost::register_routes(http::Router& router) {
  register_openapi(router);
  if (parts_ & kCatalog) catalog::register_routes(router, *catalog_, *store_);
  if (parts_ & kWarehouse)
    warehouse::register_routes(router, *store_, *stocked_);
  if (parts_ & kPayments) payments::register_routes(router, *store_);
  if (parts_ & kCarts)
    carts::register_routes(router, {*store_, *catalog_client_, *warehouse_client_, *payments_client_,
                                    options_.resilience.enabled});
}

std::optional<resilience::BreakerState> ShopHost::catalog_breaker_state() {
  return catalog_client_ ? catalog_client_->downstream().breaker_state() : std::nullopt;
}

std::string ShopHost::describe() const {
  std::string parts;
  for (auto [bit, name] : {std::pair{kCatalog, "catalog"}, std::pair{kCarts, "carts"},
                           std::pair{kWarehouse, "warehouse"}, std::pair{kPayments, "payments"}})
    if (parts_ & bit) parts += parts.empty() ? name : std::string("+") + name;
  return fmt::format("{} over store {}", parts, store_->describe());
}

}  // namespace scalelab::shop
