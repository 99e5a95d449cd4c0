// `scalelab serve orders` (hw7's orders service), `scalelab serve
// order-worker` (the queue consumer that verifies payments) and `scalelab
// serve order-functions` (the same processing as serverless functions).
// docs/orders.md.
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
#include "services/orders/functions.h"
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
  // order-functions only
  orders::FunctionOptions functions;

  enum class Role { kService, kWorker, kFunctions };
  Role role = Role::kService;

  int run() {
    const char* name = role == Role::kWorker ? "order-worker" : role == Role::kFunctions ? "order-functions" : "orders";
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
    std::unique_ptr<orders::FunctionRunner> runner;
    // On memory:// nothing else can reach the queue: the service runs its
    // worker itself, and the function runner serves the API itself.
    const bool in_process = (*broker)->kind() == mq::BrokerKind::kMemory;
    const bool in_process_worker = role == Role::kService && in_process;
    if (role == Role::kService || (role == Role::kFunctions && in_process)) {
      service = std::make_unique<orders::OrdersService>(
          **store, broker->get(),
          orders::ServiceOptions{.payment = {.slots = payment_slots, .delay = payment_delay}, .sync_wait = sync_wait});
      service->register_routes(router);
    }
    if (role == Role::kWorker || in_process_worker) {
      orders::WorkerOptions wo{.workers = workers,
                               .prefetch = static_cast<std::uint16_t>(std::clamp(prefetch, 0, 65535)),
                               .payment = {.slots = role == Role::kWorker ? payment_slots : 0, .delay = payment_delay},
                               .max_deliveries = max_deliveries};
      auto w = orders::OrderWorker::start(**broker, **store, wo);
      if (!w) {
        spdlog::error("{}: {}", name, w.error().message);
        return 1;
      }
      consumer = std::move(*w);
    }
    if (role == Role::kFunctions) {
      functions.payment_delay = payment_delay;
      functions.max_deliveries = max_deliveries;
      functions.metrics = &registry;
      auto r = orders::FunctionRunner::start(**broker, **store, functions);
      if (!r) {
        spdlog::error("{}: {}", name, r.error().message);
        return r.error().kind == ErrorKind::kInvalidInput ? 2 : 1;
      }
      runner = std::move(*r);
    }
    http::Server http_server(server, router, registry);
    if (runner) {
      spdlog::info("{}: store {}, broker {}{}, up to {} instances, cold start {}-{} ms, keep warm {} ms, {} MB, "
                   "{} retries, {} ms per invocation",
                   name, (*store)->describe(), mq::to_string((*broker)->kind()), service ? " (serving the API too)" : "",
                   functions.max_concurrency, functions.cold_start_min.count(), functions.cold_start_max.count(),
                   functions.keep_warm.count(), functions.memory_mb, functions.retries, payment_delay.count());
    } else {
      spdlog::info("{}: store {}, broker {}, payment {} slot(s) x {} ms{}", name, (*store)->describe(),
                   mq::to_string((*broker)->kind()), payment_slots, payment_delay.count(),
                   consumer ? fmt::format(", {} worker(s)", workers) : std::string());
    }
    auto started = std::chrono::steady_clock::now();
    http_server.run_until_signal();
    if (consumer) {
      consumer->close();
      const auto st = consumer->stats();
      spdlog::info("{}: completed {}, charged {}, duplicates {}, requeued {}, dead-lettered {}", name, st.completed,
                   st.charged, st.duplicates, st.requeued, st.dead);
    }
    if (runner) {
      runner->close();
      spdlog::info("{}: {}", name,
                   orders::describe_run(runner->stats(), std::chrono::steady_clock::now() - started,
                                        functions.memory_mb));
    }
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

void add_orders_serve(CLI::App& serve, int& exit_code) {
  auto s = std::make_shared<ServeOrders>();
  auto* cmd = serve.add_subcommand(
      "orders", "hw7 orders: POST /orders/sync, POST /orders/async, GET /orders/{id} (with memory:// also the worker)");
  add_common(*cmd, *s);
  add_flag_option(*cmd, "--payment-slots", s->payment_slots, "Payment verifications at once (sync path)");
  add_duration_option(*cmd, "--sync-wait", s->sync_wait, "Longest wait for a payment slot before 503");
  add_flag_option(*cmd, "--workers", s->workers, "Worker threads of the in-process worker (memory:// broker only)");
  cmd->callback([s, &exit_code] { exit_code = s->run(); });

  auto w = std::make_shared<ServeOrders>();
  w->role = ServeOrders::Role::kWorker;
  w->payment_slots = 0;
  auto* wcmd = serve.add_subcommand("order-worker",
                                     "hw7 order processor: consumes order-processing-queue, charges once, completes");
  add_common(*wcmd, *w);
  add_flag_option(*wcmd, "--workers", w->workers, "Orders in flight at once");
  add_flag_option(*wcmd, "--prefetch", w->prefetch, "Unacked messages held (0: = --workers)");
  add_flag_option(*wcmd, "--payment-slots", w->payment_slots, "Payment verifications at once (0: = --workers)");
  wcmd->callback([w, &exit_code] { exit_code = w->run(); });

  auto f = std::make_shared<ServeOrders>();
  f->role = ServeOrders::Role::kFunctions;
  auto* fcmd = serve.add_subcommand(
      "order-functions",
      "hw7 processing as serverless functions: consumes order-processing-queue, one invocation per order on "
      "instances created on demand (cold start) up to --max-concurrency; reports cold starts, durations and the "
      "monthly cost vs two always-on tasks (with memory:// also serves the orders API)");
  add_common(*fcmd, *f);
  auto& fo = f->functions;
  add_flag_option(*fcmd, "--max-concurrency", fo.max_concurrency,
                  "Instances alive at once; deliveries beyond it wait in the queue (prefetch = this)");
  add_duration_option(*fcmd, "--cold-start-min", fo.cold_start_min, "Shortest init of a new instance");
  add_duration_option(*fcmd, "--cold-start-max", fo.cold_start_max,
                      "Longest init of a new instance (uniform between min and max)");
  add_duration_option(*fcmd, "--keep-warm", fo.keep_warm, "An instance idle this long is reclaimed");
  add_flag_option(*fcmd, "--memory-mb", fo.memory_mb, "Memory size, billed as GB-seconds (memory/1024 x duration)");
  add_flag_option(*fcmd, "--retries", fo.retries,
                  "Retries of a failed invocation before the order is failed and dead-lettered");
  add_flag_option(*fcmd, "--seed", fo.seed, "Seed of the cold-start jitter");
  fcmd->callback([f, &exit_code] { exit_code = f->run(); });
}

}  // namespace scalelab::app
