#include "services/orders/functions.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/thread_annotations.h"
#include "obs/histogram.h"

namespace scalelab::orders {

namespace asio = boost::asio;
using Clock = resilience::Clock;

double FunctionStats::billed_seconds_per_invocation() const {
  return invocations ? static_cast<double>(billed_ms) / 1000.0 / static_cast<double>(invocations) : 0.0;
}

std::uint64_t billed_ms(std::chrono::nanoseconds duration) {
  auto ns = std::max<std::int64_t>(0, duration.count());
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>((ns + 999'999) / 1'000'000));
}

double gb_seconds(std::uint64_t billed, int memory_mb) {
  return static_cast<double>(memory_mb) / 1024.0 * static_cast<double>(billed) / 1000.0;
}

// In-flight invocations are handler coroutines on the subscription's
// executor (max_concurrency of them in flight, mostly waiting on the cold
// start or the payment delay, so 200 cost a few frames, not 200 threads).
// The instances are bookkeeping: idle ones are a time stamp each, oldest
// first. Durations and keep-warm are read on the runner's clock.
// Thread-safety: mu_ guards the instances and counters.
class FunctionRunner::Impl {
 public:
  Impl(store::Store& store, FunctionOptions options)
      : store_(store),
        options_(options),
        clock_(options.clock ? *options.clock : resilience::steady_clock()),
        payments_({.slots = options.max_concurrency, .delay = options.payment_delay, .clock = &clock_}),
        rng_(options.seed) {
    reaper_ = std::thread([this] { reap(); });
  }

  ~Impl() {
    if (options_.metrics && subscription_) options_.metrics->remove_collector(collector_);
    close();
  }

  void subscribed(std::unique_ptr<mq::Subscription> subscription) {
    subscription_ = std::move(subscription);
    if (options_.metrics) collector_ = options_.metrics->add_collector([this](std::string& out) { render(out); });
  }

  void close() {
    if (subscription_) subscription_->close();
    {
      core::MutexLock lock(mu_);
      closing_ = true;
      changed_.notify_all();
    }
    if (reaper_.joinable()) reaper_.join();
  }

  const FunctionOptions& options() const { return options_; }

  FunctionStats stats() const {
    core::MutexLock lock(mu_);
    FunctionStats s = stats_;
    s.busy = busy_;
    s.instances = busy_ + static_cast<int>(idle_.size());
    s.gb_seconds = gb_seconds(s.billed_ms, options_.memory_mb);
    s.init_p50_ms = static_cast<double>(init_us_.quantile(0.5)) / 1000.0;
    s.init_max_ms = static_cast<double>(init_us_.max()) / 1000.0;
    s.duration_p50_ms = static_cast<double>(duration_us_.quantile(0.5)) / 1000.0;
    s.duration_p99_ms = static_cast<double>(duration_us_.quantile(0.99)) / 1000.0;
    return s;
  }

  asio::awaitable<mq::Outcome> handle(mq::Delivery delivery) {
    auto id = order_id_of_message(delivery, "order-functions");
    if (!id) {
      core::MutexLock lock(mu_);
      ++stats_.dead_lettered;
      co_return mq::Outcome::kReject;
    }
    std::string last_error;
    const int attempts = options_.retries + 1;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      auto done = co_await invoke(*id, attempt > 1);
      if (done) {
        core::MutexLock lock(mu_);
        count_processed(stats_, *done);
        co_return mq::Outcome::kAck;
      }
      last_error = done.error().message;
      spdlog::warn("order-functions: order {} failed (attempt {} of {}): {}", *id, attempt, attempts, last_error);
    }
    // Given up: the reason goes on the order, the message to the DLQ
    // (rejected, so it does not come back).
    (void)co_await mark_order_failed(store_, *id, fmt::format("{} (after {} attempts)", last_error, attempts),
                                     "order-functions");
    core::MutexLock lock(mu_);
    ++stats_.failed;
    ++stats_.dead_lettered;
    co_return mq::Outcome::kReject;
  }

 private:
  struct Lease {
    bool cold = false;
    std::chrono::milliseconds init{0};
  };

  // One invocation on an instance, billed from the moment it has one. An
  // exception from the store is a failed invocation.
  asio::awaitable<Result<Processed>> invoke(std::string id, bool retry) {
    Lease lease = acquire(retry);
    const auto start = clock_.now();
    if (lease.cold) co_await clock_.sleep_for(lease.init);  // the new instance's init
    const auto ready = clock_.now();
    Result<Processed> done = Error{ErrorKind::kInternal, "not run"};
    try {
      done = co_await process_order(store_, payments_, id);
    } catch (const std::exception& e) {
      done = Error{ErrorKind::kInternal, e.what()};
    }
    const auto end = clock_.now();
    release(lease, ready - start, end - start);
    co_return done;
  }

  // Never waits: at most max_concurrency invocations run at once (the
  // subscription's concurrency) and each holds one instance, so a busy
  // runner always has an idle instance or room for a new one.
  Lease acquire(bool retry) {
    core::MutexLock lock(mu_);
    reclaim_expired(clock_.now());
    ++stats_.invocations;
    if (retry) ++stats_.retried;
    ++busy_;
    stats_.peak_concurrency = std::max(stats_.peak_concurrency, busy_);
    Lease lease;
    if (!idle_.empty()) {
      idle_.pop_back();  // the most recently used: the others can cool down and be reclaimed
    } else {
      lease.cold = true;
      ++stats_.cold_starts;
      std::uniform_int_distribution<std::int64_t> jitter(options_.cold_start_min.count(),
                                                         options_.cold_start_max.count());
      lease.init = std::chrono::milliseconds(jitter(rng_));
    }
    stats_.peak_instances = std::max(stats_.peak_instances, alive());
    return lease;
  }

  void release(const Lease& lease, std::chrono::nanoseconds init, std::chrono::nanoseconds duration) {
    core::MutexLock lock(mu_);
    --busy_;
    idle_.push_back(clock_.now());
    stats_.billed_ms += billed_ms(duration);
    duration_us_.record(static_cast<std::uint64_t>(duration.count() / 1000));
    if (lease.cold) init_us_.record(static_cast<std::uint64_t>(init.count() / 1000));
    changed_.notify_all();
  }

  int alive() const REQUIRES(mu_) { return busy_ + static_cast<int>(idle_.size()); }

  void reclaim_expired(Clock::time_point now) REQUIRES(mu_) {
    while (!idle_.empty() && now - idle_.front() >= options_.keep_warm) {
      idle_.pop_front();
      ++stats_.reclaimed;
    }
  }

  // Reclaims each idle instance when its keep_warm runs out (a real wait
  // for the time left on the runner's clock).
  void reap() {
    core::MutexLock lock(mu_);
    while (!closing_) {
      reclaim_expired(clock_.now());
      if (idle_.empty()) changed_.wait(mu_);
      else changed_.wait_for(mu_, idle_.front() + options_.keep_warm - clock_.now());
    }
  }

  void render(std::string& out) const {
    FunctionStats s = stats();
    auto counter = [&](const char* name, const char* help, double v) {
      obs::append_family_header(out, name, help, "counter");
      obs::append_sample(out, name, {}, v);
    };
    auto gauge = [&](const char* name, const char* help, double v) {
      obs::append_family_header(out, name, help, "gauge");
      obs::append_sample(out, name, {}, v);
    };
    counter("function_invocations_total", "Function invocations (every attempt, billed)",
            static_cast<double>(s.invocations));
    counter("function_cold_starts_total", "Invocations that started a new instance",
            static_cast<double>(s.cold_starts));
    counter("function_retries_total", "Invocations that retried a failed one", static_cast<double>(s.retried));
    counter("function_reclaimed_instances_total", "Idle instances reclaimed after keep-warm",
            static_cast<double>(s.reclaimed));
    counter("function_billed_milliseconds_total", "Billed duration (each invocation rounded up to 1 ms)",
            static_cast<double>(s.billed_ms));
    counter("function_billed_gb_seconds_total", "Billed GB-seconds (memory x billed duration)", s.gb_seconds);
    counter("function_charges_total", "Charges recorded by invocations", static_cast<double>(s.charged));
    obs::append_family_header(out, "function_orders_total", "Orders finished by the functions, by outcome",
                              "counter");
    for (auto [outcome, v] : {std::pair{"completed", s.completed}, std::pair{"duplicate", s.duplicates},
                              std::pair{"refused", s.refused}, std::pair{"failed", s.failed},
                              std::pair{"dead_lettered", s.dead_lettered}})
      obs::append_sample(out, "function_orders_total", {{"outcome", outcome}}, static_cast<double>(v));
    gauge("function_instances", "Instances alive (warm or busy)", s.instances);
    gauge("function_busy", "Invocations running now", s.busy);
    gauge("function_peak_concurrency", "Most invocations running at once", s.peak_concurrency);
    gauge("function_peak_instances", "Most instances alive at once", s.peak_instances);
    gauge("function_max_concurrency", "The concurrency limit", options_.max_concurrency);
  }

  store::Store& store_;
  const FunctionOptions options_;
  resilience::Clock& clock_;
  PaymentProcessor payments_;  // one slot per instance: each verifies its own order
  std::unique_ptr<mq::Subscription> subscription_;
  std::size_t collector_ = 0;
  std::thread reaper_;

  mutable core::Mutex mu_;
  std::condition_variable_any changed_;                // an instance went idle, or closing
  std::deque<Clock::time_point> idle_ GUARDED_BY(mu_);  // idle instances, each the time it went idle; oldest first
  int busy_ GUARDED_BY(mu_) = 0;
  bool closing_ GUARDED_BY(mu_) = false;
  std::mt19937_64 rng_ GUARDED_BY(mu_);
  FunctionStats stats_ GUARDED_BY(mu_);  // counters only; the rest is filled in by stats()
  obs::LogLinearHistogram init_us_ GUARDED_BY(mu_), duration_us_ GUARDED_BY(mu_);
};

FunctionRunner::FunctionRunner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FunctionRunner::~FunctionRunner() = default;

Result<std::unique_ptr<FunctionRunner>> FunctionRunner::start(mq::Broker& broker, store::Store& store,
                                                              FunctionOptions options) {
  auto invalid = [](std::string m) { return Error{ErrorKind::kInvalidInput, std::move(m)}; };
  if (options.max_concurrency < 1 || options.max_concurrency > 65535)
    return invalid("max concurrency must be in 1..65535");
  if (options.cold_start_min.count() < 0 || options.cold_start_max < options.cold_start_min)
    return invalid("cold start must satisfy 0 <= min <= max");
  if (options.keep_warm.count() < 0) return invalid("keep-warm must not be negative");
  if (options.memory_mb < 1) return invalid("memory must be at least 1 MB");
  if (options.retries < 0) return invalid("retries must not be negative");
  if (options.payment_delay.count() < 0) return invalid("payment delay must not be negative");
  if (options.threads < 1) return invalid("threads must be at least 1");
  if (auto s = declare_topology(broker, options.max_deliveries); !s) return s.error();
  auto impl = std::make_unique<Impl>(store, options);
  mq::SubscribeOptions so;
  so.concurrency = options.max_concurrency;
  so.prefetch = static_cast<std::uint16_t>(options.max_concurrency);
  so.threads = options.threads;
  auto* self = impl.get();
  auto sub = broker.subscribe(std::string(kQueue), so, mq::AsyncHandler([self](mq::Delivery d) {
                                return self->handle(std::move(d));
                              }));
  if (!sub) return sub.error();
  impl->subscribed(std::move(*sub));
  return std::unique_ptr<FunctionRunner>(new FunctionRunner(std::move(impl)));
}

void FunctionRunner::close() { impl_->close(); }
FunctionStats FunctionRunner::stats() const { return impl_->stats(); }
const FunctionOptions& FunctionRunner::options() const { return impl_->options(); }

// ---- the cost model ----

CostEstimate monthly_cost(double requests_per_month, double billed_seconds_per_request, int memory_mb,
                          const Prices& p) {
  CostEstimate c;
  c.requests = requests_per_month;
  c.gb_seconds = requests_per_month * billed_seconds_per_request * memory_mb / 1024.0;
  c.functions_usd = std::max(0.0, c.requests - p.free_requests) / 1e6 * p.per_million_requests_usd +
                    std::max(0.0, c.gb_seconds - p.free_gb_seconds) * p.per_gb_second_usd;
  c.tasks_usd = p.tasks * p.task_month_usd;
  return c;
}

double break_even_requests(double billed_seconds_per_request, int memory_mb, const Prices& p) {
  const double target = p.tasks * p.task_month_usd;
  if (target <= 0) return 0;
  const double per_request = p.per_million_requests_usd / 1e6;
  const double gb_per_request = billed_seconds_per_request * memory_mb / 1024.0;
  auto cost = [&](double r) { return monthly_cost(r, billed_seconds_per_request, memory_mb, p).functions_usd; };
  // The functions' cost is piecewise linear in the volume and bends where each
  // free tier runs out: solve on the segment where it crosses the target.
  std::vector<double> knots{std::max(0.0, p.free_requests)};
  if (gb_per_request > 0) knots.push_back(std::max(0.0, p.free_gb_seconds) / gb_per_request);
  std::sort(knots.begin(), knots.end());
  knots.push_back(std::numeric_limits<double>::infinity());
  double lo = 0;
  for (double hi : knots) {
    if (hi <= lo) continue;
    double mid = std::isinf(hi) ? lo + 1 : (lo + hi) / 2;
    double slope = (mid > p.free_requests ? per_request : 0.0) +
                   (mid * gb_per_request > p.free_gb_seconds ? gb_per_request * p.per_gb_second_usd : 0.0);
    if (std::isinf(hi) || cost(hi) >= target) {
      if (slope <= 0) return std::numeric_limits<double>::infinity();
      return lo + (target - cost(lo)) / slope;
    }
    lo = hi;
  }
  return std::numeric_limits<double>::infinity();
}

std::string describe_run(const FunctionStats& s, std::chrono::duration<double> observed, int memory_mb,
                         const Prices& p) {
  std::string out = fmt::format(
      "{} invocations, {} cold starts ({:.1f}%), {} retries; orders: {} completed, {} duplicates, {} failed, {} "
      "dead-lettered, {} charged; peak {} running, {} instances ({} reclaimed); init p50 {:.0f} ms, max {:.0f} ms; "
      "duration p50 {:.0f} ms, p99 {:.0f} ms; billed {} ms = {:.3f} GB-s at {} MB",
      s.invocations, s.cold_starts, s.invocations ? 100.0 * s.cold_starts / s.invocations : 0.0, s.retried,
      s.completed, s.duplicates, s.failed, s.dead_lettered, s.charged, s.peak_concurrency, s.peak_instances,
      s.reclaimed, s.init_p50_ms, s.init_max_ms, s.duration_p50_ms, s.duration_p99_ms, s.billed_ms, s.gb_seconds,
      memory_mb);
  double seconds = observed.count();
  if (s.invocations == 0 || seconds <= 0) return out;
  double per_second = s.invocations / seconds;
  double billed = s.billed_seconds_per_invocation();
  auto c = monthly_cost(per_second * kSecondsPerMonth, billed, memory_mb, p);
  double even = break_even_requests(billed, memory_mb, p);
  out += fmt::format(
      ". At the observed {:.2f} invocations/s ({:.0f} a month) and {:.3f} s billed each: functions ${:.2f}/month "
      "({:.0f} GB-s) vs {} always-on tasks ${:.2f}/month; break-even {:.0f} invocations a month ({:.3f}/s)",
      per_second, c.requests, billed, c.functions_usd, c.gb_seconds, p.tasks, c.tasks_usd, even,
      even / kSecondsPerMonth);
  return out;
}

}  // namespace scalelab::orders
