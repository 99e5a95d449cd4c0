#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "core/run_blocking.h"
#include "http/server.h"
#include "infra/redis.h"
#include "lab/live.h"
#include "lab/loopback.h"
#include "lab/redis_failover/redis_failover.h"
#include "mq/broker.h"
#include "obs/metrics.h"
#include "services/orders/audit.h"
#include "services/orders/orders.h"
#include "services/orders/worker.h"
#include "services/shop/shop.h"
#include "store/redis_sentinel.h"

namespace scalelab::lab {

namespace {

using namespace std::chrono_literals;
using failover::Timeline;

constexpr std::int32_t kProducts = 100;
// Shoppers buy products 6..kProducts: the course's products 1-5 come with
// its small stock (a Laptop has 10), which a run would sell out.
constexpr std::int32_t kFirstStockedProduct = 6;
constexpr std::int64_t kStock = 1'000'000'000;  // checkouts never run out
// A delivery that fails at the kill is redelivered; only a run of failures
// this long marks an order failed.
constexpr int kMaxDeliveries = 10;
constexpr auto kDownstreamTimeout = 10s;  // carts -> payments/warehouse: longer than the store's wait for a primary
constexpr auto kDrainTimeout = 20s;       // the worker finishing the accepted async orders after the load
constexpr auto kPromotionPoll = 50ms;
// The payment check of an order: short, so the store's writes (not the
// course's 3 s verification) are what the load exercises.
constexpr orders::PaymentProcessor::Options kPayment{.slots = 8, .delay = 1ms};
// Between two orders of one client: the async path accepts far faster than
// its worker completes, and an unpaced client would only grow the queue.
constexpr auto kOrderPace = 20ms;
constexpr auto kLocateTimeout = 500ms;  // per Sentinel asked
constexpr auto kLiveTick = 250ms;       // how often the live view (--web) is told the last whole second

void say(const RedisFailoverOptions& o, const std::string& line) {
  if (o.progress) std::fprintf(stderr, "  [redis-failover] %s\n", line.c_str());
  live_phase(o.live, line);
}

// The shop (catalog, warehouse, payments on one server; carts in front) and
// the orders service with its worker over an in-process broker, each server
// on a loopback port, every store on the Sentinel URL.
class Services {
 public:
  static Result<std::unique_ptr<Services>> start(const std::string& url, const RedisFailoverOptions& o) {
    std::unique_ptr<Services> s(new Services);
    if (auto st = s->start_shop(url); !st) return st.error();
    if (auto st = s->start_orders(url, o); !st) return st.error();
    return s;
  }
  ~Services() { stop(); }
  void stop() {
    if (carts_server_) carts_server_->stop();
    if (backend_server_) backend_server_->stop();
    if (orders_server_) orders_server_->stop();
    if (worker_) worker_->close();
  }
  std::uint16_t carts_port() const { return carts_server_->port(); }
  std::uint16_t orders_port() const { return orders_server_->port(); }
  store::Store& orders_store() { return *orders_store_; }

 private:
  Services() = default;
  static http::ServerOptions server_options() { return loopback_server_options(60s, 1s); }

  Status start_shop(const std::string& url) {
    shop::ShopOptions so;
    so.store_url = url;
    so.products = kProducts;
    so.initial_stock = kStock;
    so.downstream_timeout = kDownstreamTimeout;
    auto backend = shop::ShopHost::create(shop::kCatalog | shop::kWarehouse | shop::kPayments, so);
    if (!backend) return backend.error();
    backend_ = std::move(*backend);
    backend_->register_routes(backend_router_);
    backend_server_.emplace(server_options(), backend_router_, backend_registry_);
    backend_server_->start();
    so.catalog_url = so.warehouse_url = so.payments_url = fmt::format("http://127.0.0.1:{}", backend_server_->port());
    auto front = shop::ShopHost::create(shop::kCarts, so);
    if (!front) return front.error();
    carts_ = std::move(*front);
    carts_->register_routes(carts_router_);
    carts_server_.emplace(server_options(), carts_router_, carts_registry_);
    carts_server_->start();
    return {};
  }

  Status start_orders(const std::string& url, const RedisFailoverOptions& o) {
    auto opened = store::open_store(url);
    if (!opened) return opened.error();
    orders_store_ = std::move(*opened);
    auto broker = mq::open_broker("memory://");
    if (!broker) return broker.error();
    broker_ = std::move(*broker);
    orders::WorkerOptions wo;
    wo.workers = o.workers;
    wo.max_deliveries = kMaxDeliveries;
    wo.payment = kPayment;
    auto worker = orders::OrderWorker::start(*broker_, *orders_store_, wo);  // declares the topology
    if (!worker) return worker.error();
    worker_ = std::move(*worker);
    orders_ = std::make_unique<orders::OrdersService>(*orders_store_, broker_.get(), orders::ServiceOptions{.payment = kPayment});
    orders_->register_routes(orders_router_);
    orders_server_.emplace(server_options(), orders_router_, orders_registry_);
    orders_server_->start();
    return {};
  }

  std::unique_ptr<shop::ShopHost> backend_, carts_;
  http::Router backend_router_, carts_router_, orders_router_;
  obs::Registry backend_registry_, carts_registry_, orders_registry_;
  std::unique_ptr<store::Store> orders_store_;
  std::unique_ptr<mq::Broker> broker_;
  std::unique_ptr<orders::OrderWorker> worker_;
  std::unique_ptr<orders::OrdersService> orders_;
  std::optional<http::Server> backend_server_, carts_server_, orders_server_;
};

// The three kinds of clients, each with its own timeline, on their threads.
struct Load {
  Load(Services& s, const RedisFailoverOptions& o)
      : sync(s.orders_port(), "/orders/sync", 200, "sync", sync_timeline, kOrderPace),
        async(s.orders_port(), "/orders/async", 202, "async", async_timeline, kOrderPace),
        carts(s.carts_port(), kFirstStockedProduct, kProducts, cart_timeline) {
    for (int c = 0; c < o.sync_clients; ++c) threads.emplace_back([this, c] { sync.run(c, stop); });
    for (int c = 0; c < o.async_clients; ++c) threads.emplace_back([this, c] { async.run(c, stop); });
    for (int c = 0; c < o.cart_clients; ++c) threads.emplace_back([this, c] { carts.run(c, stop); });
  }
  ~Load() { join(); }
  void join() {
    stop = true;
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }
  std::vector<Timeline*> timelines() { return {&sync_timeline, &async_timeline, &cart_timeline}; }

  Timeline sync_timeline, async_timeline, cart_timeline;
  failover::OrderClients sync, async;
  failover::CartClients carts;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
};

// Lets `span` pass while the clients run, telling the live view (--web) each
// stream's requests of every whole second. A Stop from the page ends the
// wait early; after the kill only once every stream has recovered, since
// the experiment measures that.
void watch_for(Load& load, const RedisFailoverOptions& o, std::chrono::milliseconds span, bool after_kill) {
  static constexpr const char* kNames[] = {"orders sync", "orders async", "carts"};
  const auto end = failover::Clock::now() + span;
  int told = static_cast<int>(load.sync_timeline.elapsed_s()) - 1;  // the last whole second the page has
  while (failover::Clock::now() < end) {
    std::this_thread::sleep_for(std::min<failover::Clock::duration>(kLiveTick, end - failover::Clock::now()));
    if (!o.live) continue;
    for (const int whole = static_cast<int>(load.sync_timeline.elapsed_s()) - 1; told < whole;) {
      ++told;
      const auto timelines = load.timelines();
      for (std::size_t i = 0; i < timelines.size(); ++i) {
        failover::Second at{told};
        for (const auto& s : timelines[i]->seconds())
          if (s.second == told) at = s;
        live_series(o.live, "requests ok per second", kNames[i], static_cast<double>(at.ok));
        live_series(o.live, "requests failed per second", kNames[i], static_cast<double>(at.failed));
      }
    }
    const auto recovered = [&] {
      return std::ranges::all_of(load.timelines(), [](const Timeline* t) { return t->recovered(); });
    };
    if (live_stopped(o.live) && (!after_kill || recovered())) return;
  }
}

// Marks the promotion on every timeline once Sentinel names a primary other
// than `old`; until `stop`.
void watch_promotion(store::PrimaryLocator& locator, const store::RedisEndpoint& old,
                     const std::vector<Timeline*>& timelines, const std::atomic<bool>& stop) {
  while (!stop) {
    auto now = locator.locate();
    if (now && !(*now == old)) {
      for (auto* t : timelines) t->mark_promotion();
      return;
    }
    std::this_thread::sleep_for(kPromotionPoll);
  }
}

// The stream's figures; its timeline without the last second when the load
// stopped within it (a partial second would read as a drop in requests/s).
FailoverStream stream_of(std::string name, const Timeline& t, double load_s) {
  auto seconds = t.seconds();
  std::erase_if(seconds, [&](const failover::Second& s) { return s.second >= static_cast<int>(load_s); });
  return {std::move(name), t.ok(), t.failed(), t.recovery_s(), std::move(seconds)};
}

// The counting check over `ids`, once no accepted order is left unfinished
// (the worker may still hold some) or kDrainTimeout passed.
Result<orders::Audit> audit_when_finished(store::Store& store, const std::vector<std::string>& ids) {
  const auto deadline = failover::Clock::now() + kDrainTimeout;
  for (;;) {
    auto a = run_blocking(orders::audit(store, ids));
    if (!a || a->unfinished == 0 || failover::Clock::now() > deadline) return a;
    std::this_thread::sleep_for(200ms);
  }
}

OrdersCount count_of(const orders::Audit& a) {
  return {a.accepted, a.completed, a.failed + a.failed_without_reason + a.rejected, a.unfinished, a.charges};
}

// Kills the primary (it leads the topology's process group) and runs the
// load on until `after` passed.
void kill_primary(infra::Server& topology, const std::string& url, Load& load, const RedisFailoverOptions& o) {
  auto parsed = store::parse_sentinel_url(url);
  std::optional<store::PrimaryLocator> locator;
  std::optional<store::RedisEndpoint> old;
  if (parsed) {
    locator.emplace(parsed->sentinels, parsed->master, kLocateTimeout);
    if (auto at = locator->locate()) old = *at;
  }
  for (auto* t : load.timelines()) t->mark_kill();
  // Only a real child's pid: kill(0 or -1, ...) would hit this process's group or every process.
  if (const pid_t primary = topology.process().pid(); primary > 0) ::kill(primary, SIGKILL);
  say(o, "kill -9 of the primary");
  std::atomic<bool> stop_watch{false};
  std::thread watcher;
  if (old) watcher = std::thread([&] { watch_promotion(*locator, *old, load.timelines(), stop_watch); });
  watch_for(load, o, o.after, true);
  stop_watch = true;
  if (watcher.joinable()) watcher.join();
}

Status check(Services& services, Load& load, RedisFailoverResult& r) {
  auto& store = services.orders_store();
  auto sync_ids = load.sync.accepted(), async_ids = load.async.accepted();
  auto sync = run_blocking(orders::audit(store, sync_ids));
  if (!sync) return sync.error();
  auto async = audit_when_finished(store, async_ids);
  if (!async) return async.error();
  r.sync = count_of(*sync);
  r.async = count_of(*async);
  std::vector<std::string> all = sync_ids;
  all.insert(all.end(), async_ids.begin(), async_ids.end());
  auto unanswered = failover::unanswered_charges(store, all);
  if (!unanswered) return unanswered.error();
  r.unanswered_charges = unanswered->size();
  auto carts = failover::check_carts(store, load.carts.carts());
  if (!carts) return carts.error();
  r.carts = *carts;
  return {};
}

Result<RedisFailoverResult> measure(infra::Server& topology, const RedisFailoverOptions& o) {
  auto services = Services::start(topology.url(), o);
  if (!services) return services.error();
  RedisFailoverResult r{.replicas = o.replicas, .sentinels = o.sentinels, .down_after_ms = o.down_after.count()};
  Load load(**services, o);
  say(o, fmt::format("load for {} ms before the kill", o.before.count()));
  watch_for(load, o, o.before, false);
  kill_primary(topology, topology.url(), load, o);
  load.join();
  r.seconds = load.sync_timeline.elapsed_s();
  r.kill_s = load.sync_timeline.kill_s();
  r.promotion_s = load.sync_timeline.promotion_s();
  r.streams = {stream_of("orders sync", load.sync_timeline, r.seconds),
               stream_of("orders async", load.async_timeline, r.seconds),
               stream_of("carts", load.cart_timeline, r.seconds)};
  for (const auto& s : r.streams)
    if (std::isnan(s.recovery_s))
      return Error{ErrorKind::kUnavailable, fmt::format("no {} request succeeded after the kill", s.name)};
  say(o, "counting what the store holds");
  if (auto s = check(**services, load, r); !s) return s.error();
  (*services)->stop();
  return r;
}

}  // namespace

const char* const kRedisFailoverGuarantee =
    "Every write a service made durable and a client was answered for (an accepted order completed and charged, "
    "a new cart, a paid cart and its charge) survives kill -9 of the Redis primary, and no order is charged twice.";

RedisFailoverOptions quick_redis_failover(RedisFailoverOptions o) {
  o.before = 3s;
  o.after = 6s;
  return o;
}

double RedisFailoverResult::recovery_s() const {
  double slowest = 0;
  for (const auto& s : streams) slowest = std::max(slowest, s.recovery_s);
  return slowest;
}

std::uint64_t RedisFailoverResult::failed_requests() const {
  std::uint64_t n = 0;
  for (const auto& s : streams) n += s.failed;
  return n;
}

std::size_t RedisFailoverResult::lost_durable() const {
  return (sync.accepted - sync.completed) + (async.accepted - async.completed) + carts.lost_durable();
}

Result<RedisFailoverResult> run_redis_failover(const RedisFailoverOptions& o) {
  const auto dir = o.out_dir / "redis";
  std::filesystem::remove_all(dir);
  say(o, fmt::format("starting a primary, {} replicas and {} Sentinels", o.replicas, o.sentinels));
  auto topology = infra::start_redis(
      {.dir = dir, .redis_replicas = o.replicas, .redis_sentinels = o.sentinels, .sentinel_down_after = o.down_after});
  if (!topology) return topology.error();
  auto r = measure(*topology, o);
  topology->stop();
  return r;
}

}  // namespace scalelab::lab
