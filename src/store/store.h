// Store: the key/value interface services keep their state behind, so that a
// service is stateless when the store is shared (Redis) and self-contained
// when it is not (memory). Values are opaque strings (services store JSON).
// Operations are awaitable because real backends do I/O.
// Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"

namespace scalelab::store {

using KeyValue = std::pair<std::string, std::string>;

// The outcome of Store::decrement_with_floor.
struct Decrement {
  bool applied = false;  // false: the value was below the amount and is unchanged
  std::int64_t value = 0;  // the value after the operation (or the unchanged one)
};

// Keys are views, though the calls are coroutines: a call's frame starts
// only when it is awaited, so a key must live until the call completes. Every
// caller awaits the call in the expression that makes it
// (`co_await store.get(key_of(id))`), where even a temporary key lives to the
// end of the full expression, i.e. past the completion. Do not keep an
// unawaited call around. (Owned keys would cost a copy per call on the
// services' hot paths.)
class Store {
 public:
  virtual ~Store() = default;

  // nullopt when the key is absent.
  virtual boost::asio::awaitable<Result<std::optional<std::string>>> get(std::string_view key) = 0;
  virtual boost::asio::awaitable<Status> put(std::string_view key, std::string value) = 0;
  // Stores only when the key is absent; true when stored (atomic).
  virtual boost::asio::awaitable<Result<bool>> put_if_absent(std::string_view key, std::string value) = 0;
  // true when the key existed.
  virtual boost::asio::awaitable<Result<bool>> erase(std::string_view key) = 0;
  // Every key starting with prefix, in ascending key order.
  virtual boost::asio::awaitable<Result<std::vector<KeyValue>>> scan(std::string_view prefix) = 0;

  // Integer counters (values stored as base-10 text). A missing key counts as
  // absent_as. All three are atomic with respect to every other operation on
  // the key, in every instance sharing the store.
  //
  // Adds delta and returns the new value. Fails with kConflict when the
  // stored value is not an integer or the sum would overflow int64.
  virtual boost::asio::awaitable<Result<std::int64_t>> increment(std::string_view key, std::int64_t delta,
                                                                 std::int64_t absent_as = 0) = 0;
  // Subtracts amount only when the result stays >= 0 (a counter that never
  // goes below zero: stock that never oversells). REQUIRES: amount >= 0.
  virtual boost::asio::awaitable<Result<Decrement>> decrement_with_floor(std::string_view key,
                                                                         std::int64_t amount,
                                                                         std::int64_t absent_as = 0) = 0;
  // Stores value only when the current value equals expected (nullopt:
  // only when the key is absent). True when stored.
  virtual boost::asio::awaitable<Result<bool>> compare_and_set(std::string_view key,
                                                               std::optional<std::string> expected,
                                                               std::string value) = 0;

  // Durable writes: as put, put_if_absent and compare_and_set, and a store
  // with replicas (Redis with Sentinel) also has a replica acknowledge the
  // write before the call succeeds, so that it survives losing the primary.
  // For the records whose loss costs money or an order: an order's status,
  // an idempotency key, a charge. When no replica acknowledges in time the
  // call fails with kUnavailable; the write may then be on the primary only
  // (it can be lost at a failover, or survive). A store without replicas
  // has nothing more to do: these are the plain calls.
  virtual boost::asio::awaitable<Status> put_durable(std::string_view key, std::string value) {
    co_return co_await put(key, std::move(value));
  }
  virtual boost::asio::awaitable<Result<bool>> put_if_absent_durable(std::string_view key, std::string value) {
    co_return co_await put_if_absent(key, std::move(value));
  }
  virtual boost::asio::awaitable<Result<bool>> compare_and_set_durable(std::string_view key,
                                                                       std::optional<std::string> expected,
                                                                       std::string value) {
    co_return co_await compare_and_set(key, std::move(expected), std::move(value));
  }

  // A short description for logs and /health, e.g. "memory".
  virtual std::string describe() const = 0;
};

// Opens a store from a URL: "memory://" (the embedded default),
// "redis://host:port[/db]" or "redis-sentinel://host:port[,host:port…]/master"
// (the primary found through Sentinel, followed across failovers). Fails with kInvalidInput for an unknown scheme or
// a malformed URL. A Redis store connects lazily: a server that is down makes
// operations fail with kUnavailable, not open_store.
Result<std::unique_ptr<Store>> open_store(std::string_view url);

}  // namespace scalelab::store
