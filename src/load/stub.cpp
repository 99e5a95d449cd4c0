#include "load/stub.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace scalelab::load {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

void Stub::register_routes(http::Router& router) {
  router.get("/stub/count", [this](http::Request&) -> asio::awaitable<http::Response> {
    co_return http::Response::json_text(200, fmt::format("{{\"answered\":{}}}", answered_.load()));
  });
  auto answer = [this](http::Request&) -> asio::awaitable<http::Response> {
    const auto now_ns = Clock::now().time_since_epoch().count();
    std::int64_t first = 0;
    first_ns_.compare_exchange_strong(first, now_ns);
    first = first_ns_.load();
    auto wait_until = Clock::now() + options_.delay;
    if (options_.stall_for.count() > 0) {
      const auto stall_begin = Clock::time_point(Clock::duration(first)) + options_.stall_at;
      const auto stall_end = stall_begin + options_.stall_for;
      const auto now = Clock::now();
      if (now >= stall_begin && now < stall_end) wait_until = std::max(wait_until, stall_end + options_.delay);
    }
    if (wait_until > Clock::now()) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_at(wait_until);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    answered_++;
    co_return http::Response::json_text(options_.status, options_.body);
  };
  const char* patterns[] = {"/", "/{a}", "/{a}/{b}", "/{a}/{b}/{c}", "/{a}/{b}/{c}/{d}"};
  for (const char* p : patterns)
    for (auto m : {http::Method::kGet, http::Method::kPost, http::Method::kPut, http::Method::kDelete})
      router.add(m, p, answer);
}

}  // namespace scalelab::load
