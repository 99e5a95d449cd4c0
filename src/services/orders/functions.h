// The serverless variant of hw7's order processing (`serve order-functions`)
// and the monthly cost comparison of functions against always-on tasks.
// docs/orders.md, "Processing as functions".
//
// FunctionRunner consumes order-processing-queue (the worker's topology, so
// `serve orders` + `serve order-functions` is a drop-in for `serve
// order-worker`). Each delivery is an invocation on a function instance: a
// warm idle instance (the most recently used) or, under max_concurrency, a new
// one that first pays a cold start. Idle instances are reclaimed after
// keep_warm. The broker's prefetch is max_concurrency, so deliveries beyond
// the limit wait in the queue. An invocation does what OrderWorker does
// (orders::process_order: idempotent, charged at most once). A failed
// invocation is retried `retries` times, then the order is marked failed with
// the reason and the message is rejected into order-processing-dlq.
// Billing: each invocation (init included) rounded up to 1 ms; GB-seconds =
// memory_mb/1024 x billed seconds.
// Thread-safety: FunctionRunner is thread-safe; the broker, store and
// registry it uses must outlive it. The cost functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "mq/broker.h"
#include "obs/metrics.h"
#include "resilience/clock.h"
#include "services/orders/orders.h"
#include "store/store.h"

namespace scalelab::orders {

struct FunctionOptions {
  int max_concurrency = 100;                       // instances alive at once (>= 1)
  std::chrono::milliseconds cold_start_min{70};    // init time of a new instance, uniform in [min, max]
  std::chrono::milliseconds cold_start_max{300};
  std::chrono::milliseconds keep_warm{60'000};     // an idle instance is reclaimed after this
  int memory_mb = 512;                             // billed GB-seconds = memory_mb/1024 * billed duration
  int retries = 2;                                 // a failed invocation is retried this many times, then dead-lettered
  std::chrono::milliseconds payment_delay{3'000};  // the work each invocation does (the payment verification)
  std::uint64_t seed = 1;                          // cold-start jitter, deterministic
  // The queue's delivery limit, declared with the topology (must match what
  // `serve orders` declared on RabbitMQ). Only a runner that died mid-order
  // brings a message back; the in-process retries do not count towards it.
  int max_deliveries = kDefaultMaxDeliveries;
  // Where the runner's counters appear (the process's /metrics); null: not
  // exported. REQUIRES: outlives the runner.
  obs::Registry* metrics = nullptr;
  // The time source of cold starts, payment delays, billing and keep-warm;
  // null: the steady clock. On a resilience::ManualClock invocations take
  // no real time. REQUIRES: outlives the runner.
  resilience::Clock* clock = nullptr;
  int threads = 1;  // threads of the executor the invocations run on (>= 1)
};

struct FunctionStats {
  std::uint64_t invocations = 0;        // every attempt, billed
  std::uint64_t cold_starts = 0;
  std::uint64_t completed = 0, failed = 0, dead_lettered = 0, duplicates = 0, charged = 0;
  std::uint64_t refused = 0;  // deliveries of orders the service refused (503, status rejected): not charged
  int instances = 0, peak_concurrency = 0; // alive now (warm+busy); most busy at once
  std::uint64_t billed_ms = 0;           // sum of durations rounded UP to 1 ms (init included, as Lambda bills)
  double gb_seconds = 0;
  // init_*: cold starts alone; duration_*: whole invocations, init included (what is billed).
  double init_p50_ms = 0, init_max_ms = 0, duration_p50_ms = 0, duration_p99_ms = 0;
  // Added by the runner:
  int busy = 0;                   // invocations running now
  std::uint64_t retried = 0;      // attempts that were retries of a failed one
  std::uint64_t reclaimed = 0;    // idle instances reclaimed after keep_warm
  int peak_instances = 0;        // most instances alive at once
  // billed_ms / invocations in seconds (0 before the first invocation).
  double billed_seconds_per_invocation() const;
};

class FunctionRunner {   // thread-safe
 public:
  // Declares the topology and subscribes. Fails on bad options
  // (max_concurrency < 1 or > 65535, cold_start_max < cold_start_min,
  // memory_mb < 1, retries < 0) or when the broker refuses.
  static Result<std::unique_ptr<FunctionRunner>> start(mq::Broker& broker, store::Store& store, FunctionOptions options);
  ~FunctionRunner();
  // Graceful: no new deliveries, running invocations finish (and are acked).
  void close();
  FunctionStats stats() const;
  const FunctionOptions& options() const;

 private:
  class Impl;
  explicit FunctionRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One invocation's bill: its duration rounded up to the next 1 ms.
std::uint64_t billed_ms(std::chrono::nanoseconds duration);
// GB-seconds of billed_ms at memory_mb (memory_mb/1024 GB x billed seconds).
double gb_seconds(std::uint64_t billed_ms, int memory_mb);

// The course's prices (defaults) and the monthly cost comparison.
struct Prices {
  double task_month_usd = 8.50; int tasks = 2;
  double per_million_requests_usd = 0.20; double per_gb_second_usd = 0.0000166667;
  double free_requests = 1'000'000; double free_gb_seconds = 400'000;
};
struct CostEstimate { double requests = 0, gb_seconds = 0, functions_usd = 0, tasks_usd = 0; };
// functions_usd = max(0, requests - free) x per-million price / 1e6
//               + max(0, GB-s - free GB-s) x per-GB-s price;
// tasks_usd = tasks x task_month_usd (whatever the volume).
CostEstimate monthly_cost(double requests_per_month, double billed_seconds_per_request, int memory_mb, const Prices& p = {});
// The monthly volume at which functions cost as much as the always-on tasks
// (+infinity when functions never do: zero prices; 0 when tasks cost nothing).
double break_even_requests(double billed_seconds_per_request, int memory_mb, const Prices& p = {});

// A month as AWS prices it: 730 hours.
inline constexpr double kSecondsPerMonth = 730.0 * 3600.0;

// The summary `serve order-functions` logs at shutdown: cold starts,
// durations, and the monthly cost at the observed rate (invocations over
// `observed`, scaled to a month) and mean billed duration, with the
// break-even volume.
std::string describe_run(const FunctionStats& stats, std::chrono::duration<double> observed, int memory_mb,
                         const Prices& p = {});

}  // namespace scalelab::orders
