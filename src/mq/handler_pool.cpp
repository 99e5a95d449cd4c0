#include "mq/handler_pool.h"

#include <algorithm>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

namespace scalelab::mq {

namespace asio = boost::asio;

HandlerPool::HandlerPool(AsyncHandler handler, int threads)
    : handler_(std::move(handler)), pool_(static_cast<std::size_t>(std::max(1, threads))) {}

HandlerPool::~HandlerPool() { join(); }

void HandlerPool::start(Delivery delivery, std::function<void(Outcome)> done) {
  // The handler is called inside the coroutine, so a handler that throws
  // before its first suspension is caught like any other.
  auto run = [this, d = std::move(delivery)]() mutable -> asio::awaitable<Outcome> {
    co_return co_await handler_(std::move(d));
  };
  asio::co_spawn(pool_, std::move(run), [done = std::move(done)](std::exception_ptr error, Outcome outcome) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::warn("mq handler threw: {}; requeueing", e.what());
      } catch (...) {
        spdlog::warn("mq handler threw; requeueing");
      }
      outcome = Outcome::kRequeue;
    }
    done(outcome);
  });
}

void HandlerPool::join() { pool_.join(); }

}  // namespace scalelab::mq
