#include "load/stub.h"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace scalelab::load {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// A step towards the median of the timer's wake-up delay (up when it woke
// later than the lead, down when sooner), kept within [0, spin].
void Stub::learn_lead(Clock::duration woke_late) {
  constexpr std::int64_t kStepUs = 5;
  const auto late_us = std::chrono::duration_cast<std::chrono::microseconds>(woke_late).count();
  std::int64_t cur = lead_us_.load(std::memory_order_relaxed);
  std::int64_t next = 0;
  do {
    next = std::clamp<std::int64_t>(cur + (late_us > cur ? kStepUs : -kStepUs), 0, options_.spin.count());
  } while (!lead_us_.compare_exchange_weak(cur, next, std::memory_order_relaxed));
}

obs::LogLinearHistogram Stub::lateness() const {
  core::MutexLock lock(late_mu_);
  return late_us_;
}

void Stub::register_routes(http::Router& router) {
  router.get("/stub/count", [this](http::Request&) -> asio::awaitable<http::Response> {
    const obs::LogLinearHistogram late = lateness();
    co_return http::Response::json_text(
        200, fmt::format("{{\"answered\":{},\"late_us\":{{\"count\":{},\"p50\":{},\"p99\":{},\"max\":{}}}}}",
                         answered_.load(), late.count(), late.quantile(0.5), late.quantile(0.99), late.max()));
  });
  auto answer = [this](http::Request&) -> asio::awaitable<http::Response> {
    const auto start = Clock::now();
    std::int64_t first = 0;
    first_ns_.compare_exchange_strong(first, start.time_since_epoch().count());
    first = first_ns_.load();
    auto due = start + options_.delay;
    if (options_.stall_for.count() > 0) {
      const auto stall_begin = Clock::time_point(Clock::duration(first)) + options_.stall_at;
      const auto stall_end = stall_begin + options_.stall_for;
      if (start >= stall_begin && start < stall_end) due = std::max(due, stall_end + options_.delay);
    }
    if (due > start) {
      auto ex = co_await asio::this_coro::executor;
      const std::chrono::microseconds lead(lead_us_.load(std::memory_order_relaxed));
      const auto wake = due - lead;
      if (wake > Clock::now()) {
        asio::steady_timer timer(ex);
        timer.expires_at(wake);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (options_.spin.count() > 0) learn_lead(Clock::now() - wake);
      }
      while (Clock::now() < due) co_await asio::post(ex, asio::use_awaitable);
      const auto late = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - due).count();
      core::MutexLock lock(late_mu_);
      late_us_.record(static_cast<std::uint64_t>(late));
    }
    answered_++;
    co_return http::Response::json_text(options_.status, options_.body);
  };
  const char* patterns[] = {"/", "/{a}", "/{a}/{b}", "/{a}/{b}/{c}", "/{a}/{b}/{c}/{d}"};
  for (const auto* p : patterns)
    for (auto m : {http::Method::kGet, http::Method::kPost, http::Method::kPut, http::Method::kDelete})
      router.add(m, p, answer);
}

}  // namespace scalelab::load
