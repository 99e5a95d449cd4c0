#include "resilience/clock.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace scalelab::resilience {

namespace asio = boost::asio;

asio::awaitable<void> SteadyClock::sleep_for(duration d) {
  if (d <= duration::zero()) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  // A cancelled sleep just ends early; the caller checks its deadline.
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

Clock& steady_clock() {
  static SteadyClock clock;
  return clock;
}

asio::awaitable<void> ManualClock::sleep_for(duration d) {
  sleeps_.fetch_add(1);
  if (d > duration::zero()) {
    slept_.fetch_add(d.count());
    advance(d);
  }
  co_return;
}

}  // namespace scalelab::resilience
