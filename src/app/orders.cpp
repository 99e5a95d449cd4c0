// `scalelab serve orders` (hw7's orders service) and `scalelab serve
// order-worker` (the queue consumer that verifies payments). docs/orders.md.
#include <algorithm>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/options.h"
#include "http/server.h"
#include "mq/broker.h"
#include "obs/metrics.h"
#include "services/orders/orders.h"
#include "store/store.h"

namespace scalelab::app {

namespace {

struct ServeOrders {
  http::ServerOptions server;
  std::string store_url = "memory://";
  std::string broker_url = "memory://";
  int payment_slots = 1;
  std::chrono::milliseconds payment_delay{3'000};
  std::chrono::milliseconds sync_wait{10'000};
  int max_deliveries = orders::kDefaultMaxDeliveries;
  // order-worker only
  int workers = 1;
  int prefetch = 0;
  bool worker = false;

  int run() {
    const char* name = worker ? "order-worker" : "orders";
    auto store = store::open_store(store_url);
    if (!store) {
      spdlog::error("{}: {}", name, store.error().message);
      return 2;
    }
    auto broker = mq::open_broker(broker_url);
    if (!broker) {
      spdlog::error("{}: {}", name, broker.error().message);
      return 2;
    }
    if (auto s = orders::declare_topology(**broker, max_deliveries); !s) {
      spdlog::error("{}: {}", name, s.error().message);
      return 2;
    }
    http::Router router;
    obs::Registry registry;
    std::unique_ptr<orders::OrdersService> service;
    std::unique_ptr<orders::OrderWorker> consumer;
    const bool in_process_worker = !worker && (*broker)->kind() == "memory";
    if (!worker) {
      service = std::make_unique<orders::OrdersService>(
          **store, broker->get(),
          orders::ServiceOptions{.payment = {.slots = payment_slots, .delay = payment_delay}, .sync_wait = sync_wait});
      service->register_routes(router);
    }
    if (worker || in_process_worker) {
      // On memory:// nothing else can reach the queue: the service runs its worker itself.
      orders::WorkerOptions wo{.workers = workers,
                               .prefetch = static_cast<std::uint16_t>(std::clamp(prefetch, 0, 65535)),
                               .payment = {.slots = worker ? payment_slots : 0, .delay = payment_delay},
                               .max_deliveries = max_deliveries};
      auto w = orders::OrderWorker::start(**broker, **store, wo);
      if (!w) {
        spdlog::error("{}: {}", name, w.error().message);
        return 1;
      }
      consumer = std::move(*w);
    }
    http::Server http_server(server, router, registry);
    spdlog::info("{}: store {}, broker {}, payment {} slot(s) x {} ms{}", name, (*store)->describe(),
                 (*broker)->kind(), payment_slots, payment_delay.count(),
                 consumer ? fmt::format(", {} worker(s)", workers) : std::string());
    http_server.run_until_signal();
    if (consumer) consumer->close();
    return 0;
  }
};

void add_common(CLI::App& cmd, ServeOrders& s) {
  add_server_options(cmd, s.server);
  add_store_option(cmd, s.store_url);
  add_broker_option(cmd, s.broker_url);
  add_duration_option(cmd, "--payment-delay", s.payment_delay, "Payment verification time");
  add_flag_option(cmd, "--max-deliveries", s.max_deliveries, "Deliveries of an order before it is dead-lettered");
}

}  // namespace

void add_orders_commands(CLI::App& app, int& exit_code) {
  auto* serve = app.get_subcommand("serve");
  auto s = std::make_shared<ServeOrders>();
  auto* cmd = serve->add_subcommand(
      "orders", "hw7 orders: POST /orders/sync, POST /orders/async, GET /orders/{id} (with memory:// also the worker)");
  add_common(*cmd, *s);
  add_flag_option(*cmd, "--payment-slots", s->payment_slots, "Payment verifications at once (sync path)");
  add_duration_option(*cmd, "--sync-wait", s->sync_wait, "Longest wait for a payment slot before 503");
  add_flag_option(*cmd, "--workers", s->workers, "Worker threads of the in-process worker (memory:// broker only)");
  cmd->callback([s, &exit_code] { exit_code = s->run(); });

  auto w = std::make_shared<ServeOrders>();
  w->worker = true;
  w->payment_slots = 0;
  auto* wcmd = serve->add_subcommand("order-worker",
                                     "hw7 order processor: consumes order-processing-queue, charges once, completes");
  add_common(*wcmd, *w);
  add_flag_option(*wcmd, "--workers", w->workers, "Orders in flight at once");
  add_flag_option(*wcmd, "--prefetch", w->prefetch, "Unacked messages held (0: = --workers)");
  add_flag_option(*wcmd, "--payment-slots", w->payment_slots, "Payment verifications at once (0: = --workers)");
  wcmd->callback([w, &exit_code] { exit_code = w->run(); });
}

}  // namespace scalelab::app
