// `scalelab serve catalog|carts|warehouse|payments|shop`: the shop's services
// (hw5/hw6), each its own process over a store, or all four in one process.
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/options.h"
#include "http/server.h"
#include "lab/hw2.h"
#include "lab/hw6_bottleneck.h"
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
  // issue 6: the midterm's policies (docs/midterm.md).
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
    add_store_option(*cmd, s->shop.store_url);
    if (e.parts & (shop::kCatalog | shop::kWarehouse)) add_products_option(*cmd, *s);
    if (e.parts & shop::kWarehouse) add_stock_option(*cmd, *s);
    if (e.parts & shop::kCarts) add_downstream_options(*cmd, *s);
    cmd->callback([s, &exit_code] { exit_code = s->run(); });
  }

  auto* lab = app.get_subcommand("lab");
  auto hw2 = std::make_shared<lab::Hw2Options>();
  auto hw2_out = std::make_shared<std::string>(hw2->out_dir.string());
  auto* hw2_cmd = lab->add_subcommand(
      "hw2", "Two albums processes: own memory (they disagree), then one private Redis (they agree)");
  add_flag_option(*hw2_cmd, "--out", *hw2_out, "Directory for report.html, steps.csv, summary.json");
  add_duration_option(*hw2_cmd, "--timeout", hw2->timeout, "Per request and per process start");
  hw2_cmd->callback([hw2, hw2_out, &exit_code] {
    hw2->out_dir = *hw2_out;
    auto r = lab::run_hw2(*hw2);
    if (!r) {
      spdlog::error("hw2: {}", r.error().message);
      exit_code = 1;
      return;
    }
    auto show = [](const lab::Hw2Phase& p) {
      auto ids = [](const std::vector<std::string>& v) {
        std::string out;
        for (const auto& id : v) out += (out.empty() ? "" : ",") + id;
        return "[" + out + "]";
      };
      return fmt::format("instance 1 {} / instance 2 {} -> {}", ids(p.after1), ids(p.after2),
                         p.agree ? "AGREE" : "DISAGREE");
    };
    fmt::print("hw2: after POST album 4 to instance 2\n  memory: {}\n  redis:  {}\nreport: {}\n", show(r->memory),
               show(r->redis), r->report.string());
    exit_code = (!r->memory.agree && r->redis.agree) ? 0 : 3;
  });

  auto hw6 = std::make_shared<lab::Hw6BottleneckOptions>();
  auto hw6_out = std::make_shared<std::string>(hw6->out_dir.string());
  auto* hw6_cmd = lab->add_subcommand(
      "hw6-bottleneck", "One catalog at a quarter core (cgroup), 5 then 20 users searching: CPU, req/s, latency");
  add_flag_option(*hw6_cmd, "--out", *hw6_out, "Directory for report.html, timeline.csv, summary.json");
  add_flag_option(*hw6_cmd, "--cpu", hw6->cpu_cores, "CPU limit in cores (0: none)");
  add_flag_option(*hw6_cmd, "--users-1", hw6->users_1, "Users in the first phase");
  add_flag_option(*hw6_cmd, "--users-2", hw6->users_2, "Users in the second phase");
  add_duration_option(*hw6_cmd, "--duration-1", hw6->duration_1, "First phase (the course: 2m)");
  add_duration_option(*hw6_cmd, "--duration-2", hw6->duration_2, "Second phase (the course: 3m)");
  add_duration_option(*hw6_cmd, "--timeout", hw6->timeout, "Per-request timeout");
  hw6_cmd->add_flag("--require-limit", hw6->require_limit, "Fail when no cgroup CPU limit can be applied");
  hw6_cmd->add_flag("--progress,!--no-progress", hw6->progress, "Print progress each second on stderr");
  hw6_cmd->callback([hw6, hw6_out, &exit_code] {
    hw6->out_dir = *hw6_out;
    auto r = lab::run_hw6_bottleneck(*hw6);
    if (!r) {
      spdlog::error("hw6-bottleneck: {}", r.error().message);
      exit_code = 1;
      return;
    }
    for (const auto* p : {&r->phase_1, &r->phase_2})
      fmt::print("{:>3} users: {:8.0f} req/s  cpu {:5.1f}%  p50 {:.2f} ms  p95 {:.2f} ms  p99 {:.2f} ms  errors {}\n",
                 p->users, p->rps, p->cpu_percent, p->p50_ms, p->p95_ms, p->p99_ms, p->errors);
    fmt::print("limit: {}\nsingle search, one user: {:.2f} ms\nreport: {}\n", r->limit, r->single_search_ms,
               r->report.string());
  });
}

}  // namespace scalelab::app
