// `scalelab lab redis-failover`: the shop's carts and the orders service
// (sync, and async with a worker over the in-process broker) under load on a
// private Redis primary + replicas + Sentinels (redis-sentinel://), the
// primary killed with kill -9 mid-run. Measured: requests failed per second,
// the kill and Sentinel's promotion, the seconds until each kind of write
// succeeds again; checked afterwards: every durable write a client was
// answered for is still there (accepted orders completed, new and paid carts,
// their charges) and no order is charged twice.
// run_redis_failover measures (run.cpp over probe.h and cart_clients.h);
// render_redis_failover writes report.html, timeline.csv and summary.json
// (render.cpp).
// Thread-safety: run and render are called from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"
#include "lab/redis_failover/cart_clients.h"
#include "lab/redis_failover/probe.h"

namespace scalelab::lab {

class Live;

struct RedisFailoverOptions {
  std::filesystem::path out_dir = "reports/redis-failover";  // the report; the servers' files under redis/
  int replicas = 2;  // two: one is left to acknowledge durable writes after the failover
  int sentinels = 3;
  std::chrono::milliseconds down_after{1'000};  // Sentinel's down-after-milliseconds
  int sync_clients = 2;   // POST /orders/sync, one after another each
  int async_clients = 2;  // POST /orders/async
  int cart_clients = 2;   // create, add 2 items, check out
  int workers = 2;        // the async orders' worker
  std::chrono::milliseconds before{6'000};  // load before the kill
  std::chrono::milliseconds after{10'000};  // load after the kill
  bool progress = true;  // a line on stderr at each step
  Live* live = nullptr;  // --web: each step and each stream's requests per second (lab/live.h); Stop ends the waits
};

// --quick: 3 s before the kill, 6 s after (about 20 s in all with the setup).
RedisFailoverOptions quick_redis_failover(RedisFailoverOptions o);

// One kind of request under the failover.
struct FailoverStream {
  std::string name;  // "orders sync", "orders async", "carts"
  std::uint64_t ok = 0, failed = 0;  // requests (retries included)
  double recovery_s = 0;  // the kill to the first success of a request issued after it
  std::vector<failover::Second> timeline;
};

struct OrdersCount {
  std::size_t accepted = 0, completed = 0, failed = 0, unfinished = 0, charges = 0;
};

struct RedisFailoverResult {
  int replicas = 0, sentinels = 0;
  std::int64_t down_after_ms = 0;
  double seconds = 0;      // of load
  double kill_s = 0;       // since the load began
  double promotion_s = 0;  // Sentinel named the new primary (NaN: not seen)
  std::vector<FailoverStream> streams;
  OrdersCount sync, async;
  failover::CartCheck carts;
  std::size_t unanswered_charges = 0;  // charges of orders no client was answered for
  double recovery_s() const;           // the slowest stream's
  std::uint64_t failed_requests() const;
  std::size_t lost_durable() const;    // accepted orders not completed, created or paid carts lost, paid carts uncharged
  std::size_t double_charges() const { return unanswered_charges; }
};

// Files render_redis_failover wrote.
struct RedisFailoverFiles {
  std::filesystem::path report, csv, json;
};

// Fails when the servers cannot be started, or no request succeeded after the kill.
Result<RedisFailoverResult> run_redis_failover(const RedisFailoverOptions& options);

Result<RedisFailoverFiles> render_redis_failover(const RedisFailoverResult& result,
                                                 const std::filesystem::path& out_dir);

// The guarantee the experiment checks, in one sentence.
extern const char* const kRedisFailoverGuarantee;

}  // namespace scalelab::lab
