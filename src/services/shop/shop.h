// ShopHost: wires any subset of the four shop services (catalog, carts,
// warehouse, payments) over one Store into a Router, and owns what they need
// (the store, the generated catalogue, carts' downstream clients and the
// thread their connections run on). `scalelab serve catalog|…|shop`, the labs
// and the tests all build their processes with it.
// Thread-safety: build and register before the server starts; then the
// handlers are safe from any thread.
#pragma once

#include <optional>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "core/result.h"
#include "http/router.h"
#include "obs/metrics.h"
#include "services/carts/carts.h"
#include "services/catalog/catalog.h"
#include "services/warehouse/warehouse.h"
#include "store/store.h"
#include "resilience/circuit_breaker.h"

namespace scalelab::shop {

enum Part : unsigned { kCatalog = 1, kCarts = 2, kWarehouse = 4, kPayments = 8, kAll = 15 };

struct ShopOptions {
  std::string store_url = "memory://";
  std::int32_t products = catalog::kDefaultProductCount;  // catalog and warehouse: ids 1..products
  std::int64_t initial_stock = 1'000;                     // warehouse: units per product (1-5: the course's)
  // carts' downstreams (http://host:port); required when carts is hosted.
  std::string catalog_url, warehouse_url, payments_url;
  std::chrono::milliseconds downstream_timeout{2'000};    // carts: deadline per downstream call
  carts::ResilienceOptions resilience;                    // carts: --resilience on|off and the policies' numbers
  // Where carts' policies export their state and counters (the process's
  // /metrics); null: not exported. REQUIRES: outlives the host.
  obs::Registry* metrics = nullptr;
};

class ShopHost {
 public:
  // Opens the store (unless one is given) and the downstream clients.
  // Fails on a bad store URL, a missing or malformed downstream URL.
  static Result<std::unique_ptr<ShopHost>> create(unsigned parts, ShopOptions options,
                                                  std::unique_ptr<store::Store> store = nullptr);
  ~ShopHost();  // stops the clients' thread
  ShopHost(const ShopHost&) = delete;
  ShopHost& operator=(const ShopHost&) = delete;

  // Every hosted service's routes, and GET /openapi.json.
  void register_routes(http::Router& router);
  store::Store& store() { return *store_; }
  std::string describe() const;
  // carts' breaker in front of catalog: "closed", "open", "half_open", or
  // "none" (resilience off, or carts not hosted).
  std::optional<resilience::BreakerState> catalog_breaker_state();

 private:
  ShopHost(unsigned parts, ShopOptions options, std::unique_ptr<store::Store> store);
  unsigned parts_;
  ShopOptions options_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<warehouse::ProductDirectory> stocked_;  // the warehouse's view of the catalog's products
  boost::asio::io_context client_io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> client_work_;
  std::thread client_thread_;
  std::unique_ptr<carts::CatalogClient> catalog_client_;
  std::unique_ptr<carts::WarehouseClient> warehouse_client_;
  std::unique_ptr<carts::PaymentsClient> payments_client_;
};

}  // namespace scalelab::shop
