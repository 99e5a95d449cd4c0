// `scalelab serve catalog|carts|warehouse|payments|shop`: the shop's services
// (hw5/hw6), each its own process over a store, or all four in one process.
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/options.h"
#include "http/server.h"
#include "lab/process.h"
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
        auto port = lab::pick_free_port();
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
    auto host = shop::ShopHost::create(parts, shop);
    if (!host) {
      spdlog::error("{}", host.error().message);
      return 2;
    }
    http::Router router;
    (*host)->register_routes(router);
    obs::Registry registry;
    http::Server http_server(server, router, registry);
    spdlog::info("{}", (*host)->describe());
    http_server.run_until_signal();
    return 0;
  }
};

void add_store_option(CLI::App& cmd, ServeShop& s) {
  add_flag_option(cmd, "--store", s.shop.store_url, "Store URL: memory:// or redis://host:port[/db]");
}
void add_products_option(CLI::App& cmd, ServeShop& s) {
  add_flag_option(cmd, "--products", s.shop.products, "Products in the catalogue (ids 1..N, generated)");
}
void add_stock_option(CLI::App& cmd, ServeShop& s) {
  add_flag_option(cmd, "--initial-stock", s.shop.initial_stock, "Units of each product before any reserve");
}
void add_downstream_options(CLI::App& cmd, ServeShop& s) {
  add_flag_option(cmd, "--catalog-url", s.shop.catalog_url, "The catalog service, http://host:port");
  add_flag_option(cmd, "--warehouse-url", s.shop.warehouse_url, "The warehouse service, http://host:port");
  add_flag_option(cmd, "--payments-url", s.shop.payments_url, "The payments service, http://host:port");
  add_duration_option(cmd, "--downstream-timeout", s.shop.downstream_timeout, "Deadline of each downstream call");
}

}  // namespace

void add_shop_commands(CLI::App& app, int& exit_code) {
  auto* serve = app.get_subcommand("serve");
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
    auto* cmd = serve->add_subcommand(e.name, e.help);
    add_server_options(*cmd, s->server);
    add_store_option(*cmd, *s);
    if (e.parts & (shop::kCatalog | shop::kWarehouse)) add_products_option(*cmd, *s);
    if (e.parts & shop::kWarehouse) add_stock_option(*cmd, *s);
    if (e.parts & shop::kCarts) add_downstream_options(*cmd, *s);
    cmd->callback([s, &exit_code] { exit_code = s->run(); });
  }
}

}  // namespace scalelab::app
