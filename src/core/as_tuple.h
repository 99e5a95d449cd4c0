// The completion token of the coroutines that take errors as values:
// `auto [ec, n] = co_await socket.async_read_some(buf, kTuple);` resumes with
// the error code instead of throwing it.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace scalelab::core {

inline constexpr auto kTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace scalelab::core
