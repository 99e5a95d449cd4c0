// What a Redis failover experiment and its tests share: the timeline the
// clients record into (requests succeeded and failed per second, the kill,
// Sentinel's promotion, the first success of a request issued after the
// kill), the order clients (each order retried with its Idempotency-Key until
// accepted, as the API asks) and the check for charges no client was answered
// for. `scalelab lab redis-failover` and the orders failover test run on it.
// Thread-safety: Timeline and OrderClients are safe from any thread;
// unanswered_charges is a blocking call over a thread-safe Store.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/thread_annotations.h"
#include "store/store.h"

namespace scalelab::lab::failover {

using Clock = std::chrono::steady_clock;

// Requests that ended in one second of the load.
struct Second {
  int second = 0;  // since the load began
  std::uint64_t ok = 0, failed = 0;
};

class Timeline {
 public:
  Timeline();  // the load begins now

  // A request issued at `started` ended now, successfully or not.
  void record(Clock::time_point started, bool ok);
  void mark_kill();       // the primary was killed now
  void mark_promotion();  // Sentinel names a new primary now

  bool killed() const;
  bool recovered() const;      // a request issued after the kill succeeded
  double kill_s() const;       // since the load began; NaN before the kill
  double promotion_s() const;  // since the load began; NaN before a promotion
  // The kill to the first success of a request issued after it; NaN when none.
  double recovery_s() const;
  double elapsed_s() const;  // since the load began
  std::uint64_t ok() const;
  std::uint64_t failed() const;
  std::vector<Second> seconds() const;

 private:
  double since_begin(std::optional<Clock::time_point> t) const;

  const Clock::time_point begin_;
  mutable core::Mutex mu_;
  std::vector<Second> seconds_ GUARDED_BY(mu_);
  std::optional<Clock::time_point> killed_ GUARDED_BY(mu_);
  std::optional<Clock::time_point> promoted_ GUARDED_BY(mu_);
  std::optional<Clock::time_point> first_ok_after_kill_ GUARDED_BY(mu_);
  std::uint64_t ok_ GUARDED_BY(mu_) = 0;
  std::uint64_t failed_ GUARDED_BY(mu_) = 0;
};

// Clients placing orders one after another at POST `path` of the orders
// service on 127.0.0.1:port; an order is retried with the same key (after
// kRetryPause) until answered `accepted_status` or stopped.
class OrderClients {
 public:
  static constexpr std::chrono::milliseconds kRetryPause{100};  // the client's own retry pace

  // key_prefix keeps the keys of two OrderClients on one service apart;
  // `pace`: each client's pause after an accepted order.
  OrderClients(std::uint16_t port, std::string path, unsigned accepted_status, std::string key_prefix,
               Timeline& timeline, std::chrono::milliseconds pace = std::chrono::milliseconds(0));

  // One client's loop, until `stop`; run each client on its own thread.
  void run(int client, const std::atomic<bool>& stop);

  std::vector<std::string> accepted() const;  // the order ids answered accepted_status
  std::size_t accepted_count() const;
  std::uint64_t refused() const { return refused_.load(); }  // answers other than accepted_status (each retried)

 private:
  const std::uint16_t port_;
  const std::string path_;
  const unsigned accepted_status_;
  const std::string key_prefix_;
  Timeline& timeline_;
  const std::chrono::milliseconds pace_;
  std::atomic<std::uint64_t> refused_{0};
  mutable core::Mutex mu_;
  std::vector<std::string> accepted_ GUARDED_BY(mu_);
};

// The orders with a charge record that no client was answered for: each is a
// second charge for a request its client was told had failed (its retry
// placed and charged another order).
Result<std::vector<std::string>> unanswered_charges(store::Store& store, const std::vector<std::string>& accepted);

}  // namespace scalelab::lab::failover
