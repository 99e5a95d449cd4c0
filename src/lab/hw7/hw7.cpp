// run_hw7(): validates the options, opens the broker and runs the parts in
// order; the names and checks the other files share.
#include "lab/hw7/hw7.h"

#include <fstream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "lab/hw7/internal.h"
#include "lab/live.h"
#include "infra/servers.h"

namespace scalelab::lab {

namespace hw7_detail {

namespace {

using namespace std::chrono_literals;

// Validation bounds: past them the machine, not the service, is measured.
constexpr double kMaxWallRate = 20'000;  // orders/s the load engine sends on one machine
constexpr int kMaxWorkers = 5'000;       // threads
constexpr int kMinMemoryMb = 128;        // the smallest Lambda size
constexpr double kMinPhaseWallMs = 50;   // shorter phases are all ramp-up

// purge(): rounds of subscribe-and-ack until the queue reads empty.
constexpr int kPurgeRounds = 20;
constexpr std::uint16_t kPurgePrefetch = 1'000;
constexpr auto kPurgeRoundLimit = 60s;
constexpr auto kPurgePoll = 20ms;

Error bad(std::string message) { return Error{ErrorKind::kInvalidInput, std::move(message)}; }

Status validate(const Hw7Options& o) {
  if (!(o.time_scale > 0) || o.time_scale > 1) return bad("--time-scale must be in (0, 1]");
  if (o.payment_delay.count() * o.time_scale < 1) return bad("--payment-delay x --time-scale must be at least 1 ms");
  if (o.sync_wait.count() < 0) return bad("--sync-wait must be >= 0");
  if (o.rabbitmq_nodes > 1 && !o.rabbitmq) return bad("--rabbitmq-nodes needs --rabbitmq");
  if (o.kill_node && (!o.rabbitmq || o.rabbitmq_nodes < 3))
    return bad("--kill-node needs a private cluster of at least 3 nodes (--rabbitmq-nodes 3)");
  for (auto d : {o.kill_at, o.kill_down, o.kill_tail})
    if (d.count() <= 0) return bad("--kill-at, --kill-down and --kill-tail must be > 0");
  if (o.normal_users < 1 || o.flash_users < 1) return bad("--normal-users and --flash-users must be >= 1");
  if (!(o.flash_spawn_rate > 0)) return bad("--spawn-rate must be > 0");
  if (o.wait_min > o.wait_max) return bad("--wait-min must be <= --wait-max");
  if (!(o.rate > 0)) return bad("--rate must be > 0");
  if (o.rate / o.time_scale > kMaxWallRate) return bad("--rate / --time-scale is over 20,000 orders/s: use a larger scale");
  for (int w : o.workers)
    if (w < 1 || w > kMaxWorkers) return bad("--workers must be in 1..5000");
  if (o.search_min < 1 || o.search_max <= o.search_min || o.search_max > kMaxWorkers)
    return bad("--search-min must be >= 1 and < --search-max <= 5000");
  if (o.function_concurrency < 1 || o.function_concurrency > kMaxWorkers)
    return bad("--function-concurrency must be in 1..5000");
  if (o.cold_start_min > o.cold_start_max) return bad("--cold-start-min must be <= --cold-start-max");
  if (o.memory_mb < kMinMemoryMb) return bad("--memory-mb must be >= 128");
  for (auto d : {o.normal_duration, o.flash_duration, o.async_duration, o.search_duration})
    if (static_cast<double>(d.count()) * o.time_scale < kMinPhaseWallMs)
      return bad("every phase must last at least 50 ms of wall time after scaling");
  return {};
}

// The broker the async parts use, and the private RabbitMQ behind it (--rabbitmq).
struct BrokerSetup {
  std::optional<infra::Server> rabbit;
  std::unique_ptr<mq::Broker> broker;
};

Result<BrokerSetup> open_broker(const Hw7Options& o) {
  BrokerSetup setup;
  std::string url = o.broker_url;
  if (o.rabbitmq) {
    if (o.progress) fmt::print(stderr, "hw7: starting a private RabbitMQ ({} node(s))…\n", o.rabbitmq_nodes);
    auto s = infra::find_kind("rabbitmq")->start({.dir = o.out_dir / "rabbitmq", .nodes = o.rabbitmq_nodes});
    if (!s) return Error{s.error().kind, "starting RabbitMQ: " + s.error().message};
    setup.rabbit.emplace(std::move(*s));
    url = setup.rabbit->url();
  }
  if (!(o.async || o.search || o.functions || o.kill_node)) return setup;
  auto b = mq::open_broker(url);
  if (!b) return b.error();
  setup.broker = std::move(*b);
  return setup;
}

Status run_sync_parts(const Hw7Options& o, Hw7Result& result) {
  auto normal = run_sync(o, Hw7SyncLoad::kNormal);
  if (!normal) return normal.error();
  result.normal = std::move(*normal);
  auto flash = run_sync(o, Hw7SyncLoad::kFlash);
  if (!flash) return flash.error();
  result.flash = std::move(*flash);
  return {};
}

Status run_async_parts(const Hw7Options& o, mq::Broker& broker, Hw7Result& result) {
  if (o.async) {
    for (int w : o.workers) {
      if (live_stopped(o.live)) break;
      auto r = run_async(o, broker, {.kind = Hw7RunKind::kWorkers, .workers = w, .duration = o.async_duration,
                                     .drain_limit = o.drain_limit});
      if (!r) return r.error();
      result.async.push_back(std::move(*r));
    }
  }
  if (o.search && !live_stopped(o.live)) {
    auto s = run_search(o, broker);
    if (!s) return s.error();
    result.search = std::move(*s);
  }
  if (o.functions && !live_stopped(o.live)) {
    auto r = run_async(o, broker, {.kind = Hw7RunKind::kFunctions, .workers = o.function_concurrency,
                                   .duration = o.async_duration, .drain_limit = o.drain_limit});
    if (!r) return r.error();
    result.functions = std::move(*r);
  }
  return {};
}

// Billed seconds per request (course units): measured by the functions run,
// else the payment delay (a function is billed while it waits on payment).
double billed_seconds(const Hw7Result& r) {
  const auto& o = r.options;
  if (r.functions && r.functions->functions && r.functions->functions->invocations > 0)
    return r.functions->functions->billed_seconds_per_invocation() / o.time_scale;
  return seconds(o.payment_delay);
}

}  // namespace

std::string read_load_average() {
  std::ifstream in("/proc/loadavg");
  double a = 0, b = 0, c = 0;
  in >> a >> b >> c;
  return fmt::format("{:.2f} {:.2f} {:.2f}", a, b, c);
}

std::string workers_text(int n) { return fmt::format("{} worker{}", n, n == 1 ? "" : "s"); }

std::string run_label(const AsyncSetup& a) {
  switch (a.kind) {
    case Hw7RunKind::kFunctions: return fmt::format("functions (limit {})", a.workers);
    case Hw7RunKind::kProbe: return "probe " + workers_text(a.workers);
    case Hw7RunKind::kWorkers: break;
  }
  return "async " + workers_text(a.workers);
}

std::string run_name(const Hw7AsyncRun& r) {
  return r.kind == Hw7RunKind::kFunctions ? fmt::format("functions (limit {})", r.workers) : workers_text(r.workers);
}

Status purge(mq::Broker& broker) {
  const std::string queue(orders::kQueue);
  for (int round = 0; round < kPurgeRounds; ++round) {
    auto depth = broker.queue_depth(queue);
    if (!depth) return depth.error();
    if (*depth == 0) return {};
    auto sub = broker.subscribe(queue, {.prefetch = kPurgePrefetch, .concurrency = 2},
                                [](const mq::Delivery&) { return mq::Outcome::kAck; });
    if (!sub) return sub.error();
    auto until = Clock::now() + kPurgeRoundLimit;
    while (Clock::now() < until) {
      auto d = broker.queue_depth(queue);
      if (!d || *d == 0) break;
      std::this_thread::sleep_for(kPurgePoll);
    }
    (*sub)->close();
  }
  return Error{ErrorKind::kUnavailable, "could not empty order-processing-queue"};
}

}  // namespace hw7_detail

std::string_view to_string(Hw7SyncLoad load) { return load == Hw7SyncLoad::kFlash ? "flash" : "normal"; }

std::string_view to_string(Hw7RunKind kind) {
  switch (kind) {
    case Hw7RunKind::kProbe: return "probe";
    case Hw7RunKind::kFunctions: return "functions";
    case Hw7RunKind::kWorkers: break;
  }
  return "workers";
}

bool Hw7Result::audits_ok() const {
  bool ok = true;
  for (const auto& a : async) ok = ok && a.audit_ok;
  if (search)
    for (const auto& a : search->probes) ok = ok && a.audit_ok;
  if (functions) ok = ok && functions->audit_ok;
  if (kill_node) ok = ok && kill_node->ok;
  return ok;
}

double Hw7SyncPhase::success_pct() const {
  return answered() ? 100.0 * static_cast<double>(ok) / static_cast<double>(answered()) : 0;
}

Result<Hw7Result> run_hw7(const Hw7Options& o) {
  using namespace hw7_detail;
  if (auto s = validate(o); !s) return s.error();
  if (o.rabbitmq)
    if (auto s = infra::prepare_dir(o.out_dir); !s) return s.error();
  Hw7Result result;
  result.options = o;
  auto setup = open_broker(o);
  if (!setup) return setup.error();
  result.broker = setup->broker ? std::string(mq::to_string(setup->broker->kind())) : "none";
  if (o.sync)
    if (auto s = run_sync_parts(o, result); !s) return s.error();
  if (setup->broker)
    if (auto s = run_async_parts(o, *setup->broker, result); !s) return s.error();
  if (o.kill_node) {
    auto k = run_kill_node(o, *setup->broker, *setup->rabbit);
    if (!k) return k.error();
    result.kill_node = std::move(*k);
  }
  result.cost = hw7_cost(billed_seconds(result), o);
  if (setup->broker) (void)purge(*setup->broker);  // leave an external broker's queue as we found it
  result.load_average = read_load_average();
  result.verdict = verdict(result);
  return result;
}

}  // namespace scalelab::lab
