// run_blocking: runs one awaitable to completion on a private io_context and
// returns its value (or rethrows its exception). For startup code and tests
// that call the async interfaces from plain threads.
// Thread-safety: each call has its own io_context.
#pragma once

#include <exception>
#include <optional>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace scalelab {

template <typename T>
T run_blocking(boost::asio::awaitable<T> task) {
  boost::asio::io_context io{1};
  std::optional<T> value;
  std::exception_ptr error;
  // Wrapped so that T need not be default-constructible.
  auto wrapper = [&value, t = std::move(task)]() mutable -> boost::asio::awaitable<void> {
    value.emplace(co_await std::move(t));
  };
  boost::asio::co_spawn(io, wrapper(), [&](std::exception_ptr e) { error = e; });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*value);
}

}  // namespace scalelab
