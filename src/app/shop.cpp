// `scalelab serve catalog|carts|warehouse|payments|shop`: the shop's services
// (hw5/hw6), each its own process over a store, or all four in one process.
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/options.h"
#include "http/server.h"
#include "infra/process.h"
#include "obs/metrics.h"
#include "services/shop/shop.h"

namespace scalelab::app {

namespace {

struct ServeShop {
  unsigned parts = 0;
  http::ServerOptions server;
  shop::ShopOptions shop;

  int run() {
    if (parts == shop::kAll) {
      // One process: carts calls its neighbours on its own port.
      if (server.port == 0) {
        auto port = infra::pick_free_port();
        if (!port) {
          spdlog::error("{}", port.error().message);
          return 1;
        }
        server.port = *port;
      }
      std::string self = fmt::format("http://127.0.0.1:{}", server.port);
      for (auto* url : {&shop.catalog_url, &shop.warehouse_url, &shop.payments_url})
        if (url->empty()) *url = self;
    }
    obs::Registry registry;  // before the host: carts' policies export into it
    shop.metrics = &registry;
    auto host = shop::ShopHost::create(parts, shop);
    if (!host) {
      spdlog::error("{}", host.error().message);
      return 2;
    }
    http::Router router;
    (*host)->register_routes(router);
    http::Server http_server(server, router, registry);
    spdlog::info("{}", (*host)->describe());
    http_server.run_until_signal();
    return 0;
  }
};

void add_products_option(CLI::App& cmd, ServeShop& s) {
  add_flag_option(cmd, "--products", s.shop.products, "Products in the catalogue (ids 1..N, generated)");
}
void add_stock_option(CLI::App& cmd, ServeShop& s) {
  add_flag_option(cmd, "--initial-stock", s.shop.initial_stock, "Units of each product before any reserve (products 1-5: the course's stock)");
}
void add_downstream_options(CLI::App& cmd, ServeShop& s) {
  add_flag_option(cmd, "--catalog-url", s.shop.catalog_url, "The catalog service, http://host:port");
  add_flag_option(cmd, "--warehouse-url", s.shop.warehouse_url, "The warehouse service, http://host:port");
  add_flag_option(cmd, "--payments-url", s.shop.payments_url, "The payments service, http://host:port");
  add_duration_option(cmd, "--downstream-timeout", s.shop.downstream_timeout, "Deadline of each downstream call");
  // The midterm's policies (docs/midterm.md).
  auto& r = s.shop.resilience;
  cmd.add_option_function<std::string>(
         "--resilience",
         [&r](const std::string& v) {
           if (v != "on" && v != "off") throw CLI::ValidationError("--resilience", "must be on or off");
           r.enabled = v == "on";
         },
         "on (default): deadline + retry + circuit breaker + product cache; off: the vulnerable version")
      ->envname("SCALELAB_RESILIENCE");
  add_duration_option(cmd, "--catalog-timeout", r.catalog_timeout, "Resilience on: end-to-end bound of a catalog call");
  add_duration_option(cmd, "--breaker-wait", r.breaker_wait, "Resilience on: open -> half-open");
  add_flag_option(cmd, "--breaker-failures", r.breaker_failures, "Resilience on: consecutive failures that open");
  add_flag_option(cmd, "--breaker-successes", r.breaker_successes, "Resilience on: half-open successes that close");
  add_duration_option(cmd, "--off-timeout", r.off_timeout, "Resilience off: the catalog client's deadline");
}

}  // namespace

void add_shop_serve(CLI::App& serve, int& exit_code) {
  struct Entry {
    const char* name;
    const char* help;
    unsigned parts;
  };
  for (const Entry& e : {
           Entry{"catalog", "hw5/hw6 products: GET /products/{id}, POST /products/{id}/details, GET /products/search?q=",
                 shop::kCatalog},
           Entry{"carts", "hw5 shopping carts (calls catalog, warehouse and payments over HTTP)", shop::kCarts},
           Entry{"warehouse", "hw5 stock: POST /warehouse/reserve, /warehouse/ship (never oversells)", shop::kWarehouse},
           Entry{"payments", "hw5 payments: POST /payments/checkout (idempotent per cart; cards ending 0002 decline)",
                 shop::kPayments},
           Entry{"shop", "All four shop services in one process (carts calls them on its own port)", shop::kAll},
       }) {
    auto s = std::make_shared<ServeShop>();
    s->parts = e.parts;
    auto* cmd = serve.add_subcommand(e.name, e.help);
    add_server_options(*cmd, s->server);
    add_store_option(*cmd, s->shop.store_url);
    if (e.parts & (shop::kCatalog | shop::kWarehouse)) add_products_option(*cmd, *s);
    if (e.parts & shop::kWarehouse) add_stock_option(*cmd, *s);
    if (e.parts & shop::kCarts) add_downstream_options(*cmd, *s);
    cmd->callback([s, &exit_code] { exit_code = s->run(); });
  }
}

}  // namespace scalelab::app
