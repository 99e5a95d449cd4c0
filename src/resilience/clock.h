// Clock: the time source every resilience policy reads, injectable so that
// tests drive breakers, windows, budgets and retry schedules without waiting.
// SteadyClock is std::chrono::steady_clock plus an Asio timer for sleeping;
// ManualClock only moves when a test (or a sleep on it) advances it.
// Thread-safety: both clocks are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include <boost/asio/awaitable.hpp>

namespace scalelab::resilience {

class Clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // Suspends the calling coroutine for d (a backoff between retries).
  virtual boost::asio::awaitable<void> sleep_for(duration d) = 0;
};

class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  boost::asio::awaitable<void> sleep_for(duration d) override;
};

// The process-wide steady clock: the default of every policy.
Clock& steady_clock();

// Starts at an arbitrary fixed point; sleep_for advances it at once (and
// counts the sleep), so a retry loop runs in simulated time.
class ManualClock final : public Clock {
 public:
  time_point now() const override {
    return time_point(duration(now_.load(std::memory_order_acquire)));
  }
  boost::asio::awaitable<void> sleep_for(duration d) override;

  void advance(duration d) { now_.fetch_add(d.count(), std::memory_order_acq_rel); }
  std::uint64_t sleeps() const { return sleeps_.load(); }
  duration slept() const { return duration(slept_.load()); }

 private:
  std::atomic<duration::rep> now_{std::chrono::duration_cast<duration>(std::chrono::hours(1)).count()};
  std::atomic<std::uint64_t> sleeps_{0};
  std::atomic<duration::rep> slept_{0};
};

}  // namespace scalelab::resilience
